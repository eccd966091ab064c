// Generated checkpoints in Hugging Face layout with the real architectures: the query encoder at its exact
// config, the document encoder with DistilBERT's structure at reduced size (and, on demand only, at its real size),
// all with the real uncased vocabulary. Weights are seeded random: the pipeline runs end to end on them, and nothing they output means
// anything (their config.json carries FIXTURE_MARKER so every converted model says so).
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeSafetensors } from "./checkpoint/safetensors.ts";
import { toHfConfig, type EncoderConfig } from "./architectures.ts";
import { CONVERTER_LAYOUT, convertFolder, DEFAULT_MAX_LENGTH, FIXTURE_MARKER } from "./convert.ts";
import { sha256 } from "./manifest.ts";
import { randomWeights } from "./random.ts";
import { bertUncasedVocabTxt } from "./vocab.ts";

/** naver/efficient-splade-VI-BT-large-query, exactly (docs/facts.md, "The two models"). */
export const QUERY_CONFIG: EncoderConfig = {
  architecture: "BertForMaskedLM",
  vocabSize: 30522,
  hiddenSize: 128,
  numLayers: 2,
  numHeads: 2,
  intermediateSize: 512,
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  activation: "gelu",
};

/** naver/efficient-splade-VI-BT-large-doc's structure (6 layers, dim 768 in the real one), reduced. */
export const DOC_FIXTURE_CONFIG: EncoderConfig = {
  architecture: "DistilBertForMaskedLM",
  vocabSize: 30522,
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 2,
  intermediateSize: 256,
  maxPositions: 512,
  typeVocabSize: 0,
  layerNormEps: 1e-12,
  activation: "gelu",
};

/** naver/efficient-splade-VI-BT-large-doc, exactly (docs/facts.md, "The two models"): DistilBERT 6 × 768. */
export const DOC_CONFIG: EncoderConfig = {
  architecture: "DistilBertForMaskedLM",
  vocabSize: 30522,
  hiddenSize: 768,
  numLayers: 6,
  numHeads: 12,
  intermediateSize: 3072,
  maxPositions: 512,
  typeVocabSize: 0,
  layerNormEps: 1e-12,
  activation: "gelu",
};

export interface FixtureSpec {
  name: string;
  config: EncoderConfig;
  seed: number;
  std: number;
  decoderBiasShift?: number;
  dtype?: "F32" | "F16" | "BF16";
}

/** What `npm run fixture` writes, one sub-folder each. */
export const FIXTURES: readonly FixtureSpec[] = [
  { name: "query", config: QUERY_CONFIG, seed: 1, std: 0.05 },
  { name: "doc", config: DOC_FIXTURE_CONFIG, seed: 2, std: 0.05 },
  // Decoder bias shifted so a 10-token query keeps 40–50 non-zero terms, as trained SPLADE query encoders do
  // (the plain fixture keeps ~28k): for `npm run demo` and benchmarks where output size matters.
  { name: "query-sparse", config: QUERY_CONFIG, seed: 3, std: 0.05, decoderBiasShift: -2.05 },
];

/**
 * Made only on demand (`npm run fixture -- --full-size`, `npm run bench -- corpus --model-size full`), never by the
 * tests: its checkpoint is ~265 MB, and its model.onnx as much again.
 */
export const FULL_SIZE_FIXTURES: readonly FixtureSpec[] = [
  // std 0.02 is DistilBERT's initializer_range. The decoder bias shift keeps a generated passage (median ~70 tokens)
  // at the ~100–200 non-zero terms trained SPLADE document encoders give, instead of all 30522: measured over 1,024
  // passages of test/support/passages.ts (seed 1), mean 174 terms, median 158, 5th–95th percentile 76–329.
  { name: "doc-full", config: DOC_CONFIG, seed: 4, std: 0.02, decoderBiasShift: -2.1 },
];

/**
 * Query encoders larger than VI-BT's 2 × 128, for the kernel's shape tests (test/dev/kernel-shapes.test.ts): generated
 * there, never by `npm run fixture`. 4 × 256 is BERT-mini's shape (encoder.bin 42.5 MiB: two parts); 5 × 256 with 8
 * heads of 32 is the most layers of hidden 256 a Worker's isolate loads (src/kernel/contract.ts, workerLoadBytes).
 * Decoder bias shifted as query-sparse's, so queries keep a few hundred terms rather than the whole vocabulary.
 */
