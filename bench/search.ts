// `npm run bench -- search`: search at the edge at scale (issue 20), one run, the sizes side by side. Per size of the
// retrieval bench's synthetic collection (bench/sparse-collection.ts: ~120 Zipf-distributed terms a passage), cached
// under test/.generated/bench/search keyed by size and seed:
// - the index built by the real `splade-index build` process (under /usr/bin/time: wall time and peak RSS), its size
//   and files;
// - the search core inside workerd (bench/search-worker.ts, in-process: the route's isolate index and searchTopK, no
//   HTTP) on the collection's QUERY_SHAPE vectors (15–35 terms, as trained query encoders give): a fresh Worker's first
//   query (the index opened, its parts fetched), warm p50/p99 at k = 10 and 1000, and the isolate's memory after them
//   (V8 heap + ArrayBuffers after a full GC, through the inspector, as bench/worker-memory.ts reads it);
// - `/search?q=` with text queries: through the production app in-process (tokenizer, the generated query model,
//   search, JSON), and over HTTP through `wrangler dev` (a fresh Worker's first request, then warm round trips), with
//   the query term counts the generated query model gave;
// - DuckDB's exact top-k (src/engines/duckdb.ts, `npm run eval`'s engine) on the same vectors and query vectors.
// Reports through callbacks; asserts nothing. Generated weights: costs are real, rankings mean nothing.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDuckdb } from "../src/engines/duckdb.ts";
import { fingerprint, INDEX_PREFIX } from "../src/eval/retrieve.ts";
import { assetsFolder, freePort, startWorker, type WorkerServer } from "../src/node/wrangler-dev.ts";
import type { RouteCost, SearchCacheStats, SearchColdResult, SearchCost } from "./search-worker.ts";
import { DOC_SHAPE, QUERY_SHAPE, type SparseVectorRecord, writeSparseCollection } from "./sparse-collection.ts";
import { quantiles, type Quantiles } from "./stats.ts";
import { parseServerTiming } from "./worker-client.ts";
import { cpuMs, workerdPids } from "./workerd-process.ts";

/** The bench-only Worker (search-worker.ts); the production one is wrangler.toml. */
export const SEARCH_WORKER_CONFIG = fileURLToPath(new URL("./search-worker.toml", import.meta.url));
const INDEX_CLI = fileURLToPath(new URL("../src/cli/index.ts", import.meta.url));
export const SEARCH_BENCH_KS = [10, 1000] as const;
/** A query's timed loop inside workerd runs at least this long (the local clock's ≈1 ms steps are then ≤ 5 %). */
const MIN_LOOP_MS = 20;
const DUCKDB_WARMUP = 3;
/** Queries per request to the bench Worker. */
const CHUNK = 10;

export interface SearchBenchOptions {
  sizes: number[];
  /** Measured queries per k (vectors and texts alike). */
  queries: number;
  seed: number;
  out: string;
  /** The generated doc model the index records, and the generated query model the Worker serves (they pair). */
  docModel: string;
  queryModel: string;
  /** Text queries for /search. */
  texts: string[];
  onPhase?(message: string): void;
}

export interface BuildResult {
  wall_s: number;
  peak_rss_mib: number;
  /** The builder's own summary (--json). */
  summary: Record<string, unknown>;
}

export interface HttpResult {
  /** A fresh Worker's first GET /search (the query model and the index loaded by it). */
  cold_round_trip_ms: number;
  cold_server_timing: Record<string, number>;
  /** Warm round trips through wrangler dev's proxy, and their Server-Timing `search`, per k. */
  warm: Record<string, { round_trip_ms: Quantiles; search_ms: Quantiles }>;
}

export interface SearchBenchRow {
  documents: number;
  postings: number;
  index_bytes: number;
  index_files: number;
  build: BuildResult;
  core_cold: SearchColdResult;
  core: Record<
    string,
    {
      ms: Quantiles;
      mean_ms: number;
      /** The Worker's workerd process CPU time over every search of the phase (untimed first runs included): less swayed by a busy machine than wall time. */
      cpu_ms_per_search: number;
      terms: Quantiles;
      blocks_decoded: Quantiles;
      postings: Quantiles;
    }
  >;
  isolate: { heap_used_mib: number; backing_stores_mib: number; total_mib: number; cache: SearchCacheStats };
  route: Record<string, { ms: Quantiles; cpu_ms_per_request: number; query_terms: Quantiles }>;
  http: HttpResult;
  duckdb: { version: string; load_s: number | null; query_ms: Record<string, Quantiles> };
}

