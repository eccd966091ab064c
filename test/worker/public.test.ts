// The endpoint on the public internet: API keys, allowed origins, the token budget, the rate limit, the cache, the
// request log, and a large batch that does not hold the isolate. Each test builds the environment it needs on top of
// the real one (wrangler.toml's bindings, the generated model's assets) and calls the Worker's own fetch.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/worker/index";
import type { ModelManifest } from "../../src/model/manifest-format";
import { cacheEntry } from "../../src/worker/cache";
import type { Env } from "../../src/worker/settings";
import { RATE_LIMIT_PERIOD_SECONDS } from "../../src/worker/limits";
import wranglerToml from "../../wrangler.toml?raw";
import { errorBody } from "./http";

const ORIGIN = "https://splade-edge.test";

/** One request through the Worker's fetch with `overrides` on top of the test environment; waits for its waitUntil work. */
async function call(path: string, init: RequestInit = {}, overrides: Partial<Env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

afterEach(() => vi.restoreAllMocks());

describe("API keys (SPLADE_API_KEYS)", () => {
  const keys = { SPLADE_API_KEYS: " key-one , key-two " };

  it("without keys configured, every route answers without Authorization", async () => {
    expect((await call("/encode?q=mars")).status).toBe(200);
    expect((await call("/info")).status).toBe(200);
  });

  it("with keys, /encode, /info and /embed_sparse need Authorization: Bearer KEY; 401 with WWW-Authenticate otherwise", async () => {
    const missing = await call("/encode?q=mars", {}, keys);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("WWW-Authenticate")).toBe('Bearer realm="splade-edge"');
    expect(await errorBody(missing)).toEqual({ error: "this endpoint needs an API key: send Authorization: Bearer KEY", error_type: "unauthorized" });

    const wrong = await call("/info", { headers: { Authorization: "Bearer key-three" } }, keys);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("WWW-Authenticate")).toBe('Bearer realm="splade-edge", error="invalid_token"');
    expect((await errorBody(wrong)).error).toBe("the API key is not valid");

    const basic = await call("/embed_sparse", json({ inputs: "mars" }, { Authorization: "Basic a2V5LW9uZQ==" }), keys);
    expect(basic.status).toBe(401);
    expect((await errorBody(basic)).error).toBe("the Authorization header must be Bearer KEY");

    // A prefix of a key is not the key.
    expect((await call("/info", { headers: { Authorization: "Bearer key-on" } }, keys)).status).toBe(401);

    for (const key of ["key-one", "key-two"]) {
      const ok = await call("/encode?q=mars", { headers: { Authorization: `Bearer ${key}` } }, keys);
      expect(ok.status).toBe(200);
    }
    expect((await call("/embed_sparse", json({ inputs: "mars" }, { Authorization: "bearer key-two" }), keys)).status).toBe(200);
  });

  it("leaves /health and the page open, and answers CORS preflights without a key", async () => {
    expect((await call("/health", {}, keys)).status).toBe(200);
    expect((await call("/", {}, keys)).status).toBe(200);
    const preflight = await call(
      "/encode",
      {
        method: "OPTIONS",
        headers: { Origin: "https://search.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" },
      },
      keys,
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("authorization");
  });
});

