// The query benchmark's client of the Worker under `wrangler dev` (src/node/wrangler-dev.ts): timed round trips with
// their Server-Timing, the bench-only kernel Worker's endpoints, and queries of a given token count.
import { fileURLToPath } from "node:url";
import type { KernelColdResult, KernelRunResult, KernelWorkerBuild } from "./kernel-worker.ts";
import type { HandlingSplit, HandlingThroughput } from "./query-handling-worker.ts";
import { quantiles, type Quantiles } from "./stats.ts";

/** The bench-only Worker that times the kernel inside workerd (kernel-worker.ts); the production one is wrangler.toml. */
export const KERNEL_WORKER_CONFIG = fileURLToPath(new URL("./kernel-worker.toml", import.meta.url));
/** The bench-only Worker that calls the production app in-process (query-handling-worker.ts). */
export const HANDLING_WORKER_CONFIG = fileURLToPath(new URL("./query-handling-worker.toml", import.meta.url));
/** The kernel builds the bench Worker holds (kernel.wasm, kernel-relaxed.wasm). */
export const KERNEL_WORKER_BUILDS: readonly KernelWorkerBuild[] = ["plain", "relaxed"];

export interface EncodeTiming {
  /** Client-side round trip, ms. */
  roundTripMs: number;
  /** Server-Timing entries (total, tokenize, inference), ms. */
  serverTiming: Record<string, number>;
  /** X-Splade-Tokens: what the Worker's tokenizer made of the query. */
  tokens: number;
}

/** A Server-Timing header as name → dur, ms. */
export function parseServerTiming(header: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of (header ?? "").split(",")) {
    const [name, ...params] = entry.trim().split(";");
    const dur = params.map((p) => /^\s*dur=([\d.]+)/.exec(p)).find(Boolean);
    if (name && dur) out[name] = Number(dur[1]);
  }
  return out;
}

/**
 * A timed request on fetch's keep-alive pool. When the server has closed an idle pooled connection (after the seconds
 * spent loading sessions), undici fails with "other side closed"; that attempt is retried, and timed afresh, once.
 */
