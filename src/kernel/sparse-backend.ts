// The whole encoder on the kernel as the encoder core's backend: one row at a time on its own tokens (no padding is
// ever computed), the head in `auto` mode (exact: the same terms and float32 weights as a float32 scan of the
// vocabulary). The Worker and `npm run eval` run queries through this one function, so their numbers are the same.
import type { ModelBatch, SparseSpladeBackend } from "../encoder/encoder.ts";
import type { SpladeKernel } from "./encoder-kernel.ts";

/** Tokens in row `b` of a right-padded batch (its mask is 1 then 0). */
function rowLength(batch: ModelBatch, b: number): number {
  let n = 0;
  while (n < batch.length && batch.attentionMask[b * batch.length + n] === 1n) n++;
  return n;
}

/** `betweenRows` runs before every row but the first (the Worker yields there so its other requests get answered). */
export function kernelBackend(kernel: SpladeKernel, betweenRows?: () => Promise<void>): SparseSpladeBackend {
  return {
    async runSparse(batch) {
      const rows = [];
      for (let b = 0; b < batch.batch; b++) {
        if (b > 0 && betweenRows) await betweenRows();
        const from = b * batch.length;
        rows.push(kernel.encode(batch.inputIds.subarray(from, from + rowLength(batch, b)), { mode: "auto" }));
      }
      return rows;
    },
  };
}
