// Every way a request can be refused, with its status, error_type and a message that says what to fix.
// (Model files missing → 503 and an internal error → 500 are in worker.test.ts, which controls the isolate's state.)
import { beforeAll, describe, expect, it } from "vitest";
import { QUERY_FORMAT_NAMES } from "../../src/encoder/formats/index.ts";
import { errorBody, get, post, postJson } from "./http";

async function expectError(response: Promise<Response> | Response, status: number, errorType: string, message?: RegExp | string): Promise<void> {
  const r = await response;
  expect(r.status).toBe(status);
  const body = await errorBody(r);
  expect(body.error_type).toBe(errorType);
  if (typeof message === "string") expect(body.error).toBe(message);
  else if (message) expect(body.error).toMatch(message);
}

beforeAll(async () => {
  // Loads the manifest, so that every error below also carries X-Splade-Random-Weights.
  expect((await get("/info")).status).toBe(200);
});

describe("the body", () => {
  it("400 invalid_json for malformed JSON", async () => {
    await expectError(post("/encode", '{"query": "mars"'), 400, "invalid_json", /^the request body is not valid JSON: /);
    await expectError(post("/encode", ""), 400, "invalid_json");
  });

  it("415 unsupported_media_type unless the body is declared application/json", async () => {
    await expectError(
      post("/encode", '{"query": "mars"}', "text/plain"),
      415,
      "unsupported_media_type",
      'send the body as JSON with Content-Type: application/json (got Content-Type "text/plain")',
    );
    const untyped = await get("/encode", { method: "POST", body: new Blob(['{"query": "mars"}']) });
    await expectError(untyped, 415, "unsupported_media_type", /got no Content-Type/);
  });

  it("accepts application/json with a charset", async () => {
    expect((await post("/encode", '{"query": "mars", "top_k": 1}', "application/json; charset=utf-8")).status).toBe(200);
  });

  it("413 payload_too_large over 64 KiB, declared or streamed", async () => {
    const big = JSON.stringify({ query: "x ".repeat(33 * 1024) });
    await expectError(post("/encode", big), 413, "payload_too_large", /over 64 KiB/);
    await expectError(post("/embed_sparse", big), 413, "payload_too_large");
    const stream = new Blob([big]).stream();
    const streamed = await get("/encode", { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    await expectError(streamed, 413, "payload_too_large");
  });

  it("422 validation for a body that is not an object", async () => {
    await expectError(postJson("/encode", ["mars"]), 422, "validation", "the request body must be a JSON object");
    await expectError(postJson("/encode", null), 422, "validation", "the request body must be a JSON object");
  });
});

describe("queries", () => {
  it.each([
    [{ query: "" }, "query must not be empty or whitespace only"],
    [{ query: " \t\n\u3000" }, "query must not be empty or whitespace only"],
    [{ query: 42 }, "query must be a string"],
    [{ query: ["mars"] }, "query must be a string"],
    [{ queries: ["mars", "  "] }, "queries[1] must not be empty or whitespace only"],
    [{ queries: ["mars", null] }, "queries[1] must be a string"],
    [{ queries: "mars" }, "queries must be a list of strings"],
    [{ queries: [] }, "queries must hold at least one query"],
    [{ queries: Array(65).fill("mars") }, "queries must hold at most 64 queries (got 65) — split the batch"],
    [{ query: "mars", queries: ["venus"] }, 'give either "query": "…" or "queries": ["…", …] (exactly one of them)'],
    [{ top_k: 3 }, 'give either "query": "…" or "queries": ["…", …] (exactly one of them)'],
    [{ query: "mars", topk: 3 }, 'unknown field "topk" — valid: query, queries, id, ids, top_k, min_weight, format, field, quantize'],
  ])("422 for %j", async (body, message) => {
    await expectError(postJson("/encode", body), 422, "validation", message);
  });

  it("accepts exactly 64 queries", async () => {
    const response = await postJson("/encode", { queries: Array(64).fill("mars"), top_k: 1 });
    expect(response.status).toBe(200);
    expect(await response.json()).toHaveLength(64);
  });

  it("422 when GET has no q, or an unknown parameter", async () => {
    await expectError(get("/encode"), 422, "validation", "q is required");
    await expectError(get("/encode?q=%20"), 422, "validation", "q must not be empty or whitespace only");
    await expectError(get("/encode?q=mars&k=3"), 422, "validation", 'unknown parameter "k" — valid: q, id, top_k, min_weight, format, field, quantize');
  });
});

describe("options", () => {
  it.each([
    [{ top_k: 0 }, "top_k must be a positive integer"],
    [{ top_k: -1 }, "top_k must be a positive integer"],
    [{ top_k: 1.5 }, "top_k must be a positive integer"],
    [{ top_k: "5" }, "top_k must be a positive integer"],
    [{ top_k: 1e300 }, "top_k must be a positive integer"],
    [{ min_weight: -0.1 }, "min_weight must be a number ≥ 0"],
    [{ min_weight: "0.1" }, "min_weight must be a number ≥ 0"],
    [{ quantize: 0 }, "quantize must be an integer from 1 to 1000"],
    [{ quantize: 2.5 }, "quantize must be an integer from 1 to 1000"],
    [{ quantize: 1001 }, "quantize must be an integer from 1 to 1000"],
    [{ field: "" }, "field must not be empty"],
  ])("422 for %j", async (options, message) => {
    await expectError(postJson("/encode", { query: "mars", ...options }), 422, "validation", message);
  });

  it("gives query-string options the same checks and messages", async () => {
    await expectError(get("/encode?q=mars&top_k=abc"), 422, "validation", "top_k must be a positive integer");
    await expectError(get("/encode?q=mars&top_k="), 422, "validation", "top_k must be a positive integer");
    await expectError(get("/encode?q=mars&min_weight=-1"), 422, "validation", "min_weight must be a number ≥ 0");
    await expectError(get("/encode?q=mars&quantize=1e9"), 422, "validation", "quantize must be an integer from 1 to 1000");
    expect((await get("/encode?q=mars&top_k=2&min_weight=0.01&quantize=100&format=pinecone")).status).toBe(200);
  });

  it("422 for an unknown format, listing the valid ones", async () => {
    const list = QUERY_FORMAT_NAMES.join(", ");
    await expectError(postJson("/encode", { query: "mars", format: "solr" }), 422, "validation", `format must be one of ${list} (got "solr")`);
    await expectError(get("/encode?q=mars&format=Terms"), 422, "validation", `format must be one of ${list} (got "Terms")`);
  });

  it.each(["elasticsearch", "opensearch", "qdrant", "milvus"])("422 when %s is asked for without a field", async (format) => {
    const message = `format "${format}" requires the "field" option for queries`;
    await expectError(postJson("/encode", { query: "mars", format }), 422, "validation", message);
    await expectError(get(`/encode?q=mars&format=${format}`), 422, "validation", message);
  });

  it("422 for an option the format would ignore", async () => {
    await expectError(
      postJson("/encode", { query: "mars", format: "pinecone", field: "f" }),
      422,
      "validation",
      'format "pinecone" takes no "field" option for queries',
    );
    await expectError(get("/encode?q=mars&field=f"), 422, "validation", 'format "terms" takes no "field" option for queries');
  });

  it("422 when the encoded vector is one the engine refuses (Pinecone: over 1,000 non-zeros), naming top_k", async () => {
    // The generated query model is dense (~28k non-zero terms for any query).
    await expectError(
      postJson("/encode", { query: "mars", format: "pinecone" }),
      422,
      "validation",
      /^query "0" has \d+ non-zero terms; Pinecone takes at most 1000 per sparse vector — keep the heaviest with top_k 1000/,
    );
    const ok = await postJson("/encode", { query: "mars", format: "pinecone", top_k: 1000 });
    expect(ok.status).toBe(200);
    expect((await ok.json<{ sparseVector: { indices: number[] } }>()).sparseVector.indices).toHaveLength(1000);
  });

  it("422 for a field or query id the format cannot write", async () => {
    await expectError(
      postJson("/encode", { query: "mars", format: "vespa", field: "my-tensor" }),
      422,
      "validation",
      /^Vespa query input "my-tensor" must be an identifier/,
    );
    await expectError(
      postJson("/encode", { queries: ["mars", "venus"], ids: ["q 1", "q2"], format: "anserini" }),
      422,
      "validation",
      /^query "q 1": the id contains whitespace/,
    );
    await expectError(postJson("/encode", { query: "mars", id: "a:b", format: "pisa" }), 422, "validation", /^query "a:b": the id contains ":"/);
    await expectError(
      postJson("/encode", { queries: ["mars", "venus"], ids: ["q1"] }),
      422,
      "validation",
      "ids must hold one id per query (got 1 ids for 2 queries)",
    );
    await expectError(postJson("/encode", { query: "mars", ids: ["q1"] }), 422, "validation", '"ids" goes with "queries"; a single "query" takes "id"');
    await expectError(postJson("/encode", { query: "mars", id: true }), 422, "validation", "id must be a string or a non-negative integer");
  });
});

describe("routes", () => {
  it.each(["/encode/", "/v1/encode", "/embed", "/favicon.ico"])("404 not_found as JSON for GET %s", async (path) => {
    await expectError(get(path), 404, "not_found", `no route for GET ${path} — see GET /info`);
  });

  it("GET / is the page (HTML under a hash-based CSP), not a 404", async () => {
    const response = await get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toMatch(/script-src 'sha256-[A-Za-z0-9+/]{43}='/);
    expect(await response.text()).toMatch(/^<!doctype html>/);
  });

  it("405 method_not_allowed with Allow for a known path", async () => {
    const response = await get("/encode", { method: "DELETE" });
    expect(response.headers.get("allow")).toBe("GET, HEAD, POST");
    await expectError(response, 405, "method_not_allowed", "DELETE /encode is not supported — allowed: GET, HEAD, POST");
    await expectError(post("/health", "{}"), 405, "method_not_allowed");
  });

  it("marks errors from a random-weights model too", async () => {
    for (const response of [await get("/nope"), await postJson("/encode", {}), await post("/encode", "{")]) {
      expect(response.headers.get("x-splade-random-weights")).toBe("true");
    }
  });
});
