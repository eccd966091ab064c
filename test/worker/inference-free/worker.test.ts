// The Worker in workerd serving an inference-free query model (generated, converted from OpenSearch's doc-* layout by
// global-setup.ts): every route answers as for a transformer, with weights bit-equal to the independent reference
// (Rust tokenizers without special tokens × idf.json as float32), says which model, kind and licence it serves, and
// refuses a weight table that is not the model's with 503 model_unavailable naming the file and what to run.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it, vi } from "vitest";
import { writeStaticWeights } from "../../../src/encoder/static-weights.ts";
import type { Env } from "../../../src/worker/settings";
import { parseOpensearchQueries, parseQdrantQueries, vocabularyIds } from "../../support/engine-parsers.ts";
import { errorBody } from "../http";
import { INFERENCE_FREE_MODEL, type StaticGoldenQuery } from "./fixture";

const golden = JSON.parse(inject("staticGoldenJson")) as StaticGoldenQuery[];
const ORIGIN = "https://splade-edge.test";

type Worker = typeof import("../../../src/worker/index")["default"];

interface IdsBody {
  model: string;
  tokens: number;
  truncated: boolean;
  indices: number[];
  values: number[];
}

/** The Worker's modules evaluated afresh: an isolate with nothing loaded. */
async function freshWorker(): Promise<Worker> {
  vi.resetModules();
  return (await import("../../../src/worker/index")).default;
}

let shared: Worker | undefined;

