// The whole encoder on the kernel as the encoder core's backend: one row at a time on its own tokens (no padding is
// ever computed), the head in `auto` mode (exact: the same terms and float32 weights as a float32 scan of the
// vocabulary). The Worker and `npm run eval` run queries through this one function, so their numbers are the same.
import type { SparseSpladeBackend } from "../encoder/encoder.ts";
import type { SpladeKernel } from "./encoder-kernel.ts";

/** `betweenRows` runs before every row but the first (the Worker yields there so its other requests get answered). */
export function kernelBackend(kernel: SpladeKernel, betweenRows?: () => Promise<void>): SparseSpladeBackend {
  return {
    async runSparse(rows) {
      const out = [];
      for (let b = 0; b < rows.length; b++) {
        if (b > 0 && betweenRows) await betweenRows();
        out.push(kernel.encode(rows[b], { mode: "auto" }));
      }
      return out;
    },
  };
}
