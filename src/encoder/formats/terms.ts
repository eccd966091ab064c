// The model's own view of a vector: vocabulary terms (human-readable) or token ids (for any engine we lack).
import { TermWeights, toJson } from "./json.ts";
import type { OutputFormat } from "./types.ts";
import { formatWeights } from "./weights.ts";

export const terms: OutputFormat = {
  name: "terms",
  description: "{model, tokens, truncated, terms: {term: weight}}, heaviest term first",
  kind: "json",
  requires: [],
  render({ vector }, ctx, options) {
    const w = formatWeights(vector, options);
    return toJson({
      model: ctx.model,
      tokens: vector.tokens,
      truncated: vector.truncated,
      terms: new TermWeights(w.indices.map((id) => ctx.token(id)), w.values),
    });
  },
};

export const ids: OutputFormat = {
  name: "ids",
  description: "{model, tokens, truncated, indices, values}: token ids and weights, heaviest first",
  kind: "json",
  requires: [],
  render({ vector }, ctx, options) {
    const w = formatWeights(vector, options);
    return toJson({ model: ctx.model, tokens: vector.tokens, truncated: vector.truncated, indices: w.indices, values: w.values });
  },
};
