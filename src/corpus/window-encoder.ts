// The window encoder: a window's documents, tokenized, sorted by length into batches (planBatches), encoded, and put
// back in entry order.
import type { EncodedText, SpladeEncoder } from "../encoder/encoder.ts";
import type { SparsifyOptions } from "../encoder/sparse.ts";
import { planBatches } from "./batching.ts";
import type { Window } from "./windows.ts";

export interface EncodedWindow {
  window: Window;
  /** One per entry with a document, in entry order. */
  vectors: EncodedText[];
}

export interface WindowEncoding {
  batchSize: number;
  /** False batches in input order instead (the baseline `npm run bench -- corpus` measures against). */
  byLength: boolean;
  sparsify: SparsifyOptions;
}

/** Encodes every document of the window; `onBatch` hears of each batch as it finishes (documents, tokens). */
export async function encodeWindow(
  encoder: SpladeEncoder,
  window: Window,
  options: WindowEncoding,
  onBatch: (documents: number, tokens: number) => void,
): Promise<EncodedWindow> {
  const docs = window.entries.flatMap((e) => (e.doc ? [e.doc] : []));
  const tokenized = docs.map((doc) => encoder.tokenizer.encode(doc.text));
  const vectors: EncodedText[] = new Array(docs.length);
  await Promise.all(
    planBatches(
      tokenized.map((t) => t.ids.length),
      options.batchSize,
      options.byLength,
    ).map(async (batch) => {
      const out = await encoder.encodeTokenized(
        batch.map((i) => tokenized[i]),
        options.sparsify,
      );
      batch.forEach((i, k) => (vectors[i] = out[k]));
      onBatch(
        batch.length,
        out.reduce((n, v) => n + v.tokens, 0),
      );
    }),
  );
  return { window, vectors };
}
