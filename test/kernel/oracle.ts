// The head in float64, for the kernel tests in Node and in workerd alike (no Node imports here).
import type { HeadWeights } from "../../src/kernel/splade-head.ts";

/**
 * The head in float64: max over the rows of `hidden` ([tokens, n], only rows with mask 1) of hidden[t]·E[v] + b[v],
 * for every v. Four tokens share each decoder read.
 */
export function oracleMaxLogits(hidden: Float32Array, tokens: number, head: HeadWeights, mask?: ArrayLike<number>): Float64Array {
  const n = head.hiddenSize;
  const rows: Float32Array[] = [];
  for (let t = 0; t < tokens; t++) if (!mask || mask[t] === 1) rows.push(hidden.subarray(t * n, (t + 1) * n));
  const e = head.decoder;
  const out = new Float64Array(head.bias.length).fill(-Infinity);
  for (let v = 0; v < out.length; v++) {
    const base = v * n;
    let best = -Infinity;
    let t = 0;
    for (; t + 4 <= rows.length; t += 4) {
      const [r0, r1, r2, r3] = [rows[t], rows[t + 1], rows[t + 2], rows[t + 3]];
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0;
      for (let i = 0; i < n; i++) {
        const w = e[base + i];
        a0 += w * r0[i];
        a1 += w * r1[i];
        a2 += w * r2[i];
        a3 += w * r3[i];
      }
      best = Math.max(best, a0, a1, a2, a3);
    }
    for (; t < rows.length; t++) {
      let a = 0;
      for (let i = 0; i < n; i++) a += e[base + i] * rows[t][i];
      best = Math.max(best, a);
    }
    out[v] = best + head.bias[v];
  }
  return out;
}

/** SPLADE weights from max logits: log1p(relu(·)). */
export function weightsOf(maxLogits: Float64Array): Float64Array {
  return maxLogits.map((l) => Math.log1p(Math.max(0, l)));
}

/** A sparse output as a dense row. */
export function dense(out: { indices: ArrayLike<number>; values: ArrayLike<number> }, vocab: number): Float64Array {
  const row = new Float64Array(vocab);
  for (let i = 0; i < out.indices.length; i++) row[out.indices[i]] = out.values[i];
  return row;
}
