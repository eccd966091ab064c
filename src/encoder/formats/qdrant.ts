// Qdrant Query API body for a named sparse vector (POST /collections/{name}/points/query).
import { toJson } from "./json.ts";
import type { OutputFormat } from "./types.ts";
import { formatWeights } from "./weights.ts";

export const qdrant: OutputFormat = {
  name: "qdrant",
  description: 'Qdrant query API: {"query":{"indices":[id],"values":[weight]},"using":F}',
  kind: "json",
  requires: ["field"],
  render({ vector }, _ctx, options) {
    const w = formatWeights(vector, options);
    return toJson({ query: { indices: w.indices, values: w.values }, using: options.field });
  },
};