/** One request through the Worker's fetch with `overrides` on top of the test environment; waits for its waitUntil work. */
async function call(path: string, init: RequestInit = {}, overrides: Partial<Env> = {}, worker?: Worker): Promise<Response> {
  shared ??= (await import("../../../src/worker/index")).default;
  const ctx = createExecutionContext();
  const response = await (worker ?? shared).fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const post = (body: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  const r = await response;
  expect(r.status).toBe(200);
  return r.json<T>();
}

// Answers print each float32 weight in its shortest decimal form (0.57266, not the double 0.5726600289344788):
// Math.fround of what they print is the float32 itself, so comparing through it is comparing bits.
const f32 = (values: readonly number[]) => values.map(Math.fround);

/** The reference's weights heaviest first, ties by id: the order every answer lists them in. */
function heaviestFirst(query: StaticGoldenQuery): Array<[number, number]> {
  return [...query.weights].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
}

/** The vocabulary (id order) the Worker serves: its worker-tokenizer.json's list. */
async function vocabulary(): Promise<string[]> {
  const listed = await (await env.ASSETS.fetch("https://assets.local/query/worker-tokenizer.json")).json<{ model: { vocab: string[] } }>();
  return listed.model.vocab;
}

describe("/encode on an inference-free model", () => {
  it("gives every query exactly the reference: the same ids and bit-equal weights, heaviest first, tokens without [CLS]/[SEP]", async () => {
    expect(golden.some((q) => q.truncated)).toBe(true);
    for (const query of golden) {
      const body = await json<IdsBody>(call("/encode", post({ query: query.text, format: "ids" })));
      const expected = heaviestFirst(query);
      expect({ ...body, values: f32(body.values) }).toEqual({
        model: INFERENCE_FREE_MODEL.name,
        tokens: query.ids.length,
        truncated: query.truncated,
        indices: expected.map(([id]) => id),
        values: expected.map(([, w]) => w),
      });
    }
  });

  it("answers a batch, the terms format and GET as the single ids answers say", async () => {
    const vocab = await vocabulary();
    const texts = golden.map((q) => q.text);
    const batch = await json<IdsBody[]>(call("/encode", post({ queries: texts, format: "ids" })));
    const terms = await json<Array<{ terms: Record<string, number> }>>(call("/encode", post({ queries: texts })));
    golden.forEach((query, i) => {
      const expected = heaviestFirst(query);
      expect(batch[i].indices).toEqual(expected.map(([id]) => id));
      expect(f32(batch[i].values)).toEqual(expected.map(([, w]) => w));
      expect(Object.entries(terms[i].terms).map(([t, w]) => [t, Math.fround(w)])).toEqual(expected.map(([id, w]) => [vocab[id], w]));
    });
    const viaGet = await json<IdsBody>(call(`/encode?q=${encodeURIComponent(golden[0].text)}&format=ids`));
    expect(viaGet.indices).toEqual(batch[0].indices);
  });

  it("renders Qdrant's and OpenSearch's query bodies with the reference's weights", async () => {
    const termIds = vocabularyIds(new Map((await vocabulary()).map((t, id) => [t, id])));
    const query = golden[2];
    const asSorted = (s: { indices: number[]; values: number[] }) =>
      s.indices.map((id, k): [number, number] => [id, Math.fround(s.values[k])]).sort((a, b) => a[0] - b[0]);
    const qdrant = await (await call("/encode", post({ queries: [query.text], format: "qdrant", field: "splade" }))).text();
    expect(asSorted(parseQdrantQueries(qdrant, { field: "splade" })[0])).toEqual(query.weights);
    const opensearch = await (await call("/encode", post({ queries: [query.text], format: "opensearch", field: "body_sparse" }))).text();
    expect(asSorted(parseOpensearchQueries(opensearch, { field: "body_sparse", termIds })[0])).toEqual(query.weights);
  });

  it("keeps the heaviest top_k terms, and only weights ≥ min_weight", async () => {
    const query = golden[0];
    const expected = heaviestFirst(query);
    const top = await json<IdsBody>(call("/encode", post({ query: query.text, format: "ids", top_k: 3 })));
    expect(top.indices).toEqual(expected.slice(0, 3).map(([id]) => id));
    const min = expected[2][1];
    const heavy = await json<IdsBody>(call(`/encode?q=${encodeURIComponent(query.text)}&format=ids&min_weight=${min}`));
    expect(f32(heavy.values)).toEqual(expected.filter(([, w]) => w >= min).map(([, w]) => w));
  });

  it("answers TEI's /embed_sparse with the reference, index ascending", async () => {
    const body = await json<Array<Array<{ index: number; value: number }>>>(call("/embed_sparse", post({ inputs: golden.map((q) => q.text), truncate: true })));
    const bits = body.map((vector) => vector.map(({ index, value }) => ({ index, value: Math.fround(value) })));
    expect(bits).toEqual(golden.map((q) => q.weights.map(([index, value]) => ({ index, value }))));
  });

  it("caches a GET: a miss, then a hit with the same bytes and ETag, and 304 for If-None-Match", async () => {
    const path = `/encode?q=${encodeURIComponent(golden[1].text)}&format=ids&top_k=4`;
    const miss = await call(path);
    expect(miss.headers.get("X-Splade-Cache")).toBe("miss");
    const hit = await call(path);
    expect(hit.headers.get("X-Splade-Cache")).toBe("hit");
    expect(await hit.text()).toBe(await miss.text());
    expect(hit.headers.get("ETag")).toBe(miss.headers.get("ETag"));
    const notModified = await call(path, { headers: { "If-None-Match": hit.headers.get("ETag") as string } });
    expect(notModified.status).toBe(304);
  });
});

describe("what the Worker says it serves", () => {
  it("/info: the model, its kind and licence, the table's sha256, no architecture and no kernel", async () => {
    const manifest = await (await env.ASSETS.fetch("https://assets.local/query/manifest.json")).json<{
      files: Record<string, { sha256: string }>;
      source: { weights_sha256: string };
    }>();
    const info = await json<Record<string, unknown>>(call("/info"));
    expect(info).toMatchObject({
      model: {
        repo: INFERENCE_FREE_MODEL.name,
        kind: "inference-free",
        license: INFERENCE_FREE_MODEL.license,
        sha256: manifest.files["static-weights.bin"].sha256,
        weights_sha256: manifest.source.weights_sha256,
        architecture: null,
        max_length: INFERENCE_FREE_MODEL.maxLength,
        vocab_size: 30522,
      },
      random_weights: true,
      engine: { name: "inference-free weight table", build: null, head: null },
    });
  });

  it("/openapi.json: the model, its kind and licence", async () => {
    const { info } = await json<{ info: { description: string; "x-splade-model": unknown } }>(call("/openapi.json"));
    expect(info["x-splade-model"]).toEqual({ name: INFERENCE_FREE_MODEL.name, kind: "inference-free", license: INFERENCE_FREE_MODEL.license });
    expect(info.description).toContain(`This Worker serves ${INFERENCE_FREE_MODEL.name}, an inference-free query model (its weights' licence: apache-2.0).`);
  });

  it("names the model, its kind and licence on every answer, errors included", async () => {
    await call("/info");
    const responses = [await call("/encode?q=mars"), await call("/health"), await call("/nope"), await call("/encode", post({ query: " " }))];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 404, 422]);
    for (const r of responses) {
      expect(r.headers.get("X-Splade-Model")).toBe(INFERENCE_FREE_MODEL.name);
      expect(r.headers.get("X-Splade-Model-Kind")).toBe("inference-free");
      expect(r.headers.get("X-Splade-License")).toBe(INFERENCE_FREE_MODEL.license);
      expect(r.headers.get("X-Splade-Random-Weights")).toBe("true");
    }
    expect(responses[0].headers.get("X-Splade-Tokens")).toBe("1");
  });

  it("reports the load's stages in Server-Timing on the request that loaded it: the tokenizer and the table, no kernel", async () => {
    const worker = await freshWorker();
    const response = await call("/encode?q=red+planet", {}, { SPLADE_CACHE_TTL: "0" }, worker);
    expect(response.status).toBe(200);
    const names = (response.headers.get("Server-Timing") ?? "").split(",").map((m) => m.trim().split(";")[0]);
    expect(names.sort()).toEqual(
      [
        "load-manifest",
        "load-tokenizer",
        "load-weights",
        "tokenizer-fetch",
        "tokenizer-parse",
        "tokenizer-build",
        "weights-fetch",
        "weights-read",
        "tokenize",
        "inference",
        "total",
      ].sort(),
    );
  });
});

