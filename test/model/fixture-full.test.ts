// The full-size doc fixture (naver/efficient-splade-VI-BT-large-doc's exact config, generated on demand only): its
// spec and config, and the same spec through the real writer and converter at a reduced width, since the ~265 MB
// model itself is never made by the tests.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkpointLayout, toHfConfig } from "../../src/model/architectures.ts";
import { openCheckpoint } from "../../src/model/checkpoint/index.ts";
import { DOC_CONFIG, ensureFixtureModels, FIXTURES, FULL_SIZE_FIXTURES, type FixtureSpec } from "../../src/model/fixture.ts";
import { sequenceFlops } from "../support/sequence-flops.ts";

const FULL = FULL_SIZE_FIXTURES.find((spec) => spec.name === "doc-full") as FixtureSpec;

describe("doc-full spec", () => {
  it("is naver/efficient-splade-VI-BT-large-doc's config.json (docs/facts.md, 'The two models')", () => {
    expect(toHfConfig(FULL.config)).toMatchObject({
      architectures: ["DistilBertForMaskedLM"],
      model_type: "distilbert",
      vocab_size: 30522,
      dim: 768,
      n_layers: 6,
      n_heads: 12,
      hidden_dim: 3072,
      max_position_embeddings: 512,
      activation: "gelu",
    });
  });

  it("has the real checkpoint's size (268 MB of float32) and is not among the fixtures the tests make", () => {
    const parameters = checkpointLayout(FULL.config).reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
    expect(parameters).toBe(66_985_530);
    expect(parameters * 4).toBeGreaterThan(267e6);
    expect(parameters * 4).toBeLessThan(269e6);
    expect(FIXTURES.map((spec) => spec.name)).not.toContain("doc-full");
    expect(FULL.decoderBiasShift).toBeLessThan(0);
  });

  it("counts per-token FLOPs as twice the multiply-adds of every weight matrix, plus attention", () => {
    // Every 2-D weight but the position embeddings multiplies each token once; the tied decoder is the word embeddings.
    const matrices = checkpointLayout(DOC_CONFIG)
      .filter((t) => t.shape.length === 2 && !t.name.includes("position"))
      .reduce((sum, t) => sum + t.shape[0] * t.shape[1], 0);
    for (const tokens of [1, 64, 256]) {
      const f = sequenceFlops(DOC_CONFIG, tokens);
      expect(f.projections + f.headTransform + f.decoder).toBe(2 * tokens * matrices);
      expect(f.attention).toBe(6 * 2 * 2 * tokens * tokens * 768);
      expect(f.total).toBe(f.projections + f.attention + f.headTransform + f.decoder);
    }
    expect(sequenceFlops(DOC_CONFIG, 1).decoder).toBe(2 * 768 * 30522);
  });
});

describe("doc-full spec at a reduced width, through writer and converter", () => {
  const small: FixtureSpec = { ...FULL, name: "doc-full-small", config: { ...DOC_CONFIG, hiddenSize: 96, intermediateSize: 384 } };
  let root: string | undefined;
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("converts once into a doc model folder and keeps the decoder bias shift", async () => {
    root = await mkdtemp(join(tmpdir(), "splade-edge-fixture-full-"));
    const converted: string[] = [];
    const made = await ensureFixtureModels(root, (name) => converted.push(name), [small]);
    expect(converted).toEqual(["doc-full-small"]);
    await ensureFixtureModels(root, (name) => converted.push(name), [small]);
    expect(converted).toEqual(["doc-full-small"]);

    const manifest = JSON.parse(await readFile(join(made.models["doc-full-small"], "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ role: "doc", architecture: "DistilBertForMaskedLM", random_weights: true, vocab_size: 30522 });
    expect(manifest.config).toMatchObject({ numLayers: 6, numHeads: 12, hiddenSize: 96, intermediateSize: 384 });

    const bias = openCheckpoint(join(made.hf["doc-full-small"], "model.safetensors")).get("vocab_projector.bias");
    const mean = bias.data.reduce((a, b) => a + b, 0) / bias.data.length;
    expect(mean).toBeCloseTo(FULL.decoderBiasShift as number, 3);
  });
});
