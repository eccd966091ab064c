// The one format registry: each entry is a search engine (or a generic shape) with a query side, what the Worker's
// /encode answers, and a document side, what encode-corpus writes. Both sides get their weights from
// rules.ts#engineWeights, so term names, quantization, limits and empty vectors follow one rule per engine.
import { anserini, pisa, pretokenized } from "./anserini.ts";
import { elasticsearch } from "./elasticsearch.ts";
import { milvus } from "./milvus.ts";
import { opensearch } from "./opensearch.ts";
import { pgvector } from "./pgvector.ts";
import { pinecone } from "./pinecone.ts";
import { qdrant } from "./qdrant.ts";
import { engineWeights, FormatError, idProblem, optionProblems } from "./rules.ts";
import { ids, jsonl, terms } from "./terms.ts";
import type { Format, FormatContext, FormatItem, FormatOptions } from "./types.ts";
import { vespa } from "./vespa.ts";

export type { Format, FormatContext, FormatItem, FormatOptions, OptionName } from "./types.ts";
export { elasticsearchTerm } from "./elasticsearch.ts";
export { FormatError, idProblem, optionProblems, EMPTY_FILLER, type FormatErrorKind } from "./rules.ts";
export { teiSparse } from "./tei.ts";
export { quantize, roundHalfEven } from "./weights.ts";

const REGISTRY = {
  terms,
  ids,
  jsonl,
  elasticsearch,
  opensearch,
  qdrant,
  pinecone,
  vespa,
  pgvector,
  milvus,
  anserini,
  pisa,
  pretokenized,
} as const satisfies Record<string, Format>;

export type FormatName = keyof typeof REGISTRY;

export const FORMATS: Readonly<Record<FormatName, Format>> = Object.freeze(REGISTRY);

/** Formats /encode answers in (those with a query side), in registry order. */
export const QUERY_FORMAT_NAMES: readonly FormatName[] = Object.freeze((Object.keys(FORMATS) as FormatName[]).filter((n) => FORMATS[n].query));
/** Formats encode-corpus writes (those with a document side), in registry order. */
export const DOCUMENT_FORMAT_NAMES: readonly FormatName[] = Object.freeze((Object.keys(FORMATS) as FormatName[]).filter((n) => FORMATS[n].document));

export function isQueryFormatName(s: string): s is FormatName {
  return Object.hasOwn(FORMATS, s) && FORMATS[s as FormatName].query !== undefined;
}

export function isDocumentFormatName(s: string): s is FormatName {
  return Object.hasOwn(FORMATS, s) && FORMATS[s as FormatName].document !== undefined;
}

/**
 * Renders queries: one (single=true → the bare value / one line) or a batch (JSON array / lines). Text always ends
 * each line with "\n", a single line included, so responses concatenate into a valid query file.
 * Throws FormatError for what the engine would refuse (bad options or ids, which callers should check first with
 * optionProblems / idProblem, and limits that only the encoded vector shows).
 */
export function renderQueries(
  format: Format,
  items: readonly FormatItem[],
  ctx: FormatContext,
  options: FormatOptions,
  single: boolean,
): { contentType: string; body: string } {
  const side = format.query;
  const problems = [...optionProblems(format, "query", options), ...items.map((item) => idProblem(format, "query", item.id))].filter((p) => p !== undefined);
  if (problems.length > 0 || !side) throw new FormatError("request", problems.join("; "));
  if (single && items.length !== 1) throw new Error(`a single rendering needs exactly one item, got ${items.length}`);

  const rendered = items.map((item) => side.render(item, engineWeights(format, "query", item, ctx, options), ctx, options));
  if (side.kind === "text") {
    return { contentType: "text/plain; charset=utf-8", body: rendered.map((line) => `${line}\n`).join("") };
  }
  return { contentType: "application/json", body: single ? rendered[0] : `[${rendered.join(",")}]` };
}

/**
 * One document as the line(s) its engine ingests, without the final newline, and how many terms it holds. The id
 * and options are the caller's to check first (idProblem, optionProblems); limits throw FormatError naming it.
 */
export function renderDocument(format: Format, item: FormatItem, ctx: FormatContext, options: FormatOptions): { text: string; terms: number } {
  const side = format.document;
  if (!side) throw new Error(`format "${format.name}" has no document side`);
  const weights = engineWeights(format, "document", item, ctx, options);
  return { text: side.render(item, weights, ctx, options), terms: weights.indices.length };
}
