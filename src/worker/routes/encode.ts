// POST /encode and GET /encode: one query or a batch in, each query's SPLADE vector out in the caller's search engine
// format. Everything about the route is here: what it accepts (the schemas that validate it, which GET /openapi.json
// publishes), what it answers (each format's own answer schema, from the format registry), its examples, and the
// handler, which answers repeated requests from the Cache API (../cache.ts).
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  FORMATS,
  idProblem,
  optionProblems,
  QUERY_FORMAT_NAMES,
  renderQueries,
  type Format,
  type FormatName,
  type FormatOptions,
  type OptionName,
} from "../../encoder/formats/index.ts";
import { answerFromCache, cacheEntry, codeIdentity, storeAnswer } from "../cache";
import { checkTokenBudget, MAX_QUERIES, rateLimit } from "../limits";
import { isolateModel } from "../model";
import {
  answersOf,
  BODY_ERRORS,
  ENCODE_ERRORS,
  ENCODED_HEADERS,
  errorExamples,
  errorResponses,
  EXAMPLE_MODEL,
  type Example,
  header,
  invalid,
  jsonAnswer,
  jsonBody,
  KEYED,
  LIMITED_ERRORS,
  parameterExamples,
  MODEL_HEADERS,
  TEXT_PLAIN,
  textAnswer,
} from "../openapi";
import { fieldsOf, fromQueryString, requireJson, text } from "../requests";
import { settingsOf, type AppEnv } from "../settings";
import { encodeTimed, encodeTiming, loadEncoderTimed } from "./encoding";

// ---- Examples ----

const RED_PLANET = "which planet is known as the red planet";
const header4 = { model: EXAMPLE_MODEL, tokens: 4, truncated: false };
const header11 = { model: EXAMPLE_MODEL, tokens: 11, truncated: false };
const RED = { mars: 2.41, planet: 2.02, red: 1.87 };
const RED_IDS = { indices: [7733, 4774, 2417], values: [2.41, 2.02, 1.87] };
const formatList = QUERY_FORMAT_NAMES.join(", ");

const ENCODE_POST_EXAMPLES: Record<string, Example> = {
  terms: {
    summary: "One query, the 5 heaviest terms (format terms, the default)",
    request: { query: RED_PLANET, top_k: 5 },
    response: jsonAnswer({ ...header11, terms: { ...RED, known: 0.93, planets: 0.71 } }),
  },
  "ids-batch": {
    summary: "A batch as token ids: one answer per query, in order",
    request: { queries: ["red planet", "ringed planet"], format: "ids", top_k: 3 },
    response: jsonAnswer([
      { ...header4, ...RED_IDS },
      { ...header4, indices: [4774, 3614, 7635], values: [2.2, 1.95, 1.4] },
    ]),
  },
  elasticsearch: {
    summary: "An Elasticsearch sparse_vector query on the field splade",
    request: { query: "red planet", format: "elasticsearch", field: "splade", top_k: 3 },
    response: jsonAnswer({ query: { sparse_vector: { field: "splade", query_vector: RED, prune: false } } }),
  },
  opensearch: {
    summary: "An OpenSearch neural_sparse query on the field splade",
    request: { query: "red planet", format: "opensearch", field: "splade", top_k: 3 },
    response: jsonAnswer({ query: { neural_sparse: { splade: { query_tokens: RED } } } }),
  },
  qdrant: {
    summary: "A Qdrant Query API body for the named vector splade",
    request: { query: "red planet", format: "qdrant", field: "splade", top_k: 3 },
    response: jsonAnswer({ query: RED_IDS, using: "splade" }),
  },
  pinecone: {
    summary: "A Pinecone sparse query vector (at most 1,000 terms)",
    request: { query: "red planet", format: "pinecone", top_k: 3 },
    response: jsonAnswer({ sparseVector: RED_IDS }),
  },
  vespa: {
    summary: "A Vespa query input for query(q)",
    request: { query: "red planet", format: "vespa", top_k: 3 },
    response: jsonAnswer({ "input.query(q)": RED }),
  },
  milvus: {
    summary: "A Milvus search body part for the field splade",
    request: { query: "red planet", format: "milvus", field: "splade", top_k: 3 },
    response: jsonAnswer({ data: [{ "7733": 2.41, "4774": 2.02, "2417": 1.87 }], annsField: "splade" }),
  },
  pgvector: {
    summary: "A pgvector sparsevec literal (1-based indices)",
    request: { query: "red planet", format: "pgvector", top_k: 3 },
    response: textAnswer("{2418:1.87,4775:2.02,7734:2.41}/30522\n"),
  },
  anserini: {
    summary: "Anserini topic lines with their ids, each term repeated round(w × 10) times",
    request: { queries: ["red planet", "ringed planet"], ids: ["q1", "q2"], format: "anserini", top_k: 2, quantize: 10 },
    response: textAnswer(`q1\t${"mars ".repeat(24)}${"planet ".repeat(20).trimEnd()}\nq2\t${"planet ".repeat(22)}${"ring ".repeat(20).trimEnd()}\n`),
  },
  pisa: {
    summary: "A PISA query line, each term repeated round(w × 10) times",
    request: { query: "red planet", id: 7, format: "pisa", top_k: 2, quantize: 10 },
    response: textAnswer(`7:${"mars ".repeat(24)}${"planet ".repeat(20).trimEnd()}\n`),
  },
  "no-query": {
    summary: 'Neither "query" nor "queries"',
    request: { top_k: 3 },
    response: invalid('give either "query": "…" or "queries": ["…", …] (exactly one of them)'),
  },
  "empty-query": { summary: "An empty query", request: { query: " " }, response: invalid("query must not be empty or whitespace only") },
  "unknown-field": {
    summary: "A misspelt field",
    request: { query: "mars", topk: 3 },
    response: invalid('unknown field "topk" — valid: query, queries, id, ids, top_k, min_weight, format, field, quantize'),
  },
  "unknown-format": {
    summary: "A format that does not exist",
    request: { query: "mars", format: "solr" },
    response: invalid(`format must be one of ${formatList} (got "solr")`),
  },
  "missing-field": {
    summary: "A format that needs field, without it",
    request: { query: "mars", format: "qdrant" },
    response: invalid('format "qdrant" requires the "field" option for queries'),
  },
  "bad-top_k": { summary: "top_k that is not a positive integer", request: { query: "mars", top_k: 0 }, response: invalid("top_k must be a positive integer") },
};

