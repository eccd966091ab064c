// The query model assembled in Node (src/node/query-model.ts → src/kernel/query-model.ts, the assembly the Worker runs
// too): its vectors against the float64 reference, and the folders it refuses, each with the file and the command that
// mends it.
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KernelWeightsError } from "../../src/kernel/encoder-kernel.ts";
import { ModelError } from "../../src/model/errors.ts";
import { ensureFixtureModels, type FixtureModels } from "../../src/model/fixture.ts";
import { loadQueryFolder } from "../../src/node/query-model.ts";
import { writeStaticWeights } from "../../src/encoder/static-weights.ts";
import { convertFolder } from "../../src/model/convert.ts";
import { loadModelFolder } from "../../src/node/model-folder.ts";
import { folderVariant } from "../support/model-folders.ts";
import { writeStaticHub } from "../support/static-weights-hub.ts";
import { referenceQueries } from "../support/reference.ts";

const FETCH = "convert it again with `npm run model -- fetch --only query`";

let fixtures: FixtureModels;
let tmp: string;

beforeAll(async () => {
  fixtures = await ensureFixtureModels();
  tmp = mkdtempSync(join(tmpdir(), "splade-query-model-"));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("loadQueryFolder", () => {
  it("encodes as the float64 reference does, tokens and truncation included", async () => {
    const texts = ["what is the capital of france and germany", "Café Müller naïve résumé", "sparse ".repeat(300)];
    const { encoder, manifest } = await loadQueryFolder(fixtures.models.query);
    const vectors = await encoder.encode(texts);
    const references = referenceQueries(fixtures.models.query, fixtures.hf.query, texts);
    expect(vectors.map((v) => v.truncated)).toEqual([false, false, true]);
    vectors.forEach((vector, i) => {
      const reference = references[i];
      expect(vector.tokens).toBe(reference.ids.length);
      expect(vector.tokens).toBeLessThanOrEqual(manifest.max_length);
      const weights = new Map(reference.weights);
      expect([...vector.indices].sort((a, b) => a - b)).toEqual(reference.weights.map(([id]) => id));
      for (let k = 0; k < vector.indices.length; k++) expect(Math.abs(vector.values[k] - weights.get(vector.indices[k])!)).toBeLessThanOrEqual(1e-4);
    });
  });

  it("refuses a doc model's folder", async () => {
    const error = await loadQueryFolder(fixtures.models.doc).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).message).toBe(
      `${join(fixtures.models.doc, "manifest.json")} is a doc model's: only a query model has an encoder.bin — ${FETCH}`,
    );
  });

  it("refuses a manifest that predates encoder.bin", async () => {
    const { edge: _, ...manifest } = JSON.parse(readFileSync(join(fixtures.models.query, "manifest.json"), "utf8"));
    const dir = folderVariant(fixtures.models.query, tmp, { "manifest.json": JSON.stringify(manifest) });
    await expect(loadQueryFolder(dir)).rejects.toThrow(
      `${join(dir, "manifest.json")} lists no encoder.bin (splade-edge/kernel-weights@1): it predates it — ${FETCH}`,
    );
  });

  it("names a missing worker-tokenizer.json", async () => {
    const dir = folderVariant(fixtures.models.query, tmp, { "worker-tokenizer.json": null });
    const error = await loadQueryFolder(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).message).toBe(`${join(dir, "worker-tokenizer.json")} not found — run \`npm run model -- fetch --only query\``);
  });

  it("refuses a manifest from before encoder.bin's parts, naming the file and the command", async () => {
    const manifest = JSON.parse(readFileSync(join(fixtures.models.query, "manifest.json"), "utf8"));
    // Converter layout 5's table: the one file named, no parts, no whole sha256.
    const { parts: _, sha256: __, ...edge } = manifest.edge;
    const dir = folderVariant(fixtures.models.query, tmp, { "manifest.json": JSON.stringify({ ...manifest, edge: { ...edge, file: "encoder.bin" } }) });
    const error = await loadQueryFolder(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelWeightsError);
    expect((error as Error).message).toBe(
      `${join(dir, "encoder.bin")}: the manifest lists encoder.bin without its parts: it was converted before they came in — ${FETCH}`,
    );
  });

  it("names an encoder.bin that does not match its table", async () => {
    const bytes = readFileSync(join(fixtures.models.query, "encoder.bin"));
    const dir = folderVariant(fixtures.models.query, tmp, { "encoder.bin": bytes.subarray(0, 1000) });
    const error = await loadQueryFolder(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelWeightsError);
    expect((error as Error).message).toBe(`${join(dir, "encoder.bin")}: encoder.bin holds 1000 bytes, not the ${bytes.length} its table lists — ${FETCH}`);
  });
});

describe("loadQueryFolder on an inference-free folder", () => {
  let dir: string;

  beforeAll(async () => {
    const hub = writeStaticHub(join(tmp, "static-hub"), { seed: 3 });
    dir = join(tmp, "static");
    await convertFolder(hub.dir, dir, { role: "query" });
  });

  it("loads no kernel, and names a weight table of another vocabulary", async () => {
    expect((await loadQueryFolder(dir)).build).toBe("static-weights");
    const variant = folderVariant(dir, tmp, { "static-weights.bin": writeStaticWeights({ weights: new Float32Array(1000) }) });
    const error = await loadQueryFolder(variant).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toBe(
      `${join(variant, "static-weights.bin")}: static-weights.bin holds 1000 weights, but manifest.json's vocabulary has 30522 tokens — ${FETCH}`,
    );
  });

  it("is refused where a transformer's model.onnx is needed (encode-corpus, eval's documents), saying what it is", async () => {
    await expect(loadModelFolder(dir)).rejects.toThrow(
      `${join(dir, "manifest.json")} is an inference-free query model (a weight table, no model.onnx): give a transformer's folder, e.g. model/doc`,
    );
  });
});
