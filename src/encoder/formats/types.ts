// What every output format (terms, ids, and each search engine's native query shape) receives and declares.
// One registry (./index.ts) serves the Worker and encode-corpus alike.
import type { EncodedText } from "../encoder.ts";

/** Everything a format may need about one encoded query or document. */
export interface FormatItem {
  /** Sparse vector, weight-descending, after top_k / min_weight. */
  vector: EncodedText;
  /** Caller-supplied id (query id for anserini/pisa lines, document id for corpus files); defaults to the position. */
  id: string;
}

export interface FormatOptions {
  /** The engine's field / vector / tensor name (Elasticsearch & OpenSearch field, Qdrant `using`, Vespa query tensor). */
  field?: string;
  /** Integer factor: weights become round-half-even(w × quantize), zeros dropped. */
  quantize?: number;
}

export interface FormatContext {
  /** The vocabulary entry of a token id ("##" continuation prefix included). */
  token(id: number): string;
  /** Model name reported in the terms/ids formats. */
  model: string;
}

export interface OutputFormat {
  name: string;
  /** One line for /info and errors. */
  description: string;
  /** "json": one JSON value per item (a batch is a JSON array); "text": one line per item (a batch is lines). */
  kind: "json" | "text";
  /** Options the format cannot do without (a request without them is a 422 naming them). */
  requires: ReadonlyArray<keyof FormatOptions>;
  /** Default quantization factor for formats that only take integers (anserini, pisa). */
  defaultQuantize?: number;
  /**
   * One item as text: a JSON value (kind "json") or one line without its newline (kind "text").
   * Assumes required options are present and the field and id valid; renderItems() checks them first.
   */
  render(item: FormatItem, ctx: FormatContext, options: FormatOptions): string;
  /** Why this id cannot be written by this format (text formats put it on the line), or undefined. */
  invalidId?(id: string): string | undefined;
  /** Why this field name cannot be used by this format, or undefined. */
  invalidField?(field: string): string | undefined;
}
