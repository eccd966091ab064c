// `npm run bench -- search`: search at the edge at scale (issue 20), one run, the sizes side by side. Per size of the
// retrieval bench's synthetic collection (bench/sparse-collection.ts: ~120 Zipf-distributed terms a passage), cached
// under test/.generated/bench/search keyed by size and seed:
// - the index built by the real `splade-index build` process (under /usr/bin/time: wall time and peak RSS), its size
//   and files;
// - the search core inside workerd (bench/search-worker.ts run by Miniflare's API, bench/miniflare-worker.ts: the
//   route's isolate index and searchTopK, no HTTP) on the collection's QUERY_SHAPE vectors (15–35 terms, as trained
//   query encoders give): a fresh Worker's first query (the index opened, its parts fetched), each query's first run in
//   a stream of distinct queries (with the index parts it fetched: at 1M the index is ~6× the part cache) and its warm
//   runs, p50/p99 at k = 10 and 1000, and the isolate's memory after them (V8 heap + ArrayBuffers after a full GC,
//   through workerd's own inspector, as bench/worker-memory.ts reads it);
// - `/search?q=` with text queries: through the production app in-process in the same Worker (tokenizer, the
//   generated query model, search, JSON), and over HTTP through `wrangler dev` (a fresh Worker's first request, then
//   warm round trips for at most HTTP_BUDGET_MS a k: wrangler's inspector relay makes them slow at 1M);
// - DuckDB's exact top-k (src/engines/duckdb.ts, `npm run eval`'s engine) on the same vectors and query vectors.
// A phase that fails or times out is recorded as unmeasured with its reason; the run goes on. Reports through callbacks;
// asserts nothing. Generated weights: costs are real, rankings mean nothing.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDuckdb } from "../src/engines/duckdb.ts";
import { fingerprint, INDEX_PREFIX } from "../src/eval/retrieve.ts";
import { assetsFolder, freePort, startWorker, type WorkerServer } from "../src/node/wrangler-dev.ts";
import { type MiniflareWorker, startMiniflareWorker } from "./miniflare-worker.ts";
import { type HeapUsage, heapAfterGc, type InspectorSession, inspectorSession } from "./inspector.ts";
import type { PartTraffic, RouteCost, SearchCacheStats, SearchColdResult, SearchCost } from "./search-worker.ts";
import { DOC_SHAPE, QUERY_SHAPE, type SparseVectorRecord, writeSparseCollection } from "./sparse-collection.ts";
import { quantiles, type Quantiles } from "./stats.ts";
import { parseServerTiming } from "./worker-client.ts";
import { cpuMs } from "./workerd-process.ts";

/** The bench-only Worker (search-worker.ts); the production one is wrangler.toml. */
export const SEARCH_WORKER_CONFIG = fileURLToPath(new URL("./search-worker.toml", import.meta.url));
const INDEX_CLI = fileURLToPath(new URL("../src/cli/index.ts", import.meta.url));
export const SEARCH_BENCH_KS = [10, 1000] as const;
/** A query's timed loop inside workerd runs at least this long (the local clock's ≈1 ms steps are then ≤ 5 %). */
const MIN_LOOP_MS = 20;
const DUCKDB_WARMUP = 3;
/** Queries per request to the bench Worker: a request stays far inside REQUEST_TIMEOUT_MS when a search takes seconds. */
const CHUNK = 10;
/** A request not answered by then fails its phase (below undici's own 300 s wait for headers, which would fire first). */
const REQUEST_TIMEOUT_MS = 240_000;
/** Warm HTTP round trips per k stop once they have taken this long (at least one is sent). */
const HTTP_BUDGET_MS = 60_000;
/** An HTTP round trip not answered by then stops the phase (a 1M cold one took 4.4 s with the relay on, measured). */
const HTTP_TIMEOUT_MS = 60_000;

/** A measure that was not taken, and why. */
export interface Unmeasured {
  unmeasured: string;
}
export type Measured<T> = T | Unmeasured;

