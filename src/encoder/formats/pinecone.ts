// Pinecone query body for a sparse (or hybrid) dotproduct index. The REST API (POST /query) and the TypeScript
// SDK spell the key `sparseVector`; only the Python SDK takes `sparse_vector=` as a keyword argument.
import { toJson } from "./json.ts";
import type { OutputFormat } from "./types.ts";
import { formatWeights } from "./weights.ts";

export const pinecone: OutputFormat = {
  name: "pinecone",
  description: 'Pinecone query (REST / TypeScript SDK): {"sparseVector":{"indices":[id],"values":[weight]}}; add topK',
  kind: "json",
  requires: [],
  render({ vector }, _ctx, options) {
    const w = formatWeights(vector, options);
    return toJson({ sparseVector: { indices: w.indices, values: w.values } });
  },
};
