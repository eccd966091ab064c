// The query benchmark: every query-encoding variant in one process, interleaved round by round (the order rotates
// each round) after a warm-up, so that drift and the shared machine's other load hit all of them alike; then cold
// start and memory in fresh processes. With `kernelWorker`, a bench-only Worker (kernel-worker.ts) times the kernel
// inside workerd, both builds, as cells of the same rounds; its cold start is taken afterwards on fresh isolates. Each
// p50 is compared with the baseline's p50 from the same run. Reports through callbacks; draws and asserts nothing.
import { loadavg } from "node:os";
import { BASELINE, loadNodeModel, type NodeCell, type NodeModel, type NodeVariant } from "./query-node.ts";
import { MEMORY_VARIANTS, modelSizes, probeMemory, type MemoryProbe, type ModelSizes } from "./query-memory.ts";
import type { KernelColdResult, KernelRunResult, KernelWorkerBuild } from "./kernel-worker.ts";
import { QUERY_SHAPES } from "../test/support/query-inputs.ts";
import {
  encodeOnce,
  healthOnce,
  KERNEL_WORKER_BUILDS,
  KERNEL_WORKER_CONFIG,
  kernelColdOnce,
  kernelRunOnce,
  queryOfLength,
  encodeGetOnce,
  encodeInit,
  HANDLING_WORKER_CONFIG,
  handlingSplitOnce,
  handlingThroughputOnce,
  healthDuringBatch,
  httpThroughput,
  type EncodeTiming,
  type HttpThroughput,
} from "./worker-client.ts";
import { assetsFolder, startWorker } from "../src/node/wrangler-dev.ts";
// Types only: the module itself imports the Worker (and its .wasm), which runs in workerd, not here.
import type { HandlingSplit, HandlingThroughput, SplitKind } from "./query-handling-worker.ts";
import { quantiles, type Quantiles } from "./stats.ts";

/** Query lengths the Worker is asked about (tokens, [CLS] and [SEP] included). */
export const WORKER_LENGTHS = [4, 10, 32] as const;
/** In-process calls per kind per /split request of the handling bench Worker (one cell). */
export const HANDLING_REPS = 40;
/** Concurrent clients for the requests/s figures, and how long each of those runs, ms. */
export const THROUGHPUT_CONCURRENCY = 16;
const THROUGHPUT_MS = 3000;
/** Encodes per /run request of the bench kernel Worker (one cell): enough for workerd's ≈1 ms clock. */
export const KERNEL_WORKER_REPS = 50;

export interface QueryBenchOptions {
  /** Model folders by name; the baseline and every variant run on each. */
  models: Record<string, string>;
  rounds: number;
  warmup: number;
  /** The Worker on one of `models` (its folder served as the assets' query/), or none. Memory is measured on this model, else on the first. */
  worker?: { model: string; tokenCount(text: string): number };
  /** The kernel timed inside workerd by the bench-only Worker (kernel-worker.ts) on one of `models`, or not. */
  kernelWorker?: { model: string };
  onPhase?(message: string): void;
  onRound?(round: number, rounds: number): void;
}

export interface NodeRow extends Quantiles {
  model: string;
  shape: string;
  batch: number;
  tokens: number;
  variant: NodeVariant;
  /** This p50 over the baseline p50 of the same model and shape, same run. */
  vs_baseline: number;
}

export interface WorkerRow {
  request: string;
  query: string | null;
  /** Tokens the Worker reported (X-Splade-Tokens). */
  tokens: number | null;
  round_trip_ms: Quantiles;
  /** Server-Timing `inference` (in-Worker encode) p50, ms. */
  inference_p50_ms: number | null;
  /** inference p50 over the baseline p50 (same model, same token count, same run). */
  inference_vs_baseline: number | null;
}

