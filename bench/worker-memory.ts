// `npx tsx --experimental-websocket bench/worker-memory.ts [--rounds 4] [--seconds 10] [--connections 32] [--model DIR]`:
// the real Worker under `wrangler dev` (the query-sparse fixture, or the converted query model in DIR; cache on), loaded
// from this process over loopback in rounds (`--rounds 0`: only the memory once the model has loaded) —
// each round a phase of cache hits (one query, answered from the Cache API) then a phase of misses (a new query every
// request: encoded, then stored) — and after each phase the resident memory of both workerd processes (the one that
// runs the Worker, and wrangler's proxy in front of it) and the Worker isolate's own V8 heap after a full GC, read
// through the isolate's inspector (Chrome DevTools protocol: HeapProfiler.collectGarbage, Runtime.getHeapUsage). A
// heap that stays flat while RSS grows puts the growth in workerd's and wrangler's local machinery, not the Worker. (The
// kernel's wasm memory is outside that heap: it is laid out once when the model loads — WasmArena in
// src/kernel/splade-head.ts — and does not grow with requests.)
// A measurement, not a test: it prints a table and one JSON line, and asserts nothing. The flag: Node 20's WebSocket
// client (undici's) is behind --experimental-websocket.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensureFixtureModels } from "../src/model/fixture.ts";
import { assetsFolder, freePort, startWorker } from "../src/node/wrangler-dev.ts";
import { heapAfterGc, inspectorSession } from "./inspector.ts";
import { rss, workerdPids } from "./workerd-process.ts";

/** Requests one phase may send at most, whatever its duration: the load stays bounded on a fast machine. */
const MAX_REQUESTS_PER_PHASE = 50_000;
const HIT_QUERY = "which planet is known as the red planet";
/** A request not answered by then counts as failed. */
const REQUEST_TIMEOUT_MS = 30_000;

type Phase = "hits" | "misses";

interface PhaseResult {
  round: number;
  phase: Phase;
  requests: number;
  /** X-Splade-Cache of the answers: how many were hits and misses. */
  hits: number;
  misses: number;
  failed: number;
  worker_workerd_rss_mb: number;
  proxy_workerd_rss_mb: number;
  isolate_heap_used_mb: number;
  isolate_heap_total_mb: number;
  /** ArrayBuffers' and external strings' memory, outside the heap (V8's Runtime.getHeapUsage backingStorageSize). */
  isolate_backing_stores_mb: number;
}

let missCounter = 0;
const RUN = Date.now().toString(36);

