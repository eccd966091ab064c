// The onnxruntime-node backend: the one place the Node CLIs touch native onnxruntime.
//
// run() returns a promise but is not asynchronous: the binding calls the native run inside setImmediate on the
// calling thread (onnxruntime-node dist/backend.js), which blocks that thread's event loop for the whole inference
// (measured: a 1 ms interval ticked 10 times in 5.7 s of back-to-back runs). Code that must keep reading and
// tokenizing meanwhile runs the backend on a worker thread (backend-thread.ts).
import * as ort from "onnxruntime-node";
import { SpladeEncoder, type ModelBatch, type SpladeBackend } from "../encoder/encoder.ts";
import type { ModelManifest } from "../model/manifest.ts";
import { loadModelFolder } from "./model-folder.ts";

export interface NodeBackendOptions {
  /** Intra-op threads; default: onnxruntime's choice (all cores). */
  threads?: number;
}

export async function createNodeBackend(modelFile: string, options: NodeBackendOptions = {}): Promise<SpladeBackend & { session: ort.InferenceSession }> {
  const session = await ort.InferenceSession.create(modelFile, {
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
  });
  return {
    session,
    async run(batch: ModelBatch) {
      const dims = [batch.batch, batch.length];
      const out = await session.run({
        input_ids: new ort.Tensor("int64", batch.inputIds, dims),
        attention_mask: new ort.Tensor("int64", batch.attentionMask, dims),
      });
      return out.splade.data as Float32Array;
    },
  };
}

/** A converted model folder (model/query, model/doc) ready to encode with onnxruntime-node. */
export async function loadNodeEncoder(dir: string, options: NodeBackendOptions = {}): Promise<{ encoder: SpladeEncoder; manifest: ModelManifest }> {
  const { manifest, tokenizer, modelFile } = await loadModelFolder(dir);
  const backend = await createNodeBackend(modelFile, options);
  return { encoder: new SpladeEncoder(tokenizer, backend, manifest.vocab_size), manifest };
}
