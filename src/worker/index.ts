// splade-edge's Worker: a query in, its SPLADE vector out in the caller's search engine format, plus TEI's
// /embed_sparse. Routes are thin: requests.ts checks input, model.ts loads and runs the model, the format registry
// (src/encoder/formats) writes the bytes, errors.ts maps every failure to its status.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { endTime, setMetric, startTime, timing, type TimingVariables } from "hono/timing";
import packageJson from "../../package.json";
import type { EncodedText, SpladeEncoder } from "../encoder/encoder.ts";
import { FormatError, FORMATS, type Format, QUERY_FORMAT_NAMES, renderQueries, teiSparse } from "../encoder/formats/index.ts";
import type { SparsifyOptions } from "../encoder/sparse.ts";
import type { TokenizedText } from "../encoder/tokenizer.ts";
import { afterResponse } from "./after-response";
import { corsForOrigins, requireApiKey, type AccessVariables } from "./access";
import { readBody } from "./body";
import { CACHED_HEADERS, cacheEntry, cachedAnswer, clientCaching, codeIdentity, storeAnswer } from "./cache";
import { ApiError, errorResponse, renderedError, TEI_ERROR_STATUS, type TeiErrorType } from "./errors";
import { checkTokenBudget, rateLimit } from "./limits";
import { requestLog, type LogVariables } from "./log";
import { isolateModel } from "./model";
import { registerPage } from "./page";
import { embedSparseRoute, encodeGetRoute, encodePostRoute, healthRoute, infoRoute, registerOpenApi } from "./openapi";
import { MAX_QUERIES, refuseInvalid, type EncodeRequest } from "./requests";

import { settingsOf, type Env } from "./settings";

export type { Env } from "./settings";

type AppEnv = { Bindings: Env; Variables: TimingVariables & AccessVariables & LogVariables };

const MAX_BODY_BYTES = 64 * 1024;

const RANDOM_WEIGHTS_WARNING =
  "this model's weights are random (a generated test model): its vectors mean nothing — run `npm run model -- fetch` for the real one";

// Routes are declared in openapi.ts (what they take and answer, GET /openapi.json); a request that fails their schemas
// is the 422 refuseInvalid throws.
const app = new OpenAPIHono<AppEnv>({ defaultHook: refuseInvalid });

app.use(requestLog);

// Once the manifest is known, every answer of a random-weights model says so, errors included; a request served
// before anything loaded the manifest (only /health can be) goes without.
app.use(async (c, next) => {
  await next();
  if (isolateModel.loadedManifest()?.random_weights) c.header("X-Splade-Random-Weights", "true");
});

app.use(corsForOrigins);

// Before anything may answer early (401, 413, 415, 429): the body is read whole, so the connection stays reusable.
app.use(readBody(MAX_BODY_BYTES));

app.use(
  methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) => {
      const allow = methods.toSorted().join(", ");
      const response = errorResponse(c, new ApiError("method_not_allowed", `${c.req.method} ${c.req.path} is not supported — allowed: ${allow}`));
      response.headers.set("Allow", allow);
      return response;
    },
  }),
);

app.use(requireApiKey);
// The routes that run the model count against the client's rate limit.
app.use("/encode", rateLimit);
app.use("/embed_sparse", rateLimit);

// performance.now() in a deployed Worker advances only on I/O (a Spectre mitigation), so these durations are
// coarse there; under `wrangler dev` they advance, to the millisecond.
app.use("/encode", timing({ totalDescription: "", crossOrigin: true }));
app.use("/embed_sparse", timing({ totalDescription: "", crossOrigin: true }));

/** The isolate's encoder; the request that waited for its load reports the load's stages in Server-Timing. */
async function loadEncoderTimed(c: Context<AppEnv>): Promise<SpladeEncoder> {
  const loaded = isolateModel.loadedModel() !== undefined;
  const { encoder, timings } = await isolateModel.model(c.env.ASSETS);
  if (!loaded) for (const [name, ms] of Object.entries(timings)) setMetric(c, name, ms);
  return encoder;
}

/** Tokenizes and encodes in one batch, reporting both stages in Server-Timing; `check` may refuse the tokenized texts. */
async function encodeTimed(
  c: Context<AppEnv>,
  encoder: SpladeEncoder,
  texts: readonly string[],
  options: SparsifyOptions,
  check?: (tokenized: readonly TokenizedText[]) => void,
): Promise<EncodedText[]> {
  startTime(c, "tokenize");
  const tokenized = texts.map((t) => encoder.tokenizer.encode(t));
  endTime(c, "tokenize");
  check?.(tokenized);
  startTime(c, "inference");
  const vectors = await encoder.encodeTokenized(tokenized, options);
  endTime(c, "inference");
  afterResponse(c, isolateModel.prepareInBackground(), "preparing the kernel's int8 decoder");
  c.header("X-Splade-Tokens", vectors.map((v) => v.tokens).join(","));
  c.header("X-Splade-Truncated", vectors.map((v) => v.truncated).join(","));
  return vectors;
}

