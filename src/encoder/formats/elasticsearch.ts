// Elasticsearch ≥ 8.15: a `sparse_vector` field, documents through the _bulk API, queries through the
// `sparse_vector` query with precomputed weights.
//
// Exact scoring: since 8.19 / 9.1, new `sparse_vector` fields prune "non-significant" tokens at query time by
// default (index_options.prune), so the score is no longer the dot product; the query sets `"prune": false` and the
// documented mapping sets `index_options: {prune: false}` too. Values are stored as Lucene FeatureField
// frequencies (9 significant bits), so an engine's score is within ~0.4% of the exact dot product, not to 1e-4.
import { termWeights } from "./answer.ts";
import { TermWeights, toJson } from "./json.ts";
import { bulkIdProblem } from "./rules.ts";
import type { DocumentSide, Format, OptionName } from "./types.ts";

/**
 * Term name as Elasticsearch stores it: rank_features rejects dots in feature names (elastic/elasticsearch#93756,
 * 8.7) and ELSER writes "." as "__" (#94389); sparse_vector takes dots since #111981, but "__" works with both field
 * types. Applied to documents and queries alike (three vocabulary entries hold a dot: ".", "...", "##.").
 */
export function elasticsearchTerm(token: string): string {
  return token.replaceAll(".", "__");
}

const INDEX_FORBIDDEN = /[\\/*?"<>| ,#:A-Z]/;

/** Index-name rules Elasticsearch and OpenSearch share (lowercase, no separators, ≤ 255 bytes, no leading -_+). */
export function indexNameProblem(name: OptionName, value: string): string | undefined {
  if (name !== "index") return undefined;
  if (value === "." || value === ".." || /^[-_+]/.test(value) || INDEX_FORBIDDEN.test(value) || new TextEncoder().encode(value).length > 255) {
    return `index ${JSON.stringify(value)} is not a valid index name (lowercase, no spaces or \\ / * ? " < > | , # :, not starting with - _ +, at most 255 bytes)`;
  }
  return undefined;
}

/**
 * The _bulk document side Elasticsearch and OpenSearch share: an action line (without `_index` the index is the one
 * in the request URL, POST /INDEX/_bulk) then the source line holding the {term: weight} object under the field.
 */
export function bulkDocument(fieldType: string): DocumentSide {
  return {
    description: `_bulk NDJSON for a ${fieldType} field: {"index":{"_id":ID}} then {F:{term: weight}} ("_index" with --index)`,
    requires: ["field"],
    accepts: ["field", "index"],
    invalidId: bulkIdProblem,
    invalidOption: indexNameProblem,
    render(item, w, _ctx, options) {
      const action = toJson({ index: options.index === undefined ? { _id: item.id } : { _index: options.index, _id: item.id } });
      return `${action}\n${toJson({ [options.field as string]: new TermWeights(w.terms, w.values) })}`;
    },
  };
}

export const elasticsearch: Format = {
  name: "elasticsearch",
  engine: "Elasticsearch ≥ 8.15",
  reference: [
    "Elasticsearch 9.1 reference: Bulk API (POST /_bulk, NDJSON action and source lines)",
    "Elasticsearch 9.1 reference: sparse_vector field type (index_options.prune, since 8.19 / 9.1)",
    "Elasticsearch 9.1 reference: sparse_vector query (query_vector, prune)",
  ],
  term: elasticsearchTerm,
  query: {
    description: 'Elasticsearch sparse_vector query: {"query":{"sparse_vector":{"field":F,"query_vector":{term: weight},"prune":false}}}',
    kind: "json",
    answer: (z) =>
      z.strictObject({
        query: z.strictObject({ sparse_vector: z.strictObject({ field: z.string(), query_vector: termWeights(z), prune: z.literal(false) }) }),
      }),
    requires: ["field"],
    accepts: ["field"],
    render: (_item, w, _ctx, options) =>
      toJson({ query: { sparse_vector: { field: options.field, query_vector: new TermWeights(w.terms, w.values), prune: false } } }),
  },
  document: bulkDocument("sparse_vector"),
};
