// Elasticsearch ≥ 8.15 `sparse_vector` query with precomputed token weights.
import { TermWeights, toJson } from "./json.ts";
import type { OutputFormat } from "./types.ts";
import { formatWeights } from "./weights.ts";

/**
 * Term name as Elasticsearch may store it: rank_features rejects dots in feature names, so ELSER writes "." as
 * "__" (elastic/elasticsearch#94389). Documents indexed for these queries must go through the same function.
 */
export function elasticsearchTerm(token: string): string {
  return token.replaceAll(".", "__");
}

export const elasticsearch: OutputFormat = {
  name: "elasticsearch",
  description: 'Elasticsearch sparse_vector query: {"query":{"sparse_vector":{"field":F,"query_vector":{term: weight}}}}',
  kind: "json",
  requires: ["field"],
  render({ vector }, ctx, options) {
    const w = formatWeights(vector, options);
    const names = w.indices.map((id) => elasticsearchTerm(ctx.token(id)));
    return toJson({ query: { sparse_vector: { field: options.field, query_vector: new TermWeights(names, w.values) } } });
  },
};
