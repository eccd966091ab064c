// Milvus ≥ 2.4: a SPARSE_FLOAT_VECTOR field (SPARSE_INVERTED_INDEX, metric IP); documents as insert rows for the
// RESTful v2 API (POST /v2/vectordb/entities/insert takes {"collectionName", "data": [row, …]}) with a VARCHAR
// primary key `id`, queries as the part of a search body (POST /v2/vectordb/entities/search) that carries the vector.
// A sparse row is a {token_id: weight} object with string keys, as the 2.5 RESTful insert example writes them; Milvus
// reads each key with Go's ParseUint(k, 0, 32), so keys are plain decimal (a leading 0 would read as octal).
import { TermWeights, toJson } from "./json.ts";
import type { EngineWeights, Format, OptionName } from "./types.ts";

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

function sparseRow(w: EngineWeights): TermWeights {
  return new TermWeights(w.indices.map(String), w.values);
}

function fieldProblem(name: OptionName, value: string): string | undefined {
  if (name !== "field") return undefined;
  if (value === "id") return 'Milvus field "id" is the primary key these rows carry: name the sparse field otherwise';
  if (FIELD_NAME.test(value)) return undefined;
  return `Milvus field ${JSON.stringify(value)} must start with a letter or _ and hold only letters, digits and _ (at most 255)`;
}

export const milvus: Format = {
  name: "milvus",
  engine: "Milvus ≥ 2.4",
  reference: [
    "Milvus 2.5 documentation: Sparse Vector (SPARSE_FLOAT_VECTOR, SPARSE_INVERTED_INDEX, metric IP; RESTful insert and search)",
    "Milvus 2.4 documentation: Sparse vector FAQ (uint32 indices below 2^32 − 1, non-negative float32 values)",
  ],
  // "Sparse embeddings must have at least one non-zero value" (Milvus 2.4 sparse vector FAQ).
  empty: "refuse",
  query: {
    description: 'Milvus search body part: {"data":[{token_id: weight}],"annsField":F}; add collectionName, limit',
    kind: "json",
    answer: (z) =>
      z.strictObject({
        data: z
          .array(z.record(z.string(), z.number()).meta({ propertyNames: { pattern: "^[0-9]+$" } }))
          .min(1)
          .max(1),
        annsField: z.string(),
      }),
    requires: ["field"],
    accepts: ["field"],
    invalidOption: fieldProblem,
    render: (_item, w, _ctx, options) => toJson({ data: [sparseRow(w)], annsField: options.field }),
  },
  document: {
    description: 'an insert row per line ({"data":[…]}): {"id":ID, F:{token_id: weight}} for a VARCHAR primary key "id"',
    requires: ["field"],
    accepts: ["field"],
    invalidOption: fieldProblem,
    invalidId: (id) => (id === "" ? "a Milvus primary key must not be empty" : undefined),
    render: (item, w, _ctx, options) => toJson({ id: item.id, [options.field as string]: sparseRow(w) }),
  },
};
