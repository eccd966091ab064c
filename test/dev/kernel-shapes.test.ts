// Query encoders larger than VI-BT's 2 × 128 (src/model/fixture.ts KERNEL_SHAPE_FIXTURES: 4 × 256 and 5 × 256 with
// heads of 32), generated from a seed, converted by the real `convert … --role query` CLI, then encoded by the kernel in
// Node and by the real Worker under `wrangler dev` — which refuses an asset over 25 MiB ("Asset too large"), so serving
// these at all proves encoder.bin's parts fit — each against the float64 reference. And the converter's refusal of a
// shape too large for a Worker's isolate.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KERNEL_PART_BYTES, WORKER_ASSET_BYTES, kernelMemoryBytes, type KernelConfig } from "../../src/kernel/contract.ts";
import { FIXTURE_ROOT, KERNEL_SHAPE_FIXTURES, QUERY_CONFIG, writeFixture, type FixtureSpec } from "../../src/model/fixture.ts";
import type { TransformerManifest } from "../../src/model/manifest-format.ts";
import { loadQueryFolder } from "../../src/node/query-model.ts";
import { assetsFolder, startWorker } from "../../src/node/wrangler-dev.ts";
import { runScript } from "../cli/run-script.ts";
import { referenceQueries } from "../support/reference.ts";
import { expectReference, type GoldenQuery, type IdsBody } from "../worker/golden.ts";

const TEXTS = ["which planet is known as the red planet", "Café Müller naïve résumé", "sparse ".repeat(300)];

const work = mkdtempSync(join(tmpdir(), "splade-kernel-shapes-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The generated checkpoint (kept under test/.generated/hf between runs) converted by the CLI into a fresh folder, the
 * `query/` of an assets folder of its own as model/query is in model/.
 */
async function convertShape(spec: FixtureSpec): Promise<{ dir: string; hf: string; result: Awaited<ReturnType<typeof runScript>> }> {
  const { dir: hf } = await writeFixture(join(FIXTURE_ROOT, "hf", spec.name), spec);
  const dir = join(work, spec.name, "query");
  const result = await runScript("src/cli/model.ts", ["convert", hf, dir, "--role", "query", "--quiet"]);
  return { dir, hf, result };
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe.each(KERNEL_SHAPE_FIXTURES)("a $config.numLayers × $config.hiddenSize query encoder ($config.numHeads heads)", (spec) => {
  let dir: string;
  let manifest: TransformerManifest;
  let references: GoldenQuery[];

  beforeAll(async () => {
    const converted = await convertShape(spec);
    expect(converted.result.stderr).toBe("");
    expect(converted.result.code).toBe(0);
    dir = converted.dir;
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as TransformerManifest;
    references = referenceQueries(dir, converted.hf, TEXTS);
  }, 120_000);

  it("travels as files of at most 24 MiB, each listed with its size and sha256, that join into encoder.bin", () => {
    const edge = manifest.edge!;
    for (const part of edge.parts) expect(statSync(join(dir, part.file)).size, part.file).toBeLessThanOrEqual(WORKER_ASSET_BYTES);
    expect(edge.parts.length).toBe(Math.ceil(edge.bytes / KERNEL_PART_BYTES));
    const files = edge.parts.map((part) => readFileSync(join(dir, part.file)));
    edge.parts.forEach((part, i) => {
      expect(statSync(join(dir, part.file)).size).toBe(part.bytes);
      expect(sha256(files[i])).toBe(part.sha256);
      expect(manifest.files[part.file]).toEqual({ sha256: part.sha256, bytes: part.bytes });
    });
    expect(sha256(Buffer.concat(files))).toBe(edge.sha256);
    expect(Buffer.concat(files).byteLength).toBe(edge.bytes);
  });

  it("encodes in Node as the float64 reference does (within 1e-4), in the wasm memory the converter counted", async () => {
    const model = await loadQueryFolder(dir);
    if (model.kind !== "transformer") throw new Error(`${dir} converted to a ${model.kind} model`);
    const { encoder, kernel } = model;
    const vectors = await encoder.encode(TEXTS);
    vectors.forEach((vector, i) => expectReference({ model: manifest.source.repo, ...vector }, references[i], 1e-4));
    expect(references.some((r) => r.truncated)).toBe(true);
    expect(kernel.memoryBytes).toBe(kernelMemoryBytes(manifest.edge!.config));
  });

  it("is served by the Worker under wrangler dev, its parts as assets, as the reference says (within 1e-4)", async () => {
    const server = await startWorker(await assetsFolder(dir, dirname(dir)));
    try {
      const response = await server.fetch("/encode", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ queries: TEXTS, format: "ids" }),
      });
      expect(response.status).toBe(200);
      const rows = (await response.json()) as IdsBody[];
      rows.forEach((row, i) => expectReference(row, references[i], 1e-4));
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe("convert --role query", () => {
  it("refuses a query encoder too large for a Worker's isolate, in one line naming its shape and the limit", async () => {
    const config = { ...QUERY_CONFIG, numLayers: 6, hiddenSize: 256, numHeads: 4, intermediateSize: 1024 };
    const { dir, result } = await convertShape({ name: "query-6x256", config, seed: 7, std: 0.05 });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    const kernel: KernelConfig = {
      hidden_size: 256,
      num_heads: 4,
      num_layers: 6,
      intermediate_size: 1024,
      activation: "gelu",
      layer_norm_eps: 1e-12,
      vocab_size: 30522,
      positions: 256,
      token_type: true,
      tied: true,
    };
    expect(result.stderr).toContain(
      `a query encoder of 6 layers × hidden 256 (4 heads, intermediate 1024, vocab 30522, max length 256) needs 130.4 MB in a Worker while it loads — the kernel's ${(kernelMemoryBytes(kernel) / 1e6).toFixed(1)} MB`,
    );
    expect(result.stderr).toContain("over the isolate's limit of 128.0 MB");
    expect(() => statSync(dir)).toThrow(/ENOENT/);
  }, 120_000);
});