export function measuredValue<T extends object>(m: Measured<T>): T | undefined {
  return "unmeasured" in m ? undefined : m;
}

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
  /** The isolate's inspector Network domain: on as wrangler dev leaves it, or turned off through the inspector. */
  network_domain: "on" | "off";
  /** A fresh Worker's first GET /search (the query model and the index loaded by it). */
  cold_round_trip_ms: number;
  cold_server_timing: Record<string, number>;
  /** Warm round trips through wrangler dev's proxy, and their Server-Timing `search`, per k (n: how many fit the budget). */
  warm: Record<string, { round_trip_ms: Quantiles; search_ms: Quantiles }>;
  /** The request that got no answer, when one did not: the round trips after it were not sent. */
  stopped?: string;
}

/** Index parts a stream of distinct queries fetched: each query's first run. */
export interface PartsPerQuery {
  fetches_mean: number;
  fetched_mib_mean: number;
  /** Queries that fetched nothing: answered from the part cache alone. */
  from_cache: number;
  /** Parts fetched by the warm repetitions of a query (all queries together): 0 when a query's parts fit the cache. */
  warm_fetches: number;
}

export interface CoreResult {
  /** Each query's first run, in a stream of distinct queries (parts fetched as it needed them). */
  first_ms: Quantiles;
  /** Each query's warm runs (its parts held): the mean of a loop of ≥ MIN_LOOP_MS. */
  ms: Quantiles;
  mean_ms: number;
  /** The Worker's workerd process CPU time over every search of the phase, first runs included: less swayed by a busy machine than wall time. */
  cpu_ms_per_search: number;
  parts: PartsPerQuery;
  terms: Quantiles;
  blocks_decoded: Quantiles;
  postings: Quantiles;
}

export interface RouteResult {
  first_ms: Quantiles;
  ms: Quantiles;
  cpu_ms_per_request: number;
  parts: PartsPerQuery;
  query_terms: Quantiles;
}

export interface IsolateMemory {
  heap_used_mib: number;
  backing_stores_mib: number;
  total_mib: number;
  cache: SearchCacheStats;
}

