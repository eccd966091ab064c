// onnxruntime-web (its CPU wasm build) as a Node backend, for `--engine web`: one thread of WebAssembly SIMD on the
// same weights, for machines where onnxruntime-node's native binary cannot run.
//
// - `onnxruntime-web/wasm` resolves to dist/ort.wasm.bundle.min.mjs, whose Emscripten glue finds its binary at
//   `new URL("ort-wasm-simd-threaded.wasm", import.meta.url)` and reads it with fs under Node: onnxruntime-web must
//   stay in node_modules (the CLI bundle keeps it external) for that URL to point at the file.
// - numThreads must be 1: left unset, this ESM bundle asks `require("node:os")` for the core count on Node 20 (no
//   global `navigator`) and session creation fails with 'no available backend found … Dynamic require of "node:os"
//   is not supported'. One wasm thread, then; the CLI's parallelism comes from overlapping it with the JS thread.
// - One instance runs one inference at a time: ORT's wasm run() stack-allocates its arguments across an await
//   (lib/wasm/wasm-core-impl.ts), so overlapping runs would corrupt each other. Runs go through a promise chain.
import { readFile } from "node:fs/promises";
import * as ort from "onnxruntime-web/wasm";
import type { ModelBatch, SpladeBackend } from "../encoder/encoder.ts";

ort.env.wasm.numThreads = 1;

export async function createWebBackend(modelFile: string): Promise<SpladeBackend> {
  const session = await ort.InferenceSession.create(await readFile(modelFile), { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  let queue: Promise<unknown> = Promise.resolve();
  return {
    run(batch: ModelBatch) {
      const dims = [batch.batch, batch.length];
      const result = queue.then(() =>
        session.run({
          input_ids: new ort.Tensor("int64", batch.inputIds, dims),
          attention_mask: new ort.Tensor("int64", batch.attentionMask, dims),
        }),
      );
      queue = result.catch(() => {});
      return result.then((out) => out.splade.data as Float32Array);
    },
  };
}
