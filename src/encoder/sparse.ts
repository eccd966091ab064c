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
  return sparsifyEntries({ length: row.length, id: (k) => k, weight: (k) => row[k] }, options);
}

/** The same cut for a row that holds only some terms: ids `indices[k]` with weights `values[k]`, in any order. */
export function sparsifySparse(indices: ArrayLike<number>, values: ArrayLike<number>, options: SparsifyOptions = {}): SparseVector {
  return sparsifyEntries({ length: indices.length, id: (k) => indices[k], weight: (k) => values[k] }, options);
}

function sparsifyEntries(row: { length: number; id(k: number): number; weight(k: number): number }, options: SparsifyOptions): SparseVector {
  const minWeight = options.minWeight ?? 0;
  const kept: number[] = [];
  for (let k = 0; k < row.length; k++) {
    const w = row.weight(k);
    if (w > 0 && w >= minWeight) kept.push(k);
  }
  kept.sort((a, b) => row.weight(b) - row.weight(a) || row.id(a) - row.id(b));
  if (options.topK !== undefined && kept.length > options.topK) kept.length = options.topK;
  return { indices: kept.map(row.id), values: kept.map(row.weight) };
}

/** Dot product of two sparse vectors (the SPLADE relevance score). */
export function dot(a: SparseVector, b: SparseVector): number {
  const bw = new Map<number, number>();
  b.indices.forEach((id, k) => bw.set(id, b.values[k]));
  let s = 0;
  a.indices.forEach((id, k) => (s += a.values[k] * (bw.get(id) ?? 0)));
  return s;
}