const ENCODE_GET_EXAMPLES: Record<string, Example> = {
  terms: { summary: "One query, the 3 heaviest terms", request: { q: "red planet", top_k: 3 }, response: jsonAnswer({ ...header4, terms: RED }) },
  qdrant: {
    summary: "A Qdrant Query API body",
    request: { q: "red planet", format: "qdrant", field: "splade", top_k: 3 },
    response: jsonAnswer({ query: RED_IDS, using: "splade" }),
  },
  pgvector: {
    summary: "A pgvector sparsevec literal",
    request: { q: "red planet", format: "pgvector", top_k: 3 },
    response: textAnswer("{2418:1.87,4775:2.02,7734:2.41}/30522\n"),
  },
  "no-q": { summary: "No q", request: { top_k: 3 }, response: invalid("q is required") },
  "bad-min_weight": { summary: "A negative min_weight", request: { q: "mars", min_weight: -1 }, response: invalid("min_weight must be a number ≥ 0") },
  "field-not-taken": {
    summary: "field for a format that takes none",
    request: { q: "mars", field: "f" },
    response: invalid('format "terms" takes no "field" option for queries'),
  },
};

// ---- Requests ----

// Anserini and PISA lines repeat each term round(w × quantize) times: the bound keeps one response in megabytes.
const MAX_QUANTIZE = 1000;

/** A request for /encode, whichever way it came (POST body or GET query string). */
export interface EncodeRequest {
  texts: string[];
  /** Query ids, one per text (anserini/pisa lines); "0", "1", … unless given. */
  ids: string[];
  /** A single query (`query`, `q`) is answered with the bare rendering, a batch (`queries`) with a list. */
  single: boolean;
  topK?: number;
  minWeight?: number;
  format: FormatName;
  options: FormatOptions;
}

const querySide = (name: FormatName) => FORMATS[name].query as NonNullable<Format["query"]>;
const formatsWhere = (test: (name: FormatName) => boolean) => QUERY_FORMAT_NAMES.filter(test).join(", ");
const quantizing = QUERY_FORMAT_NAMES.filter((n) => FORMATS[n].defaultQuantize !== undefined);
const needs = (option: OptionName) => `required by ${formatsWhere((n) => querySide(n).requires.includes(option))}`;

