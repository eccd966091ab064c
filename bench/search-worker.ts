// A bench-only Worker (bench/search-worker.toml; never deployed): the search core and the /search route timed inside
// workerd, with no HTTP in the measured span. It reads the served folder (query/ and index/) from the ASSETS binding as
// the production Worker does: the index through src/worker/search-index.ts (the route's isolate index, paired with the
// query model, parts kept within SPLADE_INDEX_CACHE_MB), scored by src/index/search.ts searchTopK, the hits' ids read
// as the route reads them.
//
//   GET /health                 answers without touching the index
//   POST /cold  {"query": {"indices","values"}, "k"}
//       the index opened (index.json, terms.bin) and one query searched, each timed, with the parts it fetched.
//       Meaningful as a cold start only as the isolate's first index request: the answer says whether it was (`fresh`).
//   POST /core  {"queries": [{"indices","values"}], "k", "min_ms"}
//       per query: its first search, timed once with the parts it fetched (what a stream of distinct queries costs
//       when the index outgrows the part cache), then the search repeated until `min_ms` has passed (its parts held).
//   POST /route {"texts": ["…"], "k", "min_ms"}
//       per text: GET /search?q=…&k=… through the production app in-process (tokenizer, query model, search, JSON),
//       timed as /core; with the query_terms each answer reported.
//   GET /stats                  the index's part cache: bytes kept, parts, fetches
//
// Local workerd's clock advances within a request at ≈1 ms resolution (bench/kernel-worker.ts), so a sub-millisecond
// search cannot be timed alone: a query's time is the mean of its repeated loop, and quantiles are taken over queries.
import type { IndexReader } from "../src/index/reader.ts";
import { searchTopK } from "../src/index/search.ts";
import type { Query } from "../src/index/score.ts";
import { app, isolateIndex, isolateModel, type SearchBenchContext, type SearchBenchEnv, settingsOf } from "./search-app.mjs";

const ORIGIN = "https://splade-edge.bench";
/** A timed loop stops after this many runs whatever min_ms says. */
const MAX_REPS = 1000;

/** The index parts fetched (from the ASSETS binding) during some span, and their bytes. */
export interface PartTraffic {
  fetches: number;
  fetched_bytes: number;
}

export interface SearchCost {
  /** Mean ms per run of the query's timed loop. */
  ms: number;
  reps: number;
  /** The query's first run: ms (one reading of the ≈1 ms clock) and the parts it fetched. */
  first_ms: number;
  first: PartTraffic;
  /** Parts fetched during the timed loop, all reps together: none when the query's parts fit the cache. */
  loop: PartTraffic;
  /** Query terms with postings, their postings, and what the search read of them. */
  terms: number;
  postings: number;
  /** Lists traversed whole; the rest were only looked up for candidates. */
  traversed: number;
  blocks_decoded: number;
  candidates: number;
  hits: number;
}

export interface SearchColdResult {
  fresh: boolean;
  open_ms: number;
  first_search_ms: number;
  parts_fetched: number;
  bytes_fetched: number;
  cost: Omit<SearchCost, "ms" | "reps" | "first_ms" | "first" | "loop">;
}

export interface RouteCost {
  ms: number;
  reps: number;
  first_ms: number;
  first: PartTraffic;
  loop: PartTraffic;
  query_terms: number;
  hits: number;
}

export interface SearchCacheStats {
  bytes: number;
  parts: number;
  fetches: number;
  fetched_bytes: number;
  budget_bytes: number;
}

let touched = false;

async function openIndex(env: SearchBenchEnv): Promise<IndexReader> {
  return isolateIndex.index(env.ASSETS, settingsOf(env).indexCacheBytes, await isolateModel.manifest(env.ASSETS));
}

/** A search as the route runs it: the top k, then the hits' ids. */
async function search(index: IndexReader, query: Query, k: number) {
  const result = await searchTopK(index, query, k);
  await Promise.all(result.hits.map(({ doc }) => index.documentId(doc)));
  return result;
}

/** The isolate index's fetches so far (none before it is opened). */
function traffic(): PartTraffic {
  const stats = isolateIndex.loaded()?.parts.stats();
  return { fetches: stats?.fetches ?? 0, fetched_bytes: stats?.fetchedBytes ?? 0 };
}

/** What `run` fetched, and how long it took, with its answer. */
async function measured<T>(run: () => Promise<T>): Promise<{ answer: T; ms: number; traffic: PartTraffic }> {
  const before = traffic();
  const t0 = performance.now();
  const answer = await run();
  const ms = performance.now() - t0;
  const after = traffic();
  return { answer, ms, traffic: { fetches: after.fetches - before.fetches, fetched_bytes: after.fetched_bytes - before.fetched_bytes } };
}

