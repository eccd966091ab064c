// What the inference-free Worker tests serve and expect, shared by their Node setup and the tests in workerd.

/**
 * The generated repo (OpenSearch's doc-* layout), the Worker's assets folder, and the query model converted from the
 * repo into its `query/` (as model/query is in model/), under the repo root.
 */
export const INFERENCE_FREE_MODEL = {
  hf: "test/.generated/hf/query-inference-free",
  assets: "test/.generated/inference-free",
  model: "test/.generated/inference-free/query",
  seed: 11,
  /** The tokenizer's model_max_length, small so that a test query is cut (OpenSearch's is 512). */
  maxLength: 24,
  name: "generated/opensearch-doc-layout",
  license: "apache-2.0",
} as const;

/** One query as the independent reference saw it: Rust tokenizers' ids (no special tokens), every distinct id's weight. */
export interface StaticGoldenQuery {
  text: string;
  /** Token ids, truncated to the max length. */
  ids: number[];
  truncated: boolean;
  /** Every weight above 0 as [token id, weight], id ascending. */
  weights: Array<[number, number]>;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** JSON of StaticGoldenQuery[]. */
    staticGoldenJson: string;
  }
}