export interface SearchBenchRow {
  documents: number;
  postings: number;
  index_bytes: number;
  index_files: number;
  build: BuildResult;
  core_cold: Measured<SearchColdResult>;
  core: Record<string, Measured<CoreResult>>;
  isolate: Measured<IsolateMemory>;
  route: Record<string, Measured<RouteResult>>;
  /** The production Worker under wrangler dev as users run it (the inspector relay on), then with it off. */
  http: Measured<HttpResult>;
  http_network_off: Measured<HttpResult>;
  duckdb: Measured<{ version: string; load_s: number | null; database_mib: number; query_ms: Record<string, Quantiles> }>;
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

/** `items` sent CHUNK at a time, answers concatenated. */
async function inChunks<T, R>(items: readonly T[], send: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(...(await send(items.slice(i, i + CHUNK))));
  return out;
}

/** A request's failure as one line: a timeout (AbortSignal.timeout's) says after how long, undici's "fetch failed" why. */
function reason(error: unknown, timeoutMs = REQUEST_TIMEOUT_MS): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return `no answer within ${timeoutMs / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0];
  return cause ? `${message} (${cause.code ?? cause.message})` : message;
}

async function post<T>(worker: MiniflareWorker, path: string, body: unknown): Promise<T> {
  const response = await worker.fetch(
    path,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
    REQUEST_TIMEOUT_MS,
  );
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function timedSearch(server: WorkerServer, text: string, k: number): Promise<{ ms: number; timing: Record<string, number> }> {
  const t0 = performance.now();
  const response = await server.fetch(`/search?${new URLSearchParams({ q: text, k: String(k) })}`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  const body = await response.text();
  const ms = performance.now() - t0;
  if (!response.ok) throw new Error(`GET /search answered ${response.status}: ${body.slice(0, 500)}`);
  return { ms, timing: parseServerTiming(response.headers.get("server-timing")) };
}

/**
 * Phases run one after the other, each recorded as its answer or as unmeasured with the reason. After a failure the
 * rest are not run (a timed-out request may still hold the Worker) and say which phase failed.
 */
function phases() {
  let failed: string | undefined;
  return async <T>(name: string, run: () => Promise<T>): Promise<Measured<T>> => {
    if (failed) return { unmeasured: `not run: ${failed}` };
    try {
      return await run();
    } catch (error) {
      failed = `${name} failed (${reason(error)})`;
      return { unmeasured: reason(error) };
    }
  };
}

function partsPerQuery(costs: Array<{ first: PartTraffic; loop: PartTraffic }>): PartsPerQuery {
  return {
    fetches_mean: costs.reduce((n, c) => n + c.first.fetches, 0) / costs.length,
    fetched_mib_mean: mib(costs.reduce((n, c) => n + c.first.fetched_bytes, 0) / costs.length),
    from_cache: costs.filter((c) => c.first.fetches === 0).length,
    warm_fetches: costs.reduce((n, c) => n + c.loop.fetches, 0),
  };
}

/** The search core and the in-process route in a fresh bench Worker, and the isolate's memory after them. */
async function benchInWorkerd(folder: string, queries: SparseVectorRecord[], texts: string[], options: SearchBenchOptions) {
  const phase = phases();
  const started = await phase("starting the bench Worker (Miniflare)", () => startMiniflareWorker(SEARCH_WORKER_CONFIG, folder));
  const worker = measuredValue(started);
  const core: SearchBenchRow["core"] = {};
  const route: SearchBenchRow["route"] = {};
  try {
    /** `work`'s answer, and the Worker process's CPU ms per run (each cost's timed reps and its first run). */
    const cpuPerRun = async <T extends { reps: number }>(work: () => Promise<T[]>) => {
      const before = cpuMs(worker!.pid);
      const costs = await work();
      return { costs, cpu: (cpuMs(worker!.pid) - before) / costs.reduce((n, c) => n + c.reps + 1, 0) };
    };
    const vector = (q: SparseVectorRecord) => ({ indices: q.indices, values: q.values });
    const core_cold = await phase("/cold", () => post<SearchColdResult>(worker!, "/cold", { query: vector(queries[0]), k: 10 }));
    for (const k of SEARCH_BENCH_KS) {
      options.onPhase?.(`  search core, k = ${k}: ${queries.length} query vectors`);
      core[k] = await phase(`/core k=${k}`, async (): Promise<CoreResult> => {
        const { costs, cpu } = await cpuPerRun(() =>
          inChunks(queries.map(vector), (chunk) => post<SearchCost[]>(worker!, "/core", { queries: chunk, k, min_ms: MIN_LOOP_MS })),
        );
        return {
          first_ms: quantiles(costs.map((c) => c.first_ms)),
          ms: quantiles(costs.map((c) => c.ms)),
          mean_ms: costs.reduce((s, c) => s + c.ms, 0) / costs.length,
          cpu_ms_per_search: cpu,
          parts: partsPerQuery(costs),
          terms: quantiles(costs.map((c) => c.terms)),
          blocks_decoded: quantiles(costs.map((c) => c.blocks_decoded)),
          postings: quantiles(costs.map((c) => c.postings)),
        };
      });
    }
    // Memory once the core has run every query at both k: the part cache as full as these queries make it.
    const isolate = await phase("isolate memory", async (): Promise<IsolateMemory> => {
      // workerd's own inspector: heap statistics only, the Network domain never turned on.
      const session = await inspectorSession(worker!.inspectorUrl);
      let heap: HeapUsage;
      try {
        heap = await heapAfterGc(session, worker!.base);
      } finally {
        session.close();
      }
      const cache = JSON.parse(await (await worker!.fetch("/stats", undefined, REQUEST_TIMEOUT_MS)).text()) as SearchCacheStats;
      return {
        heap_used_mib: mib(heap.usedSize),
        backing_stores_mib: mib(heap.backingStorageSize),
        total_mib: mib(heap.usedSize + heap.backingStorageSize),
        cache,
      };
    });
    for (const k of SEARCH_BENCH_KS) {
      options.onPhase?.(`  /search in-process, k = ${k}: ${texts.length} texts`);
      route[k] = await phase(`/route k=${k}`, async (): Promise<RouteResult> => {
        const { costs, cpu } = await cpuPerRun(() =>
          inChunks(texts, (chunk) => post<RouteCost[]>(worker!, "/route", { texts: chunk, k, min_ms: MIN_LOOP_MS })),
        );
        return {
          first_ms: quantiles(costs.map((c) => c.first_ms)),
          ms: quantiles(costs.map((c) => c.ms)),
          cpu_ms_per_request: cpu,
          parts: partsPerQuery(costs),
          query_terms: quantiles(costs.map((c) => c.query_terms)),
        };
      });
    }
    return { core_cold, core, isolate, route };
  } finally {
    await worker?.stop();
  }
}

/** A session on wrangler's inspector proxy (port `port`) with the isolate's Network domain turned off, until close(). */
async function networkOff(port: number): Promise<InspectorSession> {
  const session = await inspectorSession(`ws://127.0.0.1:${port}/ws`);
  await session.call("Network.disable");
  return session;
}