export interface SearchBenchResult {
  queries: number;
  /** 1, 5 and 15 minute load averages when the run began and ended: the machine is shared. */
  load_average: { start: number[]; end: number[] };
  rows: SearchBenchRow[];
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function readRecords(file: string): SparseVectorRecord[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SparseVectorRecord);
}

/** The real builder's process under /usr/bin/time -v: its wall time and peak resident set. */
function buildIndex(docs: string, output: string, docModel: string): Promise<BuildResult> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(
      "/usr/bin/time",
      ["-v", process.execPath, "--import", "tsx", INDEX_CLI, "build", docs, "--output", output, "--model", docModel, "--quiet", "--json"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", fail);
    child.on("close", (code) => {
      if (code !== 0) return fail(new Error(`splade-index build exited with ${code}:\n${stderr.slice(-2000)}`));
      const kib = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
      done({ wall_s: (performance.now() - t0) / 1000, peak_rss_mib: mib(Number(kib) * 1024), summary: JSON.parse(stdout) as Record<string, unknown> });
    });
  });
}

/**
 * The isolate's V8 heap and ArrayBuffers after a full GC, through wrangler's inspector proxy (argv: its port, the
 * Worker's base URL), as bench/worker-memory.ts reads them: the Network domain off (wrangler turns it on, and its
 * events cost the proxy more than what is measured), and /health requests sent until the GC answers — workerd runs
 * the inspector's GC task only when the isolate next runs.
 */
const HEAP_PROBE = `
const [port, base] = process.argv.slice(1);
const socket = new WebSocket("ws://127.0.0.1:" + port + "/ws", { headers: { Origin: "http://127.0.0.1" } });
let id = 0;
const pending = new Map();
socket.addEventListener("message", (event) => {
  const message = JSON.parse(String(event.data));
  if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
});
const call = (method) => new Promise((done) => { pending.set(++id, done); socket.send(JSON.stringify({ id, method })); });
socket.addEventListener("open", async () => {
  await call("Network.disable");
  let collected = false;
  const gc = call("HeapProfiler.collectGarbage").then(() => (collected = true));
  while (!collected) {
    await (await fetch(base + "/health", { headers: { connection: "close" } })).arrayBuffer();
    await Promise.race([gc, new Promise((resolve) => setTimeout(resolve, 100))]);
  }
  process.stdout.write(JSON.stringify(await call("Runtime.getHeapUsage")));
  socket.close();
  process.exit(0);
});
socket.addEventListener("error", () => { console.error("no inspector on port " + port); process.exit(1); });
`;

/** Node 20's WebSocket client is behind a flag: the probe runs in a process of its own that has it. */
function isolateHeap(port: number, base: string): Promise<{ usedSize: number; totalSize: number; backingStorageSize: number }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--experimental-websocket", "-e", HEAP_PROBE, String(port), base], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? done(JSON.parse(out)) : fail(new Error(`the heap probe exited with ${code}`))));
  });
}

/**
 * `items` sent CHUNK at a time, answers concatenated: one request per chunk stays well inside fetch's 300 s wait for
 * headers when a search takes seconds (1M passages on a busy machine).
 */
async function inChunks<T, R>(items: readonly T[], send: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(...(await send(items.slice(i, i + CHUNK))));
  return out;
}

