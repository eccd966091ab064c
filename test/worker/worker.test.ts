// One isolate followed through its life, in order: nothing loaded, model files missing (503), a broken binding
// (500), a manifest from before encoder.bin or an encoder.bin that does not match it (503), the manifest alone (/info),
// then the real files (the next request retries and succeeds).
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import app from "../../src/worker/index";
import { errorBody, get } from "./http";

const ENCODE = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "red planet" }) };

/** The real assets binding with some files taken away. */
function assetsWithout(...files: string[]): Fetcher {
  return {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(input instanceof Request ? input.url : input).pathname;
      return files.includes(path.slice(1)) ? Promise.resolve(new Response("Not Found", { status: 404 })) : env.ASSETS.fetch(input, init);
    },
  } as Fetcher;
}

async function health(): Promise<{ status: string; model_loaded: boolean }> {
  const response = await get("/health");
  expect(response.status).toBe(200);
  return response.json();
}

describe("the model's life in one isolate", () => {
  afterEach(() => vi.restoreAllMocks());

  it("starts with nothing loaded, and /health does not load it", async () => {
    expect(await health()).toEqual({ status: "ok", model_loaded: false });
    expect(await health()).toEqual({ status: "ok", model_loaded: false });
  });

  it("answers 503 model_unavailable naming the fix when model/query is empty", async () => {
    const response = await app.request("/encode", ENCODE, { ASSETS: assetsWithout("manifest.json", "worker-tokenizer.json", "tokenizer_config.json", "encoder.bin") });
    expect(response.status).toBe(503);
    const body = await errorBody(response);
    expect(body.error_type).toBe("model_unavailable");
    expect(body.error).toBe(
      "model/query/manifest.json is missing — run `npm run model -- fetch` (or `npm run demo` for a generated test model), then restart",
    );
    expect((await health()).model_loaded).toBe(false);
  });

  it("answers 500 without internals when the assets binding itself fails", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const broken = { fetch: () => Promise.reject(new Error("binding exploded at /secret/path")) } as unknown as Fetcher;
    const response = await app.request("/encode", ENCODE, { ASSETS: broken });
    expect(response.status).toBe(500);
    const text = await response.clone().text();
    expect(await errorBody(response)).toEqual({ error: "internal error", error_type: "internal" });
    expect(text).not.toMatch(/exploded|secret|at |\.ts/);
    expect(log).toHaveBeenCalledOnce();
  });

  it("says to convert again when the manifest predates encoder.bin", async () => {
    const stale: Fetcher = {
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const response = await env.ASSETS.fetch(input, init);
        if (!new URL(input instanceof Request ? input.url : input).pathname.endsWith("/manifest.json")) return response;
        const { edge: _, ...manifest } = await response.json<Record<string, unknown>>();
        return Response.json(manifest);
      },
    } as Fetcher;
    const response = await app.request("/encode", ENCODE, { ASSETS: stale });
    expect(response.status).toBe(503);
    const body = await errorBody(response);
    expect(body.error_type).toBe("model_unavailable");
    expect(body.error).toMatch(/^model\/query\/manifest\.json lists no encoder\.bin \(splade-edge\/kernel-weights@1\): it predates it — convert the model again/);
    expect((await health()).model_loaded).toBe(false);
  });

  it("says to convert again when encoder.bin does not match its table", async () => {
    const truncated: Fetcher = {
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const response = await env.ASSETS.fetch(input, init);
        if (!new URL(input instanceof Request ? input.url : input).pathname.endsWith("/encoder.bin")) return response;
        return new Response((await response.arrayBuffer()).slice(0, 1000));
      },
    } as Fetcher;
    const response = await app.request("/encode", ENCODE, { ASSETS: truncated });
    expect(response.status).toBe(503);
    const body = await errorBody(response);
    expect(body.error_type).toBe("model_unavailable");
    expect(body.error).toMatch(/^model\/query\/encoder\.bin: encoder\.bin holds 1000 bytes, not the \d+ its table lists — convert the model again/);
    expect((await health()).model_loaded).toBe(false);
  });

  it.each(["encoder.bin", "worker-tokenizer.json"])("names the one missing file (%s), and still serves /info from the manifest alone", async (file) => {
    const assets = assetsWithout(file);
    const response = await app.request("/encode", ENCODE, { ASSETS: assets });
    expect(response.status).toBe(503);
    expect((await errorBody(response)).error).toBe(`model/query/${file} is missing — run \`npm run model -- fetch\` (or \`npm run demo\` for a generated test model), then restart`);

    const info = await app.request("/info", {}, { ASSETS: assets });
    expect(info.status).toBe(200);
    expect(info.headers.get("x-splade-random-weights")).toBe("true");
    expect((await health()).model_loaded).toBe(false);
  });

  it("loads on the next request once the files are there, and reports it loaded", async () => {
    const response = await get("/encode?q=red%20planet");
    expect(response.status).toBe(200);
    expect(await health()).toEqual({ status: "ok", model_loaded: true });
  });

  it("keeps the loaded model: a later request does not read the assets again", async () => {
    let reads = 0;
    const counting = { fetch: (input: RequestInfo | URL, init?: RequestInit) => (reads++, env.ASSETS.fetch(input, init)) } as Fetcher;
    const response = await app.request("/encode", ENCODE, { ASSETS: counting });
    expect(response.status).toBe(200);
    expect(reads).toBe(0);
  });
});
