// GET /search and POST /search: a query in, the top-k documents of the deployed index out (model/index, built offline
// by `splade-index build`). The query is encoded as /encode encodes it; the documents are scored by the dot product of
// that vector with their indexed (quantized) vectors, exact, by block-max MaxScore (src/index/search.ts). Same limits,
// keys, cache, errors and log as /encode.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { endTime, setMetric, startTime } from "hono/timing";
import { searchTopK } from "../../index/search.ts";
import { answerFromCache, cacheEntry, codeIdentity, storeAnswer } from "../cache";
import { ApiError } from "../errors";
import { checkTokenBudget, rateLimit } from "../limits";
import { isolateModel } from "../model";
import {
  answersOf,
  BODY_ERRORS,
  ENCODE_ERRORS,
  ENCODED_HEADERS,
  errorExamples,
  errorResponses,
  type Example,
  header,
  invalid,
  jsonAnswer,
  jsonBody,
  KEYED,
  LIMITED_ERRORS,
  parameterExamples,
} from "../openapi";
import { fieldsOf, fromQueryString, requireJson, text } from "../requests";
import { isolateIndex } from "../search-index";
import { settingsOf, type AppEnv } from "../settings";
import { encodeTimed, encodeTiming, loadEncoderTimed } from "./encoding";

/** Most hits one answer may hold: k of 1000 is a reranker's candidate list; more is an export, not a search. */
export const MAX_K = 1000;
const DEFAULT_K = 10;

// ---- Examples ----

const MARS_HITS = [
  { id: "doc-mars", score: 21.07, fields: { title: "Mars", url: "https://example.org/mars" } },
  { id: "doc-red-dwarf", score: 9.84, fields: { title: "Red dwarf", url: "https://example.org/red-dwarf" } },
];
const answerOf = (hits: unknown[], k: number) => ({ hits, exact: true, k, query_terms: 23, documents: 120000 });

const SEARCH_POST_EXAMPLES: Record<string, Example> = {
  top2: {
    summary: "The two best documents, with their stored title and url",
    request: { query: "which planet is known as the red planet", k: 2, fields: ["title", "url"] },
    response: jsonAnswer(answerOf(MARS_HITS, 2)),
  },
  "bad-k": { summary: "k over the limit", request: { query: "mars", k: 5000 }, response: invalid(`k must be an integer from 1 to ${MAX_K}`) },
};

const SEARCH_GET_EXAMPLES: Record<string, Example> = {
  top2: {
    summary: "The two best documents, ids and scores",
    request: { q: "red planet", k: 2 },
    response: jsonAnswer(
      answerOf(
        MARS_HITS.map(({ id, score }) => ({ id, score })),
        2,
      ),
    ),
  },
  "no-q": { summary: "No q", request: { k: 3 }, response: invalid("q is required") },
};

// ---- Requests ----

export interface SearchRequest {
  text: string;
  k: number;
  fields: string[];
}

const k = z
  .int({ error: `must be an integer from 1 to ${MAX_K}` })
  .min(1, { error: `must be an integer from 1 to ${MAX_K}` })
  .max(MAX_K, { error: `must be an integer from 1 to ${MAX_K}` });
const K = `How many documents to answer, best first (default ${DEFAULT_K}).`;
const FIELDS = "Stored fields to return with each hit (the index's `stored`, GET /info; `splade-index build --store`).";

const searchBody = fieldsOf(
  {
    query: text.optional().meta({ description: 'The query. Give either "query" or "q".' }),
    q: text.optional().meta({ description: 'The query, as GET spells it. Give either "query" or "q".' }),
    k: k.optional().meta({ description: K }),
    fields: z
      .array(z.string({ error: "must be a list of field names" }), { error: "must be a list of field names" })
      .optional()
      .meta({ description: FIELDS }),
  },
  "field",
)
  .meta({ oneOf: [{ required: ["query"] }, { required: ["q"] }] })
  .transform(({ query, q, k, fields }, ctx): SearchRequest => {
    if ((query === undefined) === (q === undefined)) {
      ctx.addIssue({ code: "custom", message: 'give either "query": "…" or "q": "…" (exactly one of them)' });
      return z.NEVER;
    }
    return { text: (query ?? q) as string, k: k ?? DEFAULT_K, fields: fields ?? [] };
  });

const parameter = <T extends z.ZodType>(name: string, schema: T) => schema.meta(parameterExamples(SEARCH_GET_EXAMPLES, name));

export const searchQuery = fieldsOf(
  {
    q: parameter("q", text.meta({ description: "The query." })),
    k: parameter("k", fromQueryString(k).optional().meta({ description: K })),
    fields: parameter(
      "fields",
      z
        .string({ error: "must be given once" })
        .optional()
        .meta({ description: `${FIELDS} Comma-separated.` }),
    ),
  },
  "parameter",
).transform(
  ({ q, k, fields }): SearchRequest => ({
    text: q,
    k: k ?? DEFAULT_K,
    fields: (fields ?? "")
      .split(",")
      .map((f) => f.trim())
      .filter((f) => f !== ""),
  }),
);

// ---- Answers ----

const hit = z.strictObject({
  id: z.string().meta({ description: "the document's id, as encode-corpus read it" }),
  score: z.number().meta({ description: "the dot product of the query vector and the document's quantized vector" }),
  fields: z.record(z.string(), z.unknown()).optional().meta({ description: "the stored fields asked for, when the document has them" }),
});
const searchAnswer = z
  .strictObject({
    hits: z.array(hit).meta({ description: "best first; equal scores in the index's document order" }),
    exact: z.literal(true).meta({ description: "always true: the exact top k by the dot product, never an approximation" }),
    k: z.int(),
    query_terms: z.int().meta({ description: "non-zero terms of the query vector that some document holds" }),
    documents: z.int().meta({ description: "documents in the index" }),
  })
  .openapi("SearchHits");