async function post<T>(server: WorkerServer, path: string, body: unknown): Promise<T> {
  const response = await server.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function timedSearch(server: WorkerServer, text: string, k: number): Promise<{ ms: number; timing: Record<string, number> }> {
  const t0 = performance.now();
  const response = await server.fetch(`/search?${new URLSearchParams({ q: text, k: String(k) })}`);
  const body = await response.text();
  const ms = performance.now() - t0;
  if (!response.ok) throw new Error(`GET /search answered ${response.status}: ${body.slice(0, 500)}`);
  return { ms, timing: parseServerTiming(response.headers.get("server-timing")) };
}

/** The search core and the in-process route in a fresh bench Worker, and the isolate's memory after them. */
async function benchInWorkerd(folder: string, queries: SparseVectorRecord[], texts: string[], options: SearchBenchOptions) {
  const inspectorPort = await freePort();
  const server = await startWorker(folder, { config: SEARCH_WORKER_CONFIG, inspectorPort });
  try {
    const pid = workerdPids(inspectorPort).worker;
    /** `work`'s answer, and the Worker process's CPU ms per run (each cost's timed reps and its one untimed run). */
    const cpuPerRun = async <T extends { reps: number }>(work: () => Promise<T[]>) => {
      const before = cpuMs(pid);
      const costs = await work();
      return { costs, cpu: (cpuMs(pid) - before) / costs.reduce((n, c) => n + c.reps + 1, 0) };
    };
    const vector = (q: SparseVectorRecord) => ({ indices: q.indices, values: q.values });
    const core_cold = await post<SearchColdResult>(server, "/cold", { query: vector(queries[0]), k: 10 });
    const core: SearchBenchRow["core"] = {};
    for (const k of SEARCH_BENCH_KS) {
      options.onPhase?.(`  search core, k = ${k}: ${queries.length} query vectors`);
      const { costs, cpu } = await cpuPerRun(() =>
        inChunks(queries.map(vector), (chunk) => post<SearchCost[]>(server, "/core", { queries: chunk, k, min_ms: MIN_LOOP_MS })),
      );
      core[k] = {
        ms: quantiles(costs.map((c) => c.ms)),
        mean_ms: costs.reduce((s, c) => s + c.ms, 0) / costs.length,
        cpu_ms_per_search: cpu,
        terms: quantiles(costs.map((c) => c.terms)),
        blocks_decoded: quantiles(costs.map((c) => c.blocks_decoded)),
        postings: quantiles(costs.map((c) => c.postings)),
      };
    }
    // Memory once the core has run every query at both k: the part cache as full as these queries make it.
    const heap = await isolateHeap(inspectorPort, server.base);
    const cache = JSON.parse(await (await server.fetch("/stats")).text()) as SearchCacheStats;
    const route: SearchBenchRow["route"] = {};
    for (const k of SEARCH_BENCH_KS) {
      options.onPhase?.(`  /search in-process, k = ${k}: ${texts.length} texts`);
      const { costs, cpu } = await cpuPerRun(() => inChunks(texts, (chunk) => post<RouteCost[]>(server, "/route", { texts: chunk, k, min_ms: MIN_LOOP_MS })));
      route[k] = { ms: quantiles(costs.map((c) => c.ms)), cpu_ms_per_request: cpu, query_terms: quantiles(costs.map((c) => c.query_terms)) };
    }
    return {
      core_cold,
      core,
      route,
      isolate: {
        heap_used_mib: mib(heap.usedSize),
        backing_stores_mib: mib(heap.backingStorageSize),
        total_mib: mib(heap.usedSize + heap.backingStorageSize),
        cache,
      },
    };
  } finally {
    await server.stop();
  }
}

/** The production Worker under wrangler dev: a fresh isolate's first /search, then warm round trips. */
async function benchHttp(folder: string, texts: string[]): Promise<HttpResult> {
  const server = await startWorker(folder, { vars: { SPLADE_CACHE_TTL: "0" } });
  try {
    const cold = await timedSearch(server, texts[0], 10);
    const warm: HttpResult["warm"] = {};
    for (const k of SEARCH_BENCH_KS) {
      const runs = [];
      for (const text of texts) runs.push(await timedSearch(server, text, k));
      warm[k] = { round_trip_ms: quantiles(runs.map((r) => r.ms)), search_ms: quantiles(runs.map((r) => r.timing.search ?? Number.NaN)) };
    }
    return { cold_round_trip_ms: cold.ms, cold_server_timing: cold.timing, warm };
  } finally {
    await server.stop();
  }
}

/** DuckDB's eval index of the collection, in a database file kept beside it (rebuilt when the collection changed). */
async function benchDuckdb(docs: string, queries: SparseVectorRecord[], out: string, size: number, seed: number): Promise<SearchBenchRow["duckdb"]> {
  const duck = await openDuckdb({ path: join(out, `duckdb-${size}-${seed}.duckdb`), tempDirectory: join(out, "duckdb.tmp") });
  try {
    const source = fingerprint([docs]);
    let load_s: number | null = null;
    if ((await duck.indexInfo(INDEX_PREFIX))?.source.fingerprint !== source.fingerprint) {
      const load = await duck.loadIndex(source, { prefix: INDEX_PREFIX });
      load_s = (load.readMs + load.buildMs) / 1000;
    }
    const query_ms: Record<string, Quantiles> = {};
    for (const k of SEARCH_BENCH_KS) {
      const times: number[] = [];
      for (const [i, q] of queries.entries()) {
        const t0 = performance.now();
        await duck.searchIndex(q, k, { prefix: INDEX_PREFIX });
        if (i >= DUCKDB_WARMUP) times.push(performance.now() - t0);
      }
      query_ms[k] = quantiles(times);
    }
    return { version: duck.version, load_s, query_ms };
  } finally {
    duck.close();
  }
}

export async function benchSearch(options: SearchBenchOptions): Promise<SearchBenchResult> {
  const { out, seed } = options;
  const start = loadavg();
  await mkdir(out, { recursive: true });
  const queriesFile = join(out, `queries-${seed}.ids.jsonl`);
  await writeSparseCollection(queriesFile, { count: options.queries + DUCKDB_WARMUP, seed, stream: 1, shape: QUERY_SHAPE, prefix: "Q" });
  const allQueries = readRecords(queriesFile);
  const queries = allQueries.slice(DUCKDB_WARMUP);
  const rows: SearchBenchRow[] = [];
  for (const size of options.sizes) {
    const label = size.toLocaleString("en-US");
    const docs = join(out, `docs-${size}-${seed}.ids.jsonl`);
    const meta = `${docs}.meta.json`;
    if (!existsSync(docs) || !existsSync(meta)) {
      options.onPhase?.(`generating ${label} passages → ${docs}`);
      writeFileSync(meta, JSON.stringify(await writeSparseCollection(docs, { count: size, seed, stream: 0, shape: DOC_SHAPE, prefix: "D" })));
    }
    const postings = (JSON.parse(readFileSync(meta, "utf8")) as { postings: number }).postings;
    // The served folder, as wrangler.toml's assets: query/ and index/.
    const folder = join(out, `served-${size}-${seed}`);
    const index = join(folder, "index");
    const buildFile = join(out, `build-${size}-${seed}.json`);
    if (!existsSync(join(index, "index.json")) || !existsSync(buildFile)) {
      options.onPhase?.(`${label} passages: splade-index build → ${index}`);
      writeFileSync(buildFile, JSON.stringify(await buildIndex(docs, index, options.docModel)));
    }
    await assetsFolder(options.queryModel, folder);
    const build = JSON.parse(readFileSync(buildFile, "utf8")) as BuildResult;
    const files = readdirSync(index);
    const indexBytes = files.reduce((sum, f) => sum + statSync(join(index, f)).size, 0);

    options.onPhase?.(`${label} passages: the search core and /search in workerd (bench/search-worker.ts)`);
    const inWorkerd = await benchInWorkerd(folder, queries, options.texts, options);
    options.onPhase?.(`${label} passages: /search over HTTP (wrangler dev, the production Worker)`);
    const http = await benchHttp(folder, options.texts);
    options.onPhase?.(`${label} passages: DuckDB`);
    const duckdb = await benchDuckdb(docs, allQueries, out, size, seed);
    rows.push({ documents: size, postings, index_bytes: indexBytes, index_files: files.length, build, ...inWorkerd, http, duckdb });
  }
  return { queries: queries.length, load_average: { start, end: loadavg() }, rows };
}

/** Text queries for /search: the first 3–10 words of generated passages, distinct. */
export function searchTexts(passages: readonly string[], count: number): string[] {
  const texts = new Set<string>();
  for (const [i, p] of passages.entries()) {
    if (texts.size === count) break;
    texts.add(
      p
        .toLowerCase()
        .replaceAll(/[.,]/g, "")
        .split(" ")
        .slice(0, 3 + (i % 8))
        .join(" "),
    );
  }
  if (texts.size < count) throw new RangeError(`${passages.length} passages gave ${texts.size} distinct texts, not ${count}`);
  return [...texts];
}
