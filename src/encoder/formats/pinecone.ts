// Pinecone (serverless, dotproduct): documents as upsert records (POST /vectors/upsert takes
// {"vectors": [record, …], "namespace"}), queries as the body of POST /query. The REST API and the TypeScript SDK
// spell the keys `sparseValues` / `sparseVector`; only the Python SDK takes snake_case keyword arguments.
import { tokenIds, tokenWeights } from "./answer.ts";
import { toJson } from "./json.ts";
import type { Format } from "./types.ts";

const MAX_ID_LENGTH = 512;

export const pinecone: Format = {
  name: "pinecone",
  engine: "Pinecone (API 2025-04)",
  reference: [
    "Pinecone OpenAPI db_data 2025-04 (unchanged to 2026-04): upsert Vector {id 1–512 characters, sparseValues}, query sparseVector; SparseValues holds 1–1,000 entries",
    "Pinecone documentation: Database limits — at most 1,000 non-zero values per sparse vector, 1,000 records or 2 MB per upsert",
  ],
  maxTerms: { limit: 1000, engine: "Pinecone" },
  empty: "refuse",
  query: {
    description: 'Pinecone query (REST / TypeScript SDK): {"sparseVector":{"indices":[id],"values":[weight]}}; add topK',
    kind: "json",
    answer: (z) => z.strictObject({ sparseVector: z.strictObject({ indices: tokenIds(z), values: tokenWeights(z) }) }),
    requires: [],
    accepts: [],
    render: (_item, w) => toJson({ sparseVector: { indices: w.indices, values: w.values } }),
  },
  document: {
    description: 'an upsert record per line ({"vectors":[…]}): {"id","sparseValues":{"indices","values"}}; at most 1,000 non-zeros',
    requires: [],
    accepts: [],
    // Upserts answer "Vector ID must be ASCII" otherwise (pinecone-python-client's integration tests seed such ids).
    invalidId(id) {
      if (id === "") return "a Pinecone record id must not be empty";
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range minus NUL is the rule itself.
      if (!/^[\x01-\x7f]*$/.test(id)) return "a Pinecone record id must be ASCII (and hold no NUL)";
      return id.length > MAX_ID_LENGTH ? `a Pinecone record id is at most ${MAX_ID_LENGTH} characters, this one has ${id.length}` : undefined;
    },
    render: (item, w) => toJson({ id: item.id, sparseValues: { indices: w.indices, values: w.values } }),
  },
};
