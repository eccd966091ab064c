// The onnxruntime-node backend: the one place the Node side creates native onnxruntime sessions.
//
// run() returns a promise but is not asynchronous: the binding calls the native run inside setImmediate on the
// calling thread (onnxruntime-node 1.30.0 dist/backend.js), which blocks that thread's event loop for the whole
// inference (measured: a 1 ms interval ticked 10 times in 5.7 s of back-to-back runs). Code that must keep reading and
// tokenizing meanwhile runs the backend on a worker thread (inference-thread.ts).
import * as ort from "onnxruntime-node";
import { SpladeEncoder, type SpladeBackend, type TokenRows } from "../encoder/encoder.ts";
import type { ModelManifest, OnnxGraphNames } from "../model/manifest-format.ts";
import { checkGraphNames, graphFeeds } from "./graph-feeds.ts";
import { loadModelFolder } from "./model-folder.ts";

export interface NodeBackendOptions {
  /** Intra-op threads; default: onnxruntime's choice (all cores). */
  threads?: number;
}

/** A session on `model` (a file or its bytes), run sequentially with every graph optimization. */
export function nodeSession(model: string | Uint8Array, options: NodeBackendOptions = {}): Promise<ort.InferenceSession> {
  const settings: ort.InferenceSession.SessionOptions = {
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
  };
  return typeof model === "string" ? ort.InferenceSession.create(model, settings) : ort.InferenceSession.create(model, settings);
}

/** `model`: the graph file or its bytes; `names`: its inputs and output, as its manifest.json records them. */
export async function createNodeBackend(
  model: string | Uint8Array,
  names: OnnxGraphNames,
  options: NodeBackendOptions = {},
): Promise<SpladeBackend & { session: ort.InferenceSession }> {
  const session = await nodeSession(model, options);
  checkGraphNames(session, names, typeof model === "string" ? model : "the ONNX graph");
  return {
    session,
    async run(rows: TokenRows) {
      const out = await session.run(graphFeeds(ort.Tensor, names, rows));
      return out[names.output].data as Float32Array;
    },
  };
}

/** A converted model folder (model/query, model/doc) ready to encode with onnxruntime-node. */
export async function loadNodeEncoder(dir: string, options: NodeBackendOptions = {}): Promise<{ encoder: SpladeEncoder; manifest: ModelManifest }> {
  const { manifest, tokenizer, modelFile } = await loadModelFolder(dir);
  const backend = await createNodeBackend(modelFile, manifest.onnx, options);
  return { encoder: new SpladeEncoder(tokenizer, backend, manifest.vocab_size), manifest };
}