const queryId = z.union([z.string(), z.int().nonnegative()], { error: "must be a string or a non-negative integer" }).transform(String);
const topK = z.int({ error: "must be a positive integer" }).min(1, { error: "must be a positive integer" });
const minWeight = z.number({ error: "must be a number ≥ 0" }).min(0, { error: "must be a number ≥ 0" });
const format = z
  .enum(QUERY_FORMAT_NAMES as [FormatName, ...FormatName[]], {
    error: (issue) =>
      typeof issue.input === "string" ? `must be one of ${QUERY_FORMAT_NAMES.join(", ")} (got ${JSON.stringify(issue.input)})` : "must be a string",
  })
  .meta({
    description: [
      "The shape of the answer, one search engine's query syntax or the model's own view (default `terms`):",
      ...QUERY_FORMAT_NAMES.map((n) => {
        const side = querySide(n);
        const requires = side.requires.length > 0 ? `; requires ${side.requires.join(", ")}` : "";
        return `- \`${n}\` (${side.kind === "text" ? "text/plain" : "application/json"}${requires}): ${side.description}`;
      }),
    ].join("\n"),
    default: "terms",
    "x-enumDescriptions": Object.fromEntries(QUERY_FORMAT_NAMES.map((n) => [n, querySide(n).description])),
  });
const field = z
  .string({ error: "must be a string" })
  .min(1, { error: "must not be empty" })
  .meta({
    description: `The engine's field, named vector or query input: ${needs("field")}; taken by ${formatsWhere((n) => querySide(n).accepts.includes("field"))}; refused by the others.`,
  });
const quantize = z
  .int({ error: `must be an integer from 1 to ${MAX_QUANTIZE}` })
  .min(1, { error: `must be an integer from 1 to ${MAX_QUANTIZE}` })
  .max(MAX_QUANTIZE, { error: `must be an integer from 1 to ${MAX_QUANTIZE}` })
  .meta({
    description: `Integer factor: weights become round-half-even(w × quantize), zeros dropped. Default ${quantizing.map((n) => `${FORMATS[n].defaultQuantize} for ${n}`).join(", ")}; none for the others.`,
  });
const TOP_K = "Keep the k heaviest terms (default: every non-zero term).";
const MIN_WEIGHT = "Keep the terms whose weight is ≥ this, compared in float32 (so a weight copied from an answer keeps its term).";

interface RawEncode {
  texts: string[];
  ids?: string[];
  single: boolean;
  top_k?: number;
  min_weight?: number;
  format?: string;
  field?: string;
  quantize?: number;
}

/** Checks what depends on the format (required and unused options, field and id syntax) and settles the defaults. */
function finishEncode(raw: RawEncode, ctx: z.RefinementCtx): EncodeRequest {
  const name = (raw.format ?? "terms") as FormatName;
  const f = FORMATS[name];
  const options: FormatOptions = { field: raw.field, quantize: raw.quantize };
  const ids = raw.ids ?? raw.texts.map((_, i) => String(i));
  const problems = [...optionProblems(f, "query", options), ...ids.map((id) => idProblem(f, "query", id))];
  for (const message of problems) if (message !== undefined) ctx.addIssue({ code: "custom", message });
  // Weights are float32, printed as the shortest decimal that reads back as the same float32, which can lie just above
  // it: compared in float32, a min_weight copied from a response keeps that term.
  const minWeight = raw.min_weight === undefined ? undefined : Math.fround(raw.min_weight);
  return { texts: raw.texts, ids, single: raw.single, topK: raw.top_k, minWeight, format: name, options };
}

