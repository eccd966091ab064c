// `npm run bench [-- query|corpus|retrieval|models|search]`: measurements, printed as a table and saved as JSON. Benchmarks report; they assert
// nothing (a timing is not a test). Without a benchmark name, `query` runs.
import { defineCommand } from "citty";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { dirname, join } from "node:path";
import { benchCorpus, median, type RunMode } from "./corpus.ts";
import { buildInt8Model } from "./corpus-int8.ts";
import { openGemmProbe, theoreticalPeak } from "./corpus-flops.ts";
import { BASELINE } from "./query-node.ts";
import { benchQuery, type QueryBenchResult, type WorkerResult } from "./query.ts";
import { benchRetrieval } from "./retrieval.ts";
import { benchSearch, searchTable, searchTexts } from "./search.ts";
import { searchScorerCommand } from "./search-scorer.ts";
import { benchModelCases, benchModels, MODELS_BENCH_DOC_TOP_K, MODELS_BENCH_QUERY } from "./models.ts";
import { generatePassages } from "../test/support/passages.ts";
import { parseVocab } from "../src/model/tokenizer-json.ts";
import { bertUncasedVocabTxt } from "../src/model/vocab.ts";
import type { Quantiles } from "./stats.ts";
import { SpladeEncoder } from "../src/encoder/encoder.ts";
import { GTE_ARCHITECTURE } from "../src/model/architectures.ts";
import { sourceFolder } from "../src/model/convert.ts";
import { ensureFixtureModels, FIXTURE_ROOT, FULL_SIZE_FIXTURES } from "../src/model/fixture.ts";
import { ENGINES, startBackendThread } from "../src/node/inference-thread.ts";
import { loadModelFolder } from "../src/node/model-folder.ts";
import { runCli, CliError } from "../src/cli/run.ts";

/** Results live with the other generated, git-ignored files (the repository's top level is fixed). */
export const BENCH_RESULTS = join(FIXTURE_ROOT, "bench");

// Generated weights make every one of the 30522 terms non-zero; trained SPLADE documents keep ~100–200. This cut
// brings the generated model's output to that size, so the benchmark times encoding, not writing 30k-term lines.
const GENERATED_MIN_WEIGHT = 0.85;

function count(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError("usage", `--${name} must be a positive integer, got ${value}`);
  return n;
}

interface AttainedFlops {
  /** Median docs/s × FLOPs per document on real tokens, GFLOP/s: the useful work. */
  usefulGflops: number;
  /** The same with every row at its batch's padded length: what the graph computes. */
  executedGflops: number;
  /** Median over rounds of the round's useful GFLOP/s over the GEMM peak measured right after it. */
  ofGemmPeak: number;
  /** The same per CPU-second used (each side's GFLOP/s over its own CPU use): what is left once others' load is out. */
  ofGemmPerCpu: number;
  ofTheoretical: number;
}

/** The FLOP rate each batching mode reaches, against the GEMM peak of the same round and the theoretical peak. */
function attainedFlops(result: Awaited<ReturnType<typeof benchCorpus>>, theoreticalGflops: number): Partial<Record<RunMode, AttainedFlops>> {
  const perDocument = result.flops.perDocument.total;
  const modes = Object.keys(result.summary) as RunMode[];
  return Object.fromEntries(
    modes.map((mode) => {
      const mine = result.runs.filter((r) => r.mode === mode);
      const ratios = mine.map((r) => {
        const peak = result.peaks[r.round - 1];
        const useful = (r.docsPerSecond * perDocument) / 1e9;
        return { ofPeak: useful / peak.medianGflops, perCpu: useful / r.cpuPercent / (peak.medianGflops / peak.cpuPercent) };
      });
      const docsPerSecond = result.summary[mode]?.docsPerSecond ?? Number.NaN;
      const useful = (docsPerSecond * perDocument) / 1e9;
      return [
        mode,
        {
          usefulGflops: useful,
          executedGflops: (docsPerSecond * result.flops.executedPerDocument[mode === "input" ? "input" : "length"]) / 1e9,
          ofGemmPeak: median(ratios.map((r) => r.ofPeak)),
          ofGemmPerCpu: median(ratios.map((r) => r.perCpu)),
          ofTheoretical: useful / theoreticalGflops,
        },
      ];
    }),
  ) as Partial<Record<RunMode, AttainedFlops>>;
}

/** `--model-size`: the generated doc model the corpus benchmark makes and runs when no `--model` is given. */
const CORPUS_MODEL_SIZES = ["reduced", "full"] as const;

