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

export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  role: ModelRole;
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
    weights_file: string;
    weights_sha256: string;
    license: string | null;
  };
  architecture: ModelConfig["architecture"];
  config: ModelConfig;
  max_length: number;
  /**
   * Where max_length came from: --max-length ("option"), the converter's default (queries), or the model's own
   * (documents: sentence_bert_config.json, tokenizer model_max_length, config positions). Absent before it was recorded.
   */
  max_length_from?: MaxLengthSource | "default";
  vocab_size: number;
  onnx: OnnxGraphNames & { opset: number; pooling: "max-first" };
  /** The SPLADE activation and special-id rule model.onnx applies; absent = relu, nothing dropped (older manifests). */
  splade?: SpladeRule;
  /**
   * What the Worker runs (query models): encoder.bin, every weight of the encoder in the kernel's layout
   * (src/kernel/contract.ts: float32 little-endian, Linear weights [in, out], 64-byte aligned), and its table.
   */
  edge?: KernelLayout;
  /** sha256 and size of every file in the folder except the manifest itself. */
  files: Record<string, { sha256: string; bytes: number }>;
  /** `layout` changes whenever the converter writes different files from the same weights. */
  converter: { name: string; version: string; layout: number };
  /** True for generated test/demo weights: their output means nothing. */
  random_weights: boolean;
}
