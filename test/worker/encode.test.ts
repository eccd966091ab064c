// /encode against the float64 reference encoder, single and batched, serial and concurrent; the headers every answer
// carries; /health, /info, CORS, and the model files staying private.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { QUERY_FORMAT_NAMES } from "../../src/encoder/formats/index.ts";
import { expectReference, maxDifference, type Golden, type IdsBody } from "./golden";
import { errorBody, get, postJson } from "./http";

const golden = JSON.parse(inject("goldenJson")) as Golden;

const VS_REFERENCE = 1e-4;
const VS_UNBATCHED = 1e-5;

function pairs(body: IdsBody): Array<[number, number]> {
  return body.indices.map((id, k) => [id, body.values[k]] as [number, number]).sort((a, b) => a[0] - b[0]);
}

async function encodeIds(query: string): Promise<IdsBody> {
  const response = await postJson("/encode", { query, format: "ids" });
  expect(response.status).toBe(200);
  return response.json();
}

describe("POST /encode against the reference encoder", () => {
  const singles: IdsBody[] = [];

  beforeAll(async () => {
    for (const q of golden.queries) singles.push(await encodeIds(q.text));
  });

  it("covers a 10-token query, short ones, and one truncated to 256 tokens", () => {
    expect(golden.queries[0].ids).toHaveLength(10);
    expect(golden.queries.some((q) => q.truncated && q.ids.length === 256)).toBe(true);
  });

  it.each(golden.queries.map((q, i) => ({ i, text: q.text.slice(0, 40) })))("query $i ($text) has the reference ids and weights", ({ i }) => {
    expectReference(singles[i], golden.queries[i], VS_REFERENCE);
  });

  it.each(golden.batches.map((batch) => ({ batch })))("batch $batch equals the reference row by row, and each row its single result", async ({ batch }) => {
    const response = await postJson("/encode", { queries: batch.map((i) => golden.queries[i].text), format: "ids" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-splade-tokens")).toBe(batch.map((i) => golden.queries[i].ids.length).join(","));
    expect(response.headers.get("x-splade-truncated")).toBe(batch.map((i) => golden.queries[i].truncated).join(","));
    const rows = await response.json<IdsBody[]>();
    expect(rows).toHaveLength(batch.length);
    rows.forEach((row, r) => {
      expectReference(row, golden.queries[batch[r]], VS_REFERENCE);
      expect(maxDifference(row, pairs(singles[batch[r]]))).toBeLessThanOrEqual(VS_UNBATCHED);
    });
  });

  it("writes the same weights under vocabulary terms with format=terms (the default)", async () => {
    const vocab = (await (await env.ASSETS.fetch("https://assets.local/query/tokenizer.json")).json<{ model: { vocab: Record<string, number> } }>()).model
      .vocab;
    const token: string[] = [];
    for (const [t, id] of Object.entries(vocab)) token[id] = t;
    for (const i of [0, 7]) {
      const response = await postJson("/encode", { query: golden.queries[i].text });
      expect(response.status).toBe(200);
      const body = await response.json<{ model: string; tokens: number; truncated: boolean; terms: Record<string, number> }>();
      expect(Object.keys(body)).toEqual(["model", "tokens", "truncated", "terms"]);
      expect(body.tokens).toBe(golden.queries[i].ids.length);
      expect(body.truncated).toBe(golden.queries[i].truncated);
      expect(body.terms).toEqual(Object.fromEntries(singles[i].indices.map((id, k) => [token[id], singles[i].values[k]])));
    }
  });

  it("answers GET /encode?q= exactly as POST", async () => {
    const text = golden.queries[2].text;
    const response = await get(`/encode?q=${encodeURIComponent(text)}&format=ids`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(singles[2]);
  });

  it("keeps the heaviest top_k terms, and only weights ≥ min_weight", async () => {
    const full = singles[0];
    const top = await (await postJson("/encode", { query: golden.queries[0].text, format: "ids", top_k: 5 })).json<IdsBody>();
    expect(top.indices).toEqual(full.indices.slice(0, 5));
    expect(top.values).toEqual(full.values.slice(0, 5));
    const minWeight = full.values[20];
    const heavy = await (await get(`/encode?q=${encodeURIComponent(golden.queries[0].text)}&format=ids&min_weight=${minWeight}`)).json<IdsBody>();
    expect(heavy.indices).toEqual(full.indices.filter((_, k) => full.values[k] >= minWeight));
  });
});

describe("concurrency", () => {
  it("gives 32 concurrent requests exactly the bodies the same 32 requests get one after another", async () => {
    const requests = Array.from({ length: 32 }, (_, i) => {
      const q = golden.queries[i % golden.queries.length].text;
      return i % 3 === 0
        ? { queries: [q, golden.queries[(i + 1) % golden.queries.length].text], format: "ids" }
        : { query: q, format: i % 3 === 1 ? "ids" : "terms" };
    });
    const serial: string[] = [];
    for (const r of requests) serial.push(await (await postJson("/encode", r)).text());
    const concurrent = await Promise.all(requests.map(async (r) => (await postJson("/encode", r)).text()));
    expect(concurrent).toEqual(serial);
  });
});

describe("headers", () => {
  // Warm: the request that loads the model also reports the load's stages in Server-Timing.
  beforeAll(async () => {
    expect((await get("/encode?q=warm")).status).toBe(200);
  });

  it("reports tokens, truncation and Server-Timing (tokenize, inference, total)", async () => {
    const response = await postJson("/encode", { query: golden.queries[0].text, format: "qdrant", field: "splade", top_k: 3 });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-splade-tokens")).toBe("10");
    expect(response.headers.get("x-splade-truncated")).toBe("false");
    const metrics = (response.headers.get("server-timing") ?? "").split(",").map((m) => m.trim());
    expect(metrics.map((m) => m.split(";")[0])).toEqual(["tokenize", "inference", "total"]);
    for (const m of metrics) expect(m).toMatch(/;dur=\d+(\.\d+)?$/);
  });

  it("says which model, of which kind and licence, and that its weights are random, on answers and errors alike", async () => {
    const responses = [await get("/encode?q=mars"), await get("/health"), await get("/nope"), await postJson("/encode", { query: " " })];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 404, 422]);
    for (const r of responses) {
      expect(r.headers.get("x-splade-random-weights")).toBe("true");
      expect(r.headers.get("x-splade-model")).toBe("query");
      expect(r.headers.get("x-splade-model-kind")).toBe("transformer");
      // The generated model's manifest records no licence: said, not left out.
      expect(r.headers.get("x-splade-license")).toBe("unknown");
    }
  });

  it("lets any origin call GET and POST (CORS), preflight included", async () => {
    const response = await get("/encode?q=mars", { headers: { origin: "https://search.example" } });
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-expose-headers")).toContain("X-Splade-Tokens");
    const preflight = await get("/encode", {
      method: "OPTIONS",
      headers: { origin: "https://search.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET,POST");
    // The headers a browser client may send: the API key, JSON, and a revalidation of a cached answer.
    expect(preflight.headers.get("access-control-allow-headers")).toBe("Authorization,Content-Type,If-None-Match");
  });
});

describe("/health and /info", () => {
  it("reports the model loaded once a request has used it", async () => {
    await get("/encode?q=mars");
    const response = await get("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", model_loaded: true });
  });

  it("describes the model, the formats and the versions", async () => {
    const manifest = await (await env.ASSETS.fetch("https://assets.local/query/manifest.json")).json<{
      files: Record<string, { sha256: string }>;
      source: { weights_sha256: string };
    }>();
    const response = await get("/info");
    expect(response.status).toBe(200);
    const info = await response.json<Record<string, unknown>>();
    expect(info).toMatchObject({
      model: {
        repo: "query",
        revision: null,
        commit: null,
        kind: "transformer",
        license: null,
        sha256: manifest.files["encoder.bin"].sha256,
        weights_sha256: manifest.source.weights_sha256,
        architecture: "BertForMaskedLM",
        max_length: 256,
        vocab_size: 30522,
      },
      random_weights: true,
      limits: { max_queries: 64, max_body_bytes: 65536 },
      engine: { name: "splade-edge kernel", build: "relaxed-simd", head: "exact" },
      versions: { "splade-edge": "0.1.0", hono: "4.13.19" },
    });
    expect(info.warning).toMatch(/random/);
    const formats = info.formats as Array<{ name: string; description: string; requires: string[] }>;
    expect(formats.map((f) => f.name)).toEqual(QUERY_FORMAT_NAMES);
    expect(formats.find((f) => f.name === "elasticsearch")?.requires).toEqual(["field"]);
    for (const f of formats) expect(f.description).not.toBe("");
  });
});

describe("the model files", () => {
  it.each(["/model.onnx", "/manifest.json", "/tokenizer.json", "/tokenizer_config.json", "/query/model.onnx", "/encoder.bin"])(
    "are not served at %s",
    async (path) => {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect((await errorBody(response)).error_type).toBe("not_found");
    },
  );
});
