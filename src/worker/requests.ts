// What /encode and /embed_sparse accept, checked before the model is touched. Every problem becomes a 422 (413 where
// TEI says so) whose message names the field and what it must be, e.g. "top_k must be a positive integer". The same
// schemas are the request side of GET /openapi.json (openapi.ts): the descriptions below are what it shows per field.
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import {
  FORMATS,
  idProblem,
  optionProblems,
  QUERY_FORMAT_NAMES,
  type Format,
  type FormatName,
  type FormatOptions,
  type OptionName,
} from "../encoder/formats/index.ts";
import { ApiError } from "./errors";

/** Most queries one request may encode. */
export const MAX_QUERIES = 64;

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

/** A request for TEI's /embed_sparse. */
export interface EmbedSparseRequest {
  inputs: string[];
  truncate: boolean;
}

const querySide = (name: FormatName) => FORMATS[name].query as NonNullable<Format["query"]>;
const formatsWhere = (test: (name: FormatName) => boolean) => QUERY_FORMAT_NAMES.filter(test).join(", ");
const quantizing = QUERY_FORMAT_NAMES.filter((n) => FORMATS[n].defaultQuantize !== undefined);
const needs = (option: OptionName) => `required by ${formatsWhere((n) => querySide(n).requires.includes(option))}`;

const text = z
  .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
  .regex(/\S/, { error: "must not be empty or whitespace only" });
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

// Query strings carry numbers as text; a value that is no number stays text and fails with the same message.
function fromQueryString<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v), schema);
}

function objectOf<S extends z.core.$ZodLooseShape>(shape: S, what: string) {
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === "unrecognized_keys") {
        return `unknown ${what} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")} — valid: ${Object.keys(shape).join(", ")}`;
      }
      if (issue.code === "invalid_type") return `the request body must be a JSON object`;
      return undefined;
    },
  });
}

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
export const encodeBody = objectOf(
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

/** GET /encode?q=…: one query, options as query parameters. */
export const encodeQuery = objectOf(
  {
    q: text.meta({ description: "The query; the answer is one result." }),
    id: z.string({ error: "must be given once" }).optional().meta({ description: 'The query\'s id in text formats (anserini, pisa lines; default "0").' }),
    top_k: fromQueryString(topK).optional().meta({ description: TOP_K }),
    min_weight: fromQueryString(minWeight).optional().meta({ description: MIN_WEIGHT }),
    format: format.optional(),
    field: field.optional(),
    quantize: fromQueryString(quantize).optional(),
  },
  "parameter",
).transform(({ q, id, ...options }, ctx) => finishEncode({ texts: [q], ids: id === undefined ? undefined : [id], single: true, ...options }, ctx));

/** POST /embed_sparse as text-embeddings-inference takes it; fields TEI knows and we do not use are ignored. */
export const embedSparseBody = z
  .object(
    {
      inputs: z
        .union([z.string(), z.array(z.string())], { error: "must be a string or a list of strings" })
        .meta({ description: `One text or a list of 1 to ${MAX_QUERIES}; the answer is one list of {index, value} per text.` }),
      truncate: z
        .boolean({ error: "must be true or false" })
        .nullish()
        .meta({ description: "Cut a text longer than the model's maximum length (keeping the final [SEP]) instead of refusing it (default false)." }),
      truncation_direction: z
        .literal("Right", {
          error: (issue) =>
            typeof issue.input === "string"
              ? `${JSON.stringify(issue.input)} is not supported: splade-edge truncates on the right, keeping the final [SEP] (must be "Right")`
              : 'must be "Right"',
        })
        .nullish()
        // zod-to-openapi 9 writes a nullable literal as {"type": ["string", "null"], "enum": ["Right"]}, which refuses null.
        .meta({ description: 'Only "Right" (TEI\'s default) is supported.', enum: ["Right", null] }),
    },
    { error: "the request body must be a JSON object" },
  )
  .transform(({ inputs, truncate }): EmbedSparseRequest => ({ inputs: typeof inputs === "string" ? [inputs] : inputs, truncate: truncate ?? false }));

function describe(issue: z.core.$ZodIssue): string {
  const name = issue.path.reduce<string>((s, key) => (typeof key === "number" ? `${s}[${key}]` : s ? `${s}.${String(key)}` : String(key)), "");
  return name === "" ? issue.message : `${name} ${issue.message}`;
}

/** The routes' validation hook (OpenAPIHono's defaultHook): the first problem, named by its field, is the 422. */
export function refuseInvalid(result: { success: true } | { success: false; error: z.ZodError }): void {
  if (!result.success) throw new ApiError("validation", describe(result.error.issues[0]));
}

/**
 * 415 unless the body is declared `application/json` (parameters such as charset allowed), 400 unless it parses.
 * Hono's json validator would read any other type as `{}` and leave a malformed body to a bare HTTPException.
 */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const type = c.req.header("content-type") ?? "";
  if (type.split(";")[0].trim().toLowerCase() !== "application/json") {
    const got = type === "" ? "no Content-Type" : `Content-Type ${JSON.stringify(type)}`;
    throw new ApiError("unsupported_media_type", `send the body as JSON with Content-Type: application/json (got ${got})`);
  }
  try {
    await c.req.json();
  } catch (cause) {
    throw new ApiError("invalid_json", `the request body is not valid JSON: ${(cause as Error).message}`);
  }
  await next();
};
