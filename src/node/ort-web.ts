// onnxruntime-web (its CPU wasm build) as a Node backend, for `--engine web`: one thread of WebAssembly SIMD on the
// same weights, for machines where onnxruntime-node's native binary cannot run. Quirks of onnxruntime-web 1.30.0:
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
import type { SpladeBackend, TokenRows } from "../encoder/encoder.ts";
import type { OnnxGraphNames } from "../model/manifest-format.ts";
import { checkGraphNames, graphFeeds } from "./graph-feeds.ts";

ort.env.wasm.numThreads = 1;

/** A session on the graph `bytes` in the wasm CPU backend. */
export function webSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}

/** `model`: the graph file or its bytes; `names`: its inputs and output, as its manifest.json records them. */
export async function createWebBackend(model: string | Uint8Array, names: OnnxGraphNames): Promise<SpladeBackend & { session: ort.InferenceSession }> {
  const session = await webSession(typeof model === "string" ? await readFile(model) : model);
  checkGraphNames(session, names, typeof model === "string" ? model : "the ONNX graph");
  let queue: Promise<unknown> = Promise.resolve();
  return {
    session,
    run(rows: TokenRows) {
      const result = queue.then(() => session.run(graphFeeds(ort.Tensor, names, rows)));
      queue = result.catch(() => {});
      return result.then((out) => out[names.output].data as Float32Array);
    },
  };
}
