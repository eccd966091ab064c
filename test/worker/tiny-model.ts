/**
 * A tiny stand-in for the query model, small enough to check by hand:
 * input_ids [1, T] → Gather(embedding [V, D]) → MatMul(projection [D, V]) → ReduceMax over T → scores [1, V].
 * Weights are multiples of 1/32 so float32 arithmetic in ORT and float64 arithmetic here agree exactly.
 */
export const VOCAB_SIZE = 16;
export const HIDDEN_SIZE = 8;

/** Row-major [VOCAB_SIZE, HIDDEN_SIZE]. */
export const embedding = Float32Array.from({ length: VOCAB_SIZE * HIDDEN_SIZE }, (_, i) => {
  const v = Math.floor(i / HIDDEN_SIZE);
  const d = i % HIDDEN_SIZE;
  return (((v * 5 + d * 3) % 11) - 5) / 4;
});

/** Row-major [HIDDEN_SIZE, VOCAB_SIZE]. */
export const projection = Float32Array.from({ length: HIDDEN_SIZE * VOCAB_SIZE }, (_, i) => {
  const d = Math.floor(i / VOCAB_SIZE);
  const v = i % VOCAB_SIZE;
  return (((d * 7 + v * 2) % 13) - 6) / 8;
});

/** What the model must output for `ids`: per vocabulary entry, the max over positions of embedding·projection. */
export function expectedScores(ids: readonly number[]): number[] {
  return Array.from({ length: VOCAB_SIZE }, (_, v) =>
    Math.max(
      ...ids.map((id) => {
        let sum = 0;
        for (let d = 0; d < HIDDEN_SIZE; d++) sum += embedding[id * HIDDEN_SIZE + d] * projection[d * VOCAB_SIZE + v];
        return sum;
      }),
    ),
  );
}
