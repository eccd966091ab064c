import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../../src/worker/index";
import { VOCAB_SIZE, expectedScores } from "./tiny-model";

interface RawOutput {
  name: string;
  dims: number[];
  data: number[];
}

function encodeRaw(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

async function modelLoaded(): Promise<boolean> {
  const response = await exports.default.fetch("https://worker.test/health");
  expect(response.status).toBe(200);
  const body = await response.json<{ status: string; model_loaded: boolean }>();
  expect(body.status).toBe("ok");
  return body.model_loaded;
}

/** An `ASSETS` binding that forwards to the real one and counts how often the Worker reads it. */
function countingAssets(): { assets: Fetcher; fetches: () => number } {
  let fetches = 0;
  const assets = {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => {
      fetches++;
      return env.ASSETS.fetch(input, init);
    },
  } as Fetcher;
  return { assets, fetches: () => fetches };
}

// One isolate, followed through its life: the tests share the Worker's session and run in order.
describe("onnxruntime-web in workerd", () => {
  it("reports the model as not loaded before the first request", async () => {
    expect(await modelLoaded()).toBe(false);
  });

  it("rejects a body without input ids", async () => {
    const response = await exports.default.fetch("https://worker.test/encode-raw", encodeRaw({ ids: [1] }));
    expect(response.status).toBe(400);
  });

  it("answers 503 when the model file is missing, and retries on the next request", async () => {
    const missing = { fetch: async () => new Response("Not Found", { status: 404 }) } as unknown as Fetcher;
    const response = await app.request("/encode-raw", encodeRaw({ input_ids: [1, 2] }), { ASSETS: missing });
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("npm run model -- fetch");
    expect(await modelLoaded()).toBe(false);
  });

  it("runs the model from the assets binding and returns its exact output", async () => {
    const ids = [1, 5, 9, 3, 15];
    const response = await exports.default.fetch("https://worker.test/encode-raw", encodeRaw({ input_ids: ids }));
    expect(response.status).toBe(200);
    const output = await response.json<RawOutput>();
    expect(output.name).toBe("scores");
    expect(output.dims).toEqual([1, VOCAB_SIZE]);
    const expected = expectedScores(ids);
    output.data.forEach((value, v) => expect(value).toBeCloseTo(expected[v], 5));
    expect(await modelLoaded()).toBe(true);
  });

  it("reuses the loaded session instead of reading the model again", async () => {
    const { assets, fetches } = countingAssets();
    const ids = [0, 7];
    const response = await app.request("/encode-raw", encodeRaw({ input_ids: ids }), { ASSETS: assets });
    expect(response.status).toBe(200);
    const output = await response.json<RawOutput>();
    const expected = expectedScores(ids);
    output.data.forEach((value, v) => expect(value).toBeCloseTo(expected[v], 5));
    expect(fetches()).toBe(0);
  });

  it("serializes concurrent runs on the one session", async () => {
    const batches = [[2], [4, 6], [8, 10, 12], [14, 1, 3, 5]];
    const outputs = await Promise.all(
      batches.map(async (ids) => {
        const response = await exports.default.fetch("https://worker.test/encode-raw", encodeRaw({ input_ids: ids }));
        expect(response.status).toBe(200);
        return (await response.json<RawOutput>()).data;
      }),
    );
    outputs.forEach((data, i) => {
      const expected = expectedScores(batches[i]);
      data.forEach((value, v) => expect(value).toBeCloseTo(expected[v], 5));
    });
  });
});
