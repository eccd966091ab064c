// Each document encoder's own SPLADE rules, read from its folder and put into model.onnx: the activation of its
// sentence-transformers SpladePooling module (relu, or log1p_relu as opensearch-neural-sparse-encoding-doc-v3-distill and
// -v3-gte have it), zeroed special token ids (ConvertOptions.dropSpecialIds, the OpenSearch cards' rule), and the max
// length as MLMTransformer takes it. Checked on the generated DistilBERT doc model against the float64 reference.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Encoder, SpladePooling } from "../../src/model/architectures.ts";
import { convertFolder } from "../../src/model/convert.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { transformerManifest, type TransformerManifest } from "../../src/model/manifest.ts";
import { ONNX_NAMES } from "../../src/model/onnx/build.ts";
import { referenceSplade } from "../../src/model/reference.ts";
import { createNodeBackend } from "../../src/node/ort-node.ts";
import { runScript } from "../cli/run-script.ts";
import { folderVariant } from "../support/model-folders.ts";
import { referenceModel } from "../support/reference.ts";

const HF_DOC = resolve(FIXTURE_ROOT, "hf", "doc");
const HF_QUERY = resolve(FIXTURE_ROOT, "hf", "query");
const VOCAB = 30522;
/** [PAD], [UNK], [CLS], [SEP], [MASK] in the BERT uncased vocabulary: tokenizer.json's special tokens. */
const SPECIAL_IDS = [0, 100, 101, 102, 103];
const IDS = [101, 2054, 2003, 1996, 4633, 1999, 2047, 2259, 2085, 1029, 102];
const tmp = mkdtempSync(join(tmpdir(), "splade-doc-activation-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The HF folder with a sentence-transformers SpladePooling module `dir` whose config.json is `config`. */
function withPooling(source: string, dir: string, config: Record<string, unknown>, extra: Record<string, string> = {}): string {
  const variant = folderVariant(source, tmp, extra);
  mkdirSync(join(variant, dir));
  writeFileSync(join(variant, dir, "config.json"), JSON.stringify(config));
  return variant;
}

const poolingConfig = (activation: string, strategy = "max") => ({
  pooling_strategy: strategy,
  activation_function: activation,
  word_embedding_dimension: null,
});

async function convertCli(hf: string, out: string, args: string[] = []) {
  const r = await runScript("src/cli/model.ts", ["convert", hf, out, "--role", "doc", "--quiet", ...args]);
  return { ...r, manifest: r.code === 0 ? (JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as TransformerManifest) : undefined };
}

async function onnxOutput(dir: string, ids: number[]): Promise<Float32Array> {
  const backend = await createNodeBackend(readFileSync(join(dir, "model.onnx")), ONNX_NAMES, { threads: 1 });
  return backend.run([ids]);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

let model: Encoder;
const reference = (pooling: SpladePooling) => referenceSplade(model, IDS, undefined, pooling);
beforeAll(() => {
  model = referenceModel(HF_DOC);
});

describe("the document activation", () => {
  it("log1p_relu from document_1_SpladePooling/config.json (a DistilBERT doc as doc-v3-distill): in the manifest and in model.onnx", async () => {
    const out = join(tmp, "log1p");
    const r = await convertCli(withPooling(HF_DOC, "document_1_SpladePooling", poolingConfig("log1p_relu")), out);
    expect(r.stderr).toBe("");
    expect(r.manifest?.splade).toEqual({ activation: "log1p_relu", activation_from: "document_1_SpladePooling/config.json", drop_special_ids: false });
    const weights = await onnxOutput(out, IDS);
    const log1p = reference({ activation: "log1p_relu", dropIds: [] });
    expect(maxAbsDiff(weights, log1p)).toBeLessThan(1e-4);
    // The two activations are far apart on this model: a graph that ignored log1p_relu would fail the line above.
    expect(maxAbsDiff(reference({ activation: "relu", dropIds: [] }), log1p)).toBeGreaterThan(0.1);
  });

  it("relu when the folder has no SpladePooling module (efficient-SPLADE), recorded as the default", async () => {
    const out = join(tmp, "plain");
    const r = await convertCli(HF_DOC, out);
    expect(r.manifest?.splade).toEqual({ activation: "relu", activation_from: "default", drop_special_ids: false });
    expect(maxAbsDiff(await onnxOutput(out, IDS), reference({ activation: "relu", dropIds: [] }))).toBeLessThan(1e-4);
  });

  it("ConvertOptions.activation (the catalogue's) wins over the folder's", async () => {
    const hf = withPooling(HF_DOC, "document_1_SpladePooling", poolingConfig("relu"));
    const manifest = transformerManifest(await convertFolder(hf, join(tmp, "override"), { role: "doc", activation: "log1p_relu" }), "override");
    expect(manifest.splade).toMatchObject({ activation: "log1p_relu", activation_from: "option" });
  });

  it.each([
    ["sum pooling", poolingConfig("relu", "sum"), /document_1_SpladePooling\/config\.json: "pooling_strategy": "sum" is not supported \(max only\)/],
    [
      "an unknown activation",
      poolingConfig("gelu"),
      /document_1_SpladePooling\/config\.json: "activation_function": "gelu" is not supported \(relu, log1p_relu\)/,
    ],
  ])("refuses %s, naming the file (exit 1)", async (_, config, message) => {
    const r = await convertCli(withPooling(HF_DOC, "document_1_SpladePooling", config), join(tmp, "refused"));
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(1);
  });

  it("refuses a query encoder whose SpladePooling is log1p_relu: the Worker's kernel pools with log(1 + relu) only", async () => {
    const hf = withPooling(HF_QUERY, "query_1_SpladePooling", poolingConfig("log1p_relu"));
    const r = await runScript("src/cli/model.ts", ["convert", hf, join(tmp, "query-log1p"), "--role", "query", "--quiet"]);
    expect(r.stderr).toMatch(/a query encoder with the log1p_relu activation \(query_1_SpladePooling\/config\.json\) is not supported/);
    expect(r.code).toBe(1);
  });

  it("reads the query's own module for --role query: a relu query_1_SpladePooling beside a log1p_relu document one converts", async () => {
    const hf = withPooling(withPooling(HF_QUERY, "query_1_SpladePooling", poolingConfig("relu")), "document_2_SpladePooling", poolingConfig("log1p_relu"));
    const manifest = transformerManifest(await convertFolder(hf, join(tmp, "query-relu"), { role: "query" }), "query-relu");
    expect(manifest.splade).toMatchObject({ activation: "relu", activation_from: "query_1_SpladePooling/config.json" });
  });
});

describe("dropSpecialIds", () => {
  let manifest: TransformerManifest;
  let weights: Float32Array;
  beforeAll(async () => {
    const out = join(tmp, "drop");
    manifest = transformerManifest(await convertFolder(HF_DOC, out, { role: "doc", dropSpecialIds: true }), out);
    weights = await onnxOutput(out, IDS);
  });

  it("records the rule and the tokenizer's special ids in the manifest", () => {
    expect(manifest.splade).toEqual({ activation: "relu", activation_from: "default", drop_special_ids: true, special_ids: SPECIAL_IDS });
  });

  it("zeroes exactly those ids in model.onnx's output, the rest equal to the reference", () => {
    const kept = reference({ activation: "relu", dropIds: [] });
    // Without the rule [CLS] and others weigh > 0 on this model: the zeros below come from the rule.
    expect(SPECIAL_IDS.filter((id) => kept[id] > 0).length).toBeGreaterThan(0);
    expect(SPECIAL_IDS.map((id) => weights[id])).toEqual(SPECIAL_IDS.map(() => 0));
    expect(maxAbsDiff(weights, reference({ activation: "relu", dropIds: SPECIAL_IDS }))).toBeLessThan(1e-4);
    expect(weights.length).toBe(VOCAB);
  });

  it("is refused for a query encoder (the kernel drops nothing)", async () => {
    await expect(convertFolder(HF_QUERY, join(tmp, "query-drop"), { role: "query", dropSpecialIds: true })).rejects.toThrow(
      /a query encoder with dropping the special token ids is not supported/,
    );
  });
});

describe("a document's max length, as sentence-transformers' MLMTransformer takes it", () => {
  it.each<[string, Record<string, string>, string[], number, string]>([
    ["the tokenizer's model_max_length, with the config's 512 positions", {}, [], 512, "tokenizer"],
    ["sentence_bert_config.json's max_seq_length", { "sentence_bert_config.json": '{"max_seq_length": 128}' }, [], 128, "sentence_bert_config"],
    ["--max-length below the model's own", { "sentence_bert_config.json": '{"max_seq_length": 128}' }, ["--max-length", "64"], 64, "option"],
    ["the model's own below --max-length", { "sentence_bert_config.json": '{"max_seq_length": 128}' }, ["--max-length", "300"], 128, "sentence_bert_config"],
  ])("%s", async (_, files, args, maxLength, from) => {
    const r = await convertCli(folderVariant(HF_DOC, tmp, files), join(tmp, `length-${maxLength}-${from}`), args);
    expect(r.stderr).toBe("");
    expect(r.manifest).toMatchObject({ max_length: maxLength, max_length_from: from });
  });
});