/** `connections` clients, each sending one request after the other, for `seconds`. */
async function load(
  base: string,
  phase: Phase,
  seconds: number,
  connections: number,
): Promise<{ requests: number; hits: number; misses: number; failed: number }> {
  const until = performance.now() + seconds * 1000;
  const counts = { requests: 0, hits: 0, misses: 0, failed: 0 };
  const client = async () => {
    while (performance.now() < until && counts.requests < MAX_REQUESTS_PER_PHASE) {
      counts.requests++;
      // A miss: a query no earlier request sent, in this run or an earlier one (the cache persists in .wrangler/state).
      const query = phase === "hits" ? HIT_QUERY : `planet ${RUN} ${++missCounter} ring moon`;
      try {
        const response = await fetch(`${base}/encode?q=${encodeURIComponent(query)}&top_k=5`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        await response.arrayBuffer();
        const cache = response.headers.get("X-Splade-Cache");
        if (!response.ok) counts.failed++;
        else if (cache === "hit") counts.hits++;
        else counts.misses++;
      } catch {
        counts.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
  return counts;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "4" },
      seconds: { type: "string", default: "10" },
      connections: { type: "string", default: "32" },
      model: { type: "string" },
    },
    strict: true,
  });
  const [rounds, seconds, connections] = [values.rounds, values.seconds, values.connections].map((v, i) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < (i === 0 ? 0 : 1))
      throw new Error(`--${["rounds", "seconds", "connections"][i]} must be a ${i === 0 ? "whole number" : "positive integer"}, got ${v}`);
    return n;
  });
  const model = values.model ? resolve(values.model) : resolve((await ensureFixtureModels()).models["query-sparse"]);
  const inspectorPort = await freePort();
  const server = await startWorker(await assetsFolder(model), { inspectorPort, vars: { SPLADE_CACHE_TTL: "3600" } });
  const session = await inspectorSession(`ws://127.0.0.1:${inspectorPort}/ws`);
  // wrangler enables the inspector's Network domain on the isolate; with it, the model's first load (encoder.bin,
  // 16.7 MiB, read from the asset store) took wrangler's proxy from 59 to 354 MB and the first answer 3.8 s, against
  // 59 MB and 0.17 s with it off (measured, wrangler 4.86.0), and forwarding its events to this session took a minute.
  // Off: this measures the Worker under load, not the inspector's traffic.
  await session.call("Network.disable");
  try {
    const pids = workerdPids(inspectorPort);
    const results: PhaseResult[] = [];
    const measure = async (round: number, phase: Phase | "start", counts = { requests: 0, hits: 0, misses: 0, failed: 0 }) => {
      const heap = await heapAfterGc(session, server.base);
      const row = {
        round,
        phase,
        ...counts,
        worker_workerd_rss_mb: mb(rss(pids.worker)),
        proxy_workerd_rss_mb: mb(rss(pids.proxy)),
        isolate_heap_used_mb: mb(heap.usedSize),
        isolate_heap_total_mb: mb(heap.totalSize),
        isolate_backing_stores_mb: mb(heap.backingStorageSize),
      };
      console.log(Object.values(row).join("\t"));
      return row;
    };
    console.log(
      [
        "round",
        "phase",
        "requests",
        "hits",
        "misses",
        "failed",
        "worker workerd RSS MB",
        "proxy workerd RSS MB",
        "isolate heap used MB",
        "heap total MB",
        "backing stores MB",
      ].join("\t"),
    );
    // The model's load, from the Worker's workerd before it (only /health answered) to its peak resident set after it:
    // what the isolate took at most while encoder.bin's files, the kernel's memory and the tokenizer came in.
    const before = rss(pids.worker);
    // Meanwhile the isolate's heap and ArrayBuffers (encoder.bin's files as fetched, before each is copied into the
    // kernel) sampled as often as the inspector answers: their largest values, beside the kernel's wasm memory.
    const peak = { heap_total_mb: 0, backing_stores_mb: 0, sum_mb: 0, samples: 0 };
    let loading = true;
    const sampling = (async () => {
      while (loading) {
        const heap = (await session.call("Runtime.getHeapUsage")) as { totalSize: number; backingStorageSize: number };
        peak.heap_total_mb = Math.max(peak.heap_total_mb, mb(heap.totalSize));
        peak.backing_stores_mb = Math.max(peak.backing_stores_mb, mb(heap.backingStorageSize));
        peak.sum_mb = Math.max(peak.sum_mb, mb(heap.totalSize + heap.backingStorageSize));
        peak.samples++;
      }
    })();
    // The model loaded (by a miss) and the hit query stored before the first figure.
    for (const query of [`start ${Date.now()}`, HIT_QUERY]) {
      const response = await fetch(`${server.base}/encode?q=${encodeURIComponent(query)}&top_k=5`);
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${model}: /encode answered ${response.status}`);
      if (query !== HIT_QUERY) console.log(`first /encode: ${response.status}, Server-Timing ${response.headers.get("Server-Timing")}`);
    }
    loading = false;
    await sampling;
    console.log(
      `the load, inside the isolate (${peak.samples} samples): largest heap ${peak.heap_total_mb} MiB, ArrayBuffers ${peak.backing_stores_mb} MiB, both ${peak.sum_mb} MiB`,
    );
    console.log(
      `the load: Worker's workerd RSS ${mb(before)} MiB before, peak ${mb(rss(pids.worker, "VmHWM"))} MiB (+${mb(rss(pids.worker, "VmHWM") - before)})`,
    );
    await measure(0, "start");
    for (let round = 1; round <= rounds; round++) {
      for (const phase of ["hits", "misses"] as const) {
        results.push((await measure(round, phase, await load(server.base, phase, seconds, connections))) as PhaseResult);
      }
    }
    console.log(JSON.stringify({ rounds, seconds, connections, results }));
  } finally {
    session.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