async function timed(url: string, init?: RequestInit): Promise<{ response: Response; ms: number; body: string }> {
  for (let attempt = 0; ; attempt++) {
    const t0 = performance.now();
    try {
      const response = await fetch(url, init);
      const body = await response.text();
      const ms = performance.now() - t0;
      if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${url} answered ${response.status}: ${body.slice(0, 500)}`);
      return { response, ms, body };
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (attempt > 0 || code !== "UND_ERR_SOCKET") throw error;
    }
  }
}

/** One POST /encode of a single query. */
export async function encodeOnce(base: string, query: string): Promise<EncodeTiming> {
  const { response, ms } = await timed(`${base}/encode`, encodeInit(query));
  return { roundTripMs: ms, serverTiming: parseServerTiming(response.headers.get("server-timing")), tokens: Number(response.headers.get("x-splade-tokens")) };
}

/** One GET /health, ms. */
export async function healthOnce(base: string): Promise<number> {
  return (await timed(`${base}/health`)).ms;
}

/** One GET /encode?q=…, as a page or a search backend repeats it; X-Splade-Cache says whether it was a hit. */
export async function encodeGetOnce(base: string, query: string): Promise<EncodeTiming & { cache: string | null }> {
  const { response, ms } = await timed(`${base}/encode?${new URLSearchParams({ q: query })}`);
  return {
    roundTripMs: ms,
    serverTiming: parseServerTiming(response.headers.get("server-timing")),
    tokens: Number(response.headers.get("x-splade-tokens")),
    cache: response.headers.get("x-splade-cache"),
  };
}

/**
 * /health answered back to back while one batch of `queries` is encoded: the latencies another client of the isolate
 * sees during the batch, and the batch's own round trip.
 */
export async function healthDuringBatch(base: string, queries: readonly string[]): Promise<{ health_ms: number[]; batch_ms: number }> {
  let done = false;
  const batch = timed(`${base}/encode`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ queries }) }).finally(
    () => (done = true),
  );
  const health: number[] = [];
  while (!done) health.push(await healthOnce(base));
  return { health_ms: health, batch_ms: (await batch).ms };
}

/** One GET /split of the handling bench Worker: mean ms per in-process call of each kind; `quiet` mutes console.log. */
export async function handlingSplitOnce(base: string, query: string, reps: number, quiet: boolean): Promise<HandlingSplit> {
  return JSON.parse((await timed(`${base}/split?${new URLSearchParams({ q: query, reps: String(reps), quiet: quiet ? "1" : "0" })}`)).body) as HandlingSplit;
}

/** One GET /throughput of the handling bench Worker: `concurrency` in-process /encode loops for `ms`. */
export async function handlingThroughputOnce(base: string, query: string, concurrency: number, ms: number, quiet: boolean): Promise<HandlingThroughput> {
  const params = new URLSearchParams({ q: query, concurrency: String(concurrency), ms: String(ms), quiet: quiet ? "1" : "0" });
  return JSON.parse((await timed(`${base}/throughput?${params}`)).body) as HandlingThroughput;
}

export interface HttpThroughput {
  concurrency: number;
  requests: number;
  requests_per_second: number;
  round_trip_ms: Quantiles;
}

/** `concurrency` clients sending `init` to `url` back to back for `ms` (fetch's pool opens a connection per client). */
export async function httpThroughput(url: string, init: RequestInit | undefined, concurrency: number, ms: number): Promise<HttpThroughput> {
  const times: number[] = [];
  const t0 = performance.now();
  const client = async () => {
    while (performance.now() - t0 < ms) times.push((await timed(url, init)).ms);
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const elapsed = performance.now() - t0;
  return { concurrency, requests: times.length, requests_per_second: (times.length / elapsed) * 1000, round_trip_ms: quantiles(times) };
}

/** A POST /encode of one query, as encodeOnce sends it. */
export function encodeInit(query: string): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) };
}

export interface KernelRunRequest {
  build: KernelWorkerBuild;
  tokens: number;
  batch: number;
  reps: number;
  mode: "exact" | "approx";
  /** Also time the trunk alone and the head alone (as many reps again, each). */
  parts: boolean;
}

/** One GET /run of the bench kernel Worker: `reps` encodes timed inside workerd. */
export async function kernelRunOnce(base: string, r: KernelRunRequest): Promise<KernelRunResult> {
  const query = new URLSearchParams({
    build: r.build,
    tokens: String(r.tokens),
    batch: String(r.batch),
    reps: String(r.reps),
    mode: r.mode,
    parts: r.parts ? "1" : "0",
  });
  return JSON.parse((await timed(`${base}/run?${query}`)).body) as KernelRunResult;
}

/** One GET /cold of the bench kernel Worker, with its client-side round trip. */
export async function kernelColdOnce(base: string, build: KernelWorkerBuild): Promise<KernelColdResult & { round_trip_ms: number }> {
  const { body, ms } = await timed(`${base}/cold?build=${build}`);
  return { ...(JSON.parse(body) as KernelColdResult), round_trip_ms: ms };
}

// Plain query words; queryOfLength takes as many as give the wanted token count.
const QUERY_WORDS = (
  "what is the capital of france and germany how long does it take to travel by train from paris to berlin in " +
  "summer and which ticket is the cheapest for a family with two children who want to see the museums"
).split(" ");

/** A query whose tokenization (`count`, [CLS] and [SEP] included) has `tokens` ids, or the closest one above. */
export function queryOfLength(tokens: number, count: (text: string) => number): string {
  for (let words = 1; words <= QUERY_WORDS.length; words++) {
    const text = QUERY_WORDS.slice(0, words).join(" ");
    if (count(text) >= tokens) return text;
  }
  throw new RangeError(`no query of ${tokens} tokens in the word list`);
}
