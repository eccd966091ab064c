// /search in workerd, on the index global-setup.ts builds into the served folder (test/.generated/model/index, from
// generated vectors: the scores mean nothing, only their equality). Its answers must be the reference scorer's
// (src/index/score.ts exactTopK) on the Worker's own query vector, GET and POST alike; the refusals name the field or
// the fix; an index that does not pair with the served query model is refused saying which.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MANIFEST_FILE } from "../../src/index/format.ts";
import { IndexReader } from "../../src/index/reader.ts";
import { exactTopK } from "../../src/index/score.ts";
import { ApiError } from "../../src/worker/errors";
import { IsolateIndex } from "../../src/worker/search-index";
import { errorBody, get, postJson } from "./http";

interface SearchAnswer {
  hits: Array<{ id: string; score: number; fields?: Record<string, unknown> }>;
  exact: true;
  k: number;
  query_terms: number;
  documents: number;
}

const index = await IndexReader.open(async (file) => new Uint8Array(await (await env.ASSETS.fetch(`https://assets.local/index/${file}`)).arrayBuffer()));

async function queryVector(q: string): Promise<{ indices: number[]; values: number[] }> {
  const response = await get(`/encode?q=${encodeURIComponent(q)}&format=ids`);
  expect(response.status).toBe(200);
  return response.json();
}

async function expected(q: string, k: number) {
  const hits = await exactTopK(index, await queryVector(q), k);
  return Promise.all(hits.map(async ({ doc, score }) => ({ id: await index.documentId(doc), score })));
}

const QUERIES = ["red planet", "what is the capital of france", "sparse retrieval at the edge", "a"];

describe("/search", () => {
  it("answers the reference scorer's top k exactly, GET and POST alike", async () => {
    for (const q of QUERIES) {
      for (const k of [1, 10, 1000]) {
        const response = await get(`/search?q=${encodeURIComponent(q)}&k=${k}`);
        expect(response.status).toBe(200);
        const body = await response.json<SearchAnswer>();
        expect(body.hits).toEqual(await expected(q, k));
        expect(body).toMatchObject({ exact: true, k, documents: index.manifest.documents });
        const posted = await postJson("/search", { query: q, k });
        expect(await posted.json()).toEqual(body);
      }
    }
  });

  it("defaults to k = 10 and reports its stages in Server-Timing", async () => {
    // A query no other test sends: a cached answer runs no stage.
    const response = await get("/search?q=moons+of+saturn");
    expect(response.headers.get("X-Splade-Cache")).toBe("miss");
    const body = await response.json<SearchAnswer>();
    expect(body.k).toBe(10);
    expect(body.hits).toEqual(await expected("moons of saturn", 10));
    expect(response.headers.get("Server-Timing")).toMatch(/tokenize;dur=.*inference;dur=.*search;dur=/);
  });

  it("refuses k outside 1…1000, a missing query and unknown fields, naming them", async () => {
    for (const [path, message] of [
      ["/search?q=mars&k=0", "k must be an integer from 1 to 1000"],
      ["/search?q=mars&k=1001", "k must be an integer from 1 to 1000"],
      ["/search?k=3", "q is required"],
    ]) {
      const response = await get(path);
      expect(response.status).toBe(422);
      expect(await errorBody(response)).toEqual({ error: message, error_type: "validation" });
    }
    const both = await postJson("/search", { query: "mars", q: "mars" });
    expect((await errorBody(both)).error).toBe('give either "query": "…" or "q": "…" (exactly one of them)');
    const unknown = await get("/search?q=mars&fields=nope");
    expect(unknown.status).toBe(422);
    expect((await errorBody(unknown)).error).toMatch(/^fields: nope /);
  });

  it("answers the stored fields asked for, and only those", async () => {
    const body = await (await get("/search?q=red+planet&k=5&fields=url")).json<SearchAnswer>();
    const ranked = await expected("red planet", 5);
    expect(body.hits.map(({ id, score }) => ({ id, score }))).toEqual(ranked);
    for (const hit of body.hits) expect(hit.fields).toEqual({ url: `https://example.org/${hit.id.slice("doc-".length)}` });
    const both = await (await postJson("/search", { q: "red planet", k: 5, fields: ["title", "url"] })).json<SearchAnswer>();
    for (const hit of both.hits) expect(Object.keys(hit.fields ?? {})).toEqual(["title", "url"]);
  });

  it("describes the index in /info", async () => {
    const info = await (await get("/info")).json<{ index: { documents: number; stored: string[]; document_model: unknown } }>();
    expect(info.index).toMatchObject({ documents: index.manifest.documents, stored: index.manifest.stored, document_model: index.manifest.document_model });
  });
});

describe("the isolate's index", () => {
  const query = async () => (await (await env.ASSETS.fetch("https://assets.local/query/manifest.json")).json()) as never;

  /** The served assets with index.json's document model changed. */
  function withDocumentModel(change: (model: Record<string, unknown>) => void): Fetcher {
    return {
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const response = await env.ASSETS.fetch(input, init);
        if (!new URL(String(input)).pathname.endsWith(`/index/${MANIFEST_FILE}`)) return response;
        const manifest = await response.json<{ document_model: Record<string, unknown> }>();
        change(manifest.document_model);
        return Response.json(manifest);
      },
    } as Fetcher;
  }

  it("refuses an index whose documents another model encoded, naming both", async () => {
    const assets = withDocumentModel((m) => {
      m.model = "opensearch-project/opensearch-neural-sparse-encoding-doc-v3-distill";
      m.repo = "opensearch-project/opensearch-neural-sparse-encoding-doc-v3-distill";
    });
    const failed = await new IsolateIndex().index(assets, 1 << 20, await query()).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).kind).toBe("index_unavailable");
    expect((failed as ApiError).message).toMatch(
      /^model\/index was built from documents encoded by opensearch-project\/opensearch-neural-sparse-encoding-doc-v3-distill \(catalogue model opensearch-project\/opensearch-neural-sparse-encoding-doc-v3-distill\), but this Worker serves the query model .*: only one of them is a catalogue model/,
    );
  });

  it("refuses an index of real weights under a generated query model", async () => {
    const failed = await new IsolateIndex()
      .index(
        withDocumentModel((m) => (m.random_weights = false)),
        1 << 20,
        await query(),
      )
      .catch((e: unknown) => e);
    expect((failed as ApiError).message).toMatch(/with real weights, but this Worker serves the query model .* with generated random weights/);
  });

  it("answers 503 index_unavailable naming the command when no index is deployed", async () => {
    const missing = {
      fetch: (input: RequestInfo | URL, init?: RequestInit) =>
        new URL(String(input)).pathname.startsWith("/index/") ? Promise.resolve(new Response("Not Found", { status: 404 })) : env.ASSETS.fetch(input, init),
    } as Fetcher;
    const failed = await new IsolateIndex().index(missing, 1 << 20, await query()).catch((e: unknown) => e);
    expect((failed as ApiError).kind).toBe("index_unavailable");
    expect((failed as ApiError).message).toBe(
      "model/index/index.json is missing — build one with `npx splade-index build <encode-corpus ids files> --output model/index`, then restart",
    );
  });
});
