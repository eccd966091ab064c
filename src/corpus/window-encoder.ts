// The window encoder: a window's documents, tokenized, sorted by length into batches (planBatches), encoded, and put
// back in entry order. Batches pass a BatchGate on their way to the backend, which bounds the work queued there.
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

/** Why a batch never reached the backend: the run was interrupted. */
export class Interrupted extends Error {}

/**
 * At most `limit` batches at the backend at once, and none after `signal` aborts. The inference thread runs what it
 * was sent in order and cannot be stopped inside a run, so whatever was queued there when Ctrl-C came would still
 * be encoded (two windows' worth, hundreds of documents, when every batch went at once); two keep its queue from
 * running dry while this thread tokenizes and writes, and bound the work done after an interrupt to two batches.
 */
export class BatchGate {
  private active = 0;
  private readonly waiting: Array<{ go(): void; stop(error: Interrupted): void }> = [];

  constructor(
    private readonly limit: number,
    private readonly signal?: AbortSignal,
  ) {
    signal?.addEventListener("abort", () => {
      for (const w of this.waiting.splice(0)) w.stop(new Interrupted("interrupted"));
    });
  }

  /** Waits for a place at the backend; the returned function gives it back. Rejects with Interrupted after an abort. */
  async enter(): Promise<() => void> {
    if (this.signal?.aborted) throw new Interrupted("interrupted");
    // A place is handed from the batch that leaves to the one that waited longest, never left for a newcomer.
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((go, stop) => this.waiting.push({ go, stop }));
    return () => {
      const next = this.waiting.shift();
      if (next) next.go();
      else this.active--;
    };
  }
}

/**
 * Encodes every document of the window; `onBatch` hears of each batch as it finishes (documents, tokens). Entries that
 * are no document (skipped lines) need no encoding and are reported at once, as a batch of no tokens.
 */
export async function encodeWindow(
  encoder: SpladeEncoder,
  window: Window,
  options: WindowEncoding,
  gate: BatchGate,
  onBatch: (records: number, documents: number, tokens: number) => void,
): Promise<EncodedWindow> {
  const docs = window.entries.flatMap((e) => (e.doc ? [e.doc] : []));
  if (docs.length < window.entries.length) onBatch(window.entries.length - docs.length, 0, 0);
  const tokenized = docs.map((doc) => encoder.tokenizer.encode(doc.text));
  const vectors: EncodedText[] = new Array(docs.length);
  // Settled, not Promise.all: after an interrupt the batches at the backend still finish, and the window's promise
  // stays pending until they have, so that the run ends when the backend is idle.
  const batches = await Promise.allSettled(
    planBatches(
      tokenized.map((t) => t.ids.length),
      options.batchSize,
      options.byLength,
    ).map(async (batch) => {
      const leave = await gate.enter();
      let out: EncodedText[];
      try {
        out = await encoder.encodeTokenized(
          batch.map((i) => tokenized[i]),
          options.sparsify,
        );
      } finally {
        leave();
      }
      batch.forEach((i, k) => (vectors[i] = out[k]));
      onBatch(
        batch.length,
        batch.length,
        out.reduce((n, v) => n + v.tokens, 0),
      );
    }),
  );
  const failed = batches.find((b) => b.status === "rejected");
  if (failed) throw failed.reason;
  return { window, vectors };
}
