// The output-format registry the Worker's /encode and the encode-corpus CLI share: names, option checks, and
// rendering of one item or a batch into a response body / file content.
import { anserini, pisa } from "./anserini-pisa.ts";
import { elasticsearch } from "./elasticsearch.ts";
import { opensearch } from "./opensearch.ts";
import { pinecone } from "./pinecone.ts";
import { qdrant } from "./qdrant.ts";
import { ids, terms } from "./terms.ts";
import type { FormatContext, FormatItem, FormatOptions, OutputFormat } from "./types.ts";
import { vespa } from "./vespa.ts";

export type { FormatContext, FormatItem, FormatOptions, OutputFormat } from "./types.ts";
export { elasticsearchTerm } from "./elasticsearch.ts";
export { teiSparse } from "./tei.ts";
export { quantize, roundHalfEven } from "./weights.ts";

export type FormatName = "terms" | "ids" | "elasticsearch" | "opensearch" | "qdrant" | "pinecone" | "vespa" | "anserini" | "pisa";

export const FORMATS: Readonly<Record<FormatName, OutputFormat>> = Object.freeze({
  terms,
  ids,
  elasticsearch,
  opensearch,
  qdrant,
  pinecone,
  vespa,
  anserini,
  pisa,
});

export const FORMAT_NAMES: readonly FormatName[] = Object.freeze(Object.keys(FORMATS) as FormatName[]);

export function isFormatName(s: string): s is FormatName {
  return Object.hasOwn(FORMATS, s);
}

/** Names of required options the caller did not give (e.g. ["field"]); an empty string counts as not given. */
export function missingOptions(format: OutputFormat, options: FormatOptions): string[] {
  return format.requires.filter((name) => options[name] === undefined || options[name] === "");
}

/** Why the format cannot write this id (anserini/pisa put it on the query line), or undefined. */
export function invalidId(format: OutputFormat, id: string): string | undefined {
  return format.invalidId?.(id);
}

/** Why the format cannot use this field name (a Vespa query input must be an identifier), or undefined. */
export function invalidField(format: OutputFormat, field: string): string | undefined {
  return format.invalidField?.(field);
}

/**
 * Renders one item (single=true → the bare value / one line) or a batch (JSON array / lines). Text always ends
 * each line with "\n", a single line included, so responses concatenate into a valid query file.
 * Throws on what the caller should have refused first: missing options, a bad field or id, single without one item.
 */
export function renderItems(
  format: OutputFormat,
  items: FormatItem[],
  ctx: FormatContext,
  options: FormatOptions,
  single: boolean,
): { contentType: string; body: string } {
  const problems = [
    ...missingOptions(format, options).map((name) => `${format.name} requires the "${name}" option`),
    options.field === undefined ? undefined : invalidField(format, options.field),
    ...items.map((item) => invalidId(format, item.id)),
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw new Error(problems.join("; "));
  if (single && items.length !== 1) throw new Error(`a single rendering needs exactly one item, got ${items.length}`);

  const rendered = items.map((item) => format.render(item, ctx, options));
  if (format.kind === "text") {
    return { contentType: "text/plain; charset=utf-8", body: rendered.map((line) => `${line}\n`).join("") };
  }
  return { contentType: "application/json", body: single ? rendered[0] : `[${rendered.join(",")}]` };
}