describe("a weight table that is not the model's", () => {
  /** The real assets with `file` (its path in the assets: `query/static-weights.bin`) replaced by `body`, or answering 404 when `body` is null. */
  function assetsWith(file: string, body: Uint8Array | null): Fetcher {
    return {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => {
        const path = new URL(input instanceof Request ? input.url : input).pathname.slice(1);
        if (path !== file) return env.ASSETS.fetch(input, init);
        return Promise.resolve(body === null ? new Response("Not Found", { status: 404 }) : new Response(body));
      },
    } as Fetcher;
  }

  async function refusal(assets: Fetcher): Promise<string> {
    const response = await call("/encode?q=mars", {}, { ASSETS: assets, SPLADE_CACHE_TTL: "0" }, await freshWorker());
    expect(response.status).toBe(503);
    const body = await errorBody(response);
    expect(body.error_type).toBe("model_unavailable");
    return body.error;
  }

  it("503 for a table of another vocabulary's size, naming the file and what to run", async () => {
    const other = writeStaticWeights({ weights: new Float32Array(1000).fill(1) });
    expect(await refusal(assetsWith("query/static-weights.bin", other))).toBe(
      "model/query/static-weights.bin: static-weights.bin holds 1000 weights, but manifest.json's vocabulary has 30522 tokens — " +
        "convert the model again (`npm run model -- fetch`, or `npm run model -- convert`), then restart",
    );
  });

  it("503 for bytes that are not a weight table", async () => {
    expect(await refusal(assetsWith("query/static-weights.bin", new TextEncoder().encode("not a table at all")))).toMatch(
      /^model\/query\/static-weights\.bin: static-weights\.bin starts with "not ", not "SPSW": not a static weight table — convert the model again/,
    );
  });

  it("503 for a missing table, naming it and the fetch", async () => {
    expect(await refusal(assetsWith("query/static-weights.bin", null))).toBe(
      "model/query/static-weights.bin is missing — run `npm run model -- fetch` (or `npm run demo` for a generated test model), then restart",
    );
  });
});