export interface WorkerResult {
  model: string;
  startup_ms: number;
  cold: { round_trip_ms: number; server_timing: Record<string, number>; tokens: number; query: string };
  rows: WorkerRow[];
  /** Goal 5 at T≈10: (/encode p50 − /health p50) − inference p50, ms. */
  http_overhead_ms: number;
  /** GET /encode of the T≈10 query on a second Worker with the cache on: repeated (hit) against a new query each round (miss). */
  cache: { hit: Quantiles; miss: Quantiles; hit_vs_miss: number };
  /** /health back to back while a batch at the token budget runs (one isolate), against /health alone. */
  health_under_batch: {
    batch_queries: number;
    batch_tokens: number;
    batch_ms: Quantiles;
    health_during: Quantiles;
    health_idle: Quantiles;
    answered_during: number;
  };
  /**
   * The production app called in-process inside workerd (query-handling-worker.ts, T≈10), per round the mean ms of each
   * kind of call; `handling` = encode − inference − tokenize: what a request costs outside the model. `logged` as the
   * Worker runs, `quiet` with console.log muted (under wrangler dev the log line crosses to wrangler's process).
   */
  handling: { query: string; reps: number; logged: Record<SplitKind | "handling", Quantiles>; quiet: Record<SplitKind | "handling", Quantiles> };
  /** Requests per second at THROUGHPUT_CONCURRENCY clients: over HTTP (wrangler dev) and in-process in one isolate. */
  throughput: { http_encode: HttpThroughput; http_health: HttpThroughput; isolate_encode: HandlingThroughput; isolate_encode_quiet: HandlingThroughput };
}

export interface KernelWorkerRow {
  build: KernelWorkerBuild;
  shape: string;
  batch: number;
  tokens: number;
  mode: "exact";
  /** Encodes per request; a rep encodes `batch` sequences. */
  reps: number;
  /** In-Worker ms per rep (one call of the shape), one sample per round. */
  ms_per_encode: Quantiles;
  /** Trunk alone / head alone, in-Worker ms per rep, p50 over rounds (single sequences only). */
  trunk_p50_ms: number | null;
  head_p50_ms: number | null;
  /** ms_per_encode p50 over the baseline p50 (same model, same shape, same run). */
  vs_baseline: number;
  /** The kernel in Node (kernel.wasm, exact) p50 of the same shape, ms. */
  node_kernel_p50_ms: number | null;
  /** Mean non-zero terms per sequence: the Node cells' count when both see the same ids. */
  non_zero: number;
  /** int8_selftest() in workerd (0 = right), as the last request reported. */
  selftest: number;
  /** Distinct isolates that answered this row's requests: more than 1 when wrangler reloaded the Worker mid-run. */
  isolates: number;
}

export interface KernelWorkerCold extends KernelColdResult {
  /** Spawn of its own `wrangler dev` to /health answering (wrangler's build and workerd's start). */
  startup_ms: number;
  /** Client-side round trip of the /cold request. */
  round_trip_ms: number;
}

export interface KernelWorkerResult {
  model: string;
  startup_ms: number;
  rows: KernelWorkerRow[];
  /** Per build, on a fresh isolate: a `wrangler dev` of its own whose only request before /cold was /health. */
  cold: Partial<Record<KernelWorkerBuild, KernelWorkerCold>>;
}

export interface QueryBenchResult {
  load_average: { start: number[]; end: number[] };
  rounds: number;
  warmup: number;
  node: NodeRow[];
  output_terms: Record<string, NodeModel["output"]>;
  worker: WorkerResult | null;
  workerd_kernel: KernelWorkerResult | null;
  memory: Record<string, MemoryProbe>;
  sizes: ModelSizes;
}

interface Cell {
  group: string;
  /** Runs once; keeps the sample when `keep` (warm-up rounds are not kept). */
  run(round: number, keep: boolean): Promise<void>;
}

function cell<T>(group: string, samples: T[], sample: (round: number) => Promise<T>): Cell {
  return {
    group,
    run: async (round, keep) => {
      const s = await sample(round);
      if (keep) samples.push(s);
    },
  };
}

/** A timing, after checking the answer came the way the cell means it to (a cache hit, or a miss). */
function expectCache(wanted: "hit" | "miss") {
  return (t: Awaited<ReturnType<typeof encodeGetOnce>>): number => {
    if (t.cache !== wanted) throw new Error(`expected a cache ${wanted}, the Worker answered X-Splade-Cache: ${t.cache}`);
    return t.roundTripMs;
  };
}

/** Batches that fill wrangler.toml's token budget (2,048): 64 queries of 32 tokens; HEALTH_BATCHES of them in a row. */
const BUDGET_BATCH = { queries: 64, tokens: 32 };
const HEALTH_BATCHES = 5;

