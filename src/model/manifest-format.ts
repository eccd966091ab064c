// manifest.json's format: what a converted model folder holds and where it came from. The Worker and the CLI read
// it to find max length and vocabulary size, and to say when weights are random (generated fixtures). Kept apart
// from manifest.ts, which needs Node, so the Worker can check its types against it.
import type { KernelLayout } from "../kernel/contract.ts";
import type { ModelConfig, SpladeActivation } from "./architectures.ts";

export const MANIFEST_FORMAT = "splade-edge/model@1";
export type ModelRole = "query" | "doc";

/**
 * The names in model.onnx's graph, as the converter gave them (src/model/onnx/build.ts): the Node backends feed and read
 * the graph by these (src/node/graph-feeds.ts) and refuse a graph that lacks them.
 */
export interface OnnxGraphNames {
  /** The token ids, then the attention mask: int64 [batch, sequence] each. */
  inputs: string[];
  /** float [batch, vocab]: the SPLADE weight of every vocabulary term. */
  output: string;
}

/** What the manifest says of the SPLADE pooling inside model.onnx. */
export interface SpladeRule {
  activation: SpladeActivation;
  /** Where the activation came from: the repo's SpladePooling config file (relative to the repo), "option", or "default". */
  activation_from: string;
  drop_special_ids: boolean;
  /** The ids zeroed when drop_special_ids: every token tokenizer.json marks special. */
  special_ids?: number[];
}

/** Where a document's max length came from (src/model/splade-pooling.ts documentMaxLength). */
export type MaxLengthSource = "option" | "sentence_bert_config" | "tokenizer" | "config";

/** What every manifest holds, whichever kind of model the folder is. */
interface ManifestBase {
  format: typeof MANIFEST_FORMAT;
  role: ModelRole;
  /**
   * The model catalogue entry (src/model/catalogue.ts) this folder is a half of, as `npm run model -- fetch --model`
   * or `convert --model` wrote it: a query and a document folder belong together when they name the same one.
   * Absent for a conversion outside the catalogue.
   */
  model?: string;
  source: {
    /**
     * The model's public name, which the Worker shows to every client: the Hub repo id (fetch, or config.json's
     * `_name_or_path` when it is one), or `--name`, or the converted folder's name. Never a local path (from converter
     * layout 5; before, a local conversion recorded its folder's path here).
     */
    repo: string;
    revision: string | null;
    commit: string | null;
    /** Sub-folder inside the repo (sentence-transformers layout), "" for the root. */
    folder: string;
    /** The file the weights were read from, relative to the repo; null for an inference-free table of uniform weights (no file). */
    weights_file: string | null;
    weights_sha256: string | null;
    license: string | null;
  };
  max_length: number;
  /**
   * Where max_length came from: --max-length ("option"), the converter's default (queries), or the model's own
   * (documents: sentence_bert_config.json, tokenizer model_max_length, config positions). Absent before it was recorded.
   */
  max_length_from?: MaxLengthSource | "default";
  vocab_size: number;
  /** sha256 and size of every file in the folder except the manifest itself. */
  files: Record<string, { sha256: string; bytes: number }>;
  /** `layout` changes whenever the converter writes different files from the same weights. */
  converter: { name: string; version: string; layout: number };
  /** True for generated test/demo weights: their output means nothing. */
  random_weights: boolean;
}

/** A transformer (masked LM with SPLADE pooling in its graph): every doc model, and the query models the kernel runs. */
export interface TransformerManifest extends ManifestBase {
  /** Absent in manifests written before converter layout 6, which were all transformers. */
  kind?: "transformer";
  source: ManifestBase["source"] & { weights_file: string; weights_sha256: string };
  architecture: ModelConfig["architecture"];
  config: ModelConfig;
  onnx: OnnxGraphNames & { opset: number; pooling: "max-first" };
  /** The SPLADE activation and special-id rule model.onnx applies; absent = relu, nothing dropped (older manifests). */
  splade?: SpladeRule;
  /**
   * What the Worker runs (query models): encoder.bin, every weight of the encoder in the kernel's layout
   * (src/kernel/contract.ts: float32 little-endian, Linear weights [in, out], 64-byte aligned), and its table.
   */
  edge?: KernelLayout;
}

/** Where an inference-free table's weights came from: a Hub layout (src/model/static-weights-source.ts), or uniform. */
export type StaticWeightsOrigin = "sentence-transformers" | "idf.json" | "query_token_weights.txt" | "uniform";

/**
 * An inference-free query half: the query's own tokens, each weighted by a fixed per-token weight (src/encoder/static-weights.ts);
 * no transformer, no ONNX graph, no kernel.
 */
export interface InferenceFreeManifest extends ManifestBase {
  kind: "inference-free";
  role: "query";
  /** The weight table the Worker reads. */
  static_weights: {
    file: string;
    /** src/encoder/static-weights.ts STATIC_WEIGHTS_FORMAT. */
    format: string;
    bytes: number;
    /** "per-token": each token its own weight (an IDF table); "uniform": every token 1 but the dropped ones (naver/splade-v3-doc). */
    weighting: "per-token" | "uniform";
    /** The Hub layout the weights were read from. */
    origin: StaticWeightsOrigin;
    /** Token ids with a weight above 0. */
    weighted_tokens: number;
    /** Special tokens whose weight is 0 by the model's rule (uniform: NAVER's clean_bow), by name. */
    dropped_tokens: string[];
  };
  /** How queries are tokenized: `add_special_tokens` as sentence-transformers' SparseStaticEmbedding (false) or NAVER's SpladeDoc (true) calls it. */
  tokenizer: { add_special_tokens: boolean; rule: string };
}

export type ModelManifest = TransformerManifest | InferenceFreeManifest;

/** The manifest's kind (manifests before converter layout 6 have none: they are transformers). */
export function manifestKind(manifest: ModelManifest): "transformer" | "inference-free" {
  return manifest.kind ?? "transformer";
}
