// Text → token ids with the model's own tokenizer.json (@huggingface/tokenizers, pure JS, runs in workerd and
// Node alike). Truncation is ours: it always keeps the final [SEP] — queries that lost it "went haywire" in
// Anserini (castorini/anserini#2928). A BERT normalizer and pre-tokenizer run as Rust's do (bert-rust-parity.ts), so the
// ids are the ones Hugging Face's Rust tokenizers gives.
import { Tokenizer } from "@huggingface/tokenizers";
import { RustBertNormalizer, RustBertPreTokenizer, toRustString, type BertNormalizerJson } from "./bert-rust-parity.ts";

/** What the converter writes for the Worker beside tokenizer.json: the same tokenizer, its vocabulary listed (src/model/tokenizer-json.ts listVocabulary). */
export const WORKER_TOKENIZER_FILE = "worker-tokenizer.json";

/** The part of tokenizer.json's model that the vocabulary lives in: a token → id object, or (WORKER_TOKENIZER_FILE) a list in id order. */
export type WordPieceJson = { type?: string; unk_token?: string; vocab?: Record<string, number> | string[] };

export interface TokenizedText {
  ids: number[];
  /** True when the text had more tokens than maxLength allows and was cut. */
  truncated: boolean;
  /** Tokens the whole text has, [CLS] and [SEP] included when added (more than ids.length when truncated). */
  length: number;
}

export interface SpladeTokenizerOptions {
  /**
   * False: no [CLS] … [SEP], and truncation keeps the first maxLength tokens of the text, as Hugging Face's
   * `tokenizer(texts, truncation=True, add_special_tokens=False)` does — how sentence-transformers' SparseStaticEmbedding
   * tokenizes inference-free queries (src/encoder/static-weights.ts). Default true.
   */
  addSpecialTokens?: boolean;
}

/** A BERT WordPiece tokenizer that adds [CLS] … [SEP] (unless told not to) and truncates to maxLength. */
export class SpladeTokenizer {
  readonly maxLength: number;
  readonly cls: number;
  readonly sep: number;
  readonly addSpecialTokens: boolean;
  private readonly tokenizer: Tokenizer;

  constructor(tokenizerJson: object, tokenizerConfig: object, maxLength: number, options: SpladeTokenizerOptions = {}) {
    this.addSpecialTokens = options.addSpecialTokens ?? true;
    if (!Number.isInteger(maxLength) || maxLength < (this.addSpecialTokens ? 2 : 1)) {
      throw new Error(`max length ${maxLength} leaves no room for ${this.addSpecialTokens ? "[CLS] and [SEP]" : "a token"}`);
    }
    const model = (tokenizerJson as { model?: WordPieceJson }).model;
    const listed = Array.isArray(model?.vocab) ? model.vocab : undefined;
    this.tokenizer = new Tokenizer(listed ? { ...tokenizerJson, model: { ...model, vocab: {} } } : tokenizerJson, tokenizerConfig);
    if (listed) this.useListedVocabulary(listed);
    const { normalizer, pre_tokenizer } = tokenizerJson as { normalizer?: { type?: string } | null; pre_tokenizer?: { type?: string } | null };
    if (normalizer?.type === "BertNormalizer") this.tokenizer.normalizer = new RustBertNormalizer(normalizer as BertNormalizerJson);
    if (pre_tokenizer?.type === "BertPreTokenizer") this.tokenizer.pre_tokenizer = new RustBertPreTokenizer();
    this.maxLength = maxLength;
    const id = (t: string) => {
      const v = this.tokenizer.token_to_id(t);
      if (v === undefined) throw new Error(`tokenizer.json has no ${t} token`);
      return v;
    };
    this.cls = id("[CLS]");
    this.sep = id("[SEP]");
  }

  /**
   * Gives the library's WordPiece model a vocabulary listed by listVocabulary: what its constructor derives from the
   * object form (tokens_to_ids, vocab, unk_token_id; @huggingface/tokenizers 0.2.0), built from the list, with the added
   * tokens the Tokenizer's constructor set into the empty one it was given.
   */
  private useListedVocabulary(listed: readonly string[]): void {
    const wordPiece = this.tokenizer.model!;
    const tokens = listed.slice();
    const ids = new Map<string, number>();
    for (let id = 0; id < tokens.length; id++) ids.set(tokens[id], id);
    for (const [token, id] of wordPiece.tokens_to_ids) {
      ids.set(token, id);
      tokens[id] = token;
    }
    wordPiece.tokens_to_ids = ids;
    wordPiece.vocab = tokens;
    wordPiece.unk_token_id = wordPiece.unk_token === undefined ? undefined : ids.get(wordPiece.unk_token);
  }

  encode(text: string): TokenizedText {
    const body = this.tokenizer.encode(toRustString(text), { add_special_tokens: false }).ids;
    if (!this.addSpecialTokens) {
      const truncated = body.length > this.maxLength;
      return { ids: truncated ? body.slice(0, this.maxLength) : body, truncated, length: body.length };
    }
    const room = this.maxLength - 2;
    const truncated = body.length > room;
    return { ids: [this.cls, ...(truncated ? body.slice(0, room) : body), this.sep], truncated, length: body.length + 2 };
  }

  /** The vocabulary entry of an id (as it appears in vocab.txt, "##" continuation prefix included). */
  token(id: number): string {
    return this.tokenizer.id_to_token(id) ?? `[${id}]`;
  }

  /** Entries of the library's id → token table (@huggingface/tokenizers 0.2.0: the model's vocab, added tokens set in). */
  get vocabSize(): number {
    return this.tokenizer.model?.vocab.length ?? 0;
  }
}
