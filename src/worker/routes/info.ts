// GET /info: what this Worker runs — the model, its kind and licence, its sha256s, the engine (the kernel build, or the
// inference-free weight table), the limits, every query format with the options it needs, the versions.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import packageJson from "../../../package.json";
import { FORMATS, type Format, type FormatName, QUERY_FORMAT_NAMES } from "../../encoder/formats/index.ts";
import { MAX_BODY_BYTES, MAX_QUERIES } from "../limits";
import { indexBytes } from "../../index/format.ts";
import type { IndexReader } from "../../index/reader.ts";
import { ApiError } from "../errors";
import { isolateModel } from "../model";
import { isolateIndex } from "../search-index";
import { EXAMPLE_MODEL, errorResponses, KEYED, KEYED_ERRORS, MODEL_HEADERS } from "../openapi";
import { settingsOf, type AppEnv } from "../settings";

const RANDOM_WEIGHTS_WARNING =
  "this model's weights are random (a generated test model): its vectors mean nothing — run `npm run model -- fetch` for the real one";

/** What does not depend on the model: the limits, the formats, the versions. */
const fixedPart = {
  limits: { max_queries: MAX_QUERIES, max_body_bytes: MAX_BODY_BYTES },
  formats: QUERY_FORMAT_NAMES.map((name) => {
    const side = FORMATS[name].query as NonNullable<Format["query"]>;
    return { name, description: side.description, requires: [...side.requires], accepts: [...side.accepts] };
  }),
  versions: { "splade-edge": packageJson.version, hono: packageJson.dependencies.hono },
};

const infoAnswer = z.strictObject({
  model: z.strictObject({
    repo: z.string(),
    revision: z.string().nullable(),
    commit: z.string().nullable(),
    kind: z.enum(["transformer", "inference-free"]).meta({
      description: "transformer: a query encoder run on the kernel; inference-free: the query's own tokens, each weighted by a fixed table (no model run)",
    }),
    license: z.string().nullable().meta({ description: "the weights' licence as the manifest records it; null when it records none (unknown)" }),
    sha256: z.string().nullable().meta({ description: "sha256 of the file the Worker runs: encoder.bin, or an inference-free model's static-weights.bin" }),
    weights_sha256: z
      .string()
      .nullable()
      .meta({ description: "sha256 of the source weights it was converted from; null for an inference-free model of uniform weights (no file)" }),
    architecture: z.string().nullable().meta({ description: "the transformer's architecture; null for an inference-free model" }),
    max_length: z.int(),
    vocab_size: z.int(),
  }),
  random_weights: z.boolean().meta({ description: "true for a generated test model, whose vectors mean nothing" }),
  warning: z.string().optional().meta({ description: "present when random_weights is true" }),
  limits: z.strictObject({ max_queries: z.int(), max_body_bytes: z.int() }),
  formats: z.array(
    z.strictObject({
      name: z.enum(QUERY_FORMAT_NAMES as [FormatName, ...FormatName[]]),
      description: z.string(),
      requires: z.array(z.string()).readonly(),
      accepts: z.array(z.string()).readonly(),
    }),
  ),
  engine: z.strictObject({
    name: z.string(),
    build: z.string().nullable().meta({ description: "the kernel build; null for an inference-free model (no kernel)" }),
    head: z.string().nullable(),
  }),
  versions: z.strictObject({ "splade-edge": z.string(), hono: z.string() }),
  index: z
    .strictObject({
      documents: z.int(),
      terms: z.int(),
      postings: z.int(),
      bytes: z.int().meta({ description: "the index's files together" }),
      files: z.int(),
      stored: z.array(z.string()).meta({ description: "the fields /search can return (`fields`)" }),
      document_model: z.strictObject({
        model: z.string().nullable().meta({ description: "the catalogue model the documents were encoded with; null outside the catalogue" }),
        repo: z.string(),
        weights_sha256: z.string().nullable(),
        manifest_sha256: z.string(),
        random_weights: z.boolean(),
      }),
      cache: z
        .strictObject({
          budget_bytes: z.int().meta({ description: "SPLADE_INDEX_CACHE_MB: most bytes of index parts this isolate keeps" }),
          bytes: z.int(),
          parts: z.int(),
        })
        .meta({ description: "this isolate's cache of index parts, now" }),
    })
    .nullable()
    .meta({ description: "the search index /search answers from (model/index); null when none is deployed" }),
  index_problem: z.string().optional().meta({ description: "why /search answers 503: the index is missing, unreadable or does not pair with the model" }),
});

