// The model's life in an isolate: nothing loaded, model files missing (503), a broken binding (500), a manifest from
// before encoder.bin or an encoder.bin that does not match it (503), the manifest alone (/info), then the real files
// (the next request retries and succeeds). The model is the isolate's module state, so each test starts from a fresh
// copy of the Worker's modules (freshWorker) and runs in any order, whatever other tests loaded before it.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/worker/settings";
import { errorBody } from "./http";

type Worker = typeof import("../../src/worker/index")["default"];

/** The Worker as a new isolate has it: its modules evaluated afresh, so no manifest, tokenizer or kernel is loaded. */
async function freshWorker(): Promise<Worker> {
  vi.resetModules();
  return (await import("../../src/worker/index")).default;
}

const ENCODE = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "red planet" }) };

/**
 * The test environment with these assets and the cache off: a cached answer (the Cache API outlives a module reset)
 * would answer without loading the model at all.
 */
function envWith(assets: Fetcher = env.ASSETS): Env {
  return { ...env, ASSETS: assets, SPLADE_CACHE_TTL: "0" };
}

/** The real assets binding with some files taken away, named by their path in the assets (`query/encoder.bin`). */
function assetsWithout(...files: string[]): Fetcher {
  return {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(input instanceof Request ? input.url : input).pathname;
      return files.includes(path.slice(1)) ? Promise.resolve(new Response("Not Found", { status: 404 })) : env.ASSETS.fetch(input, init);
    },
  } as Fetcher;
}

async function health(app: Worker): Promise<{ status: string; model_loaded: boolean }> {
  const response = await app.request("/health", {}, envWith());
  expect(response.status).toBe(200);
  return response.json();
}

describe("the model's life in an isolate", () => {
  afterEach(() => vi.restoreAllMocks());

  it("starts with nothing loaded, and /health does not load it", async () => {
    const app = await freshWorker();
    expect(await health(app)).toEqual({ status: "ok", model_loaded: false });
    expect(await health(app)).toEqual({ status: "ok", model_loaded: false });
  });

  it("answers 503 model_unavailable naming the fix when model/query is empty", async () => {
    const app = await freshWorker();
    const response = await app.request(
      "/encode",
      ENCODE,
      envWith(assetsWithout("query/manifest.json", "query/worker-tokenizer.json", "query/tokenizer_config.json", "query/encoder.bin")),
    );
    expect(response.status).toBe(503);
    const body = await errorBody(response);
    expect(body.error_type).toBe("model_unavailable");
    expect(body.error).toBe("model/query/manifest.json is missing — run `npm run model -- fetch` (or `npm run demo` for a generated test model), then restart");
    expect((await health(app)).model_loaded).toBe(false);
  });

  it("answers 500 without internals when the assets binding itself fails", async () => {
    const app = await freshWorker();
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const broken = { fetch: () => Promise.reject(new Error("binding exploded at /secret/path")) } as unknown as Fetcher;
    const response = await app.request("/encode", ENCODE, envWith(broken));
    expect(response.status).toBe(500);
    const text = await response.clone().text();
    expect(await errorBody(response)).toEqual({ error: "internal error", error_type: "internal" });
    expect(text).not.toMatch(/exploded|secret|at |\.ts/);
    expect(log).toHaveBeenCalledOnce();
  });

  it("says to convert again when the manifest predates encoder.bin", async () => {
    const app = await freshWorker();
    const stale: Fetcher = {
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const response = await env.ASSETS.fetch(input, init);
        if (!new URL(input instanceof Request ? input.url : input).pathname.endsWith("/manifest.json")) return response;
        const { edge: _, ...manifest } = await response.json<Record<string, unknown>>();
        return Response.json(manifest);
      },
    } as Fetcher;
    const response = await app.request("/encode", ENCODE, envWith(stale));
    expect(response.status).toBe(503);
    const body = await errorBody(response);
    expect(body.error_type).toBe("model_unavailable");
    expect(body.error).toMatch(
      /^model\/query\/manifest\.json lists no encoder\.bin \(splade-edge\/kernel-weights@1\): it predates it — convert the model again/,
    );
    expect((await health(app)).model_loaded).toBe(false);
  });

  it("says to convert again when encoder.bin does not match its table", async () => {
    const app = await freshWorker();
    const truncated: Fetcher = {
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const response = await env.ASSETS.fetch(input, init);
        if (!new URL(input instanceof Request ? input.url : input).pathname.endsWith("/encoder.bin")) return response;
        return new Response((await response.arrayBuffer()).slice(0, 1000));
      },
    } as Fetcher;
    const response = await app.request("/encode", ENCODE, envWith(truncated));
    expect(response.status).toBe(503);
    const body = await errorBody(response);
    expect(body.error_type).toBe("model_unavailable");
    expect(body.error).toMatch(/^model\/query\/encoder\.bin: encoder\.bin holds 1000 bytes, not the \d+ its table lists — convert the model again/);
    expect((await health(app)).model_loaded).toBe(false);
  });

  it.each(["encoder.bin", "worker-tokenizer.json"])("names the one missing file (%s), and still serves /info from the manifest alone", async (file) => {
    const app = await freshWorker();
    const assets = assetsWithout(`query/${file}`);
    const response = await app.request("/encode", ENCODE, envWith(assets));
    expect(response.status).toBe(503);
    expect((await errorBody(response)).error).toBe(
      `model/query/${file} is missing — run \`npm run model -- fetch\` (or \`npm run demo\` for a generated test model), then restart`,
    );

    const info = await app.request("/info", {}, envWith(assets));
    expect(info.status).toBe(200);
    expect(info.headers.get("x-splade-random-weights")).toBe("true");
    expect((await health(app)).model_loaded).toBe(false);
  });

  it("loads on the next request once the files are there, and reports it loaded", async () => {
    const app = await freshWorker();
    expect((await app.request("/encode", ENCODE, envWith(assetsWithout("query/encoder.bin")))).status).toBe(503);
    const response = await app.request("/encode?q=red%20planet", {}, envWith());
    expect(response.status).toBe(200);
    expect(await health(app)).toEqual({ status: "ok", model_loaded: true });
  });

  it("keeps the loaded model: a later request does not read the assets again", async () => {
    const app = await freshWorker();
    expect((await app.request("/encode", ENCODE, envWith())).status).toBe(200);
    let reads = 0;
    const counting = {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => {
        reads++;
        return env.ASSETS.fetch(input, init);
      },
    } as Fetcher;
    const response = await app.request("/encode", ENCODE, envWith(counting));
    expect(response.status).toBe(200);
    expect(reads).toBe(0);
  });
});
