// Generated GTE NewForMaskedLM document encoders in the Hub layout of opensearch-neural-sparse-encoding-doc-v3-gte
// (docs/model-sources.md §2.0, §2.1, §3): config.json with `architectures: ["NewForMaskedLM"]` and `auto_map`,
// model.safetensors under the real tensor names (`new.` prefix, lm_head.decoder.weight tied and left out), the BERT
// uncased tokenizer files, and the sentence-transformers Router files with document_1_SpladePooling. Weights are seeded
// random and mean nothing (config.json carries FIXTURE_MARKER). The query half of the Router (query_0_SparseStaticEmbedding,
// idf.json) is not written here: it is the inference-free model's, written by its own generator.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { GTE_ARCHITECTURE, toGteHfConfig, type GteConfig, type SpladeActivation } from "./architectures.ts";
import { encodeSafetensors } from "./checkpoint/safetensors.ts";
import { FIXTURE_MARKER } from "./convert.ts";
import { SPECIAL_TOKENS_MAP, TOKENIZER_CONFIG } from "./fixture.ts";
import { randomWeights } from "./random.ts";
import { bertSettings, buildBertTokenizerJson, parseVocab } from "./tokenizer-json.ts";
import { bertUncasedVocabTxt } from "./vocab.ts";

/**
 * doc-v3-gte's structure (gte-base-en-v1.5's config: 12 × 768, 12 heads, 3072, vocab 30528, 8192 positions, rope_theta
 * 500000, NTK ×2, type_vocab_size 0), reduced to 2 × 64 with 4 heads: the embedding matrix keeps its 30528 rows, six
 * more than the tokenizer's 30522 ids, as the real one does.
 */
export const GTE_FIXTURE_CONFIG: GteConfig = {
  architecture: GTE_ARCHITECTURE,
  vocabSize: 30528,
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 128,
  maxPositions: 8192,
  typeVocabSize: 0,
  layerNormEps: 1e-12,
  activation: "gelu",
  ropeTheta: 500000,
  ropeScaling: { type: "ntk", factor: 2 },
};

export interface GteFixtureSpec {
  config: GteConfig;
  seed: number;
  std: number;
  decoderBiasShift?: number;
  /** document_1_SpladePooling's activation_function (doc-v3-gte: log1p_relu); null writes no sentence-transformers files. */
  activation: SpladeActivation | null;
  /** Tensor names without the `new.` prefix (a saved NewModel body with the head), as TEI also loads. */
  unprefixed?: boolean;
  /** The root sentence_bert_config.json's max_seq_length; absent writes none. */
  maxSeqLength?: number;
  /** tokenizer_config.json's model_max_length (default 512). */
  modelMaxLength?: number;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** sentence-transformers Router.save's router_config.json for the doc-v3 repos (reconstructed, docs/model-sources.md §2.0). */
const ROUTER_CONFIG = {
  types: {
    query_0_SparseStaticEmbedding: "sentence_transformers.sparse_encoder.models.SparseStaticEmbedding.SparseStaticEmbedding",
    "": "sentence_transformers.sparse_encoder.models.MLMTransformer.MLMTransformer",
    document_1_SpladePooling: "sentence_transformers.sparse_encoder.models.SpladePooling.SpladePooling",
  },
  structure: { query: ["query_0_SparseStaticEmbedding"], document: ["", "document_1_SpladePooling"] },
  parameters: { default_route: "document", allow_empty_key: true },
};

/** Every file of the generated repo, by path inside it. */
export function gteFixtureFiles(spec: GteFixtureSpec): Record<string, string | Uint8Array> {
  const weights = randomWeights(spec.config, { seed: spec.seed, std: spec.std, decoderBiasShift: spec.decoderBiasShift });
  const named = spec.unprefixed ? new Map([...weights].map(([name, t]) => [name.replace(/^new\./, ""), t])) : weights;
  const vocabTxt = bertUncasedVocabTxt();
  const tokenizerConfig = { ...TOKENIZER_CONFIG, model_max_length: spec.modelMaxLength ?? 512 };
  const marker = { seed: spec.seed, std: spec.std, decoder_bias_shift: spec.decoderBiasShift ?? 0, unprefixed: spec.unprefixed ?? false };
  const files: Record<string, string | Uint8Array> = {
    "config.json": json({ ...toGteHfConfig(spec.config), [FIXTURE_MARKER]: marker }),
    "model.safetensors": encodeSafetensors(named, { dtype: "F32", metadata: { format: "pt" } }),
    "vocab.txt": vocabTxt,
    "tokenizer.json": JSON.stringify(buildBertTokenizerJson(parseVocab(vocabTxt, "vocab.txt"), bertSettings(tokenizerConfig))),
    "tokenizer_config.json": json(tokenizerConfig),
    "special_tokens_map.json": json(SPECIAL_TOKENS_MAP),
  };
  if (spec.maxSeqLength !== undefined) files["sentence_bert_config.json"] = json({ max_seq_length: spec.maxSeqLength, do_lower_case: false });
  if (spec.activation !== null) {
    files["modules.json"] = json([{ idx: 0, name: "0", path: "", type: "sentence_transformers.models.Router" }]);
    files["router_config.json"] = json(ROUTER_CONFIG);
    files["config_sentence_transformers.json"] = json({ model_type: "SparseEncoder", similarity_fn_name: "dot" });
    files["document_1_SpladePooling/config.json"] = json({
      pooling_strategy: "max",
      activation_function: spec.activation,
      word_embedding_dimension: null,
    });
  }
  return files;
}

/** Writes gteFixtureFiles(spec) into `dir` (config.json last: its presence marks the folder complete). */
export async function writeGteFixture(dir: string, spec: GteFixtureSpec): Promise<string> {
  const files = Object.entries(gteFixtureFiles(spec)).sort(([a], [b]) => Number(a === "config.json") - Number(b === "config.json"));
  for (const [path, body] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), body);
  }
  return dir;
}
