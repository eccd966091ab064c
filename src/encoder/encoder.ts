// tokenize → pad into a batch → run the SPLADE graph → sparse vectors. Runtime-agnostic: the backend
// (the splade-edge kernel in the Worker, onnxruntime in the CLI) is passed in.
import { sparsify, sparsifySparse, type SparseVector, type SparsifyOptions } from "./sparse.ts";
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

/** The non-zero SPLADE weights of one sequence: `values[k]` is the weight of term `indices[k]`. */
export interface SparseRow {
  indices: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** A backend that returns only the non-zero weights of each row, so that no [batch, vocab] array is ever built. */
export interface SparseSpladeBackend {
  runSparse(batch: ModelBatch): Promise<SparseRow[]>;
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
    private readonly backend: SpladeBackend | SparseSpladeBackend,
    readonly vocabSize: number,
  ) {}

  /** Encodes texts in one batch, keeping their order. */
  encode(texts: readonly string[], options?: SparsifyOptions): Promise<EncodedText[]> {
    return this.encodeTokenized(texts.map((t) => this.tokenizer.encode(t)), options);
  }

  /** Encodes texts this encoder's tokenizer has already tokenized (to time or inspect that step), in one batch. */
  async encodeTokenized(tokenized: readonly TokenizedText[], options?: SparsifyOptions): Promise<EncodedText[]> {
    const vectors = await this.run(padBatch(tokenized.map((t) => t.ids)), options);
    return vectors.map((vector, i) => ({ ...vector, tokens: tokenized[i].ids.length, truncated: tokenized[i].truncated }));
  }

  private async run(batch: ModelBatch, options?: SparsifyOptions): Promise<SparseVector[]> {
    if ("runSparse" in this.backend) {
      const rows = await this.backend.runSparse(batch);
      if (rows.length !== batch.batch) throw new Error(`model returned ${rows.length} rows for a batch of ${batch.batch}`);
      return rows.map((row) => sparsifySparse(row.indices, row.values, options));
    }
    const out = await this.backend.run(batch);
    if (out.length !== batch.batch * this.vocabSize) {
      throw new Error(`model returned ${out.length} weights for ${batch.batch} × ${this.vocabSize}`);
    }
    return Array.from({ length: batch.batch }, (_, b) => sparsify(out.subarray(b * this.vocabSize, (b + 1) * this.vocabSize), options));
  }
}