const corpusCommand = defineCommand({
  meta: { name: "corpus", description: "encode-corpus throughput: length-bucketed vs input-order batching, docs/s, CPU use and the share of float32 peak" },
  args: {
    docs: { type: "string", description: "Generated passages per run", default: "1024" },
    rounds: { type: "string", description: "Rounds (each runs both modes, alternating which goes first)", default: "3" },
    "batch-size": { type: "string", description: "Documents per model run", default: "32" },
    "window-batches": { type: "string", description: "Batches per length-sorted window", default: "16" },
    threads: { type: "string", description: "Inference threads (default: every core)" },
    engine: { type: "enum", options: [...ENGINES], description: "node: onnxruntime-node; web: onnxruntime-web (WebAssembly, one thread)", default: "node" },
    seed: { type: "string", description: "Passage generator seed", default: "1" },
    model: { type: "string", description: "Doc model folder (default: the generated one of --model-size, made if needed)" },
    "model-size": {
      type: "enum",
      options: [...CORPUS_MODEL_SIZES],
      description: "Generated doc model: reduced (2 × 64, what the tests use) or full (DistilBERT 6 × 768, ~265 MB, made on first use)",
      default: "reduced",
    },
    "profile-batches": {
      type: "string",
      description: "Length-bucketed batches run through onnxruntime's profiler after the rounds (0: none; node engine)",
      default: "6",
    },
    int8: {
      type: "boolean",
      description: "Also time an int8-weights graph (DynamicQuantizeMatMul, length batching) and measure its vectors against float32's (node engine)",
    },
    out: { type: "string", description: "Folder for the corpus, outputs and results JSON", default: BENCH_RESULTS },
  },
  async run({ args }) {
    const engine = args.engine;
    const full = args["model-size"] === "full";
    const onConvert = (name: string) => console.error(`generating the ${name} test model…`);
    const fixtureName = full ? "doc-full" : "doc";
    // A generated model's checkpoint folder is known here: --int8 rebuilds from it (a fetched one's is in model/.hub).
    const fixtures = args.model === undefined ? await ensureFixtureModels(FIXTURE_ROOT, onConvert, full ? FULL_SIZE_FIXTURES : undefined) : undefined;
    const modelDir = fixtures?.models[fixtureName] ?? (args.model as string);
    const folder = await loadModelFolder(modelDir, { fetchHint: "npm run model -- fetch --only doc" });
    const threads = engine === "node" ? (args.threads ? count("threads", args.threads) : availableParallelism()) : 1;
    const batchSize = count("batch-size", args["batch-size"]);
    const docs = count("docs", args.docs);
    const profileBatches = Number(args["profile-batches"]);
    if (!Number.isInteger(profileBatches) || profileBatches < 0)
      throw new CliError("usage", `--profile-batches must be a whole number, got ${args["profile-batches"]}`);
    await mkdir(args.out, { recursive: true });
    // The full-size fixture's decoder bias shift already gives ~100–200 terms per document (src/model/fixture.ts).
    const shiftedFixture = full && !args.model;
    const minWeight = folder.manifest.random_weights && !shiftedFixture ? GENERATED_MIN_WEIGHT : 0;
    const config = folder.manifest.config;
    // bench/corpus-flops.ts counts BERT's FLOPs; GTE's gated MLP and rotary positions are not counted there.
    if (config.architecture === GTE_ARCHITECTURE)
      throw new CliError("usage", `${modelDir}: the corpus benchmark counts BERT/DistilBERT FLOPs only, not ${GTE_ARCHITECTURE}'s`);
    console.log(
      `encode-corpus benchmark: ${docs} generated passages, ${modelDir} (${config.numLayers} layers × ${config.hiddenSize}, ` +
        `${folder.manifest.random_weights ? `generated weights${minWeight ? `, terms ≥ ${minWeight}` : ""}` : "trained weights"}), ` +
        `batch ${batchSize}, ${engine} engine, ${threads} thread${threads === 1 ? "" : "s"}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), Node ${process.versions.node}`,
    );
    const theoretical = await theoreticalPeak();
    if (theoretical) {
      console.log(
        `theoretical float32 peak: ${theoretical.cores} cores × ${theoretical.mhz.toFixed(0)} MHz × ${theoretical.flopsPerCycle} FLOP/cycle ` +
          `(${theoretical.widest}, two FMA pipes) = ${theoretical.gflops.toFixed(1)} GFLOP/s [${theoretical.flags.join(" ")}]`,
      );
    }
    // The attainable rate, with the inference thread's thread count, measured after every round (bench/corpus.ts).
    const gemm = await openGemmProbe(threads);
    if (args.int8 && engine !== "node") throw new CliError("usage", "--int8 needs --engine node: DynamicQuantizeMatMul is an onnxruntime CPU contrib operator");
    const int8File = args.int8 ? await buildInt8Model(folder.manifest, fixtures?.hf[fixtureName] ?? sourceFolder(folder.manifest), args.out) : undefined;
    const backend = await startBackendThread({
      modelFile: folder.modelFile,
      graph: folder.manifest.onnx,
      engine,
      threads: engine === "node" ? threads : undefined,
    });
    const int8Backend = int8File ? await startBackendThread({ modelFile: int8File, graph: folder.manifest.onnx, engine, threads }) : undefined;
    let result: Awaited<ReturnType<typeof benchCorpus>>;
    try {
      console.log("round  mode      docs/s     CPU   (then the float32 GEMM peak: onnxruntime-node, one 1024³ MatMul, same threads)");
      result = await benchCorpus({
        encoder: new SpladeEncoder(folder.tokenizer, backend, folder.manifest.vocab_size),
        int8Encoder: int8Backend ? new SpladeEncoder(folder.tokenizer, int8Backend, folder.manifest.vocab_size) : undefined,
        docs,
        rounds: count("rounds", args.rounds),
        batchSize,
        windowBatches: count("window-batches", args["window-batches"]),
        minWeight,
        seed: count("seed", args.seed),
        config,
        profile: engine === "node" && profileBatches > 0 ? { modelFile: folder.modelFile, threads, batches: profileBatches } : undefined,
        workDir: args.out,
        gemm,
        onPeak: (round, peak) =>
          console.log(
            `${String(round).padStart(5)}  GEMM    ${peak.medianGflops.toFixed(1).padStart(8)}  ${peak.cpuPercent.toFixed(0).padStart(5)}%   GFLOP/s median (best ${peak.bestGflops.toFixed(1)}) over ${peak.runs} runs`,
          ),
        onRun: (r) =>
          console.log(
            `${String(r.round).padStart(5)}  ${r.mode.padEnd(6)}  ${r.docsPerSecond.toFixed(1).padStart(8)}  ${r.cpuPercent.toFixed(0).padStart(5)}%`,
          ),
      });
    } finally {
      await backend.close();
      await int8Backend?.close();
      await gemm.close();
      if (int8File) await rm(int8File, { force: true });
    }
    const t = result.corpus.tokens;
    const f = result.flops.perDocument;
    console.log(`\ntokens per passage: mean ${t.mean.toFixed(1)}, p5 ${t.p5}, median ${t.p50}, p95 ${t.p95}, max ${t.max}`);
    const terms = result.terms;
    console.log(`terms per document written: mean ${terms.mean.toFixed(1)}, p5 ${terms.p5}, median ${terms.p50}, p95 ${terms.p95}`);
    console.log(
      `GFLOP per document on its real tokens: ${(f.total / 1e9).toFixed(2)} (projections ${(f.projections / 1e9).toFixed(2)}, attention ${(f.attention / 1e9).toFixed(2)}, ` +
        `head transform ${(f.headTransform / 1e9).toFixed(2)}, decoder ${(f.decoder / 1e9).toFixed(2)} = ${((100 * f.decoder) / f.total).toFixed(0)} %)`,
    );
    const attained = attainedFlops(result, theoretical?.gflops ?? Number.NaN);
    console.log("\nmode    docs/s (median)  CPU (median)  padded/real tokens  GFLOP/s useful (as padded)  of GEMM peak  per CPU-second  of theoretical");
    for (const mode of Object.keys(result.summary) as RunMode[]) {
      const s = result.summary[mode];
      const a = attained[mode];
      if (!s || !a) continue;
      const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
      console.log(
        `${mode.padEnd(11)}  ${s.docsPerSecond.toFixed(1).padStart(15)}  ${`${s.cpuPercent.toFixed(0)}%`.padStart(12)}  ${result.paddingOverhead[mode === "input" ? "input" : "length"].toFixed(2).padStart(18)}  ` +
          `${`${a.usefulGflops.toFixed(1)} (${a.executedGflops.toFixed(1)})`.padStart(26)}  ${pct(a.ofGemmPeak).padStart(12)}  ${pct(a.ofGemmPerCpu).padStart(14)}  ${pct(a.ofTheoretical).padStart(14)}`,
      );
    }
    console.log(`length-bucketed batching: ${result.speedup.toFixed(2)}× the docs/s of input-order batching`);
    const q = result.int8;
    const int8Speed = result.summary["length-int8"];
    if (q && int8Speed) {
      console.log(
        `int8 weights (FLOP rates above as float32-equivalent work): ${(int8Speed.docsPerSecond / result.summary.length.docsPerSecond).toFixed(2)}× float32's docs/s; ` +
          `against float32 on the same ${q.documents} documents: top-10 overlap ${(100 * q.topKOverlap.k10).toFixed(1)} %, top-100 ${(100 * q.topKOverlap.k100).toFixed(1)} %, ` +
          `max abs weight error ${q.maxAbsError.toFixed(4)} (mean per-document max ${q.meanDocMaxAbsError.toFixed(4)}, against a heaviest weight of ${q.meanDocMaxWeight.toFixed(3)}), terms per document ${q.terms.float32.toFixed(1)} → ${q.terms.int8.toFixed(1)}` +
          (minWeight > 0 ? ` — on vectors cut at ${minWeight}: a term on one side of the cut only counts its whole weight` : ""),
      );
    }
    const p = result.profile;
    if (p) {
      const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
      console.log(
        `\nwhere the graph's time goes (onnxruntime profiler, ${p.batches} length-bucketed batches, ${p.rows} rows, ${p.paddedTokens} padded tokens, ${p.nodeMs.toFixed(0)} ms in nodes): ` +
          `decoder ${pct(p.shares.decoder)} (${p.decoderGflops.toFixed(1)} GFLOP/s), pooling ${pct(p.shares.pooling)}, head transform ${pct(p.shares.headTransform)}, ` +
          `attention ${pct(p.shares.attention)}, rest of the layers ${pct(p.shares.layersOther)}`,
      );
      for (const n of p.top) console.log(`  ${pct(n.share).padStart(7)}  ${n.op.padEnd(22)} ${n.node}`);
    }
    const file = join(args.out, `corpus-${new Date().toISOString().replaceAll(":", "-")}.json`);
    const environment = {
      node: process.versions.node,
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? null,
      engine,
      threads,
      batch_size: batchSize,
      model: modelDir,
      model_config: config,
      random_weights: folder.manifest.random_weights,
      min_weight: minWeight,
    };
    await writeFile(file, `${JSON.stringify({ benchmark: "corpus", environment, theoretical, attained, ...result }, null, 2)}\n`);
    console.log(`results: ${file}`);
  },
});

