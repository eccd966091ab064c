// /search end to end (issue 20, point 4): generated passages (JSONL with a title and a url) encoded by the real
// `encode-corpus` CLI (ids format, two shards), indexed by the real `splade-index build` CLI (`--store title,url`) into
// `<tmp>/model/index`, served with a generated query model in `<tmp>/model/query` by the real Worker in workerd
// (`wrangler dev`, the folder as its assets). Every answer, GET and POST, k = 1 to 1000, must be exactly — ids and
// scores, bit for bit — a brute force written from docs/search.md over the ids files
// (test/support/index-brute-force.ts), for the query vector the same Worker gives on /encode?format=ids. DuckDB
// (src/engines/duckdb.ts, the engine `npm run eval` retrieves with) sums the same integers (impacts × the query's
// 16-bit weights) for the same queries: the same scores, bit for bit, equal scores in its own order.
//
// Generated (random) weights: the rankings mean nothing, only their equality. Timings are printed, never asserted.
import type { ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDuckdb, type Duckdb } from "../../src/engines/duckdb.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { assetsFolder, startWorker, type WorkerServer } from "../../src/node/wrangler-dev.ts";
import { runScript, startScript, type CliResult } from "../cli/run-script.ts";
import { exactProblems, type Exact } from "../support/brute-force.ts";
import {
  bruteForceRanking,
  impactsIdsJsonl,
  quantizeCorpus,
  quantizeQueryWeights,
  readIdsFiles,
  type QuantizedCorpus,
  type RankedDocument,
} from "../support/index-brute-force.ts";
import { ENGINE_QUERIES } from "../support/engine-queries.ts";
import { generatePassages } from "../support/passages.ts";
import { REQUEST_DEADLINE_MS, SETUP_TIMEOUT_MS, step } from "../support/setup-steps.ts";

const DOC_MODEL = resolve(FIXTURE_ROOT, "model", "doc");
/** Its queries keep tens to hundreds of terms, as trained query encoders do (the plain fixture's keep ~28k). */
const QUERY_MODEL = resolve(FIXTURE_ROOT, "model", "query-sparse");
const PASSAGES = 2000;
/** Documents are cut here: the generated doc model's cost grows with it (encoding is most of this file's time). */
const DOC_MAX_LENGTH = 64;
/**
 * The generated doc model makes most of the vocabulary non-zero (a trained one keeps ~100–200 terms): 1,024 a document
 * lets a query of the sparse query model's ~10–60 terms reach more than 1,000 of the documents, so k = 1000 is a real
 * cut, and makes 2M postings, several 1 MiB postings parts, so a query reads several.
 */
const DOC_TOP_K = 1024;
const KS = [1, 10, 100, 1000];
/** DuckDB sums integers too: its scores are the brute force's exactly; only equal scores may come in another order. */
const EXACT = { score: 0, tie: 0 } as const;

/** Ids the id table must keep byte for byte (JSON escapes, UTF-8), none with whitespace (DuckDB's eval index refuses it). */
const ODD_IDS = ["quo\"te's", "back\\slash", "café-zürich", "日本語", "emoji-🚀"];
const docId = (i: number) => (i < ODD_IDS.length ? ODD_IDS[i] : `p${String(i).padStart(4, "0")}`);

/** The other engine tests' queries, ten more phrases, and two of bare function words (the commonest tokens). */
const QUERIES = [
  ...ENGINE_QUERIES,
  "the history of the river and the city",
  "music of the season",
  "protein in a cell",
  "court station village game",
  "first ocean energy",
  "is the moon a planet or a star",
  "where do penguins live",
  "how to make bread at home without yeast",
  "the",
  "a an of to in",
];

interface SearchAnswer {
  hits: Array<{ id: string; score: number; fields?: Record<string, string> }>;
  exact: boolean;
  k: number;
  query_terms: number;
  documents: number;
}

interface QueryVector {
  indices: number[];
  values: number[];
}

const tmp = mkdtempSync(join(tmpdir(), "splade-search-"));
const path = (...names: string[]) => join(tmp, ...names);
const timings: Record<string, string | number> = {};
const ms = (x: number) => Math.round(x);

let worker: WorkerServer | undefined;
let otherWorker: WorkerServer | undefined;
let duck: Duckdb | undefined;
const encoders: ChildProcess[] = [];
let corpus: QuantizedCorpus;
const vectors: QueryVector[] = [];
let rankings: RankedDocument[][];
/** Per query: its terms (after the 16-bit quantization) that some document holds (what /search reports as query_terms). */
let queryTerms: number[];
/** The corpus encode-corpus read, in input order. */
let records: Array<{ id: string; title: string; url?: string; text: string }>;

