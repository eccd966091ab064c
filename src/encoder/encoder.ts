// tokenize → pad into a batch → run the SPLADE graph → sparse vectors. Runtime-agnostic: the backend
// (onnxruntime-web in the Worker, onnxruntime-node in the CLI) is passed in.
import { sparsify, type SparseVector, type SparsifyOptions } from "./sparse.ts";
import type { SpladeTokenizer, TokenizedText } from "./tokenizer.ts";

/** A padded batch in the graph's input layout (int64, row-major [batch, length]). */
export interface ModelBatch {
  batch: number;
  length: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
}

/** Runs the converted SPLADE graph: returns the `splade` output, [batch, vocab] row-major. */
export interface SpladeBackend {
  run(batch: ModelBatch): Promise<Float32Array>;
}

export interface EncodedText extends SparseVector {
  /** Tokens fed to the model, [CLS] and [SEP] included. */
  tokens: number;
  truncated: boolean;
}

/** Pads token id sequences (pad id 0) into one batch. */
export function padBatch(sequences: readonly number[][]): ModelBatch {
  const batch = sequences.length;
  const length = Math.max(...sequences.map((s) => s.length));
  const inputIds = new BigInt64Array(batch * length);
  const attentionMask = new BigInt64Array(batch * length);
  sequences.forEach((ids, b) => {
    ids.forEach((id, t) => {
      inputIds[b * length + t] = BigInt(id);
      attentionMask[b * length + t] = 1n;
    });
  });
  return { batch, length, inputIds, attentionMask };
}

export class SpladeEncoder {
  constructor(
    readonly tokenizer: SpladeTokenizer,
    private readonly backend: SpladeBackend,
    readonly vocabSize: number,
  ) {}

  /** Dense SPLADE rows for already tokenized sequences, in one backend run. */
  async runIds(sequences: readonly number[][]): Promise<Float32Array[]> {
    const out = await this.backend.run(padBatch(sequences));
    if (out.length !== sequences.length * this.vocabSize) {
      throw new Error(`model returned ${out.length} weights for ${sequences.length} × ${this.vocabSize}`);
    }
    return sequences.map((_, b) => out.subarray(b * this.vocabSize, (b + 1) * this.vocabSize));
  }

  /** Encodes texts in one batch, keeping their order. */
  encode(texts: readonly string[], options?: SparsifyOptions): Promise<EncodedText[]> {
    return this.encodeTokenized(texts.map((t) => this.tokenizer.encode(t)), options);
  }

  /** Encodes texts this encoder's tokenizer has already tokenized (to time or inspect that step), in one batch. */
  async encodeTokenized(tokenized: readonly TokenizedText[], options?: SparsifyOptions): Promise<EncodedText[]> {
    const rows = await this.runIds(tokenized.map((t) => t.ids));
    return rows.map((row, i) => ({ ...sparsify(row, options), tokens: tokenized[i].ids.length, truncated: tokenized[i].truncated }));
  }
}
