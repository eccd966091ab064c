// Length-bucketed batching: a batch is padded to its longest document, so batching documents of similar length
// wastes less compute on padding. Documents are sorted by token count within a window (the caller restores input
// order on output), longest first as naver/splade and BEIR do, so a run that cannot fit in memory fails at once.

/**
 * Cap on batch rows × padded length: the graph holds logits for every position, [rows, length, vocab] float32,
 * i.e. 4096 tokens × 30522 × 4 B = 500 MB. Long documents get smaller batches instead of gigabytes of logits.
 */
export const MAX_BATCH_TOKENS = 4096;

/**
 * Cuts a window into batches: indices into `lengths`, longest first (ties in input order) — or in input order with
 * `byLength` false, the baseline the benchmark compares with — at most `batchSize` documents and MAX_BATCH_TOKENS
 * padded tokens each (a single longer document still gets its own batch).
 */
export function planBatches(lengths: readonly number[], batchSize: number, byLength = true): number[][] {
  const order = lengths.map((_, i) => i);
  if (byLength) order.sort((a, b) => lengths[b] - lengths[a] || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  let longest = 0;
  for (const i of order) {
    const padded = Math.max(longest, lengths[i]);
    if (current.length > 0 && (current.length === batchSize || (current.length + 1) * padded > MAX_BATCH_TOKENS)) {
      batches.push(current);
      current = [];
      longest = 0;
    }
    current.push(i);
    longest = Math.max(longest, lengths[i]);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
