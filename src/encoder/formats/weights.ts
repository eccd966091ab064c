// The numbers every format writes: integer impacts (quantize) or float32 weights printed as float32.
import type { SparseVector } from "../sparse.ts";
import type { FormatOptions } from "./types.ts";

/** Rounds to the nearest integer, ties to even (numpy's rint, Python's round): 0.5 → 0, 1.5 → 2, 2.5 → 2. */
export function roundHalfEven(x: number): number {
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
}

/** round-half-even(w × factor), dropping results ≤ 0, keeping order; returns kept indices and integer values. */
export function quantize(vector: SparseVector, factor: number): SparseVector {
  const indices: number[] = [];
  const values: number[] = [];
  vector.indices.forEach((id, k) => {
    // The product is rounded to float32 first, as naver/splade's `np.rint(rep * factor)` on a float32 array does,
    // so ties land where theirs do and our integer weights match their Anserini exports exactly.
    const q = roundHalfEven(Math.fround(vector.values[k] * factor));
    if (q > 0) {
      indices.push(id);
      values.push(q);
    }
  });
  return { indices, values };
}

/**
 * The double whose shortest decimal reads back as the same float32: SPLADE weights are float32, and printing
 * their double expansion (2.8299999237060547) only adds digits no engine keeps. TEI prints them this way too.
 */
export function shortestFloat32(x: number): number {
  const f = Math.fround(x);
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(f.toPrecision(digits));
    if (Math.fround(shorter) === f) return shorter;
  }
  return Number(f.toPrecision(9));
}

/** The weights a format writes: integers when quantizing (options.quantize, else the format's default), else float32. */
export function formatWeights(vector: SparseVector, options: FormatOptions, defaultQuantize?: number): SparseVector {
  const factor = options.quantize ?? defaultQuantize;
  if (factor !== undefined) return quantize(vector, factor);
  return { indices: vector.indices, values: vector.values.map(shortestFloat32) };
}