/**
 * The production Worker under wrangler dev: a fresh isolate's first /search, then warm round trips within the budget.
 * With the Network domain on (as users run it), wrangler relays an event per chunk of every index part the Worker
 * reads; at 1M passages a request then stalled for minutes with neither process busy (measured, wrangler 4.86.0).
 */
async function benchHttp(folder: string, texts: string[], network: HttpResult["network_domain"]): Promise<HttpResult> {
  const inspectorPort = await freePort();
  const server = await startWorker(folder, { vars: { SPLADE_CACHE_TTL: "0" }, inspectorPort });
  const session = network === "off" ? await networkOff(inspectorPort) : undefined;
  try {
    const cold = await timedSearch(server, texts[0], 10);
    const warm: HttpResult["warm"] = {};
    let stopped: string | undefined;
    for (const k of SEARCH_BENCH_KS) {
      const runs = [];
      const t0 = performance.now();
      for (const text of texts) {
        if (stopped || performance.now() - t0 > HTTP_BUDGET_MS) break;
        try {
          runs.push(await timedSearch(server, text, k));
        } catch (error) {
          stopped = `round trip ${runs.length + 1} at k = ${k}: ${reason(error, HTTP_TIMEOUT_MS)}`;
        }
      }
      warm[k] = { round_trip_ms: quantiles(runs.map((r) => r.ms)), search_ms: quantiles(runs.map((r) => r.timing.search ?? Number.NaN)) };
    }
    return { network_domain: network, cold_round_trip_ms: cold.ms, cold_server_timing: cold.timing, warm, ...(stopped ? { stopped } : {}) };
  } finally {
    session?.close();
    await server.stop();
  }
}

