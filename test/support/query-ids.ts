// Seeded token ids for the query benchmark and the kernel tests, with no Node imports: the bench-only Worker
// (kernel-worker.ts) and the workerd tests draw the very ids the Node side draws.
import { seededUniform } from "../../src/model/random.ts";

const CLS = 101;
const SEP = 102;
/** Below 1000 the uncased vocabulary holds [PAD], [unused…], [CLS]/[SEP]/[MASK] and single characters. */
const FIRST_WORD_PIECE = 1000;

export interface QueryShape {
  name: string;
  batch: number;
  /** Tokens per sequence, [CLS] and [SEP] included. */
  tokens: number;
}

export const QUERY_SHAPES: readonly QueryShape[] = [
  { name: "T=4", batch: 1, tokens: 4 },
  { name: "T=10", batch: 1, tokens: 10 },
  { name: "T=32", batch: 1, tokens: 32 },
  { name: "16×T=10", batch: 16, tokens: 10 },
];

/** Distinct inputs per shape; round r runs input r mod this. */
export const INPUTS_PER_SHAPE = 8;

/** [CLS], `length − 2` ordinary word-piece ids drawn from the seed, [SEP]. */
export function randomIds(length: number, seed: number): number[] {
  const u = seededUniform(seed);
  return Array.from({ length }, (_, t) => (t === 0 ? CLS : t === length - 1 ? SEP : FIRST_WORD_PIECE + Math.floor(u() * (30522 - FIRST_WORD_PIECE))));
}

/** The INPUTS_PER_SHAPE inputs of a shape, each `batch` rows of `tokens` ids: the same in every runtime. */
export function shapeInputs(tokens: number, batch: number): number[][][] {
  return Array.from({ length: INPUTS_PER_SHAPE }, (_, i) =>
    Array.from({ length: batch }, (_, b) => randomIds(tokens, 1000 * tokens + 100 * batch + 17 * i + b)),
  );
}