/** POST /encode: `{"query": "…"}` or `{"queries": ["…", …]}` plus options. */
const encodeBody = fieldsOf(
  {
    query: text.optional().meta({ description: 'One query; the answer is one result. Give either "query" or "queries".' }),
    queries: z
      .array(text, { error: "must be a list of strings" })
      .min(1, { error: "must hold at least one query" })
      .max(MAX_QUERIES, {
        error: (issue) => `must hold at most ${MAX_QUERIES} queries (got ${(issue.input as unknown[]).length}) — split the batch`,
      })
      .optional()
      .meta({ description: `1 to ${MAX_QUERIES} queries; the answer is a JSON array in their order, or one line per query for text formats.` }),
    id: queryId.optional().meta({ description: 'The id of the single "query" in text formats (anserini, pisa lines; default "0").' }),
    ids: z
      .array(queryId, { error: "must be a list of query ids" })
      .optional()
      .meta({ description: 'One id per query of "queries" for text formats (anserini, pisa lines; default "0", "1", …).' }),
    top_k: topK.optional().meta({ description: TOP_K }),
    min_weight: minWeight.optional().meta({ description: MIN_WEIGHT }),
    format: format.optional(),
    field: field.optional(),
    quantize: quantize.optional(),
  },
  "field",
)
  .meta({
    description: 'Exactly one of "query" and "queries"; "id" goes with "query", "ids" (one per query) with "queries".',
    oneOf: [{ required: ["query"] }, { required: ["queries"] }],
  })
  .transform((body, ctx) => {
    const { query, queries, id, ids, ...options } = body;
    if ((query === undefined) === (queries === undefined)) {
      ctx.addIssue({ code: "custom", message: 'give either "query": "…" or "queries": ["…", …] (exactly one of them)' });
      return z.NEVER;
    }
    if (query !== undefined && ids !== undefined) ctx.addIssue({ code: "custom", message: '"ids" goes with "queries"; a single "query" takes "id"' });
    if (queries !== undefined && id !== undefined) ctx.addIssue({ code: "custom", message: '"id" goes with "query"; "queries" take "ids"' });
    if (queries !== undefined && ids !== undefined && ids.length !== queries.length) {
      ctx.addIssue({ code: "custom", message: `ids must hold one id per query (got ${ids.length} ids for ${queries.length} queries)` });
    }
    const texts = query !== undefined ? [query] : (queries as string[]);
    const given = query !== undefined ? (id === undefined ? undefined : [id]) : ids;
    return finishEncode({ texts, ids: given, single: query !== undefined, ...options }, ctx);
  });

/** A query parameter of GET /encode, with its examples. */
const parameter = <T extends z.ZodType>(name: string, schema: T) => schema.meta(parameterExamples(ENCODE_GET_EXAMPLES, name));

/** GET /encode?q=…: one query, options as query parameters. */
export const encodeQuery = fieldsOf(
  {
    q: parameter("q", text.meta({ description: "The query; the answer is one result." })),
    id: parameter(
      "id",
      z.string({ error: "must be given once" }).optional().meta({ description: 'The query\'s id in text formats (anserini, pisa lines; default "0").' }),
    ),
    top_k: parameter("top_k", fromQueryString(topK).optional().meta({ description: TOP_K })),
    min_weight: parameter("min_weight", fromQueryString(minWeight).optional().meta({ description: MIN_WEIGHT })),
    format: parameter("format", format.optional()),
    field: parameter("field", field.optional()),
    quantize: parameter("quantize", fromQueryString(quantize).optional()),
  },
  "parameter",
).transform(({ q, id, ...options }, ctx) => finishEncode({ texts: [q], ids: id === undefined ? undefined : [id], single: true, ...options }, ctx));

// ---- Answers ----

const TEXT_FORMATS = QUERY_FORMAT_NAMES.filter((n) => querySide(n).kind === "text");

/** Each JSON format's answer to one query, as the format declares it, named as a component (TermsAnswer, …). */
const jsonAnswers = QUERY_FORMAT_NAMES.flatMap((name) => {
  const side = querySide(name);
  return side.kind === "json" ? [side.answer(z).openapi(`${name[0].toUpperCase()}${name.slice(1)}Answer`, { title: name, description: side.description })] : [];
});
const [firstAnswer, ...otherAnswers] = jsonAnswers;
const oneAnswer = z.union([firstAnswer, ...otherAnswers]);
const encodeJson = z.union([oneAnswer, z.array(oneAnswer).meta({ description: "a batch: one answer per query, in order" })]).meta({
  description: 'One query\'s answer in the requested format, or a JSON array of them for "queries".',
});
const encodeText = z.string().meta({
  description: `${TEXT_FORMATS.join(", ")}: one line per query, each ending in "\\n", so answers concatenate into a query file.`,
});

// ../cache.ts: with SPLADE_CACHE_TTL > 0, answers are cached per code, model and normalized request.
const CACHE_HEADERS = {
  ETag: header("a strong tag of the answer (the same code, model and request always give the same bytes): send it back as If-None-Match"),
  "X-Splade-Cache": header('"hit" or "miss": whether the answer came from the Cache API'),
};
const NOT_MODIFIED = { description: "If-None-Match named this answer's ETag: nothing changed.", headers: { ...MODEL_HEADERS, ...CACHE_HEADERS } };

// ---- Routes ----

