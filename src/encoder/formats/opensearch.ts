// OpenSearch ≥ 2.14: a `rank_features` field, documents through the _bulk API (the same NDJSON as Elasticsearch),
// queries through `neural_sparse` with raw `query_tokens`. OpenSearch's RankFeaturesFieldMapper was forked before
// Elasticsearch added its dot check (#93756), so terms keep the vocabulary's spelling on both sides. rank_features
// stores values as Lucene FeatureField frequencies (9 significant bits): scores are within ~0.4% of the exact dot product.
// neural_sparse builds one FeatureField.newLinearQuery per token, and Lucene refuses a weight outside (0, 64]
// (neural-search NeuralSparseQueryBuilder, 2.14+; lucene FeatureField): unquantized SPLADE weights sit far below it,
// quantized ones need a factor that keeps them there.
import { bulkDocument } from "./elasticsearch.ts";
import { termWeights } from "./answer.ts";
import { TermWeights, toJson } from "./json.ts";
import type { Format } from "./types.ts";

export const opensearch: Format = {
  name: "opensearch",
  engine: "OpenSearch ≥ 2.14",
  reference: [
    "OpenSearch documentation (2.14–3.x): Bulk API (_id at most 512 bytes since 2.9)",
    "OpenSearch documentation (2.14–3.x): Rank features field type (positive floats, 9 significant bits)",
    "OpenSearch documentation (2.14–3.x): Neural sparse query (query_tokens since 2.14)",
  ],
  maxQueryWeight: { limit: 64, engine: "OpenSearch's neural_sparse" },
  query: {
    description: 'OpenSearch neural_sparse query: {"query":{"neural_sparse":{F:{"query_tokens":{term: weight}}}}}',
    kind: "json",
    answer: (z) => z.strictObject({ query: z.strictObject({ neural_sparse: z.record(z.string(), z.strictObject({ query_tokens: termWeights(z) })) }) }),
    requires: ["field"],
    accepts: ["field"],
    render: (_item, w, _ctx, options) =>
      toJson({ query: { neural_sparse: { [options.field as string]: { query_tokens: new TermWeights(w.terms, w.values) } } } }),
  },
  document: bulkDocument("rank_features"),
};