const SEARCH_HEADERS = {
  ...ENCODED_HEADERS,
  "Server-Timing": header(
    "tokenize, inference, search (its part fetches as index-fetch) and total, plus the model's and index's load on the request that loaded them",
    true,
  ),
  ETag: header("a strong tag of the answer: send it back as If-None-Match"),
  "X-Splade-Cache": header('"hit" or "miss": whether the answer came from the Cache API'),
};
const SEARCH_ERRORS = [...ENCODE_ERRORS, 503];

// ---- Routes ----

const searchPostRoute = createRoute({
  method: "post",
  path: "/search",
  summary: "The top-k documents of the deployed index for a query",
  description: `Encodes the query as /encode does and answers the k (1–${MAX_K}) documents of model/index with the largest dot product, exact. 503 index_unavailable when no index is deployed or it does not pair with the served query model.`,
  middleware: [rateLimit, encodeTiming, requireJson] as const,
  request: { body: jsonBody(searchBody, SEARCH_POST_EXAMPLES) },
  ...KEYED,
  responses: {
    200: {
      description: "The hits.",
      headers: SEARCH_HEADERS,
      content: { "application/json": { schema: searchAnswer, examples: answersOf(SEARCH_POST_EXAMPLES, 200) } },
    },
    304: { description: "If-None-Match named this answer's ETag." },
    ...errorResponses([...BODY_ERRORS, ...LIMITED_ERRORS, ...SEARCH_ERRORS], errorExamples(SEARCH_POST_EXAMPLES)),
  },
});

const searchGetRoute = createRoute({
  method: "get",
  path: "/search",
  summary: "The top-k documents for a query given in the query string",
  description: "POST /search with its options as query parameters (`fields` comma-separated).",
  middleware: [rateLimit, encodeTiming] as const,
  request: { query: searchQuery },
  ...KEYED,
  responses: {
    200: {
      description: "The hits.",
      headers: {
        ...SEARCH_HEADERS,
        "Cache-Control": header("public, max-age=SPLADE_CACHE_TTL; private when API keys are on"),
        Vary: header("Authorization when API keys are on; Origin when SPLADE_ALLOWED_ORIGINS lists origins"),
      },
      content: { "application/json": { schema: searchAnswer, examples: answersOf(SEARCH_GET_EXAMPLES, 200) } },
    },
    304: { description: "If-None-Match named this answer's ETag." },
    ...errorResponses([...LIMITED_ERRORS, ...SEARCH_ERRORS], errorExamples(SEARCH_GET_EXAMPLES)),
  },
});

// ---- The handler ----

async function answerSearch(c: Context<AppEnv>, request: SearchRequest): Promise<Response> {
  c.set("queries", [request.text]);
  const manifest = await isolateModel.manifest(c.env.ASSETS);
  const settings = settingsOf(c.env);
  const opening = isolateIndex.loaded() === undefined;
  const openStart = performance.now();
  const index = await isolateIndex.index(c.env.ASSETS, settings.indexCacheBytes, manifest);
  if (opening) setMetric(c, "index-open", performance.now() - openStart);
  const stored = index.manifest.stored;
  const unknown = request.fields.filter((f) => !stored.includes(f));
  if (unknown.length > 0) {
    throw new ApiError(
      "validation",
      stored.length === 0
        ? `fields: this index stores no fields (build it with \`splade-index build --store …\`) — asked for ${unknown.join(", ")}`
        : `fields: ${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not stored — stored: ${stored.join(", ")}`,
    );
  }

  const entry =
    settings.cacheTtl > 0
      ? await cacheEntry({ code: codeIdentity(c.env), manifest, index: index.manifest }, ["search", request.text, request.k, request.fields])
      : undefined;
  const cached = entry && (await answerFromCache(c, entry, settings));
  if (cached) return cached;

  const encoder = await loadEncoderTimed(c);
  const [vector] = await encodeTimed(c, encoder, [request.text], {}, (tokenized) => checkTokenBudget(tokenized, settings.maxBatchTokens));
  const before = index.parts.stats();
  startTime(c, "search");
  const { hits, stats } = await searchTopK(index, vector, request.k);
  const answered = await Promise.all(
    hits.map(async ({ doc, score }) => {
      const id = await index.documentId(doc);
      if (request.fields.length === 0) return { id, score };
      const stored = await index.documentFields(doc);
      return { id, score, fields: Object.fromEntries(request.fields.filter((f) => Object.hasOwn(stored, f)).map((f) => [f, stored[f]])) };
    }),
  );
  endTime(c, "search");
  const after = index.parts.stats();
  if (after.fetches > before.fetches)
    setMetric(c, "index-fetch", 0, `${after.fetches - before.fetches} parts, ${after.fetchedBytes - before.fetchedBytes} bytes`);
  const response = c.json({ hits: answered, exact: true, k: request.k, query_terms: stats.terms, documents: index.manifest.documents }, 200);
  if (entry) storeAnswer(c, entry, response, settings.cacheTtl);
  return response;
}

export function registerSearch(app: OpenAPIHono<AppEnv>): void {
  app.openapi(searchPostRoute, (c) => answerSearch(c, c.req.valid("json")));
  app.openapi(searchGetRoute, (c) => answerSearch(c, c.req.valid("query")));
}
