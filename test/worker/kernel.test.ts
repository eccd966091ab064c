// Both kernel builds inside workerd, where the Worker runs them: kernel-relaxed.wasm (what a Worker picks) against
// kernel.wasm (tested against the float64 forward pass in Node, test/kernel) and against its own float32 scan, and its
// int8 bound term by term against a float64 oracle, with both forms of its int8 dot. Node 20 cannot run relaxed SIMD
// without flags, so this is where the relaxed build's quantization grid (tokens on [−63, 63]) and its int8 dot are checked.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { chooseKernelBuild, SpladeKernel } from "../../src/kernel/encoder-kernel.ts";
import relaxedModule from "../../src/kernel/kernel-relaxed.wasm";
import plainModule from "../../src/kernel/kernel.wasm";
import { SpladeHead, type HeadWeights } from "../../src/kernel/splade-head.ts";
import type { TransformerManifest } from "../../src/model/manifest-format.ts";
import { randomIds as ids } from "../support/query-ids.ts";
import { dense, oracleMaxLogits } from "../kernel/oracle.ts";

let relaxed: SpladeKernel;
let plain: SpladeKernel;
let head: HeadWeights;

beforeAll(async () => {
  const manifest = await (await env.ASSETS.fetch("https://assets.local/query/manifest.json")).json<TransformerManifest>();
  const layout = manifest.edge!;
  // The 2 × 128 fixture's encoder.bin is one file (KERNEL_PART_BYTES).
  const bytes = await (await env.ASSETS.fetch(`https://assets.local/query/${layout.parts[0].file}`)).arrayBuffer();
  relaxed = SpladeKernel.create(relaxedModule, bytes, layout);
  plain = SpladeKernel.create(plainModule, bytes, layout);
  const { vocab_size: v, hidden_size: n } = layout.config;
  const at = (name: string) => layout.tensors[name][0];
  head = { decoder: new Float32Array(bytes, at("word_embeddings"), v * n), bias: new Float32Array(bytes, at("decoder.bias"), v), hiddenSize: n };
});

describe("the kernel builds in workerd", () => {
  it("pass their self-tests, and the Worker picks relaxed SIMD", () => {
    for (const module of [relaxedModule, plainModule]) expect((new WebAssembly.Instance(module, {}).exports.int8_selftest as () => number)()).toBe(0);
    expect(
      chooseKernelBuild([
        { name: "relaxed-simd", module: relaxedModule },
        { name: "simd128", module: plainModule },
      ]).name,
    ).toBe("relaxed-simd");
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

  it("gives the same int8 bounds and the same answers with either form of the relaxed dot (fused and pairs)", () => {
    const n = head.hiddenSize;
    const [fused, pairs] = (["fused", "pairs"] as const).map((int8Dot) => SpladeHead.create(relaxedModule, head, { maxTokens: 64, int8Dot }));
    // Operands at the dot's extremes: a spike puts a token at +63 (fed as 127) and −63 (fed as 1); every decoder row has ±127.
    const spike = (sign: number) => Float32Array.from({ length: n }, (_, i) => (i === 5 ? 50 * sign : Math.cos(i)));
    const inputs = [1, 3, 10, 33].map((length) => relaxed.hidden(ids(length, 1300 + length)));
    inputs.push(spike(1), spike(-1), new Float32Array([...spike(1), ...spike(-1), ...inputs[2]]));
    for (const hidden of inputs) {
      const tokens = hidden.length / n;
      const [a, b] = [fused, pairs].map((h) => h.bounds(hidden, tokens));
      expect(a.approx).toEqual(b.approx);
      expect(a.margin).toEqual(b.margin);
      const [ea, eb] = [fused, pairs].map((h) => h.spladeFromHidden(hidden, tokens));
      const scan = fused.spladeFromHidden(hidden, tokens, undefined, { mode: "scan" });
      expect([ea.indices, ea.values, ea.rescored]).toEqual([eb.indices, eb.values, eb.rescored]);
      expect([ea.indices, ea.values]).toEqual([scan.indices, scan.values]);
    }
  });
});
