// GTE NewForMaskedLM document encoders (opensearch-neural-sparse-encoding-doc-v3-gte's architecture): generated
// checkpoints in the Hub layout → the real `model convert` CLI → model.onnx on onnxruntime-node and onnxruntime-web,
// against the float64 reference (src/model/reference.ts, written from docs/model-sources.md §3).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseModelConfig, toGteHfConfig, type Encoder, type GteConfig } from "../../src/model/architectures.ts";
import { GTE_FIXTURE_CONFIG, writeGteFixture, type GteFixtureSpec } from "../../src/model/fixture-gte.ts";
import type { ModelManifest } from "../../src/model/manifest.ts";
import { ONNX_NAMES } from "../../src/model/onnx/build.ts";
import { seededUniform } from "../../src/model/random.ts";
import { gteInverseFrequencies, referenceSplade } from "../../src/model/reference.ts";
import type { SpladeBackend } from "../../src/encoder/encoder.ts";
import { createNodeBackend } from "../../src/node/ort-node.ts";
import { createWebBackend } from "../../src/node/ort-web.ts";
import { runScript } from "../cli/run-script.ts";
import { referenceModel } from "../support/reference.ts";

const VS_REFERENCE = 1e-4;
const CLS = 101;
const SEP = 102;
const tmp = mkdtempSync(join(tmpdir(), "splade-gte-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** [CLS], `length - 2` ids of the tokenizer's 30522 drawn from the seed, [SEP]. */
function randomIds(length: number, seed: number): number[] {
  const u = seededUniform(seed);
  return Array.from({ length }, (_, t) => (t === 0 ? CLS : t === length - 1 ? SEP : 1000 + Math.floor(u() * 29000)));
}

/** Ragged lengths (padding inside the batch), and one sequence long enough for rotary angles far from position 0. */
const BATCH = [randomIds(12, 1), [CLS, SEP], randomIds(37, 2), randomIds(300, 3)];

const VARIANTS: Array<{ name: string; spec: GteFixtureSpec }> = [
  {
    name: "doc-v3-gte's layout: rope_theta 500000 with NTK ×2, type_vocab_size 0, new.-prefixed names, log1p_relu",
    spec: { config: GTE_FIXTURE_CONFIG, seed: 21, std: 0.05, activation: "log1p_relu" },
  },
  {
    name: "rope_theta 10000 unscaled, type_vocab_size 1, names without new., no sentence-transformers files (relu)",
    spec: { config: { ...GTE_FIXTURE_CONFIG, typeVocabSize: 1, ropeTheta: 10000, ropeScaling: null }, seed: 22, std: 0.05, activation: null, unprefixed: true },
  },
];

const RUNTIMES: Array<{ name: string; create: (bytes: Uint8Array) => Promise<SpladeBackend> }> = [
  { name: "onnxruntime-node", create: (bytes) => createNodeBackend(bytes, ONNX_NAMES, { threads: 1 }) },
  { name: "onnxruntime-web", create: (bytes) => createWebBackend(bytes, ONNX_NAMES) },
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe.each(VARIANTS)("$name", ({ spec }) => {
  const hf = join(tmp, `hf-${spec.seed}`);
  const out = join(tmp, `model-${spec.seed}`);
  let manifest: ModelManifest;
  let model: Encoder;
  let reference: Float64Array[];
  let onnx: Uint8Array;

  beforeAll(async () => {
    await writeGteFixture(hf, spec);
    const r = await runScript("src/cli/model.ts", ["convert", hf, out, "--role", "doc", "--quiet"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as ModelManifest;
    onnx = readFileSync(join(out, "model.onnx"));
    model = referenceModel(hf);
    // The activation the fixture was written with, not the manifest's: a converter that ignored it fails here.
    const pooling = { activation: spec.activation ?? "relu", dropIds: [] };
    reference = BATCH.map((ids) => referenceSplade(model, ids, undefined, pooling));
  }, 120_000);

  it("converts to a doc model whose manifest records the architecture, its config, the activation and the max length", () => {
    expect(manifest).toMatchObject({
      role: "doc",
      architecture: "NewForMaskedLM",
      config: { ...spec.config },
      vocab_size: 30528,
      random_weights: true,
      // tokenizer_config.json's model_max_length (512) is below the 8192 positions: MLMTransformer's min of the two.
      max_length: 512,
      max_length_from: "tokenizer",
      splade: {
        activation: spec.activation ?? "relu",
        activation_from: spec.activation ? "document_1_SpladePooling/config.json" : "default",
        drop_special_ids: false,
      },
    });
  });

  it.each(RUNTIMES)("model.onnx on $name equals the float64 reference within 1e-4, padded batch included", async ({ create }) => {
    const backend = await create(onnx);
    const data = await backend.run(BATCH);
    expect(data.length).toBe(BATCH.length * 30528);
    const worst = BATCH.map((_, b) => maxAbsDiff(data.subarray(b * 30528, (b + 1) * 30528), reference[b]));
    expect(Math.max(...worst)).toBeLessThan(VS_REFERENCE);
  });

  it("the reference depends on position (rotary): the same tokens reversed give another vector", () => {
    const ids = BATCH[0];
    const reversed = [CLS, ...ids.slice(1, -1).reverse(), SEP];
    expect(maxAbsDiff(referenceSplade(model, ids), referenceSplade(model, reversed))).toBeGreaterThan(1e-3);
  });
});

describe("the reference's rotary frequencies (head size 16)", () => {
  // Worked by hand from docs/model-sources.md §3: ω_j = 1/θ^(2j/d); NTK factor f: 1/(θf)^(2j/d) / f^(2/d).
  it.each<[string, Partial<GteConfig>, number[]]>([
    ["rope_theta 10000, unscaled: 1, 10^-1.5, 10^-3", { ropeTheta: 10000, ropeScaling: null }, [1, 0.03162277660168379, 0.001]],
    [
      "rope_theta 500000, NTK ×2: 2^(-1/8), 10^(-2.25)·2^(-1/8), 10^(-4.5)·2^(-1/8)",
      { ropeTheta: 500000, ropeScaling: { type: "ntk", factor: 2 } },
      [0.9170040432046712, 0.005156692688606229, 2.8998214001102113e-5],
    ],
  ])("%s", (_, change, expected) => {
    const inverse = gteInverseFrequencies({ ...GTE_FIXTURE_CONFIG, ...change });
    expect(inverse).toHaveLength(8);
    [0, 3, 6].forEach((j, k) => expect(inverse[j]).toBeCloseTo(expected[k], 15));
  });
});

describe("GTE configs splade-edge does not run are refused, naming the key", () => {
  const raw = toGteHfConfig(GTE_FIXTURE_CONFIG);
  it.each<[string, Record<string, unknown>, RegExp]>([
    ["RMSNorm", { layer_norm_type: "rms_norm" }, /config\.json: "layer_norm_type": "rms_norm" is not supported/],
    ["separate q/k/v projections", { pack_qkv: false }, /config\.json: "pack_qkv": unpacked q\/k\/v projections are not supported/],
    ["the log-n attention scale", { logn_attention_scale: true }, /config\.json: "logn_attention_scale": the length-dependent query scale is not supported/],
    ["another rope scaling", { rope_scaling: { type: "dynamic", factor: 2 } }, /config\.json: "rope_scaling": type "dynamic" is not supported \(ntk only\)/],
    ["absolute positions", { position_embedding_type: "absolute" }, /config\.json: "position_embedding_type": "absolute" is not supported/],
  ])("%s", (_, change, message) => {
    expect(() => parseModelConfig({ ...raw, ...change }, "config.json")).toThrow(message);
  });

  it("reads NewConfig's defaults for keys left out (type_vocab_size 1, rope_theta 10000, 2048 positions)", () => {
    const { type_vocab_size, rope_theta, max_position_embeddings, rope_scaling, ...rest } = raw;
    expect(parseModelConfig(rest, "config.json")).toMatchObject({
      typeVocabSize: 1,
      ropeTheta: 10000,
      maxPositions: 2048,
      ropeScaling: null,
    } satisfies Partial<GteConfig>);
  });

  it("a GTE checkpoint converted as a query model is refused: the Worker's kernel runs BERT and DistilBERT", async () => {
    const hf = await writeGteFixture(join(tmp, "hf-query"), { config: GTE_FIXTURE_CONFIG, seed: 23, std: 0.05, activation: null });
    const r = await runScript("src/cli/model.ts", ["convert", hf, join(tmp, "gte-query"), "--role", "query", "--quiet"]);
    expect(r.stderr).toMatch(/config\.json: NewForMaskedLM converts as a document encoder only \(--role doc\)/);
    expect(r.code).toBe(1);
  });
});