export const KERNEL_SHAPE_FIXTURES: readonly FixtureSpec[] = [
  {
    name: "query-4x256",
    config: { ...QUERY_CONFIG, numLayers: 4, hiddenSize: 256, numHeads: 4, intermediateSize: 1024 },
    seed: 5,
    std: 0.05,
    decoderBiasShift: -2.05,
  },
  {
    name: "query-5x256",
    config: { ...QUERY_CONFIG, numLayers: 5, hiddenSize: 256, numHeads: 8, intermediateSize: 1024 },
    seed: 6,
    std: 0.05,
    decoderBiasShift: -2.05,
  },
];

export const TOKENIZER_CONFIG = {
  do_lower_case: true,
  strip_accents: null,
  tokenize_chinese_chars: true,
  do_basic_tokenize: true,
  never_split: null,
  model_max_length: 512,
  unk_token: "[UNK]",
  sep_token: "[SEP]",
  pad_token: "[PAD]",
  cls_token: "[CLS]",
  mask_token: "[MASK]",
  tokenizer_class: "BertTokenizer",
};

export const SPECIAL_TOKENS_MAP = {
  unk_token: "[UNK]",
  sep_token: "[SEP]",
  pad_token: "[PAD]",
  cls_token: "[CLS]",
  mask_token: "[MASK]",
};

/**
 * Writes one generated checkpoint folder (config.json, model.safetensors, vocab.txt, tokenizer_config.json,
 * special_tokens_map.json). Skips the work when the folder already holds this exact spec.
 */
export async function writeFixture(dir: string, spec: FixtureSpec): Promise<{ dir: string; written: boolean }> {
  const configFile = join(dir, "config.json");
  const marker = { seed: spec.seed, std: spec.std, decoder_bias_shift: spec.decoderBiasShift ?? 0, dtype: spec.dtype ?? "F32" };
  const config = { ...toHfConfig(spec.config), [FIXTURE_MARKER]: marker };
  const configText = `${JSON.stringify(config, null, 2)}\n`;
  if (existsSync(join(dir, "model.safetensors")) && existsSync(configFile) && (await readFile(configFile, "utf8")) === configText) {
    return { dir, written: false };
  }
  await mkdir(dir, { recursive: true });
  const weights = randomWeights(spec.config, { seed: spec.seed, std: spec.std, decoderBiasShift: spec.decoderBiasShift });
  await writeFile(join(dir, "model.safetensors"), encodeSafetensors(weights, { dtype: spec.dtype ?? "F32", metadata: { format: "pt" } }));
  await writeFile(join(dir, "vocab.txt"), bertUncasedVocabTxt());
  await writeFile(join(dir, "tokenizer_config.json"), `${JSON.stringify(TOKENIZER_CONFIG, null, 2)}\n`);
  await writeFile(join(dir, "special_tokens_map.json"), `${JSON.stringify(SPECIAL_TOKENS_MAP, null, 2)}\n`);
  // config.json last: its presence with the right content is what marks the folder complete.
  await writeFile(configFile, configText);
  return { dir, written: true };
}

/** Where `npm run fixture` and the test setup put generated checkpoints and their conversions. */
export const FIXTURE_ROOT = "test/.generated";

export interface FixtureModels {
  /** Hugging Face folders, by fixture name. */
  hf: Record<string, string>;
  /** Converted splade-edge folders, by fixture name. */
  models: Record<string, string>;
}

/**
 * Writes each fixture checkpoint (default: FIXTURES) under `root/hf/` and converts it to `root/model/`, redoing only
 * what changed (a converted folder is current when its manifest records the weights now on disk and this converter's
 * layout).
 */
export async function ensureFixtureModels(
  root = FIXTURE_ROOT,
  onConvert?: (name: string) => void,
  specs: readonly FixtureSpec[] = FIXTURES,
): Promise<FixtureModels> {
  const out: FixtureModels = { hf: {}, models: {} };
  for (const spec of specs) {
    const hf = join(root, "hf", spec.name);
    const model = join(root, "model", spec.name);
    await writeFixture(hf, spec);
    const manifestFile = join(model, "manifest.json");
    const weightsSha = sha256(await readFile(join(hf, "model.safetensors")));
    const written = existsSync(manifestFile) ? JSON.parse(await readFile(manifestFile, "utf8")) : undefined;
    const current = written?.source?.weights_sha256 === weightsSha && written?.converter?.layout === CONVERTER_LAYOUT;
    if (!current) {
      onConvert?.(spec.name);
      // 256 tokens, as efficient-SPLADE's two encoders were trained and as `npm run model -- fetch` converts them (a doc
      // encoder's own max length would be its 512 positions).
      await convertFolder(hf, model, { maxLength: DEFAULT_MAX_LENGTH });
    }
    out.hf[spec.name] = hf;
    out.models[spec.name] = model;
  }
  return out;
}
