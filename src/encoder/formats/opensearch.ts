// OpenSearch ≥ 2.14: a `rank_features` field, documents through the _bulk API (the same NDJSON as Elasticsearch),
// queries through `neural_sparse` with raw `query_tokens`. OpenSearch's RankFeaturesFieldMapper was forked before
// Elasticsearch added its dot check (#93756), so terms keep the vocabulary's spelling on both sides. rank_features
// stores values as Lucene FeatureField frequencies (9 significant bits): scores are within ~0.4% of the exact dot product.
import { bulkDocument } from "./elasticsearch.ts";
import { TermWeights, toJson } from "./json.ts";
import type { Format } from "./types.ts";

export const opensearch: Format = {
  name: "opensearch",
  engine: "OpenSearch ≥ 2.14",
  reference: [
    "OpenSearch 2.19 documentation: Bulk API",
    "OpenSearch 2.19 documentation: Rank features field type",
    "OpenSearch 2.19 documentation: Neural sparse query (query_tokens, since 2.14)",
  ],
  query: {
    description: 'OpenSearch neural_sparse query: {"query":{"neural_sparse":{F:{"query_tokens":{term: weight}}}}}',
    kind: "json",
    requires: ["field"],
    accepts: ["field"],
    render: (_item, w, _ctx, options) =>
      toJson({ query: { neural_sparse: { [options.field as string]: { query_tokens: new TermWeights(w.terms, w.values) } } } }),
  },
  document: bulkDocument("rank_features"),
};
