// Reference SPLADE vectors of the generated query model, computed in Node by the float64 oracle
// (test/support/reference.ts) in global-setup.ts and handed to the tests running in workerd through vitest's
// provide/inject; and the check of an `ids` answer against one, shared with the deploy-bundle test.
import { expect } from "vitest";

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

/** The Worker's `ids` answer for one query. */
export interface IdsBody {
  model: string;
  tokens: number;
  truncated: boolean;
  indices: number[];
  values: number[];
}

/** Largest |a − b| over the ids both vectors hold, after checking they hold the same ids. */
export function maxDifference(body: Pick<IdsBody, "indices" | "values">, expected: Array<[number, number]>): number {
  expect([...body.indices].sort((a, b) => a - b)).toEqual(expected.map(([id]) => id));
  const got = new Map(body.indices.map((id, k) => [id, body.values[k]]));
  return Math.max(...expected.map(([id, w]) => Math.abs((got.get(id) as number) - w)));
}

/** An answer against its reference: tokens, truncation, the same non-zero ids, weights within `tolerance`, heaviest first. */
export function expectReference(body: IdsBody, query: GoldenQuery, tolerance: number): void {
  expect(body.tokens).toBe(query.ids.length);
  expect(body.truncated).toBe(query.truncated);
  expect(maxDifference(body, query.weights)).toBeLessThanOrEqual(tolerance);
  expect(body.values.every((v, k) => k === 0 || body.values[k - 1] >= v)).toBe(true);
}
