// OpenSearch (≥ 2.14) neural_sparse query with raw query_tokens.
import { TermWeights, toJson } from "./json.ts";
import type { OutputFormat } from "./types.ts";
import { formatWeights } from "./weights.ts";

export const opensearch: OutputFormat = {
  name: "opensearch",
  description: 'OpenSearch neural_sparse query: {"query":{"neural_sparse":{F:{"query_tokens":{term: weight}}}}}',
  kind: "json",
  requires: ["field"],
  render({ vector }, ctx, options) {
    const w = formatWeights(vector, options);
    const tokens = new TermWeights(w.indices.map((id) => ctx.token(id)), w.values);
    return toJson({ query: { neural_sparse: { [options.field as string]: { query_tokens: tokens } } } });
  },
};
