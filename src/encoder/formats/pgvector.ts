// Postgres with pgvector ≥ 0.7: a `sparsevec(30522)` column, documents as rows for COPY (text format), queries as
// the sparsevec literal that goes into `ORDER BY embedding <#> $1::sparsevec` (<#> is the negative inner product).
// The literal is `{index:value,…}/dimensions` with 1-based indices (token id + 1), ascending, unique, no zeros; a
// sparsevec holds at most 16,000 non-zeros (SPARSEVEC_MAX_NNZ), and an HNSW index on sparsevec_ip_ops refuses rows
// with more than 1,000, so index-bound tables need --top-k 1000 or less.
import type { EngineWeights, Format, FormatContext } from "./types.ts";

/** The sparsevec text literal of these weights: 1-based indices in ascending order. */
export function sparsevecLiteral(w: Pick<EngineWeights, "indices" | "values">, dimensions: number): string {
  const order = w.indices.map((_, k) => k).sort((a, b) => w.indices[a] - w.indices[b]);
  return `{${order.map((k) => `${w.indices[k] + 1}:${w.values[k]}`).join(",")}}/${dimensions}`;
}

/** An id as a COPY text-format column: backslash, tab, newline and carriage return escaped (PostgreSQL 17, COPY). */
export function copyTextField(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c] as string);
}

export const pgvector: Format = {
  name: "pgvector",
  engine: "PostgreSQL with pgvector ≥ 0.7",
  reference: [
    "pgvector 0.8.1 README: Sparse vectors (sparsevec text format, 1-based indices, up to 16,000 non-zero elements)",
    "pgvector 0.8.1 README: HNSW (sparsevec_ip_ops; sparse vectors up to 1,000 non-zero elements)",
    "PostgreSQL 17 documentation: COPY, text format",
  ],
  maxTerms: { limit: 16000, engine: "pgvector's sparsevec" },
  query: {
    description: "sparsevec literal {token_id+1:weight,…}/30522 for ORDER BY embedding <#> $1::sparsevec (1-based indices)",
    kind: "text",
    requires: [],
    accepts: [],
    render: (_item, w, ctx: FormatContext) => sparsevecLiteral(w, ctx.vocabSize),
  },
  document: {
    description: "COPY text rows id<TAB>{token_id+1:weight,…}/30522 for a (id text, embedding sparsevec(30522)) table",
    requires: [],
    accepts: [],
    render: (item, w, ctx) => `${copyTextField(item.id)}\t${sparsevecLiteral(w, ctx.vocabSize)}`,
  },
};