/** Exit 0 and nothing on stderr but the warnings every run on a generated model prints. */
function expectCli(r: CliResult): void {
  const other = r.stderr.split("\n").filter((line) => line !== "" && !/^⚠ .* (holds random weights|this index's scores mean nothing)/.test(line));
  expect(other, r.stderr).toEqual([]);
  expect(r.code, r.stderr).toBe(0);
}

async function encodeShard(shard: number): Promise<CliResult> {
  const { child, done } = startScript("src/cli/encode-corpus.ts", [
    path("passages.jsonl"),
    "--output",
    path(`part-${shard}.jsonl`),
    "--format",
    "ids",
    "--shard",
    `${shard}/2`,
    "--model",
    DOC_MODEL,
    "--max-length",
    String(DOC_MAX_LENGTH),
    "--top-k",
    String(DOC_TOP_K),
    "--threads",
    "1",
    "--quiet",
  ]);
  child.stdin.end();
  encoders.push(child);
  return done;
}

const buildIndex = (inputs: string[], output: string, model: string, extra: string[] = []) =>
  runScript("src/cli/index.ts", ["build", ...inputs, "--output", output, "--model", model, "--quiet", ...extra]);

async function json<T>(response: Response): Promise<T> {
  const body = await response.text();
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new Error(`${response.status} answer is not JSON: ${body.slice(0, 300)}`);
  }
}

async function getSearch(
  server: WorkerServer,
  params: Record<string, string>,
): Promise<{ status: number; body: SearchAnswer & { error?: string; error_type?: string } }> {
  const response = await server.fetch(`/search?${new URLSearchParams(params)}`);
  return { status: response.status, body: await json(response) };
}

async function postSearch(server: WorkerServer, body: unknown): Promise<{ status: number; body: SearchAnswer & { error?: string; error_type?: string } }> {
  const response = await server.fetch("/search", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: await json(response) };
}

beforeAll(async () => {
  const vocab = (JSON.parse(readFileSync(join(DOC_MODEL, "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number> } }).model.vocab;
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(vocab)) tokens[id] = token;
  records = generatePassages(tokens, PASSAGES, 20261220).map((text, i) => ({
    id: docId(i),
    // Stored fields are any JSON: a string, and for some documents a url and for others none.
    title: text.split(" ").slice(0, 4).join(" "),
    ...(i % 3 === 0 ? {} : { url: `https://example.org/${encodeURIComponent(docId(i))}` }),
    text,
  }));
  writeFileSync(path("passages.jsonl"), records.map((r) => `${JSON.stringify(r)}\n`).join(""));
  // The served folder, as wrangler.toml's assets: the query model in query/, the index in index/.
  await assetsFolder(QUERY_MODEL, path("model"));
  // A document model named as another catalogue model: an index built with it does not pair with the query model.
  const otherDoc = path("other-doc");
  cpSync(DOC_MODEL, otherDoc, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(otherDoc, "manifest.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(otherDoc, "manifest.json"), JSON.stringify({ ...manifest, model: "test/other-doc-model" }));
  await assetsFolder(QUERY_MODEL, path("other"));

  let t0 = performance.now();
  const [shard0, shard1] = await Promise.all([
    step("encode-corpus --shard 0/2", encodeShard(0)),
    step("encode-corpus --shard 1/2", encodeShard(1)),
    step(
      "DuckDB open",
      openDuckdb().then((opened) => (duck = opened)),
    ),
  ]);
  timings["encode-corpus, 2 shards at once (s)"] = ms((performance.now() - t0) / 1000);
  expectCli(shard0);
  expectCli(shard1);
  const parts = [path("part-0.jsonl"), path("part-1.jsonl")];

  t0 = performance.now();
  const [built, otherBuilt] = await Promise.all([
    step("splade-index build", buildIndex(parts, path("model", "index"), DOC_MODEL, ["--store", "title,url", "--corpus", path("passages.jsonl")])),
    step("splade-index build (other model)", buildIndex([parts[1]], path("other", "index"), otherDoc)),
  ]);
  timings["splade-index build (ms)"] = ms(performance.now() - t0);
  expectCli(built);
  expectCli(otherBuilt);

  t0 = performance.now();
  // The cache off: every answer is searched, none replayed.
  [worker, otherWorker] = await Promise.all([
    step("wrangler dev start", startWorker(path("model"), { vars: { SPLADE_CACHE_TTL: "0" } })),
    step("wrangler dev start (other index)", startWorker(path("other"), { vars: { SPLADE_CACHE_TTL: "0" } })),
  ]);
  timings["2 workers start (ms)"] = ms(performance.now() - t0);

  t0 = performance.now();
  for (const q of QUERIES) {
    const response = await worker.fetch(`/encode?${new URLSearchParams({ q, format: "ids" })}`, { signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) });
    const body = await json<QueryVector>(response);
    if (!response.ok) throw new Error(`GET /encode?format=ids answered ${response.status}: ${JSON.stringify(body)}`);
    vectors.push({ indices: body.indices, values: body.values });
  }
  timings[`${QUERIES.length} GET /encode (ms)`] = ms(performance.now() - t0);

  corpus = quantizeCorpus(readIdsFiles(parts));
  rankings = vectors.map((v) => bruteForceRanking(corpus, v));
  const held = new Set(corpus.docs.flatMap((d) => [...d.terms]));
  queryTerms = vectors.map((v) => [...quantizeQueryWeights(v).weights.keys()].filter((t) => held.has(t)).length);
  writeFileSync(path("impacts.ids.jsonl"), impactsIdsJsonl(corpus));
  const loaded = await duck!.loadIndex({ files: [path("impacts.ids.jsonl")], fingerprint: "search.test" }, { prefix: "impacts" });
  expect(loaded.documents).toBe(PASSAGES);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  console.log(
    `/search end to end: ${PASSAGES} passages × top ${DOC_TOP_K} terms, ${QUERIES.length} queries\n${Object.entries(timings)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join("\n")}`,
  );
  for (const child of encoders) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await worker?.stop();
  await otherWorker?.stop();
  duck?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("the index and the brute force", () => {
  it("index.json records the brute force's scale and every document", () => {
    const manifest = JSON.parse(readFileSync(path("model", "index", "index.json"), "utf8")) as {
      documents: number;
      postings: number;
      quantization: { scale: number; max_weight: number };
      postings_files: string[];
    };
    expect(manifest.quantization).toMatchObject({ scale: corpus.scale, max_weight: corpus.maxWeight });
    expect(manifest.documents).toBe(PASSAGES);
    expect(manifest.postings).toBe(corpus.docs.reduce((n, d) => n + d.terms.length, 0));
    // Not vacuous: a query reads more than one postings part.
    expect(manifest.postings_files.length).toBeGreaterThan(1);
  });

  it("every k is a real cut: a quarter of the queries or more share terms with more documents than k", () => {
    const reached = rankings.map((r) => r.length);
    timings["documents sharing a term with a query (min, max)"] = `${Math.min(...reached)}, ${Math.max(...reached)}`;
    for (const k of KS) expect(reached.filter((n) => n >= k).length, `queries reaching ${k} documents`).toBeGreaterThanOrEqual(QUERIES.length / 4);
    // Ties at the cut are where a wrong tie rule shows: equal scores exist in these rankings.
    const ties = rankings.reduce((n, r) => n + r.filter((h, i) => i > 0 && h.score === r[i - 1].score).length, 0);
    timings["equal adjacent scores in the brute-force rankings"] = ties;
  });
});

describe("/search in workerd", () => {
  it("GET and POST answer exactly the brute-force top k: ids and scores bit for bit, ties by input order", async () => {
    const problems: string[] = [];
    const t0 = performance.now();
    let requests = 0;
    for (const [i, q] of QUERIES.entries()) {
      for (const k of KS) {
        const expected = rankings[i].slice(0, k).map(({ id, score }) => ({ id, score }));
        const answers = [
          ["GET", await getSearch(worker!, { q, k: String(k) })],
          ["POST query", await postSearch(worker!, { query: q, k })],
        ] as const;
        requests += answers.length;
        for (const [how, { status, body }] of answers) {
          const where = `${how} ${JSON.stringify(q)} k=${k}`;
          if (status !== 200) {
            problems.push(`${where}: ${status} ${JSON.stringify(body)}`);
            continue;
          }
          const hits = body.hits.map(({ id, score }) => ({ id, score }));
          const first = hits.findIndex((h, r) => h.id !== expected[r]?.id || !Object.is(h.score, expected[r]?.score));
          if (first >= 0 || hits.length !== expected.length) {
            problems.push(
              `${where}: ${hits.length} hits for ${expected.length}; first difference at rank ${first + 1}: ${JSON.stringify(hits[first])} vs ${JSON.stringify(expected[first])}`,
            );
          }
          if (body.exact !== true || body.k !== k || body.documents !== PASSAGES || body.query_terms !== queryTerms[i]) {
            problems.push(
              `${where}: exact ${body.exact}, k ${body.k}, documents ${body.documents}, query_terms ${body.query_terms} (expected ${queryTerms[i]})`,
            );
          }
          if (body.hits.some((h) => h.fields !== undefined)) problems.push(`${where}: fields without being asked`);
        }
      }
    }
    timings[`${requests} /search answers (ms)`] = ms(performance.now() - t0);
    expect(problems).toEqual([]);
  }, 120_000);

  it("POST takes q as well as query, and k defaults to 10", async () => {
    const a = await postSearch(worker!, { q: QUERIES[0] });
    const b = await getSearch(worker!, { q: QUERIES[0] });
    const expected = rankings[0].slice(0, 10).map(({ id, score }) => ({ id, score }));
    for (const { status, body } of [a, b]) {
      expect(status).toBe(200);
      expect(body.k).toBe(10);
      expect(body.hits).toEqual(expected);
    }
  });

  it("answers the stored fields asked for, GET and POST, as the corpus has them", async () => {
    const byId = new Map(records.map((r) => [r.id, r]));
    const problems: string[] = [];
    for (const [i, q] of QUERIES.slice(0, 10).entries()) {
      const expected = rankings[i].slice(0, 100).map(({ id, score }) => {
        const { title, url } = byId.get(id)!;
        return { id, score, fields: url === undefined ? { title } : { title, url } };
      });
      for (const [how, { status, body }] of [
        ["GET", await getSearch(worker!, { q, k: "100", fields: "title,url" })],
        ["POST", await postSearch(worker!, { query: q, k: 100, fields: ["url", "title"] })],
      ] as const) {
        if (status !== 200) problems.push(`${how} ${q}: ${status} ${JSON.stringify(body)}`);
        else if (!isDeepStrictEqual(body.hits, expected))
          problems.push(`${how} ${q}: ${JSON.stringify(body.hits.slice(0, 2))} vs ${JSON.stringify(expected.slice(0, 2))}`);
      }
    }
    expect(problems).toEqual([]);
    // Only what was asked for.
    const one = await getSearch(worker!, { q: QUERIES[0], k: "5", fields: "url" });
    expect(one.body.hits.map((h) => Object.keys(h.fields ?? {}).filter((f) => f !== "url"))).toEqual([[], [], [], [], []]);
    // A field the index does not store.
    const unknown = await getSearch(worker!, { q: QUERIES[0], fields: "title,body" });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toContain("body");
  });

  it("refuses k outside 1–1000 and a missing query with 422", async () => {
    const refusals = [
      await getSearch(worker!, { q: "red planet", k: "0" }),
      await getSearch(worker!, { q: "red planet", k: "1001" }),
      await getSearch(worker!, { k: "10" }),
      await postSearch(worker!, { query: "red planet", k: 0 }),
      await postSearch(worker!, { query: "red planet", k: 1001 }),
      await postSearch(worker!, { k: 10 }),
    ];
    for (const { status, body } of refusals) {
      expect(status, JSON.stringify(body)).toBe(422);
      expect(body.error).toEqual(expect.any(String));
      expect(body.error_type).toEqual(expect.any(String));
    }
  });

  it("refuses an index built with a document model that does not pair with the query model: 503 naming both", async () => {
    for (const { status, body } of [await getSearch(otherWorker!, { q: "red planet" }), await postSearch(otherWorker!, { query: "red planet" })]) {
      expect(status, JSON.stringify(body)).toBe(503);
      expect(body.error_type).toBe("index_unavailable");
      expect(body.error).toContain("test/other-doc-model");
      expect(body.error).toContain("query-sparse");
    }
    // The query model itself is fine: /encode still answers.
    expect((await otherWorker!.fetch(`/encode?${new URLSearchParams({ q: "red planet" })}`)).status).toBe(200);
  });
});

describe("DuckDB on the same quantized vectors", () => {
  it("returns the brute-force top k for every query: the same scores bit for bit, equal scores in any order", async () => {
    const problems: string[] = [];
    const times: number[] = [];
    for (const [i, vector] of vectors.entries()) {
      const exact: Exact = {
        scores: new Map(rankings[i].map((h) => [h.id, h.score])),
        ranked: rankings[i].map(({ id, score }) => ({ id, score })),
      };
      // The query's integer weights, as the index scores with them: DuckDB sums the same integer products.
      const { weights, factor } = quantizeQueryWeights(vector);
      const integers = { indices: [...weights.keys()], values: [...weights.values()] };
      for (const k of KS) {
        const t0 = performance.now();
        const hits = await duck!.searchIndex(integers, k, { prefix: "impacts" });
        times.push(performance.now() - t0);
        const scores = hits.map((h) => ({ id: h.id, score: h.score / (factor * corpus.scale) }));
        problems.push(...exactProblems(scores, exact, Math.min(k, exact.ranked.length), EXACT).map((p) => `${QUERIES[i]} k=${k}: ${p}`));
      }
    }
    timings["duckdb exact top-k, mean (ms)"] = ms(times.reduce((a, b) => a + b, 0) / times.length);
    expect(problems).toEqual([]);
  });
});
