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
 *
 * The answer is the fewest significant digits d (1–9) whose rounding reads back as f. Unless f's significand is a
 * power of two, the decimals that read back as f form an interval centred on f, and the d-digit rounding is at least
 * as close to f as any coarser one, so "d digits read back" holds from some d on: testing 6 digits first says whether
 * to look below or above it, about half the toPrecision calls of counting up from 1 for typical weights (7–9 digits).
 */
export function shortestFloat32(x: number): number {
  const f = Math.fround(x);
  if (f === 0 || !Number.isFinite(f) || isPowerOfTwoSignificand(f)) return shortestFrom(f, 1, 9);
  const six = Number(f.toPrecision(6));
  return Math.fround(six) === f ? shortestFrom(f, 1, 6) : shortestFrom(f, 7, 9);
}

function shortestFrom(f: number, from: number, to: number): number {
  for (let digits = from; digits < to; digits++) {
    const shorter = Number(f.toPrecision(digits));
    if (Math.fround(shorter) === f) return shorter;
  }
  return Number(f.toPrecision(to));
}

const float32Bits = new Uint32Array(1);
const float32View = new Float32Array(float32Bits.buffer);

/** Whether f's 23 stored significand bits are 0: then its interval is narrower below than above. */
function isPowerOfTwoSignificand(f: number): boolean {
  float32View[0] = f;
  return (float32Bits[0] & 0x7fffff) === 0;
}

/** The weights a format writes: integers when quantizing (options.quantize, else the format's default), else float32. */
export function formatWeights(vector: SparseVector, options: FormatOptions, defaultQuantize?: number): SparseVector {
  const factor = options.quantize ?? defaultQuantize;
  if (factor !== undefined) return quantize(vector, factor);
  return { indices: vector.indices, values: vector.values.map(shortestFloat32) };
}
