// What a format is: one search engine (or a generic shape) with a query side, what /encode?format=NAME answers,
// and a document side, what `encode-corpus --format NAME` writes. Both sides of one format receive their weights
// from the same preparation (./rules.ts: term naming, quantization, non-zero limits, the empty-vector rule), so a
// document and a query written for the same engine cannot disagree.
import type { EncodedText } from "../encoder.ts";
import type { AnswerSchema, Zod } from "./answer.ts";

/** One encoded query or document, with what its format may write beside the vector. */
export interface FormatItem {
  /** Sparse vector, weight-descending, after top_k / min_weight. */
  vector: EncodedText;
  /** Query id (anserini/pisa lines) or document id; for queries it defaults to the position. */
  id: string;
  /** The document's text (Anserini JsonVectorCollection keeps it as `contents`); queries have none. */
  text?: string;
}

export interface FormatOptions {
  /**
   * The engine's field name: the Elasticsearch / OpenSearch / Milvus field, the Qdrant named vector, the Vespa
   * document tensor field (documents) or query input `query(F)` (queries, default "q").
   */
  field?: string;
  /** Integer factor: weights become round-half-even(w × quantize), zeros dropped. */
  quantize?: number;
  /** Elasticsearch / OpenSearch `_index` on each bulk action line (else the index goes in the _bulk URL). */
  index?: string;
  /** Vespa document id namespace (`id:NAMESPACE:TYPE::ID`). */
  namespace?: string;
  /** Vespa document type (`id:NS:DOCTYPE::ID`), the schema's name. */
  doctype?: string;
}

export type OptionName = keyof FormatOptions;

export interface FormatContext {
  /** The vocabulary entry of a token id ("##" continuation prefix included). */
  token(id: number): string;
  /** Model name reported in the terms/ids formats. */
  model: string;
  /** Dimensions of the vector space (30522): pgvector's sparsevec(N). */
  vocabSize: number;
}

/** The weights a side writes, prepared once by the format's rules: parallel arrays, weight-descending. */
export interface EngineWeights {
  indices: number[];
  values: number[];
  /** Term names after the engine's naming rule. */
  terms: string[];
}

interface Side {
  /** One line for /info, --help and the docs. */
  description: string;
  /** Options this side cannot do without (a missing one is a 422 / a usage error naming it). */
  requires: readonly OptionName[];
  /** Options this side reads besides `quantize` (anything else given is refused, so nothing is silently ignored). */
  accepts: readonly OptionName[];
  /** Why this side cannot write this id, or undefined. */
  invalidId?(id: string): string | undefined;
  /** Why this side cannot use this value of an option (a field name, an index name), or undefined. */
  invalidOption?(name: OptionName, value: string): string | undefined;
}

interface QuerySideOf<Kind extends "json" | "text"> extends Side {
  /** "json": one JSON value per query (a batch is a JSON array); "text": one line per query (a batch is lines). */
  kind: Kind;
  /** One query: a JSON value or a line without its newline. Options and id were checked before. */
  render(item: FormatItem, weights: EngineWeights, ctx: FormatContext, options: FormatOptions): string;
}

/** A query side answering JSON declares the shape of one query's answer (./answer.ts has the shared pieces). */
export type QuerySide =
  | (QuerySideOf<"json"> & {
      /**
       * The zod schema of one query's answer, which the Worker's GET /openapi.json publishes, built with the zod it is
       * handed (the Worker's, which @hono/zod-openapi extends with `.openapi()`; zod 4 gives a schema its methods when
       * it is built).
       */
      answer(z: Zod): AnswerSchema;
    })
  | QuerySideOf<"text">;

export interface DocumentSide extends Side {
  /** One document as the lines the engine ingests (no trailing newline; _bulk formats write two lines). */
  render(item: FormatItem, weights: EngineWeights, ctx: FormatContext, options: FormatOptions): string;
}

export interface Format {
  name: string;
  /** The engine and the versions the shapes were checked against. */
  engine: string;
  /** The official documentation each side was checked against (with its version). */
  reference: readonly string[];
  /** Integer-only engines (Anserini, PISA) quantize by this factor unless `quantize` says otherwise. */
  defaultQuantize?: number;
  /** The engine's rule for term names, applied to documents and queries alike (Elasticsearch: "." → "__"). */
  term?(token: string): string;
  /** The most non-zero entries one vector may hold in this engine; more is refused, never cut silently. */
  maxTerms?: { limit: number; engine: string };
  /** The largest weight a query may carry (OpenSearch's neural_sparse: Lucene FeatureField caps boosts at 64). */
  maxQueryWeight?: { limit: number; engine: string };
  /**
   * What a vector with no terms becomes: "filler" writes naver/splade's [unused993] with weight 1 (engines that
   * read impacts as term frequencies break on an empty line); "refuse" is an error naming the item.
   */
  empty?: "filler" | "refuse";
  query?: QuerySide;
  document?: DocumentSide;
}
