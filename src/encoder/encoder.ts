// tokenize → run the SPLADE graph on the token rows → sparse vectors. Runtime-agnostic: the backend (the splade-edge
// kernel in the Worker and eval, onnxruntime in the Node CLIs) is passed in.
import { sparsify, sparsifySparse, type SparseVector, type SparsifyOptions } from "./sparse.ts";
import type { SpladeTokenizer, TokenizedText } from "./tokenizer.ts";

/** The token ids of each text, [CLS] and [SEP] included, each row its own length: no backend needs padding from its caller. */
export type TokenRows = readonly (readonly number[])[];

/** Runs the converted SPLADE graph: returns the `splade` output, [rows, vocab] row-major. */
export interface SpladeBackend {
  run(rows: TokenRows): Promise<Float32Array>;
}

/** The non-zero SPLADE weights of one sequence: `values[k]` is the weight of term `indices[k]`. */
export interface SparseRow {
  indices: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** A backend that returns only the non-zero weights of each row, so that no [rows, vocab] array is ever built. */
export interface SparseSpladeBackend {
  runSparse(rows: TokenRows): Promise<SparseRow[]>;
}

export interface EncodedText extends SparseVector {
  /** Tokens fed to the model, [CLS] and [SEP] included. */
  tokens: number;
  truncated: boolean;
}

export class SpladeEncoder {
  /**
   * The vectors' dimensions: the tokenizer's tokens. A model may have more output rows than its tokenizer has tokens —
   * GTE's embedding matrix, and so its tied decoder, is padded to 30528 rows for BERT's 30522 tokens
   * (docs/model-sources.md §3) — and those rows name no token: no text tokenizes to them, no format can name them, and
   * the inference-free query paired with the model never weights them, so dropping them changes no score. Kept, they
   * made a document vector wider than its queries (pgvector: "different sparsevec dimensions 30528 and 30522").
   */
  readonly dimensions: number;

  constructor(
    readonly tokenizer: SpladeTokenizer,
    private readonly backend: SpladeBackend | SparseSpladeBackend,
    readonly vocabSize: number,
  ) {
    this.dimensions = Math.min(vocabSize, tokenizer.vocabSize);
  }

  /** Encodes texts in one batch, keeping their order. */
  encode(texts: readonly string[], options?: SparsifyOptions): Promise<EncodedText[]> {
    return this.encodeTokenized(
      texts.map((t) => this.tokenizer.encode(t)),
      options,
    );
  }

  /** Encodes texts this encoder's tokenizer has already tokenized (to time or inspect that step), in one batch. */
  async encodeTokenized(tokenized: readonly TokenizedText[], options?: SparsifyOptions): Promise<EncodedText[]> {
    const vectors = await this.run(
      tokenized.map((t) => t.ids),
      options,
    );
    return vectors.map((vector, i) => ({ ...vector, tokens: tokenized[i].ids.length, truncated: tokenized[i].truncated }));
  }

  private async run(rows: TokenRows, options?: SparsifyOptions): Promise<SparseVector[]> {
    if ("runSparse" in this.backend) {
      const sparse = await this.backend.runSparse(rows);
      if (sparse.length !== rows.length) throw new Error(`model returned ${sparse.length} rows for a batch of ${rows.length}`);
      return sparse.map((row) => sparsifySparse(row.indices, row.values, options));
    }
    const out = await this.backend.run(rows);
    if (out.length !== rows.length * this.vocabSize) {
      throw new Error(`model returned ${out.length} weights for ${rows.length} × ${this.vocabSize}`);
    }
    return rows.map((_, b) => sparsify(out.subarray(b * this.vocabSize, b * this.vocabSize + this.dimensions), options));
  }
}
