// The sparse vector a SPLADE encoder produces, and the cuts callers ask for (top-k, minimum weight).

/** Non-zero SPLADE weights, sorted by weight descending (ties by id ascending, so output is stable). */
export interface SparseVector {
  indices: number[];
  values: number[];
}

export interface SparsifyOptions {
  /** Keep at most this many terms (the heaviest); default all non-zero. */
  topK?: number;
  /** Keep only weights ≥ this (after the zero cut); default 0. */
  minWeight?: number;
}

/** The non-zero entries of one dense row of SPLADE weights. */
export function sparsify(row: Float32Array, options: SparsifyOptions = {}): SparseVector {
  const minWeight = options.minWeight ?? 0;
  const ids: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const w = row[i];
    if (w > 0 && w >= minWeight) ids.push(i);
  }
  ids.sort((a, b) => row[b] - row[a] || a - b);
  if (options.topK !== undefined && ids.length > options.topK) ids.length = options.topK;
  return { indices: ids, values: ids.map((i) => row[i]) };
}

/** Dot product of two sparse vectors (the SPLADE relevance score). */
export function dot(a: SparseVector, b: SparseVector): number {
  const bw = new Map<number, number>();
  b.indices.forEach((id, k) => bw.set(id, b.values[k]));
  let s = 0;
  a.indices.forEach((id, k) => (s += a.values[k] * (bw.get(id) ?? 0)));
  return s;
}
