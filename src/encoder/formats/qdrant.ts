// Qdrant: a named sparse vector; documents as points for the upsert API (PUT /collections/{name}/points takes
// {"points": [point, …]}), queries as the Query API body (POST /collections/{name}/points/query).
//
// Point ids are unsigned integers or UUIDs only. A document id that is a canonical decimal integer (no sign, no
// leading zero, ≤ 2^53 − 1 so every JSON reader keeps it exact) or a lowercase hyphenated UUID is used as it is (Qdrant
// stores UUIDs in that form, so an uppercase one would collide with its lowercase twin); any other id becomes the
// name-based UUID v5 of that id in POINT_ID_NAMESPACE, the same in every run and every shard, and the original id is
// kept in the payload as `doc_id`, so search results map back to it.
import { v5 as uuidV5 } from "uuid";
import { tokenIds, tokenWeights } from "./answer.ts";
import { toJson } from "./json.ts";
import type { Format } from "./types.ts";

/** = uuid5(NAMESPACE_URL, "https://github.com/splade-edge/splade-edge#qdrant-point-id"), pinned by a test. */
export const POINT_ID_NAMESPACE = "f6dbf81e-7012-5c8d-b5de-9ff53d6b93c9";

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The Qdrant point id for a document id: itself when Qdrant takes it, else its UUID v5. */
export function qdrantPointId(id: string): number | string {
  if (DECIMAL.test(id) && Number(id) <= Number.MAX_SAFE_INTEGER) return Number(id);
  if (UUID.test(id)) return id;
  return uuidV5(id, POINT_ID_NAMESPACE);
}

export const qdrant: Format = {
  name: "qdrant",
  engine: "Qdrant ≥ 1.10",
  reference: [
    "Qdrant documentation (v1.13): Points — upsert, point ids (64-bit unsigned integers or UUIDs)",
    "Qdrant documentation (v1.13): Vectors — sparse vectors (unique u32 indices)",
    "Qdrant documentation (v1.13): Query API (query, using)",
  ],
  query: {
    description: 'Qdrant Query API: {"query":{"indices":[id],"values":[weight]},"using":F}',
    kind: "json",
    answer: (z) => z.strictObject({ query: z.strictObject({ indices: tokenIds(z), values: tokenWeights(z) }), using: z.string() }),
    requires: ["field"],
    accepts: ["field"],
    render: (_item, w, _ctx, options) => toJson({ query: { indices: w.indices, values: w.values }, using: options.field }),
  },
  document: {
    description:
      'a point per line for PUT /collections/NAME/points ({"points":[…]}): {"id","vector":{F:{"indices","values"}},"payload":{"doc_id"}}; non-integer ids become UUID v5',
    requires: ["field"],
    accepts: ["field"],
    render: (item, w, _ctx, options) =>
      toJson({ id: qdrantPointId(item.id), vector: { [options.field as string]: { indices: w.indices, values: w.values } }, payload: { doc_id: item.id } }),
  },
};