const encodePostRoute = createRoute({
  method: "post",
  path: "/encode",
  summary: "Encode one query or a batch into a search engine's query syntax",
  description: `One query ("query") or 1 to ${MAX_QUERIES} ("queries") as a SPLADE vector in the requested format. JSON formats answer application/json (a batch: a JSON array); ${TEXT_FORMATS.join(", ")} answer text/plain, one line per query.`,
  middleware: [rateLimit, encodeTiming, requireJson] as const,
  request: { body: jsonBody(encodeBody, ENCODE_POST_EXAMPLES) },
  ...KEYED,
  responses: {
    200: {
      description: "The vector(s) in the requested format.",
      headers: { ...ENCODED_HEADERS, ...CACHE_HEADERS },
      content: {
        "application/json": { schema: encodeJson, examples: answersOf(ENCODE_POST_EXAMPLES, 200, "application/json") },
        [TEXT_PLAIN]: { schema: encodeText, examples: answersOf(ENCODE_POST_EXAMPLES, 200, TEXT_PLAIN) },
      },
    },
    304: NOT_MODIFIED,
    ...errorResponses([...BODY_ERRORS, ...LIMITED_ERRORS, ...ENCODE_ERRORS], errorExamples(ENCODE_POST_EXAMPLES)),
  },
});

const encodeGetRoute = createRoute({
  method: "get",
  path: "/encode",
  summary: "Encode one query given in the query string",
  description:
    "POST /encode for a single query, its options as query parameters (GET answers can be cached by the browser, and by shared caches such as CDNs when no API key is needed).",
  middleware: [rateLimit, encodeTiming] as const,
  request: { query: encodeQuery },
  ...KEYED,
  responses: {
    200: {
      description: "The vector in the requested format.",
      headers: {
        ...ENCODED_HEADERS,
        ...CACHE_HEADERS,
        "Cache-Control": header("public, max-age=SPLADE_CACHE_TTL; private, max-age=SPLADE_CACHE_TTL when API keys are on (SPLADE_API_KEYS)"),
        Vary: header("Authorization when API keys are on; Origin when SPLADE_ALLOWED_ORIGINS lists origins"),
      },
      content: {
        "application/json": { schema: oneAnswer, examples: answersOf(ENCODE_GET_EXAMPLES, 200, "application/json") },
        [TEXT_PLAIN]: { schema: encodeText, examples: answersOf(ENCODE_GET_EXAMPLES, 200, TEXT_PLAIN) },
      },
    },
    304: NOT_MODIFIED,
    ...errorResponses([...LIMITED_ERRORS, ...ENCODE_ERRORS], errorExamples(ENCODE_GET_EXAMPLES)),
  },
});

// ---- The handler ----

async function answerEncode(c: Context<AppEnv>, request: EncodeRequest): Promise<Response> {
  c.set("queries", request.texts);
  const manifest = await isolateModel.manifest(c.env.ASSETS);
  const settings = settingsOf(c.env);
  const { cacheTtl, maxBatchTokens } = settings;
  const { texts, ids, single, topK, minWeight, format, options } = request;
  const canonical = ["encode", texts, ids, single, topK ?? null, minWeight ?? null, format, options.field ?? null, options.quantize ?? null];
  const entry = cacheTtl > 0 ? await cacheEntry({ code: codeIdentity(c.env), manifest }, canonical) : undefined;
  const cached = entry && (await answerFromCache(c, entry, settings));
  if (cached) return cached;
  const encoder = await loadEncoderTimed(c);
  const vectors = await encodeTimed(c, encoder, request.texts, { topK: request.topK, minWeight: request.minWeight }, (tokenized) =>
    checkTokenBudget(tokenized, maxBatchTokens),
  );
  // What only the encoded vectors show (an engine's limit on non-zero terms, a vector it would refuse empty) throws a
  // FormatError: errors.ts answers it 422, the caller's to change (top_k, min_weight).
  const rendered = renderQueries(
    FORMATS[request.format],
    vectors.map((vector, i) => ({ vector, id: request.ids[i] })),
    { token: (id) => encoder.tokenizer.token(id), model: manifest.source.repo, vocabSize: manifest.vocab_size },
    request.options,
    request.single,
  );
  const response = c.body(rendered.body, 200, { "Content-Type": rendered.contentType });
  if (entry) storeAnswer(c, entry, response, cacheTtl);
  return response;
}

export function registerEncode(app: OpenAPIHono<AppEnv>): void {
  app.openapi(encodePostRoute, (c) => answerEncode(c, c.req.valid("json")));
  app.openapi(encodeGetRoute, (c) => answerEncode(c, c.req.valid("query")));
}
