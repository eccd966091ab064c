// manifest.json's format: what a converted model folder holds and where it came from. The Worker and the CLI read
// it to find max length and vocabulary size, and to say when weights are random (generated fixtures). Kept apart
// from manifest.ts, which needs Node, so the Worker can check its types against it.
import type { KernelLayout } from "../kernel/contract.ts";
import type { EncoderConfig } from "./architectures.ts";

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

export interface ModelManifest {
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
    weights_file: string;
    weights_sha256: string;
    license: string | null;
  };
  architecture: EncoderConfig["architecture"];
  config: EncoderConfig;
  max_length: number;
  vocab_size: number;
  onnx: OnnxGraphNames & { opset: number; pooling: "max-first" };
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