async function measureHealthUnderBatch(base: string, tokenCount: (text: string) => number, idle: Quantiles): Promise<WorkerResult["health_under_batch"]> {
  const query = queryOfLength(BUDGET_BATCH.tokens, tokenCount);
  const during: number[] = [];
  const batches: number[] = [];
  for (let b = 0; b < HEALTH_BATCHES; b++) {
    // Distinct texts (a batch number and a position) so nothing repeats; the cache is off on this Worker anyway.
    const queries = Array.from({ length: BUDGET_BATCH.queries }, (_, i) => `${query.split(" ").slice(0, -1).join(" ")} ${b}${i}`);
    const r = await healthDuringBatch(base, queries);
    during.push(...r.health_ms);
    batches.push(r.batch_ms);
  }
  return {
    batch_queries: BUDGET_BATCH.queries,
    batch_tokens: BUDGET_BATCH.queries * tokenCount(`${query.split(" ").slice(0, -1).join(" ")} 00`),
    batch_ms: quantiles(batches),
    health_during: quantiles(during),
    health_idle: idle,
    answered_during: during.length,
  };
}

export async function benchQuery(options: QueryBenchOptions): Promise<QueryBenchResult> {
  const loadStart = loadavg();
  const phase = options.onPhase ?? (() => {});
  const cells: Cell[] = [];
  const nodeTimes = new Map<NodeCell, number[]>();
  const models: NodeModel[] = [];
  let server: Awaited<ReturnType<typeof startWorker>> | undefined;
  let cacheServer: Awaited<ReturnType<typeof startWorker>> | undefined;
  let handlingServer: Awaited<ReturnType<typeof startWorker>> | undefined;
  const splits: Record<"logged" | "quiet", HandlingSplit[]> = { logged: [], quiet: [] };
  const cacheHits: number[] = [];
  const cacheMisses: number[] = [];
  let kernelServer: Awaited<ReturnType<typeof startWorker>> | undefined;
  let worker: WorkerResult | null = null;
  let workerdKernel: KernelWorkerResult | null = null;
  const node: NodeRow[] = [];
  try {
    let workerRows: (() => WorkerRow[]) | undefined;
    let workerCold: WorkerResult["cold"] | undefined;
    if (options.worker) {
      const { model, tokenCount } = options.worker;
      const assets = await assetsFolder(options.models[model]);
      phase(`starting the Worker (wrangler dev, ${model})…`);
      // The cache off: every round must run the model (the cache is measured on its own Worker below).
      server = await startWorker(assets, { vars: { SPLADE_CACHE_TTL: "0" } });
      const base = server.base;
      const queries = WORKER_LENGTHS.map((t) => queryOfLength(t, tokenCount));
      const coldQuery = queries[WORKER_LENGTHS.indexOf(10)];
      const cold = await encodeOnce(base, coldQuery);
      workerCold = { round_trip_ms: cold.roundTripMs, server_timing: cold.serverTiming, tokens: cold.tokens, query: coldQuery };
      const encodes = queries.map(() => [] as EncodeTiming[]);
      const health: number[] = [];
      queries.forEach((query, i) => cells.push(cell("worker", encodes[i], () => encodeOnce(base, query))));
      cells.push(cell("worker", health, () => healthOnce(base)));
      phase(`starting a second Worker with the cache on (wrangler dev, ${model})…`);
      cacheServer = await startWorker(assets, { vars: { SPLADE_CACHE_TTL: "3600" } });
      const cacheBase = cacheServer.base;
      await encodeGetOnce(cacheBase, coldQuery);
      cells.push(cell("worker", cacheHits, () => encodeGetOnce(cacheBase, coldQuery).then(expectCache("hit"))));
      // A new query every round (a number appended, about one token more than the hit's): a miss of nearly the same
      // size. The number starts from the clock because wrangler dev keeps its Cache API across runs.
      const fresh = Date.now() % 1_000_000;
      cells.push(cell("worker", cacheMisses, (round) => encodeGetOnce(cacheBase, `${coldQuery} ${fresh + round}`).then(expectCache("miss"))));
      phase(`starting the handling bench Worker (wrangler dev, ${HANDLING_WORKER_CONFIG}, ${model})…`);
      handlingServer = await startWorker(assets, { config: HANDLING_WORKER_CONFIG });
      const handlingBase = handlingServer.base;
      cells.push(cell("worker", splits.logged, () => handlingSplitOnce(handlingBase, coldQuery, HANDLING_REPS, false)));
      cells.push(cell("worker", splits.quiet, () => handlingSplitOnce(handlingBase, coldQuery, HANDLING_REPS, true)));
      workerRows = () => [
        ...queries.map((query, i): WorkerRow => {
          const timings = encodes[i];
          const inference = timings.some((t) => "inference" in t.serverTiming) ? quantiles(timings.map((t) => t.serverTiming.inference)).p50 : null;
          const tokens = timings[0]?.tokens ?? null;
          return {
            request: `/encode T≈${WORKER_LENGTHS[i]}`,
            query,
            tokens,
            round_trip_ms: quantiles(timings.map((t) => t.roundTripMs)),
            inference_p50_ms: inference,
            inference_vs_baseline: null,
          };
        }),
        { request: "/health", query: null, tokens: null, round_trip_ms: quantiles(health), inference_p50_ms: null, inference_vs_baseline: null },
      ];
    }

    const kernelRuns: { build: KernelWorkerBuild; shape: (typeof QUERY_SHAPES)[number]; parts: boolean; samples: KernelRunResult[] }[] = [];
    if (options.kernelWorker) {
      const { model } = options.kernelWorker;
      phase(`starting the bench kernel Worker (wrangler dev, ${KERNEL_WORKER_CONFIG}, ${model})…`);
      kernelServer = await startWorker(await assetsFolder(options.models[model]), { config: KERNEL_WORKER_CONFIG });
      const base = kernelServer.base;
      for (const build of KERNEL_WORKER_BUILDS) {
        for (const shape of QUERY_SHAPES) {
          // The parts on single sequences only: on the batch they would add seconds per round and say nothing new.
          const run = { build, shape, parts: shape.batch === 1, samples: [] as KernelRunResult[] };
          kernelRuns.push(run);
          const request = { build, tokens: shape.tokens, batch: shape.batch, reps: KERNEL_WORKER_REPS, mode: "exact" as const, parts: run.parts };
          cells.push(cell("workerd kernel", run.samples, () => kernelRunOnce(base, request)));
        }
      }
    }

    for (const [name, dir] of Object.entries(options.models)) {
      phase(`loading ${name}: onnxruntime-node, onnxruntime-web, kernel…`);
      const model = await loadNodeModel(name, dir);
      models.push(model);
      for (const variant of model.cells) {
        const times: number[] = [];
        nodeTimes.set(variant, times);
        cells.push(
          cell(`${name} ${variant.shape.name}`, times, async (round) => {
            const t0 = performance.now();
            await variant.run(round);
            return performance.now() - t0;
          }),
        );
      }
    }

    const groups = [...new Map(cells.map((c) => [c.group, cells.filter((d) => d.group === c.group)])).values()];
    phase(`measuring: ${options.warmup} warm-up + ${options.rounds} rounds of ${cells.length} cells, interleaved…`);
    const total = options.warmup + options.rounds;
    for (let round = 0; round < total; round++) {
      // Rotate both the groups and the cells within each, so no cell always follows the same neighbour.
      for (let g = 0; g < groups.length; g++) {
        const group = groups[(g + round) % groups.length];
        for (let i = 0; i < group.length; i++) await group[(i + round) % group.length].run(round, round >= options.warmup);
      }
      options.onRound?.(round + 1, total);
    }

    for (const [{ model, shape, variant }, times] of nodeTimes) {
      const q = quantiles(times);
      const base = [...nodeTimes].find(([c]) => c.model === model && c.shape === shape && c.variant === BASELINE)!;
      node.push({ model, shape: shape.name, batch: shape.batch, tokens: shape.tokens, variant, ...q, vs_baseline: q.p50 / quantiles(base[1]).p50 });
    }
    if (workerRows && workerCold && server && handlingServer && options.worker) {
      const model = options.worker.model;
      const rows = workerRows().map((row) => {
        const base = node.find((r) => r.model === model && r.batch === 1 && r.tokens === row.tokens && r.variant === BASELINE);
        return { ...row, inference_vs_baseline: base && row.inference_p50_ms !== null ? row.inference_p50_ms / base.p50 : null };
      });
      const t10 = rows[WORKER_LENGTHS.indexOf(10)];
      const healthRow = rows[rows.length - 1];
      phase("/health during batches at the token budget…");
      const underBatch = await measureHealthUnderBatch(server.base, options.worker.tokenCount, healthRow.round_trip_ms);
      phase(`requests/s at ${THROUGHPUT_CONCURRENCY} concurrent clients: over HTTP, then in-process in one isolate…`);
      const query10 = t10.query as string;
      const throughput: WorkerResult["throughput"] = {
        http_encode: await httpThroughput(`${server.base}/encode`, encodeInit(query10), THROUGHPUT_CONCURRENCY, THROUGHPUT_MS),
        http_health: await httpThroughput(`${server.base}/health`, undefined, THROUGHPUT_CONCURRENCY, THROUGHPUT_MS),
        isolate_encode: await handlingThroughputOnce(handlingServer.base, query10, THROUGHPUT_CONCURRENCY, THROUGHPUT_MS, false),
        isolate_encode_quiet: await handlingThroughputOnce(handlingServer.base, query10, THROUGHPUT_CONCURRENCY, THROUGHPUT_MS, true),
      };
      const handling = (samples: HandlingSplit[]): Record<SplitKind | "handling", Quantiles> => ({
        ...(Object.fromEntries((Object.keys(samples[0].ms) as SplitKind[]).map((k) => [k, quantiles(samples.map((s) => s.ms[k]))])) as Record<
          SplitKind,
          Quantiles
        >),
        handling: quantiles(samples.map((s) => s.ms.encode - s.ms.inference - s.ms.tokenize)),
      });
      const hit = quantiles(cacheHits);
      const miss = quantiles(cacheMisses);
      worker = {
        model,
        startup_ms: server.startupMs,
        cold: workerCold,
        rows,
        http_overhead_ms: t10.round_trip_ms.p50 - healthRow.round_trip_ms.p50 - (t10.inference_p50_ms ?? NaN),
        cache: { hit, miss, hit_vs_miss: hit.p50 / miss.p50 },
        health_under_batch: underBatch,
        handling: { query: query10, reps: splits.logged[0]?.reps ?? HANDLING_REPS, logged: handling(splits.logged), quiet: handling(splits.quiet) },
        throughput,
      };
    }
    if (options.kernelWorker && kernelServer) {
      const model = options.kernelWorker.model;
      const p50 = (variant: string, shape: string) => node.find((r) => r.model === model && r.shape === shape && r.variant === variant)?.p50;
      const p50Of = (xs: (number | null)[]) => (xs.every((x) => x !== null) && xs.length ? quantiles(xs as number[]).p50 : null);
      const rows = kernelRuns.map(({ build, shape, samples }): KernelWorkerRow => {
        const q = quantiles(samples.map((s) => s.ms_per_encode));
        return {
          build,
          shape: shape.name,
          batch: shape.batch,
          tokens: shape.tokens,
          mode: "exact",
          reps: KERNEL_WORKER_REPS,
          ms_per_encode: q,
          trunk_p50_ms: p50Of(samples.map((s) => s.trunk_ms_per_encode)),
          head_p50_ms: p50Of(samples.map((s) => s.head_ms_per_encode)),
          vs_baseline: q.p50 / (p50(BASELINE, shape.name) ?? NaN),
          node_kernel_p50_ms: p50("kernel exact", shape.name) ?? null,
          non_zero: samples.reduce((a, s) => a + s.non_zero, 0) / samples.length,
          selftest: samples[samples.length - 1]?.selftest ?? NaN,
          isolates: new Set(samples.map((s) => s.isolate)).size,
        };
      });
      workerdKernel = { model, startup_ms: kernelServer.startupMs, rows, cold: {} };
    }
  } finally {
    await Promise.all(models.map((m) => m.release()));
    await server?.stop();
    await cacheServer?.stop();
    await handlingServer?.stop();
    await kernelServer?.stop();
  }

  if (workerdKernel) {
    // A fresh isolate per build: a `wrangler dev` of its own, whose only request before /cold is startWorker's /health
    // (which touches neither the model nor the kernel). /cold reports `fresh` from the isolate's own state.
    for (const build of KERNEL_WORKER_BUILDS) {
      phase(`kernel cold start in a fresh isolate (its own wrangler dev): ${build}…`);
      const fresh = await startWorker(await assetsFolder(options.models[workerdKernel.model]), { config: KERNEL_WORKER_CONFIG });
      try {
        workerdKernel.cold[build] = { ...(await kernelColdOnce(fresh.base, build)), startup_ms: fresh.startupMs };
      } finally {
        await fresh.stop();
      }
    }
  }

  const memoryModel = options.worker?.model ?? Object.keys(options.models)[0];
  const memory: Record<string, MemoryProbe> = {};
  for (const variant of MEMORY_VARIANTS) {
    phase(`cold start and memory in a fresh process: ${variant}…`);
    memory[variant] = await probeMemory(variant, options.models[memoryModel]);
  }
  return {
    load_average: { start: loadStart, end: loadavg() },
    rounds: options.rounds,
    warmup: options.warmup,
    node,
    output_terms: Object.fromEntries(models.map((m) => [m.name, m.output])),
    worker,
    workerd_kernel: workerdKernel,
    memory,
    sizes: modelSizes(options.models[memoryModel]),
  };
}