describe("allowed origins (SPLADE_ALLOWED_ORIGINS)", () => {
  it("answers any origin by default, and only the listed ones when configured", async () => {
    const from = (origin: string, overrides: Partial<Env> = {}) => call("/encode?q=mars", { headers: { Origin: origin } }, overrides);
    expect((await from("https://anywhere.example")).headers.get("Access-Control-Allow-Origin")).toBe("*");
    const listed = { SPLADE_ALLOWED_ORIGINS: "https://search.example, https://admin.example" };
    expect((await from("https://admin.example", listed)).headers.get("Access-Control-Allow-Origin")).toBe("https://admin.example");
    expect((await from("https://evil.example", listed)).headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});

describe("token budget (SPLADE_MAX_BATCH_TOKENS)", () => {
  it("refuses a request whose queries hold more tokens together than the budget, naming it (413 too_many_tokens)", async () => {
    const budget = { SPLADE_MAX_BATCH_TOKENS: "20" };
    // "red planet" is 4 tokens with [CLS] and [SEP]: five of them are 20, six are 24.
    expect((await call("/encode", json({ queries: Array(5).fill("red planet") }), budget)).status).toBe(200);
    const over = await call("/encode", json({ queries: Array(6).fill("red planet") }), budget);
    expect(over.status).toBe(413);
    expect(await errorBody(over)).toEqual({
      error:
        "the queries hold 24 tokens together ([CLS] and [SEP] included), over this endpoint's budget of 20 per request (SPLADE_MAX_BATCH_TOKENS) — split the batch",
      error_type: "too_many_tokens",
    });
    const tei = await call("/embed_sparse", json({ inputs: Array(6).fill("red planet") }), budget);
    expect(tei.status).toBe(413);
    expect((await errorBody(tei)).error_type).toBe("too_many_tokens");
  });

  it("defaults to wrangler.toml's 2,048 tokens: nine maximum-length queries are refused", async () => {
    const long = "the quick brown fox jumps over the lazy dog ".repeat(40);
    const r = await call("/encode", json({ queries: Array(9).fill(long) }));
    expect(r.status).toBe(413);
    expect((await errorBody(r)).error).toMatch(/^the queries hold 2304 tokens together .* budget of 2048 per request/);
  });
});

describe("rate limit (the RATE_LIMITER binding)", () => {
  it("announces wrangler.toml's period in Retry-After (the binding does not report it)", () => {
    const simple = /\[\[ratelimits\]\][^[]*simple = \{ limit = (\d+), period = (\d+) \}/.exec(wranglerToml);
    expect(simple?.slice(1).map(Number)).toEqual([120, RATE_LIMIT_PERIOD_SECONDS]);
  });

  it("counts each client (by IP here) against wrangler.toml's 120 requests per 60 s: the 121st is a 429 with Retry-After", async () => {
    const from = (ip: string) => call("/encode?q=mars&format=nope", { headers: { "CF-Connecting-IP": ip } });
    for (let i = 0; i < 120; i++) expect((await from("203.0.113.7")).status).toBe(422);
    const limited = await from("203.0.113.7");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("Retry-After")).toBe("60");
    expect((await errorBody(limited)).error_type).toBe("rate_limited");
    // Another client is not affected, nor are routes that do not run the model.
    expect((await from("203.0.113.8")).status).toBe(422);
    expect((await call("/info", { headers: { "CF-Connecting-IP": "203.0.113.7" } })).status).toBe(200);
  });

  it("keys the limit by API key when keys are on, so clients behind one IP are apart", async () => {
    const keys = { SPLADE_API_KEYS: "alpha,beta" };
    const as = (key: string) => call("/encode?q=mars&format=nope", { headers: { "CF-Connecting-IP": "198.51.100.1", Authorization: `Bearer ${key}` } }, keys);
    for (let i = 0; i < 120; i++) await as("alpha");
    expect((await as("alpha")).status).toBe(429);
    expect((await as("beta")).status).toBe(422);
  });
});

describe("cache (SPLADE_CACHE_TTL)", () => {
  it("answers a repeated request from the cache, byte for byte, with the same ETag; a miss first", async () => {
    const path = "/encode?q=cache+me+if+you+can&top_k=8&format=ids";
    const miss = await call(path);
    expect(miss.headers.get("X-Splade-Cache")).toBe("miss");
    const hit = await call(path);
    expect(hit.headers.get("X-Splade-Cache")).toBe("hit");
    expect(await hit.text()).toBe(await miss.text());
    expect(hit.headers.get("ETag")).toMatch(/^"[0-9a-f]{32}"$/);
    expect(hit.headers.get("ETag")).toBe(miss.headers.get("ETag"));
    expect(hit.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(hit.headers.get("X-Splade-Tokens")).toBe(miss.headers.get("X-Splade-Tokens"));
    expect(hit.headers.get("Content-Type")).toBe("application/json");
  });

  it("keys by the normalized request: the same query by POST, in another field order, hits; other options miss", async () => {
    const first = await call("/encode?q=normalized+request&top_k=5");
    expect(first.headers.get("X-Splade-Cache")).toBe("miss");
    const same = await call("/encode", json({ top_k: 5, query: "normalized request" }));
    expect(same.headers.get("X-Splade-Cache")).toBe("hit");
    expect(await same.text()).toBe(await first.text());
    expect((await call("/encode?q=normalized+request&top_k=6")).headers.get("X-Splade-Cache")).toBe("miss");
    expect((await call("/encode", json({ queries: ["normalized request"], top_k: 5 }))).headers.get("X-Splade-Cache")).toBe("miss");
  });

  it("answers If-None-Match with the ETag by 304, and does nothing with a TTL of 0", async () => {
    const first = await call("/encode?q=etag+check");
    const etag = first.headers.get("ETag") as string;
    const notModified = await call("/encode?q=etag+check", { headers: { "If-None-Match": etag } });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe("");
    const off = await call("/encode?q=etag+check", {}, { SPLADE_CACHE_TTL: "0" });
    expect(off.status).toBe(200);
    expect(off.headers.get("X-Splade-Cache")).toBeNull();
    expect(off.headers.get("ETag")).toBeNull();
  });

  it("lets shared caches keep an answer only when no key is needed: private and Vary: Authorization with keys", async () => {
    const path = "/encode?q=who+may+keep+this&top_k=3";
    const open = await call(path);
    expect(open.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(open.headers.get("Vary")).toBeNull();
    const keys = { SPLADE_API_KEYS: "key-one" };
    const keyed = { headers: { Authorization: "Bearer key-one" } };
    for (const answer of [await call(path, keyed, keys), await call(path, keyed, keys)]) {
      expect(answer.status).toBe(200);
      expect(answer.headers.get("Cache-Control")).toBe("private, max-age=3600");
      expect(answer.headers.get("Vary")).toBe("Authorization");
    }
    const etag = open.headers.get("ETag") as string;
    const notModified = await call(path, { headers: { ...keyed.headers, "If-None-Match": etag } }, keys);
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("Cache-Control")).toBe("private, max-age=3600");
    // Listed origins get their own Access-Control-Allow-Origin: CORS varies by Origin too.
    const listed = await call(
      path,
      { headers: { ...keyed.headers, Origin: "https://search.example" } },
      { ...keys, SPLADE_ALLOWED_ORIGINS: "https://search.example" },
    );
    expect(listed.headers.get("Vary")).toBe("Authorization, Origin");
  });

  it("keys by the code answering: another Worker Version misses, with another ETag, and ignores the old one", async () => {
    expect(env.CF_VERSION_METADATA?.id).toMatch(/^[0-9a-f-]{36}$/);
    const path = "/encode?q=a+new+version+renders+anew&top_k=4";
    const old = await call(path);
    expect((await call(path)).headers.get("X-Splade-Cache")).toBe("hit");
    const next = { CF_VERSION_METADATA: { id: "00000000-0000-4000-8000-000000000001", tag: "", timestamp: "2026-12-06T00:00:00.000Z" } };
    const fresh = await call(path, {}, next);
    expect(fresh.headers.get("X-Splade-Cache")).toBe("miss");
    expect(fresh.headers.get("ETag")).not.toBe(old.headers.get("ETag"));
    const revalidated = await call(path, { headers: { "If-None-Match": old.headers.get("ETag") as string } }, next);
    expect(revalidated.status).toBe(200);
  });

  it("keys by every field of the served model's manifest, not only its weights' sha256", async () => {
    const manifest = JSON.parse(await (await env.ASSETS.fetch("https://assets.local/query/manifest.json")).text()) as ModelManifest;
    const request = ["encode", ["mars"], ["0"], true, null, null, "terms", null, null];
    const etag = async (m: ModelManifest, code = "version:a") => (await cacheEntry({ code, manifest: m }, request)).etag;
    const base = await etag(manifest);
    expect(await etag(structuredClone(manifest))).toBe(base);
    expect(await etag(manifest, "version:b")).not.toBe(base);
    const changes: Array<(m: ModelManifest) => void> = [
      (m) => (m.source.repo = "another/folder"),
      (m) => (m.vocab_size += 1),
      (m) => (m.max_length -= 1),
      (m) => ((m.files["tokenizer_config.json"] as { sha256: string }).sha256 = "0".repeat(64)),
    ];
    for (const change of changes) {
      const changed = structuredClone(manifest);
      change(changed);
      expect(await etag(changed), change.toString()).not.toBe(base);
    }
  });
});

describe("request log", () => {
  function logged(spy: { mock: { calls: unknown[][] } }): Array<Record<string, unknown>> {
    return spy.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>).filter((line) => "route" in line);
  }

  it("writes one JSON line per request: route, status, tokens, cache, ms, error_type; no query text, no key", async () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    await call("/encode?q=secret+words+here&top_k=3", { headers: { Authorization: "Bearer sk-hidden" } }, { SPLADE_API_KEYS: "sk-hidden" });
    await call("/encode?q=x&format=nope");
    const [ok, bad] = logged(spy);
    expect(ok).toMatchObject({ method: "GET", route: "/encode", path: "/encode", status: 200, tokens: 5, error_type: null });
    expect(["hit", "miss"]).toContain(ok.cache);
    expect(typeof ok.ms).toBe("number");
    expect(bad).toMatchObject({ status: 422, error_type: "validation", tokens: null });
    const text = spy.mock.calls.flat().join("\n");
    expect(text).not.toContain("secret");
    expect(text).not.toContain("sk-hidden");
  });

  it("includes the query texts only with SPLADE_LOG_QUERIES=true", async () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    await call("/encode", json({ queries: ["logged on purpose", "and this"] }), { SPLADE_LOG_QUERIES: "true" });
    expect(logged(spy)[0].queries).toEqual(["logged on purpose", "and this"]);
  });
});

describe("a large batch does not hold the isolate", () => {
  it("answers /health while a 64-query batch is being encoded", async () => {
    const order: string[] = [];
    const batch = call("/encode", json({ queries: Array.from({ length: 64 }, (_, i) => `query number ${i} about the red planet`) }), {
      SPLADE_CACHE_TTL: "0",
    }).then((r) => {
      order.push(`batch ${r.status}`);
    });
    // Let the batch start encoding first.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await call("/health").then((r) => order.push(`health ${r.status}`));
    await batch;
    expect(order).toEqual(["health 200", "batch 200"]);
  });
});
