// `npm run bench -- <benchmark>`: measurements, printed as a table and saved as JSON. Benchmarks report; they assert
// nothing (a timing is not a test).
import { defineCommand } from "citty";
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { BATCHING_MODES, benchCorpus } from "../bench/corpus.ts";
import { SpladeEncoder } from "../encoder/encoder.ts";
import { ensureFixtureModels, FIXTURE_ROOT } from "../model/fixture.ts";
import { ENGINES, startBackendThread, type Engine } from "./backend-thread.ts";
import { loadModelFolder } from "./model-folder.ts";
import { runCli, UserError } from "./run.ts";

/** Results live with the other generated, git-ignored files (the repository's top level is fixed). */
export const BENCH_RESULTS = join(FIXTURE_ROOT, "bench");

// Generated weights make every one of the 30522 terms non-zero; trained SPLADE documents keep ~100–200. This cut
// brings the generated model's output to that size, so the benchmark times encoding, not writing 30k-term lines.
const GENERATED_MIN_WEIGHT = 0.85;

function count(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--${name} must be a positive integer, got ${value}`, 2);
  return n;
}

const corpusCommand = defineCommand({
  meta: { name: "corpus", description: "encode-corpus throughput: length-bucketed vs input-order batching, docs/s and CPU use" },
  args: {
    docs: { type: "string", description: "Generated passages per run", default: "1024" },
    rounds: { type: "string", description: "Rounds (each runs both modes, alternating which goes first)", default: "3" },
    "batch-size": { type: "string", description: "Documents per model run", default: "32" },
    "window-batches": { type: "string", description: "Batches per length-sorted window", default: "16" },
    threads: { type: "string", description: "Inference threads (default: every core)" },
    engine: { type: "string", description: "node | web", default: "node" },
    seed: { type: "string", description: "Passage generator seed", default: "1" },
    model: { type: "string", description: "Doc model folder (default: the generated one, made if needed)" },
    out: { type: "string", description: "Folder for the corpus, outputs and results JSON", default: BENCH_RESULTS },
  },
  async run({ args }) {
    if (!(ENGINES as readonly string[]).includes(args.engine)) throw new UserError(`--engine must be node or web, got ${args.engine}`, 2);
    const engine = args.engine as Engine;
    const modelDir = args.model ?? (await ensureFixtureModels()).models.doc;
    const folder = await loadModelFolder(modelDir, { fetchHint: "npm run model -- fetch --only doc" });
    const threads = engine === "node" ? (args.threads ? count("threads", args.threads) : availableParallelism()) : 1;
    const batchSize = count("batch-size", args["batch-size"]);
    const docs = count("docs", args.docs);
    await mkdir(args.out, { recursive: true });
    const minWeight = folder.manifest.random_weights ? GENERATED_MIN_WEIGHT : 0;
    console.log(
      `encode-corpus benchmark: ${docs} generated passages, ${modelDir} (${folder.manifest.random_weights ? `generated weights, terms ≥ ${minWeight}` : "trained weights"}), ` +
        `batch ${batchSize}, ${engine} engine, ${threads} thread${threads === 1 ? "" : "s"}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), Node ${process.versions.node}`,
    );
    const backend = await startBackendThread({ modelFile: folder.modelFile, engine, threads: engine === "node" ? threads : undefined });
    try {
      console.log("round  mode      docs/s     CPU");
      const result = await benchCorpus({
        encoder: new SpladeEncoder(folder.tokenizer, backend, folder.manifest.vocab_size),
        docs,
        rounds: count("rounds", args.rounds),
        batchSize,
        windowBatches: count("window-batches", args["window-batches"]),
        minWeight,
        seed: count("seed", args.seed),
        workDir: args.out,
        onRun: (r) => console.log(`${String(r.round).padStart(5)}  ${r.mode.padEnd(6)}  ${r.docsPerSecond.toFixed(1).padStart(8)}  ${r.cpuPercent.toFixed(0).padStart(5)}%`),
      });
      const t = result.corpus.tokens;
      console.log(`\ntokens per passage: mean ${t.mean.toFixed(1)}, p5 ${t.p5}, median ${t.p50}, p95 ${t.p95}, max ${t.max}`);
      console.log("mode    docs/s (median)  CPU (median)  padded tokens / real tokens");
      for (const mode of BATCHING_MODES) {
        const s = result.summary[mode];
        console.log(`${mode.padEnd(6)}  ${s.docsPerSecond.toFixed(1).padStart(15)}  ${`${s.cpuPercent.toFixed(0)}%`.padStart(12)}  ${result.paddingOverhead[mode].toFixed(2).padStart(27)}`);
      }
      console.log(`length-bucketed batching: ${result.speedup.toFixed(2)}× the docs/s of input-order batching`);
      const file = join(args.out, `corpus-${new Date().toISOString().replaceAll(":", "-")}.json`);
      const environment = { node: process.versions.node, cpus: cpus().length, cpu: cpus()[0]?.model ?? null, engine, threads, batch_size: batchSize, model: modelDir, random_weights: folder.manifest.random_weights, min_weight: minWeight };
      await writeFile(file, JSON.stringify({ benchmark: "corpus", environment, ...result }, null, 2) + "\n");
      console.log(`results: ${file}`);
    } finally {
      await backend.close();
    }
  },
});

export const benchCommand = defineCommand({
  meta: { name: "bench", description: "splade-edge benchmarks" },
  subCommands: { corpus: corpusCommand },
});

await runCli(benchCommand);
