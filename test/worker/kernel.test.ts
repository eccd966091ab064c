// Both kernel builds inside workerd, where the Worker runs them: kernel-relaxed.wasm (what a Worker picks) against
// kernel.wasm (tested against the float64 forward pass in Node, test/kernel) and against its own float32 scan, and its
// int8 bound term by term against a float64 oracle. Node 20 cannot run relaxed SIMD without flags, so this is where
// the relaxed build's quantization grid (tokens on [−63, 63]) and its int8 dot are checked.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { chooseKernelBuild, SpladeKernel } from "../../src/kernel/encoder-kernel.ts";
import relaxedModule from "../../src/kernel/kernel-relaxed.wasm";
import plainModule from "../../src/kernel/kernel.wasm";
import type { HeadWeights } from "../../src/kernel/splade-head.ts";
import type { ModelManifest } from "../../src/model/manifest-format.ts";
import { randomIds as ids } from "../support/query-ids.ts";
import { dense, oracleMaxLogits } from "../kernel/oracle.ts";

let relaxed: SpladeKernel;
let plain: SpladeKernel;
let head: HeadWeights;

beforeAll(async () => {
  const manifest = await (await env.ASSETS.fetch("https://assets.local/manifest.json")).json<ModelManifest>();
  const layout = manifest.edge!;
  const bytes = await (await env.ASSETS.fetch(`https://assets.local/${layout.file}`)).arrayBuffer();
  relaxed = SpladeKernel.create(relaxedModule, bytes, layout);
  plain = SpladeKernel.create(plainModule, bytes, layout);
  const { vocab_size: v, hidden_size: n } = layout.config;
  const at = (name: string) => layout.tensors[name][0];
  head = { decoder: new Float32Array(bytes, at("word_embeddings"), v * n), bias: new Float32Array(bytes, at("decoder.bias"), v), hiddenSize: n };
});

describe("the kernel builds in workerd", () => {
  it("pass their self-tests, and the Worker picks relaxed SIMD", () => {
    for (const module of [relaxedModule, plainModule]) expect((new WebAssembly.Instance(module, {}).exports.int8_selftest as () => number)()).toBe(0);
    expect(chooseKernelBuild([{ name: "relaxed-simd", module: relaxedModule }, { name: "simd128", module: plainModule }]).name).toBe("relaxed-simd");
  });

  it.each([2, 4, 10, 33, 128])("agree within 1e-5 at T = %i, and the relaxed exact mode is its own float32 scan bit for bit", (length) => {
    const sequence = ids(length, 900 + length);
    const a = relaxed.encode(sequence);
    const b = plain.encode(sequence);
    const scan = relaxed.encode(sequence, { mode: "scan" });
    expect([a.indices, a.values]).toEqual([scan.indices, scan.values]);
    const da = dense(a, 30522);
    const db = dense(b, 30522);
    for (let v = 0; v < 30522; v++) {
      const diff = Math.abs(da[v] - db[v]);
      if (!(diff <= 1e-5)) expect.fail(`term ${v}: relaxed ${da[v]} vs plain ${db[v]}`);
      if (da[v] > 0 !== db[v] > 0 && Math.max(da[v], db[v]) > 1e-6) expect.fail(`term ${v}: non-zero in one build only (${da[v]}, ${db[v]})`);
    }
    expect(a.indices.length).toBeGreaterThan(0);
  });

  it("bounds the int8 logit error term by term on the 7-bit token grid", () => {
    const n = head.hiddenSize;
    const hidden = relaxed.hidden(ids(10, 77));
    const u = (i: number) => Math.sin(i * 12.9898) * 0.5;
    const rows = [
      ...Array.from({ length: 10 }, (_, t) => hidden.subarray(t * n, (t + 1) * n)),
      Float32Array.from({ length: n }, (_, i) => (i === 7 ? 40 : u(i))),
      Float32Array.from({ length: n }, (_, i) => (i === 0 ? 1 : (Math.floor(u(i) * 63) + 0.5) / 63)),
      Float32Array.from({ length: n }, (_, i) => u(i) * 1e3),
    ];
    for (const row of [...rows, hidden]) {
      const tokens = row.length / n;
      const { approx, margin } = relaxed.head.bounds(row, tokens);
      const exact = oracleMaxLogits(row, tokens, head);
      for (let v = 0; v < exact.length; v++) {
        const error = Math.abs(approx[v] - exact[v]);
        if (!(error <= margin[v])) expect.fail(`term ${v}: |${approx[v]} − ${exact[v]}| = ${error} > bound ${margin[v]}`);
      }
    }
  });
});
