// What the query benchmark feeds every variant: the head kernel compiled from the committed .wasm, seeded token ids,
// and the shapes measured (three query lengths and a batch).
import { readFileSync } from "node:fs";
import { KERNEL_WASM } from "../kernel/build.ts";
import { seededUniform } from "../model/random.ts";

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

export function kernelModule(): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(KERNEL_WASM));
}

/** [CLS], `length − 2` ordinary word-piece ids drawn from the seed, [SEP]. */
export function randomIds(length: number, seed: number): number[] {
  const u = seededUniform(seed);
  return Array.from({ length }, (_, t) => (t === 0 ? CLS : t === length - 1 ? SEP : FIRST_WORD_PIECE + Math.floor(u() * (30522 - FIRST_WORD_PIECE))));
}
