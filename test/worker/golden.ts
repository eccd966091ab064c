// Reference SPLADE vectors of the generated query model, computed in Node by the float64 oracle
// (src/model/reference.ts) in global-setup.ts and handed to the tests running in workerd through vitest's provide/inject.

/** One query as the reference encoder saw it. */
export interface GoldenQuery {
  text: string;
  /** Token ids from the Node SpladeTokenizer, [CLS] and [SEP] included, truncated to the manifest's max length. */
  ids: number[];
  truncated: boolean;
  /** Tokens of the whole text before truncation, [CLS] and [SEP] included. */
  length: number;
  /** Every non-zero weight as [token id, weight], id ascending. */
  weights: Array<[number, number]>;
}

export interface Golden {
  queries: GoldenQuery[];
  /** Batches to send through /encode, as indices into `queries`: lengths mixed, the truncated query among them. */
  batches: number[][];
}

declare module "vitest" {
  export interface ProvidedContext {
    /** JSON of a Golden. */
    goldenJson: string;
  }
}
