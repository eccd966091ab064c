// The model's own view of a vector, for any engine without a format here: vocabulary terms exactly as the
// tokenizer spells them (human-readable), or token ids.
import { encodedFields, termWeights, tokenIds, tokenWeights } from "./answer.ts";
import { TermWeights, toJson } from "./json.ts";
import type { Format } from "./types.ts";

export const terms: Format = {
  name: "terms",
  engine: "none (the model's vocabulary terms)",
  reference: [],
  query: {
    description: "{model, tokens, truncated, terms: {term: weight}}, heaviest term first",
    kind: "json",
    answer: (z) => z.strictObject({ ...encodedFields(z), terms: termWeights(z) }),
    requires: [],
    accepts: [],
    render(item, w, ctx) {
      const { tokens, truncated } = item.vector;
      return toJson({ model: ctx.model, tokens, truncated, terms: new TermWeights(w.terms, w.values) });
    },
  },
};

// The document side of the same view; a separate name because a corpus line is not a query answer (no model,
// no token counts: they are in the summary).
export const jsonl: Format = {
  name: "jsonl",
  engine: "none (the model's vocabulary terms)",
  reference: [],
  document: {
    description: '{"id","vector":{term: weight}}: vocabulary terms as the model spells them, float32 weights',
    requires: [],
    accepts: [],
    render(item, w) {
      return toJson({ id: item.id, vector: new TermWeights(w.terms, w.values) });
    },
  },
};

/** One `ids` JSONL line (no newline): what `--format ids` writes, and what the eval index and the benchmarks load. */
export function idsLine(record: { id: string; indices: readonly number[]; values: readonly number[] }): string {
  // join() spells a finite number as JSON does; this line is written for every document of a corpus.
  return `{"id":${JSON.stringify(record.id)},"indices":[${record.indices.join(",")}],"values":[${record.values.join(",")}]}`;
}

export const ids: Format = {
  name: "ids",
  engine: "none (token ids)",
  reference: [],
  query: {
    description: "{model, tokens, truncated, indices, values}: token ids and weights, heaviest first",
    kind: "json",
    answer: (z) => z.strictObject({ ...encodedFields(z), indices: tokenIds(z), values: tokenWeights(z) }),
    requires: [],
    accepts: [],
    render(item, w, ctx) {
      const { tokens, truncated } = item.vector;
      return toJson({ model: ctx.model, tokens, truncated, indices: w.indices, values: w.values });
    },
  },
  document: {
    description: '{"id","indices","values"}: token ids (0-based) and float32 weights, heaviest first',
    requires: [],
    accepts: [],
    render(item, w) {
      return idsLine({ id: item.id, indices: w.indices, values: w.values });
    },
  },
};