async function answerEncode(c: Context<AppEnv>, request: EncodeRequest): Promise<Response> {
  c.set("queries", request.texts);
  const manifest = await isolateModel.manifest(c.env.ASSETS);
  const settings = settingsOf(c.env);
  const { cacheTtl, maxBatchTokens } = settings;
  const entry = cacheTtl > 0 ? await cacheEntry({ code: codeIdentity(c.env), manifest }, request) : undefined;
  if (entry) {
    c.header("ETag", entry.etag);
    if (c.req.method === "GET") for (const [name, value] of Object.entries(clientCaching(settings))) c.header(name, value);
    const hit = c.req.header("If-None-Match")?.includes(entry.etag) ? "not-modified" : await cachedAnswer(entry);
    c.header("X-Splade-Cache", hit ? "hit" : "miss");
    if (hit === "not-modified") return c.body(null, 304);
    if (hit) {
      for (const name of CACHED_HEADERS) c.header(name, hit.headers.get(name) ?? undefined);
      return c.body(await hit.arrayBuffer(), 200);
    }
  }
  const encoder = await loadEncoderTimed(c);
  const vectors = await encodeTimed(c, encoder, request.texts, { topK: request.topK, minWeight: request.minWeight }, (tokenized) =>
    checkTokenBudget(tokenized, maxBatchTokens),
  );
  // What only the encoded vectors show (an engine's limit on non-zero terms, a vector it would refuse empty) is the
  // caller's to change (top_k, min_weight): a 422 like any other request the engine would refuse.
  let rendered: { contentType: string; body: string };
  try {
    rendered = renderQueries(
      FORMATS[request.format],
      vectors.map((vector, i) => ({ vector, id: request.ids[i] })),
      { token: (id) => encoder.tokenizer.token(id), model: manifest.source.repo, vocabSize: manifest.vocab_size },
      request.options,
      request.single,
    );
  } catch (error) {
    if (error instanceof FormatError) throw new ApiError("validation", error.message, { cause: error });
    throw error;
  }
  const response = c.body(rendered.body, 200, { "Content-Type": rendered.contentType });
  if (entry) storeAnswer(c, entry, response, cacheTtl);
  return response;
}

app.openapi(healthRoute, (c) => c.json({ status: "ok" as const, model_loaded: isolateModel.loadedModel() !== undefined }, 200));

app.openapi(infoRoute, async (c) => {
  const manifest = await isolateModel.manifest(c.env.ASSETS);
  return c.json(
    {
      model: {
        repo: manifest.source.repo,
        revision: manifest.source.revision,
        commit: manifest.source.commit,
        license: manifest.source.license,
        sha256: manifest.edge ? (manifest.files[manifest.edge.file]?.sha256 ?? null) : null,
        weights_sha256: manifest.source.weights_sha256,
        architecture: manifest.architecture,
        max_length: manifest.max_length,
        vocab_size: manifest.vocab_size,
      },
      random_weights: manifest.random_weights,
      ...(manifest.random_weights ? { warning: RANDOM_WEIGHTS_WARNING } : {}),
      limits: { max_queries: MAX_QUERIES, max_body_bytes: MAX_BODY_BYTES },
      formats: QUERY_FORMAT_NAMES.map((name) => {
        const side = FORMATS[name].query as NonNullable<Format["query"]>;
        return { name, description: side.description, requires: side.requires, accepts: side.accepts };
      }),
      engine: { name: "splade-edge kernel", build: isolateModel.kernelBuild().name, head: "exact" },
      versions: { "splade-edge": packageJson.version, hono: packageJson.dependencies.hono },
    },
    200,
  );
});

app.openapi(encodePostRoute, (c) => answerEncode(c, c.req.valid("json")));

app.openapi(encodeGetRoute, (c) => answerEncode(c, c.req.valid("query")));

// Text-embeddings-inference's request and response, and its answers to an empty list, an empty, too long or one too
// many input as TEI v1.9.3 gives them (router/src/http/server.rs, core/src/tokenization.rs), so TEI clients work
// unchanged. TEI's wire spelling (its `error_type` and status) is this route's own: thrown as a `validation`
// ApiError, rendered here by teiError.
app.openapi(embedSparseRoute, async (c) => {
  const { inputs, truncate } = c.req.valid("json");
  if (inputs.length === 0) teiError(c, "Empty", "`inputs` cannot be empty");
  if (inputs.some((s) => s === "")) teiError(c, "Validation", "Input validation error: `inputs` cannot be empty");
  if (inputs.length > MAX_QUERIES) teiError(c, "Validation", `batch size ${inputs.length} > maximum allowed batch size ${MAX_QUERIES}`);
  const encoder = await loadEncoderTimed(c);
  try {
    const vectors = await encodeTimed(c, encoder, inputs, {}, (tokenized) => {
      checkTokenBudget(tokenized, settingsOf(c.env).maxBatchTokens);
      const tooLong = truncate ? undefined : tokenized.find((t) => t.truncated);
      if (tooLong) {
        const max = encoder.tokenizer.maxLength;
        throw new ApiError("validation", `Input validation error: \`inputs\` must have less than ${max} tokens. Given: ${tooLong.length}`);
      }
    });
    return c.json(vectors.map(teiSparse), 200);
  } catch (error) {
    if (error instanceof ApiError && error.kind === "validation") teiError(c, "Validation", error.message);
    throw error;
  }
});

/** Ends the request with TEI's error body, `{"error", "error_type"}` with TEI's own type and status (errorResponse sends it). */
function teiError(c: Context, type: TeiErrorType, message: string): never {
  c.set("errorType", type);
  throw renderedError(c.json({ error: message, error_type: type }, TEI_ERROR_STATUS[type]));
}

registerPage(app);
registerOpenApi(app);

app.notFound((c) => errorResponse(c, new ApiError("not_found", `no route for ${c.req.method} ${c.req.path} — see GET /info`)));

app.onError((error, c) => errorResponse(c, error));

export default app;