/** `run` once (timed, its fetches counted), then repeated until `minMs` has passed. */
async function timedRuns<T>(minMs: number, run: () => Promise<T>) {
  const first = await measured(run);
  const loop = await measured(async () => {
    let reps = 0;
    const t0 = performance.now();
    while (reps < MAX_REPS && (reps === 0 || performance.now() - t0 < minMs)) {
      await run();
      reps++;
    }
    return reps;
  });
  return { answer: first.answer, first_ms: first.ms, first: first.traffic, ms: loop.ms / loop.answer, reps: loop.answer, loop: loop.traffic };
}

async function cold(env: SearchBenchEnv, query: Query, k: number): Promise<SearchColdResult> {
  const fresh = !touched && isolateIndex.loaded() === undefined;
  touched = true;
  // The query model's manifest first: the index is paired with it, and it is not the index's cost.
  const manifest = await isolateModel.manifest(env.ASSETS);
  const t0 = performance.now();
  const index = await isolateIndex.index(env.ASSETS, settingsOf(env).indexCacheBytes, manifest);
  const t1 = performance.now();
  const result = await search(index, query, k);
  const t2 = performance.now();
  const stats = index.parts.stats();
  return {
    fresh,
    open_ms: t1 - t0,
    first_search_ms: t2 - t1,
    parts_fetched: stats.fetches,
    bytes_fetched: stats.fetchedBytes,
    cost: {
      terms: result.stats.terms,
      postings: result.stats.postings,
      traversed: result.stats.traversed,
      blocks_decoded: result.stats.blocksDecoded,
      candidates: result.stats.candidates,
      hits: result.hits.length,
    },
  };
}

async function core(env: SearchBenchEnv, queries: Query[], k: number, minMs: number): Promise<SearchCost[]> {
  touched = true;
  const index = await openIndex(env);
  const costs: SearchCost[] = [];
  for (const query of queries) {
    const { answer, ...timing } = await timedRuns(minMs, () => search(index, query, k));
    const { hits, stats } = answer;
    costs.push({
      ...timing,
      terms: stats.terms,
      postings: stats.postings,
      traversed: stats.traversed,
      blocks_decoded: stats.blocksDecoded,
      candidates: stats.candidates,
      hits: hits.length,
    });
  }
  return costs;
}

async function routeOnce(env: SearchBenchEnv, ctx: SearchBenchContext, text: string, k: number): Promise<{ query_terms: number; hits: unknown[] }> {
  const response = await app.fetch(new Request(`${ORIGIN}/search?${new URLSearchParams({ q: text, k: String(k) })}`), env, ctx);
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET /search answered ${response.status}: ${body.slice(0, 300)}`);
  return JSON.parse(body) as { query_terms: number; hits: unknown[] };
}

async function route(env: SearchBenchEnv, ctx: SearchBenchContext, texts: string[], k: number, minMs: number): Promise<RouteCost[]> {
  touched = true;
  const costs: RouteCost[] = [];
  // The Worker's one log line per request is not what is measured here.
  const log = console.log;
  console.log = () => {};
  try {
    for (const text of texts) {
      const { answer, ...timing } = await timedRuns(minMs, () => routeOnce(env, ctx, text, k));
      costs.push({ ...timing, query_terms: answer.query_terms, hits: answer.hits.length });
    }
  } finally {
    console.log = log;
  }
  return costs;
}

async function stats(env: SearchBenchEnv): Promise<SearchCacheStats> {
  const index = await openIndex(env);
  const s = index.parts.stats();
  return {
    bytes: s.bytes,
    parts: s.parts,
    fetches: s.fetches,
    fetched_bytes: s.fetchedBytes,
    budget_bytes: index.parts.budgetBytes,
  };
}

function positive(value: unknown, name: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new Error(`${name} must be a positive integer`);
  return value as number;
}

export default {
  async fetch(request: Request, env: SearchBenchEnv, ctx: SearchBenchContext): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/health") return Response.json({ ok: true });
      if (url.pathname === "/stats") return Response.json(await stats(env));
      const body = (request.method === "POST" ? await request.json() : {}) as {
        query?: Query;
        queries?: Query[];
        texts?: string[];
        k?: number;
        min_ms?: number;
      };
      const k = positive(body.k, "k");
      if (url.pathname === "/cold" && body.query) return Response.json(await cold(env, body.query, k));
      if (url.pathname === "/core" && body.queries) return Response.json(await core(env, body.queries, k, positive(body.min_ms, "min_ms")));
      if (url.pathname === "/route" && body.texts) return Response.json(await route(env, ctx, body.texts, k, positive(body.min_ms, "min_ms")));
      return Response.json({ error: `no route ${request.method} ${url.pathname} with that body` }, { status: 404 });
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 500 });
    }
  },
};
