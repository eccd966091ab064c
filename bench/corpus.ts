// The encode-corpus benchmark: the real pipeline (src/corpus/encode.ts) on generated passages, once with batches
// built by length and once in plain input order — same windows, same checkpoints, only the batching differs —
// interleaved round by round (alternating which goes first) so that drift and other load hit both alike.
// Measures; asserts nothing.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SpladeEncoder } from "../src/encoder/encoder.ts";
import { planBatches } from "../src/corpus/batching.ts";
import { encodeCorpus } from "../src/corpus/encode.ts";
import { FORMATS } from "../src/encoder/formats/index.ts";
import { generatePassages } from "../test/support/passages.ts";
import { quantile } from "./stats.ts";

export type BatchingMode = "length" | "input";
export const BATCHING_MODES: readonly BatchingMode[] = ["length", "input"];

export interface CorpusBenchOptions {
  encoder: SpladeEncoder;
  docs: number;
  rounds: number;
  batchSize: number;
  /** Window size in batches (encode-corpus's default is 16). */
  windowBatches: number;
  /** Terms kept per document (see the CLI for why generated weights need a cut). */
  minWeight: number;
  seed: number;
  /** Folder for the corpus and outputs while the benchmark runs (removed after). */
  workDir: string;
  onRun?(run: CorpusBenchRun): void;
}

export interface CorpusBenchRun {
  round: number;
  mode: BatchingMode;
  documents: number;
  seconds: number;
  docsPerSecond: number;
  /** Process CPU time (every thread: JS, inference, ORT pool) over wall time, in percent of one core. */
  cpuPercent: number;
}

export interface CorpusBenchResult {
  corpus: { documents: number; seed: number; tokens: { mean: number; p5: number; p50: number; p95: number; max: number } };
  /** Model rows × padded length over real tokens, per mode: the compute length batching saves. */
  paddingOverhead: Record<BatchingMode, number>;
  runs: CorpusBenchRun[];
  summary: Record<BatchingMode, { docsPerSecond: number; cpuPercent: number }>;
  /** length / input docs per second. */
  speedup: number;
}


function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function paddedTokens(lengths: readonly number[], window: number, batchSize: number, mode: BatchingMode): number {
  let padded = 0;
  for (let start = 0; start < lengths.length; start += window) {
    const slice = lengths.slice(start, start + window);
    for (const batch of planBatches(slice, batchSize, mode === "length")) padded += batch.length * Math.max(...batch.map((i) => slice[i]));
  }
  return padded;
}

export async function benchCorpus(options: CorpusBenchOptions): Promise<CorpusBenchResult> {
  const { encoder, batchSize } = options;
  const tokenizer = encoder.tokenizer;
  const vocab = Array.from({ length: tokenizer.vocabSize }, (_, i) => tokenizer.token(i));
  const passages = generatePassages(vocab, options.docs, options.seed);
  const input = join(options.workDir, `passages-${options.docs}-${options.seed}.tsv`);
  await writeFile(input, passages.map((p, i) => `${i}\t${p}\n`).join(""));

  const lengths = passages.map((p) => tokenizer.encode(p).ids.length);
  const sorted = [...lengths].sort((a, b) => a - b);
  const realTokens = lengths.reduce((a, b) => a + b, 0);
  const window = batchSize * options.windowBatches;

  const warmup = join(options.workDir, "warmup.tsv");
  await writeFile(warmup, passages.slice(0, batchSize * 2).map((p, i) => `${i}\t${p}\n`).join(""));

  const run = async (mode: BatchingMode, file: string, round: number): Promise<CorpusBenchRun> => {
    const output = join(options.workDir, `out-${mode}.jsonl`);
    await rm(`${output}.checkpoint`, { force: true });
    const cpu = process.cpuUsage();
    const started = performance.now();
    const summary = await encodeCorpus({
      input: file,
      output,
      format: FORMATS.anserini,
      formatOptions: {},
      encoder,
      model: "bench",
      engine: "bench",
      sparsify: { minWeight: options.minWeight },
      batchSize,
      sortWindow: window,
      byLength: mode === "length",
      resume: false,
      onError: "stop",
    });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      round,
      mode,
      documents: summary.encoded,
      seconds,
      docsPerSecond: summary.encoded / seconds,
      cpuPercent: ((used.user + used.system) / 1e6 / seconds) * 100,
    };
  };
  const runs: CorpusBenchRun[] = [];
  try {
    // Warm-up: session first-run allocations, JIT of the JS path.
    await run("length", warmup, 0);
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 === 1 ? BATCHING_MODES : [...BATCHING_MODES].reverse();
      for (const mode of order) {
        const r = await run(mode, input, round);
        runs.push(r);
        options.onRun?.(r);
      }
    }
  } finally {
    const scratch = [input, warmup, ...BATCHING_MODES.map((m) => join(options.workDir, `out-${m}.jsonl`))];
    await Promise.all(scratch.flatMap((f) => [f, `${f}.checkpoint`]).map((f) => rm(f, { force: true })));
  }
  const summary = Object.fromEntries(
    BATCHING_MODES.map((mode) => {
      const mine = runs.filter((r) => r.mode === mode);
      return [mode, { docsPerSecond: median(mine.map((r) => r.docsPerSecond)), cpuPercent: median(mine.map((r) => r.cpuPercent)) }];
    }),
  ) as CorpusBenchResult["summary"];
  return {
    corpus: {
      documents: options.docs,
      seed: options.seed,
      tokens: { mean: realTokens / lengths.length, p5: quantile(sorted, 0.05), p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted[sorted.length - 1] },
    },
    paddingOverhead: {
      length: paddedTokens(lengths, window, batchSize, "length") / realTokens,
      input: paddedTokens(lengths, window, batchSize, "input") / realTokens,
    },
    runs,
    summary,
    speedup: summary.length.docsPerSecond / summary.input.docsPerSecond,
  };
}
