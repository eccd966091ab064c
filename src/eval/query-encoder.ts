// Queries encoded the way the Worker encodes them, in Node: the query model folder assembled as the Worker assembles it
// (src/node/query-model.ts → src/kernel/query-model.ts: worker-tokenizer.json, and encoder.bin on the kernel build the
// same self-test picks, the head in "auto" mode — or an inference-free model's weight table), with no top_k or
// min_weight (the Worker's default answer), so the vectors — and the metrics computed from them — are the Worker's.
import type { EncodedText } from "../encoder/encoder.ts";
import type { SpladeTokenizer } from "../encoder/tokenizer.ts";
import type { ModelManifest } from "../model/manifest-format.ts";
import { loadQueryFolder, type NodeQueryModel } from "../node/query-model.ts";

export interface QueryEncoder {
  manifest: ModelManifest;
  /** The query tokenizer: its vocabulary names the terms of engine formats that carry strings. */
  tokenizer: SpladeTokenizer;
  /** The kernel build the queries ran on, or "static-weights" for an inference-free model. */
  build: NodeQueryModel["build"];
  /** One query's sparse vector: token ids and float32 weights, heaviest first; `tokens` fed to the model. */
  encode(text: string): Promise<EncodedText>;
}

/** The Worker's encoder on a converted query model folder (`dir` as the user named it, for messages). */
export async function queryEncoder(dir: string, options: { fetchHint?: string } = {}): Promise<QueryEncoder> {
  const { encoder, build, manifest } = await loadQueryFolder(dir, options);
  return {
    manifest,
    tokenizer: encoder.tokenizer,
    build,
    async encode(text) {
      const [vector] = await encoder.encode([text]);
      return vector;
    },
  };
}