/** DuckDB's eval index of the collection, in a database file kept beside it (rebuilt when the collection changed). */
async function benchDuckdb(docs: string, queries: SparseVectorRecord[], out: string, size: number, seed: number) {
  const path = join(out, `duckdb-${size}-${seed}.duckdb`);
  const duck = await openDuckdb({ path, tempDirectory: join(out, "duckdb.tmp") });
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
    return { version: duck.version, load_s, database_mib: mib(statSync(path).size), query_ms };
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

    options.onPhase?.(`${label} passages: the search core and /search in workerd (bench/search-worker.ts through Miniflare)`);
    const inWorkerd = await benchInWorkerd(folder, queries, options.texts, options);
    options.onPhase?.(`${label} passages: /search over HTTP (wrangler dev, the production Worker; at most ${HTTP_BUDGET_MS / 1000} s of warm round trips a k)`);
    const http = await phases()("/search over HTTP", () => benchHttp(folder, options.texts, "on"));
    options.onPhase?.(`${label} passages: /search over HTTP, the inspector's Network domain off`);
    const http_network_off = await phases()("/search over HTTP, Network off", () => benchHttp(folder, options.texts, "off"));
    options.onPhase?.(`${label} passages: DuckDB`);
    const duckdb = await phases()("DuckDB", () => benchDuckdb(docs, allQueries, out, size, seed));
    rows.push({ documents: size, postings, index_bytes: indexBytes, index_files: files.length, build, ...inWorkerd, http, http_network_off, duckdb });
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

/** One markdown row per measure, one column per size; a measure not taken shows why. */
export function searchTable(rows: SearchBenchRow[]): string[] {
  const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "—" : x.toFixed(x < 10 ? 2 : 1));
  const q = (x: Quantiles) => `${ms(x.p50)} / ${ms(x.p99)}`;
  const n = (x: number) => x.toLocaleString("en-US");
  const line = (name: string, cell: (r: SearchBenchRow) => string) => `| ${name} | ${rows.map(cell).join(" | ")} |`;
  const of = <T extends object>(m: Measured<T>, show: (value: T) => string) => ("unmeasured" in m ? `not measured: ${m.unmeasured}` : show(m));
  const parts = (p: PartsPerQuery, queries: number) =>
    `${p.fetches_mean.toFixed(1)} parts, ${p.fetched_mib_mean} MiB; ${p.from_cache}/${queries} from cache; ${p.warm_fetches} warm`;
  return [
    `| passages | ${rows.map((r) => n(r.documents)).join(" | ")} |`,
    `|---|${rows.map(() => "---").join("|")}|`,
    line("postings", (r) => n(r.postings)),
    line("index: MiB, files", (r) => `${mib(r.index_bytes)}, ${r.index_files}`),
    line("build: s, peak RSS MiB (splade-index build process)", (r) => `${r.build.wall_s.toFixed(1)}, ${r.build.peak_rss_mib.toFixed(0)}`),
    line("core cold, fresh isolate: index open + first query, ms (parts fetched, MiB)", (r) =>
      of(r.core_cold, (c) => `${ms(c.open_ms)} + ${ms(c.first_search_ms)} (${c.parts_fetched}, ${mib(c.bytes_fetched)})`),
    ),
    ...SEARCH_BENCH_KS.flatMap((k) => [
      line(`core k=${k}, each query's first run (distinct queries in turn): p50 / p99 ms`, (r) => of(r.core[k], (c) => q(c.first_ms))),
      line(`core k=${k}, part cache per query: fetched (mean); queries wholly cached; fetches in warm reruns`, (r) =>
        of(r.core[k], (c) => parts(c.parts, c.ms.n)),
      ),
      line(`core k=${k} warm (parts held): p50 / p99 ms (workerd CPU ms per search)`, (r) => of(r.core[k], (c) => `${q(c.ms)} (${ms(c.cpu_ms_per_search)})`)),
    ]),
    line("core: query terms with postings, p50; blocks decoded p50 (of postings p50 / 128)", (r) =>
      of(r.core[10], (c) => `${c.terms.p50}; ${c.blocks_decoded.p50} (${Math.ceil(c.postings.p50 / 128)})`),
    ),
    line("isolate after the core: heap + ArrayBuffers MiB (part cache MiB / budget; parts fetched, MiB, since start)", (r) =>
      of(
        r.isolate,
        (i) =>
          `${i.heap_used_mib} + ${i.backing_stores_mib} = ${i.total_mib} (${mib(i.cache.bytes)} / ${mib(i.cache.budget_bytes)}; ${i.cache.fetches}, ${mib(i.cache.fetched_bytes)})`,
      ),
    ),
    ...SEARCH_BENCH_KS.map((k) =>
      line(`/search in-process k=${k}: first run p50 / p99; warm p50 / p99 ms (workerd CPU ms per request)`, (r) =>
        of(r.route[k], (c) => `${q(c.first_ms)}; ${q(c.ms)} (${ms(c.cpu_ms_per_request)})`),
      ),
    ),
    line("/search text queries: query terms with postings, p50 (p99)", (r) => of(r.route[10], (c) => `${c.query_terms.p50} (${c.query_terms.p99})`)),
    ...(["http", "http_network_off"] as const).flatMap((key) => {
      const how = key === "http" ? "wrangler dev as users run it" : "wrangler dev, inspector Network off";
      return [
        line(`/search HTTP (${how}) cold, fresh Worker: round trip ms (Server-Timing search)`, (r) =>
          of(r[key], (h) => `${ms(h.cold_round_trip_ms)} (${ms(h.cold_server_timing.search)})`),
        ),
        ...SEARCH_BENCH_KS.map((k) =>
          line(`/search HTTP (${how}) warm k=${k}: round trip p50 / p99 ms (round trips)`, (r) =>
            of(r[key], (h) => `${q(h.warm[k].round_trip_ms)} (${h.warm[k].round_trip_ms.n})`),
          ),
        ),
        line(`/search HTTP (${how}): stopped by`, (r) => of(r[key], (h) => h.stopped ?? "—")),
      ];
    }),
    ...SEARCH_BENCH_KS.map((k) => line(`DuckDB exact k=${k}: p50 / p99 ms`, (r) => of(r.duckdb, (d) => q(d.query_ms[k])))),
    line("DuckDB: database MiB (load s, when this run loaded it)", (r) =>
      of(r.duckdb, (d) => `${d.database_mib}${d.load_s === null ? "" : ` (${d.load_s.toFixed(1)} s)`}`),
    ),
  ];
}