const infoRoute = createRoute({
  method: "get",
  path: "/info",
  summary: "The model, its engine, limits and every query format",
  ...KEYED,
  responses: {
    200: {
      description: "What this Worker runs.",
      headers: MODEL_HEADERS,
      content: {
        "application/json": {
          schema: infoAnswer,
          examples: {
            info: {
              summary: "The real query model (encoder.bin's sha256 illustrative)",
              value: {
                model: {
                  repo: EXAMPLE_MODEL,
                  revision: "main",
                  commit: "c161697c46fb8a5d2751efa22d60cf3e1b586fa1",
                  kind: "transformer",
                  license: "cc-by-nc-sa-4.0",
                  sha256: "5f1e8c4b7a2d9e03c6b1f4a8d2e7c9b0a3f6e1d4c7b2a5f8e0d3c6b9a2f5e8d1",
                  weights_sha256: "7d8415d9ac4d1d5ef92f005cbb5d39762fcd3e62cc83d946fb2adf4181955a8c",
                  architecture: "BertForMaskedLM",
                  max_length: 256,
                  vocab_size: 30522,
                },
                random_weights: false,
                limits: fixedPart.limits,
                formats: fixedPart.formats,
                engine: { name: "splade-edge kernel", build: "relaxed-simd", head: "exact" },
                versions: fixedPart.versions,
                index: null,
                index_problem:
                  "model/index/index.json is missing — build one with `npx splade-index build <encode-corpus ids files> --output model/index`, then restart",
              },
            },
          },
        },
      },
    },
    ...errorResponses([...KEYED_ERRORS, 500, 503]),
  },
});

function describeIndex(reader: IndexReader) {
  const m = reader.manifest;
  const cache = reader.parts.stats();
  return {
    documents: m.documents,
    terms: m.terms,
    postings: m.postings,
    bytes: indexBytes(m),
    files: Object.keys(m.files).length,
    stored: m.stored,
    document_model: m.document_model,
    cache: { budget_bytes: reader.parts.budgetBytes, bytes: cache.bytes, parts: cache.parts },
  };
}

export function registerInfo(app: OpenAPIHono<AppEnv>): void {
  app.openapi(infoRoute, async (c) => {
    const manifest = await isolateModel.manifest(c.env.ASSETS);
    const index = await isolateIndex.index(c.env.ASSETS, settingsOf(c.env).indexCacheBytes, manifest).then(
      (reader) => ({ reader, problem: undefined }),
      (error: unknown) => {
        if (error instanceof ApiError && error.kind === "index_unavailable") return { reader: isolateIndex.loaded(), problem: error.message };
        throw error;
      },
    );
    const inferenceFree = manifest.kind === "inference-free";
    return c.json(
      {
        model: {
          repo: manifest.source.repo,
          revision: manifest.source.revision,
          commit: manifest.source.commit,
          kind: manifest.kind ?? "transformer",
          license: manifest.source.license,
          sha256: inferenceFree ? (manifest.files[manifest.static_weights.file]?.sha256 ?? null) : manifest.edge.sha256,
          weights_sha256: manifest.source.weights_sha256,
          architecture: inferenceFree ? null : manifest.architecture,
          max_length: manifest.max_length,
          vocab_size: manifest.vocab_size,
        },
        random_weights: manifest.random_weights,
        ...(manifest.random_weights ? { warning: RANDOM_WEIGHTS_WARNING } : {}),
        limits: fixedPart.limits,
        formats: fixedPart.formats,
        engine: inferenceFree
          ? { name: "inference-free weight table", build: null, head: null }
          : { name: "splade-edge kernel", build: isolateModel.kernelBuild().name, head: "exact" },
        versions: fixedPart.versions,
        index: index.reader ? describeIndex(index.reader) : null,
        ...(index.problem ? { index_problem: index.problem } : {}),
      },
      200,
    );
  });
}