/** The Worker serves the realistic-sparsity model, as `npm run demo` does. */
const WORKER_MODEL = "query-sparse";
const QUERY_MODELS = [WORKER_MODEL, "query"];

const queryArgs = {
  rounds: { type: "string", description: "Measured rounds (each runs every variant once, interleaved)", default: "150" },
  quick: { type: "boolean", description: "20 rounds: a smoke run, too few for a stable p99" },
  json: { type: "string", description: "Results file (default: test/.generated/bench/query-<time>.json)" },
  worker: { type: "boolean", description: "Also measure the Worker in workerd (--no-worker skips it)", default: true },
  "kernel-worker": {
    type: "boolean",
    description: "Also time the kernel inside workerd, both builds, with a bench-only Worker (--no-kernel-worker skips it)",
    default: true,
  },
} as const;

const ms = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? "—" : x.toFixed(x < 10 ? 3 : 1));
const mb = (bytes: number | null) => (bytes === null ? "—" : (bytes / 2 ** 20).toFixed(1));
const cols = (widths: number[], cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
const pct = (q: Quantiles) => [ms(q.p50), ms(q.p90), ms(q.p99)];

function printQuery(r: QueryBenchResult, machine: string): void {
  console.log(`\n${machine}`);
  console.log(
    `load average (1/5/15 min): start ${r.load_average.start.map((l) => l.toFixed(2)).join(" ")}, end ${r.load_average.end.map((l) => l.toFixed(2)).join(" ")}`,
  );
  console.log(`${r.rounds} rounds after ${r.warmup} warm-up, interleaved; times in ms; × = p50 / baseline p50 (same model, shape and run)`);
  const w = [40, 8, 8, 8, 6];
  for (const model of Object.keys(r.output_terms)) {
    for (const shape of [...new Set(r.node.filter((n) => n.model === model).map((n) => n.shape))]) {
      const terms = r.output_terms[model][shape];
      console.log(`\n${model}, ${shape} (${terms.non_zero.toFixed(0)} non-zero terms per query, ${terms.rescored.toFixed(0)} rescored)`);
      console.log(cols(w, ["variant", "p50", "p90", "p99", "×"]));
      for (const row of r.node.filter((n) => n.model === model && n.shape === shape))
        console.log(cols(w, [row.variant, ...pct(row), row.vs_baseline.toFixed(2)]));
    }
  }
  if (r.worker) {
    const k = r.worker;
    console.log(`\nWorker in workerd (wrangler dev, ${k.model}); wrangler start → /health answers: ${ms(k.startup_ms)} ms`);
    const st = Object.entries(k.cold.server_timing)
      .map(([n, v]) => `${n} ${ms(v)}`)
      .join(", ");
    console.log(`cold: first /encode (T=${k.cold.tokens}) after /health answered: round trip ${ms(k.cold.round_trip_ms)} ms; Server-Timing ${st || "—"}`);
    const ww = [16, 6, 8, 8, 8, 10, 6];
    console.log(cols(ww, ["request", "tokens", "p50", "p90", "p99", "inference", "×"]));
    for (const row of k.rows) {
      console.log(
        cols(ww, [
          row.request,
          row.tokens === null ? "" : String(row.tokens),
          ...pct(row.round_trip_ms),
          ms(row.inference_p50_ms),
          row.inference_vs_baseline === null ? "" : row.inference_vs_baseline.toFixed(2),
        ]),
      );
    }
    console.log("(round trip p50/p90/p99; inference = Server-Timing p50, the in-Worker encode; × = inference p50 / baseline p50 at that length)");
    console.log(`goal 5, T≈10: (/encode p50 − /health p50) − inference p50 = ${ms(k.http_overhead_ms)} ms`);
    const c = k.cache;
    console.log(
      `cache (GET /encode, T≈10, second Worker with the cache on): hit p50 ${ms(c.hit.p50)} / p99 ${ms(c.hit.p99)} ms, miss p50 ${ms(c.miss.p50)} / p99 ${ms(c.miss.p99)} ms → hit/miss ${c.hit_vs_miss.toFixed(2)}`,
    );
    const split = (q: WorkerResult["handling"]["logged"]) =>
      `handling ${ms(q.handling.p50)} (encode ${ms(q.encode.p50)} − inference ${ms(q.inference.p50)} − tokenize ${ms(q.tokenize.p50)}), /health ${ms(q.health.p50)}, 422 ${ms(q.invalid.p50)}, one log line ${ms(q.log.p50)}`;
    console.log(
      `in-process inside workerd (bench/query-handling-worker.ts: the app's fetch called directly, T≈10, p50 over rounds of ${k.handling.reps}-call means, ms):`,
    );
    console.log(`  as deployed: ${split(k.handling.logged)}`);
    console.log(`  console.log muted: ${split(k.handling.quiet)}`);
    const t = k.throughput;
    const http = (x: typeof t.http_encode) =>
      `${x.requests_per_second.toFixed(0)} requests/s (round trip p50 ${ms(x.round_trip_ms.p50)} / p99 ${ms(x.round_trip_ms.p99)} ms)`;
    console.log(
      `requests/s, one isolate, ${t.http_encode.concurrency} concurrent clients, T≈10: HTTP (wrangler dev) /encode ${http(t.http_encode)}, /health ${http(t.http_health)};`,
    );
    console.log(
      `  in-process /encode ${t.isolate_encode.requests_per_second.toFixed(0)} requests/s (console.log muted: ${t.isolate_encode_quiet.requests_per_second.toFixed(0)})`,
    );
    const h = k.health_under_batch;
    console.log(
      `/health during ${h.batch_queries}-query batches (${h.batch_tokens} tokens, batch p50 ${ms(h.batch_ms.p50)} ms): p50 ${ms(h.health_during.p50)} / p99 ${ms(h.health_during.p99)} ms over ${h.answered_during} answers; idle p50 ${ms(h.health_idle.p50)} / p99 ${ms(h.health_idle.p99)} ms`,
    );
  }
  if (r.workerd_kernel) {
    const k = r.workerd_kernel;
    console.log(
      `\nkernel inside workerd (bench Worker bench/kernel-worker.ts, wrangler dev, ${k.model}); wrangler start → /health answers: ${ms(k.startup_ms)} ms`,
    );
    console.log(
      `one request per round and cell: ${k.rows[0]?.reps ?? "?"} encodes (mode exact) timed in the Worker with performance.now() around the loop; ms per call of the shape`,
    );
    const kw = [8, 8, 8, 8, 8, 6, 8, 8, 9, 6, 3];
    console.log(cols(kw, ["build", "shape", "p50", "p90", "p99", "×", "trunk", "head", "node kern", "terms", "st"]));
    for (const row of k.rows) {
      console.log(
        cols(kw, [
          row.build,
          row.shape,
          ...pct(row.ms_per_encode),
          row.vs_baseline.toFixed(2),
          ms(row.trunk_p50_ms),
          ms(row.head_p50_ms),
          ms(row.node_kernel_p50_ms),
          row.non_zero.toFixed(1),
          String(row.selftest),
        ]),
      );
    }
    const baselines = [...new Set(k.rows.map((row) => row.shape))].map(
      (shape) => `${shape} ${ms(r.node.find((n) => n.model === k.model && n.shape === shape && n.variant === BASELINE)?.p50)}`,
    );
    console.log(
      `(× = p50 / baseline p50 of the same shape, ${k.model}: ${baselines.join(", ")}; trunk/head: the parts alone, p50; node kern: kernel.wasm exact in Node, p50;`,
    );
    console.log(" terms: non-zero per sequence (same ids as the Node cells); st: int8_selftest() in workerd, 0 = right)");
    const isolates = Math.max(...k.rows.map((row) => row.isolates));
    if (isolates > 1)
      console.log(
        `warning: ${isolates} isolates answered one row: wrangler reloaded the bench Worker mid-run (a watched source changed); its samples mix in reloads`,
      );
    for (const [build, c] of Object.entries(k.cold)) {
      console.log(
        `cold, ${build}, fresh isolate (own wrangler dev, only /health before; fresh=${c.fresh}): fetch manifest+encoder.bin ${ms(c.fetch_ms)}, SpladeKernel.load ${ms(c.create_ms)}, ` +
          `first encode T=10 (scan) ${ms(c.first_encode_ms)}, total ${ms(c.total_ms)} ms in the Worker; then int8 decoder ${ms(c.prepare_ms)}, ` +
          `second encode (exact) ${ms(c.second_encode_ms)}; round trip ${ms(c.round_trip_ms)} ms; wrangler start ${ms(c.startup_ms)} ms`,
      );
    }
  }
  const model = r.worker?.model ?? Object.keys(r.output_terms)[0];
  console.log(`\ncold start and memory, fresh process per variant, ${model}, first request T=10 (ms, MiB)`);
  const mw = [14, 7, 7, 7, 9, 9, 9, 9, 9];
  console.log(cols(mw, ["variant", "start", "load", "first", "ORT wasm", "kern wasm", "RSS +sta", "RSS +load", "RSS +1st"]));
  for (const m of Object.values(r.memory)) {
    console.log(
      cols(mw, [
        m.variant,
        ms(m.runtime_start_ms ?? m.kernel_compile_ms),
        ms(m.load_ms),
        ms(m.first_run_ms),
        mb(m.ort_wasm_bytes_after_first_run),
        mb(m.kernel_wasm_bytes_after_first_run),
        mb(m.rss_delta_after_start),
        mb(m.rss_delta_after_load),
        mb(m.rss_delta_after_first_run),
      ]),
    );
  }
  console.log(
    "start: onnxruntime-web's wasm runtime start, or compiling kernel.wasm (new WebAssembly.Module); load: InferenceSession.create, or reading encoder.bin + SpladeKernel.create.",
  );
  console.log("ORT wasm / kern wasm: onnxruntime-web's / the kernel's linear memory after the first run (the kernel's holds encoder.bin's copy).");
  console.log("RSS +sta/+load/+1st: resident growth since just before the start (touched pages, V8 heap, compiled code; native allocations for ort-node).");
  const s = r.sizes;
  console.log(
    `sizes (MiB): model.onnx ${mb(s.model_onnx)}, encoder.bin ${mb(s.encoder_bin)}, kernel.wasm ${(s.kernel_wasm / 1024).toFixed(1)} KiB, ORT .wasm ${mb(s.ort_wasm)}`,
  );
}

const queryCommand = defineCommand({
  meta: { name: "query", description: "query encoding: onnxruntime-node baseline vs onnxruntime-web vs the wasm kernel, and the Worker in workerd" },
  args: queryArgs,
  async run({ args }) {
    const rounds = args.quick ? 20 : count("rounds", args.rounds);
    const { models } = await ensureFixtureModels(FIXTURE_ROOT, (name) => console.error(`generating the ${name} test model…`));
    const folders = Object.fromEntries(QUERY_MODELS.map((name) => [name, models[name]]));
    const tokenizer = args.worker ? (await loadModelFolder(folders[WORKER_MODEL])).tokenizer : undefined;
    const machine = `${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.versions.node}`;
    console.error(`query benchmark on ${machine} (the document side: npm run bench -- corpus)`);
    const tty = process.stderr.isTTY;
    const result = await benchQuery({
      models: folders,
      rounds,
      warmup: 10,
      worker: tokenizer ? { model: WORKER_MODEL, tokenCount: (text) => tokenizer.encode(text).ids.length } : undefined,
      kernelWorker: args["kernel-worker"] ? { model: WORKER_MODEL } : undefined,
      onPhase: (message) => console.error(message),
      onRound: (round, total) => {
        if (tty) process.stderr.write(`\rround ${round}/${total}${round === total ? "\n" : ""}`);
        else if (round % Math.ceil(total / 10) === 0 || round === total) console.error(`round ${round}/${total}`);
      },
    });
    printQuery(result, machine);
    const file = args.json ?? join(BENCH_RESULTS, `query-${new Date().toISOString().replaceAll(":", "-")}.json`);
    await mkdir(dirname(file), { recursive: true });
    const environment = {
      node: process.versions.node,
      v8: process.versions.v8,
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? null,
      date: new Date().toISOString(),
    };
    await writeFile(file, `${JSON.stringify({ benchmark: "query", environment, models: folders, ...result }, null, 2)}\n`);
    console.log(`\nresults: ${file}`);
  },
});

const retrievalCommand = defineCommand({
  meta: {
    name: "retrieval",
    description: "the eval engine at scale: generated ids collections, DuckDB vs pgvector (PGlite) load, exact top-k query time, RSS",
  },
  args: {
    sizes: { type: "string", description: "Collection sizes, comma-separated", default: "100000,1000000" },
    "pgvector-max": { type: "string", description: "Run pgvector (PGlite) too at sizes up to this", default: "100000" },
    queries: { type: "string", description: "Measured queries per engine and size (after 3 warm-up ones)", default: "50" },
    hits: { type: "string", description: "Exact top-k per query", default: "1000" },
    seed: { type: "string", description: "Generator seed", default: "1" },
    memory: { type: "string", description: "DuckDB memory_limit (default: DuckDB's, 80% of RAM)" },
    out: { type: "string", description: "Folder for the collections, databases and results JSON", default: join(BENCH_RESULTS, "retrieval") },
  },
  async run({ args }) {
    const sizes = args.sizes.split(",").map((s) => count("sizes", s.trim().replaceAll("_", "")));
    const machine = `${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.versions.node}`;
    console.error(`retrieval benchmark on ${machine}`);
    const r = await benchRetrieval({
      sizes,
      pgvectorMax: count("pgvector-max", args["pgvector-max"]),
      queries: count("queries", args.queries),
      hits: count("hits", args.hits),
      seed: count("seed", args.seed),
      memory: args.memory,
      out: args.out,
      onPhase: (message) => console.error(message),
    });
    const w = [10, 10, 12, 9, 9, 9, 9, 10, 9];
    console.log(`\n${machine}; exact top-${r.hits}, ${r.queries} queries per row (ms: p50 p90 p99); RSS in MiB`);
    console.log(cols(w, ["engine", "docs", "postings", "load s", "p50", "p90", "p99", "RSS peak", "disk MiB"]));
    for (const row of r.rows) {
      console.log(
        cols(w, [
          row.engine,
          row.documents.toLocaleString("en-US"),
          row.postings.toLocaleString("en-US"),
          row.load_s.toFixed(1),
          ...pct(row.query_ms),
          row.rss_peak_mib.toFixed(0),
          row.disk_mib === null ? "—" : row.disk_mib.toFixed(0),
        ]),
      );
    }
    for (const [size, share] of Object.entries(r.top10_agreement))
      console.log(`top-10 ids shared by both engines at ${Number(size).toLocaleString("en-US")} documents: ${(share * 100).toFixed(1)}%`);
    const m = r.msmarco;
    console.log(
      `MS MARCO dev, extrapolated linearly from ${m.from_documents.toLocaleString("en-US")} documents (DuckDB, this machine): load ${(m.load_s / 60).toFixed(0)} min, ` +
        `${m.query_ms_mean.toFixed(0)} ms a query, ${(m.all_queries_s / 3600).toFixed(1)} h for 6,980 queries${m.disk_gib === null ? "" : `, ${m.disk_gib.toFixed(1)} GiB on disk`}`,
    );
    const file = join(args.out, `retrieval-${new Date().toISOString().replaceAll(":", "-")}.json`);
    const environment = { node: process.versions.node, cpus: cpus().length, cpu: cpus()[0]?.model ?? null, date: new Date().toISOString() };
    await writeFile(file, `${JSON.stringify({ benchmark: "retrieval", environment, ...r }, null, 2)}\n`);
    console.log(`results: ${file}`);
  },
});

/** Where a benchmark ran, for its results file. */
function machineRecord(peak: Awaited<ReturnType<typeof theoreticalPeak>>) {
  return { node: process.versions.node, cpus: cpus().length, cpu: cpus()[0]?.model ?? null, cpu_flags: peak?.flags ?? null, date: new Date().toISOString() };
}

const modelsCommand = defineCommand({
  meta: {
    name: "models",
    description: "each kind of model side by side: the Worker's cold start and per-request cost per query kind, encode-corpus per document architecture",
  },
  args: {
    rounds: { type: "string", description: "Warm rounds (one request per query model each)", default: "200" },
    colds: { type: "string", description: "Fresh Workers per query model for the cold start", default: "5" },
    docs: { type: "string", description: "Passages encode-corpus encodes per document model", default: "256" },
    "skip-docs": { type: "boolean", description: "Only the query side (the document side generates ~1 GB of full-size checkpoints once)" },
    out: { type: "string", description: "Folder for the generated models, corpus and results", default: join(BENCH_RESULTS, "models") },
  },
  async run({ args }) {
    const peak = await theoreticalPeak();
    const machine = `${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.versions.node}; CPU flags: ${peak?.flags.join(" ") ?? "unknown"}`;
    console.error(`models benchmark on ${machine}`);
    const onConvert = (name: string) => console.error(`generating the ${name} test model…`);
    const cases = await benchModelCases(args.out, { docs: !args["skip-docs"], onConvert });
    const docs = count("docs", args.docs);
    const corpus = join(args.out, `passages-${docs}.jsonl`);
    const vocab = parseVocab(bertUncasedVocabTxt(), "vocab.txt");
    await writeFile(
      corpus,
      generatePassages(vocab, docs, 1)
        .map((text, i) => `${JSON.stringify({ id: `p${i}`, text })}\n`)
        .join(""),
    );
    const r = await benchModels({
      ...cases,
      queryText: MODELS_BENCH_QUERY,
      colds: count("colds", args.colds),
      rounds: count("rounds", args.rounds),
      warmup: 10,
      corpus: { file: corpus, docs, workDir: args.out },
      onPhase: (message) => console.error(message),
    });
    console.log(`\n${machine}; generated weights (costs are real, outputs mean nothing)`);
    console.log(`query: the Worker under wrangler dev, POST /encode of ${JSON.stringify(MODELS_BENCH_QUERY)}, cache off; ms`);
    const w = [46, 7, 9, 9, 9, 9, 9, 9, 8];
    console.log(cols(w, ["query model", "tokens", "cold srv", "cold rt", "http p50", "http p99", "encode", "model", "× first"]));
    for (const q of r.query) {
      console.log(
        cols(w, [
          q.name,
          String(q.tokens),
          q.cold_server_total_p50_ms.toFixed(0),
          q.cold_round_trip_p50_ms.toFixed(0),
          q.warm_round_trip_ms.p50.toFixed(2),
          q.warm_round_trip_ms.p99.toFixed(2),
          q.in_process_encode_ms.toFixed(3),
          q.in_process_inference_ms.toFixed(3),
          `${q.vs_first.toFixed(2)}×`,
        ]),
      );
    }
    console.log(
      "cold srv / cold rt: a fresh Worker's first /encode (median over the fresh Workers): Server-Timing total (the model's load inside) / client round trip through wrangler dev's proxy.",
    );
    console.log(
      "http p50 / p99: warm round trips through wrangler dev (its proxy dominates); encode / model: inside workerd, in-process (bench/query-handling-worker.ts, log muted), mean per POST /encode and per model run; × first: encode over the first row's, same run.",
    );
    if (r.doc.length > 0) {
      console.log(
        `\ndocuments: the real encode-corpus process (jsonl, --top-k ${MODELS_BENCH_DOC_TOP_K}, every core), ${docs} generated passages, wall time from spawn to exit`,
      );
      const d = [46, 9, 9, 9, 9, 10];
      console.log(cols(d, ["document model", "wall s", "encode s", "docs/s", "ms/doc", "tokens/s"]));
      for (const row of r.doc)
        console.log(
          cols(d, [
            row.name,
            row.wall_s.toFixed(1),
            row.encode_s.toFixed(1),
            row.docs_per_s.toFixed(1),
            row.ms_per_doc.toFixed(1),
            row.tokens_per_s.toFixed(0),
          ]),
        );
      console.log(
        "wall: the process from spawn to exit (the model's load included); encode: the run encode-corpus's summary reports, whose rate a large corpus gets.",
      );
    }
    const file = join(args.out, `models-${new Date().toISOString().replaceAll(":", "-")}.json`);
    const environment = machineRecord(peak);
    await writeFile(file, `${JSON.stringify({ benchmark: "models", environment, ...r }, null, 2)}\n`);
    console.log(`results: ${file}`);
  },
});

const searchCommand = defineCommand({
  meta: {
    name: "search",
    description:
      "search at the edge: splade-index build, the search core and /search in workerd, DuckDB — at each size of the synthetic collection, side by side",
  },
  args: {
    sizes: { type: "string", description: "Collection sizes, comma-separated", default: "100000,1000000" },
    queries: { type: "string", description: "Measured queries per k (vectors and texts)", default: "200" },
    seed: { type: "string", description: "Collection seed", default: "1" },
    out: { type: "string", description: "Folder for the collections, indexes (kept between runs) and results JSON", default: join(BENCH_RESULTS, "search") },
  },
  async run({ args }) {
    const peak = await theoreticalPeak();
    const machine = `${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.versions.node}; CPU flags: ${peak?.flags.join(" ") ?? "unknown"}`;
    console.error(`search benchmark on ${machine}`);
    const sizes = args.sizes.split(",").map((s) => count("sizes", s.trim().replaceAll("_", "")));
    const queries = count("queries", args.queries);
    const seed = count("seed", args.seed);
    const { models } = await ensureFixtureModels(FIXTURE_ROOT, (name) => console.error(`generating the ${name} test model…`));
    const texts = searchTexts(generatePassages(parseVocab(bertUncasedVocabTxt(), "vocab.txt"), queries * 2, seed), queries);
    const r = await benchSearch({
      sizes,
      queries,
      seed,
      out: args.out,
      docModel: models.doc,
      queryModel: models[WORKER_MODEL],
      texts,
      onPhase: (message) => console.error(message),
    });
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
    console.log(`\n${machine}; generated weights (costs are real, rankings mean nothing)`);
    console.log(`load average (1/5/15 min): start ${load(r.load_average.start)}, end ${load(r.load_average.end)} — on ${cpus().length} cores`);
    console.log(
      `${r.queries} queries per k: the core on the collection's query vectors (15–35 terms); /search on text queries through the generated query model ${WORKER_MODEL}; cache off\n`,
    );
    for (const line of searchTable(r.rows)) console.log(line);
    console.log(
      "\ncore: bench/search-worker.ts inside workerd, run by Miniflare's API (no wrangler dev, no inspector relay): the route's isolate index and searchTopK, hits' ids read; no HTTP. " +
        "A query's first run is timed once, in a stream of distinct queries (the parts it fetched counted); warm, its time is the mean of a loop of ≥ 20 ms. " +
        "/search in-process: the production app's fetch inside the same workerd (tokenizer, query model, search, JSON). HTTP: the production Worker through wrangler dev's proxy, at most 60 s of warm round trips a k, first as users run it (the inspector's Network domain on: wrangler relays every index part's reads), then with that domain turned off through the inspector. " +
        "DuckDB: src/engines/duckdb.ts eval index in this process on the float32 vectors (the index's are quantized), same query vectors as the core.",
    );
    const file = join(args.out, `search-${new Date().toISOString().replaceAll(":", "-")}.json`);
    const environment = machineRecord(peak);
    await writeFile(file, `${JSON.stringify({ benchmark: "search", environment, texts, ...r }, null, 2)}\n`);
    console.log(`results: ${file}`);
  },
});

export const benchCommand = defineCommand({
  meta: { name: "bench", description: "splade-edge benchmarks: query (the default), corpus, retrieval, models and search" },
  args: queryArgs,
  default: "query",
  subCommands: {
    query: queryCommand,
    corpus: corpusCommand,
    retrieval: retrievalCommand,
    models: modelsCommand,
    search: searchCommand,
    "search-scorer": searchScorerCommand,
  },
});

await runCli(benchCommand);
