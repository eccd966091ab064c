// The onnxruntime-node backend: the one place the Node CLIs touch native onnxruntime.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { SpladeEncoder, type ModelBatch, type SpladeBackend } from "../encoder/encoder.ts";
import { SpladeTokenizer } from "../encoder/tokenizer.ts";
import { readManifest, type ModelManifest } from "../model/manifest.ts";

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
  const manifest = await readManifest(dir);
  const [tokenizerJson, tokenizerConfig] = await Promise.all(
    ["tokenizer.json", "tokenizer_config.json"].map(async (f) => JSON.parse(await readFile(join(dir, f), "utf8")) as object),
  );
  const tokenizer = new SpladeTokenizer(tokenizerJson, tokenizerConfig, manifest.max_length);
  const backend = await createNodeBackend(join(dir, "model.onnx"), options);
  return { encoder: new SpladeEncoder(tokenizer, backend, manifest.vocab_size), manifest };
}
