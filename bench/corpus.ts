// The encode-corpus benchmark: the real pipeline (src/corpus/encode.ts) on generated passages, once with batches
// built by length and once in plain input order — same windows, same checkpoints, only the batching differs —
// interleaved round by round (alternating which goes first) so that drift and other load hit both alike. With an int8
// encoder it also runs that one with length batching, and compares its vectors with float32's on the same documents.
// Measures; asserts nothing.
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SpladeEncoder, TokenRows } from "../src/encoder/encoder.ts";
import type { EncoderConfig } from "../src/model/architectures.ts";
import { planBatches } from "../src/corpus/batching.ts";
import { encodeCorpus } from "../src/corpus/encode.ts";
import { FORMATS } from "../src/encoder/formats/index.ts";
import { generatePassages } from "../test/support/passages.ts";
import { type GemmPeak, type GemmProbe, type GraphProfile, profileGraph } from "./corpus-flops.ts";
import { sequenceFlops, type SequenceFlops } from "../test/support/sequence-flops.ts";
import { quantile } from "./stats.ts";

export type BatchingMode = "length" | "input";
export const BATCHING_MODES: readonly BatchingMode[] = ["length", "input"];
/** What one timed run is: float32 with either batching, or the int8-weights graph batched by length. */
export type RunMode = BatchingMode | "length-int8";

/** Seconds of GEMM timing after each round: ~400 runs of the 1024³ MatMul at this machine's rate. */
const GEMM_SECONDS = 2;

export interface CorpusBenchOptions {
  encoder: SpladeEncoder;
  /** The same model with int8 weights (buildOnnx's `weights: "int8"`): timed too, and compared with `encoder`. */
  int8Encoder?: SpladeEncoder;
  docs: number;
  rounds: number;
  batchSize: number;
  /** Window size in batches (encode-corpus's default is 16). */
  windowBatches: number;
  /** Terms kept per document (see the CLI for why generated weights need a cut). */
  minWeight: number;
  seed: number;
  /** The doc model's shapes, to count the FLOPs each document costs. */
  config: EncoderConfig;
  /** Measures the float32 GEMM peak after every round (about 2 s), so each round's FLOP rate has a peak taken under its load. */
  gemm?: GemmProbe;
  /** Also profile the graph (onnxruntime-node, after the timed rounds) on this many length-bucketed batches. */
  profile?: { modelFile: string; threads: number; batches: number };
  /** Folder for the corpus and outputs while the benchmark runs (removed after). */
  workDir: string;
  onRun?(run: CorpusBenchRun): void;
  onPeak?(round: number, peak: GemmPeak): void;
}

export interface CorpusBenchRun {
  round: number;
  mode: RunMode;
  documents: number;
  seconds: number;
  docsPerSecond: number;
  /** Process CPU time (every thread: JS, inference, ORT pool) over wall time, in percent of one core. */
  cpuPercent: number;
}

export interface CorpusBenchResult {
  corpus: { documents: number; seed: number; tokens: { mean: number; p5: number; p50: number; p95: number; max: number } };
  /** Non-zero terms per written document (after --min-weight), from the first measured run's output. */
  terms: { mean: number; p5: number; p50: number; p95: number };
  /** Model rows × padded length over real tokens, per mode: the compute length batching saves. */
  paddingOverhead: Record<BatchingMode, number>;
  runs: CorpusBenchRun[];
  summary: Partial<Record<RunMode, { docsPerSecond: number; cpuPercent: number }>> & Record<BatchingMode, { docsPerSecond: number; cpuPercent: number }>;
  /** length / input docs per second. */
  speedup: number;
  /** FLOPs per document, mean: on its real tokens (the useful work), and as each mode's padded batches run it. */
  flops: { perDocument: SequenceFlops; executedPerDocument: Record<BatchingMode, number> };
  /** The GEMM peak measured right after each round, by round (1-based: peaks[0] follows round 1). */
  peaks: GemmPeak[];
  profile?: GraphProfile;
  /** int8 against float32 on every document of round 1 (no --min-weight cut, or the comparison includes it). */
  int8?: Int8Fidelity;
}

export interface Int8Fidelity {
  documents: number;
  /** Mean over documents of |top-k of int8 ∩ top-k of float32| / k, k capped at the float32 document's non-zero terms. */
  topKOverlap: { k10: number; k100: number };
  /** Largest |w_int8 − w_float32| over every term of every document (a term missing on one side weighs 0 there). */
  maxAbsError: number;
  /** Mean over documents of the largest error within the document. */
  meanDocMaxAbsError: number;
  /** Non-zero terms per document, mean, on each side. */
  terms: { float32: number; int8: number };
  /** Mean over documents of the heaviest float32 weight: the scale the errors are to be read against. */
  meanDocMaxWeight: number;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The batches encode-corpus runs, as indices into `lengths`: windows of `window` records, each planned alone. */
function batchPlan(lengths: readonly number[], window: number, batchSize: number, mode: BatchingMode): number[][] {
  const batches: number[][] = [];
  for (let start = 0; start < lengths.length; start += window) {
    const slice = lengths.slice(start, start + window);
    for (const batch of planBatches(slice, batchSize, mode === "length")) batches.push(batch.map((i) => start + i));
  }
  return batches;
}

const paddedLength = (lengths: readonly number[], batch: readonly number[]) => Math.max(...batch.map((i) => lengths[i]));

function paddedTokens(lengths: readonly number[], plan: readonly number[][]): number {
  return plan.reduce((sum, batch) => sum + batch.length * paddedLength(lengths, batch), 0);
}

/** Mean FLOPs per document as the graph runs the batches: every row at its batch's padded length. */
function executedFlops(config: EncoderConfig, lengths: readonly number[], plan: readonly number[][]): number {
  return plan.reduce((sum, batch) => sum + batch.length * sequenceFlops(config, paddedLength(lengths, batch)).total, 0) / lengths.length;
}

/** The vectors of an anserini or jsonl output, one per line: both write `{"id", …, "vector": {term: weight}}`. */
async function readVectors(file: string): Promise<Record<string, number>[]> {
  return (await readFile(file, "utf8"))
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => (JSON.parse(line) as { vector: Record<string, number> }).vector);
}

async function termCounts(file: string): Promise<CorpusBenchResult["terms"]> {
  const counts = (await readVectors(file)).map((vector) => Object.keys(vector).length).sort((a, b) => a - b);
  return { mean: counts.reduce((a, b) => a + b, 0) / counts.length, p5: quantile(counts, 0.05), p50: quantile(counts, 0.5), p95: quantile(counts, 0.95) };
}

function topTerms(vector: Record<string, number>, k: number): Set<string> {
  return new Set(
    Object.entries(vector)
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([term]) => term),
  );
}

/** int8 against float32, document by document (both outputs in input order). */
async function compareVectors(float32File: string, int8File: string): Promise<Int8Fidelity> {
  const [reference, quantized] = await Promise.all([readVectors(float32File), readVectors(int8File)]);
  const overlap = (a: Record<string, number>, b: Record<string, number>, k: number) => {
    const kept = Math.min(k, Object.keys(a).length);
    if (kept === 0) return 1;
    const top = topTerms(b, kept);
    return [...topTerms(a, kept)].filter((term) => top.has(term)).length / kept;
  };
  let maxAbsError = 0;
  let docMaxSum = 0;
  const sums = { k10: 0, k100: 0, float32: 0, int8: 0, maxWeight: 0 };
  reference.forEach((a, d) => {
    const b = quantized[d];
    let docMax = 0;
    for (const term of new Set([...Object.keys(a), ...Object.keys(b)])) docMax = Math.max(docMax, Math.abs((a[term] ?? 0) - (b[term] ?? 0)));
    maxAbsError = Math.max(maxAbsError, docMax);
    docMaxSum += docMax;
    sums.k10 += overlap(a, b, 10);
    sums.k100 += overlap(a, b, 100);
    sums.float32 += Object.keys(a).length;
    sums.int8 += Object.keys(b).length;
    sums.maxWeight += Math.max(0, ...Object.values(a));
  });
  const n = reference.length;
  return {
    documents: n,
    topKOverlap: { k10: sums.k10 / n, k100: sums.k100 / n },
    maxAbsError,
    meanDocMaxAbsError: docMaxSum / n,
    terms: { float32: sums.float32 / n, int8: sums.int8 / n },
    meanDocMaxWeight: sums.maxWeight / n,
  };
}

/** `count` items spaced evenly over `items`: a window's batches run longest first, so its first few are no sample. */
function spread<T>(items: readonly T[], count: number): T[] {
  const n = Math.min(count, items.length);
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}

function meanFlops(config: EncoderConfig, lengths: readonly number[]): SequenceFlops {
  const sum: SequenceFlops = { projections: 0, attention: 0, headTransform: 0, decoder: 0, total: 0 };
  for (const length of lengths) {
    const one = sequenceFlops(config, length);
    for (const key of Object.keys(sum) as (keyof SequenceFlops)[]) sum[key] += one[key] / lengths.length;
  }
  return sum;
}

export async function benchCorpus(options: CorpusBenchOptions): Promise<CorpusBenchResult> {
  const { encoder, batchSize } = options;
  const tokenizer = encoder.tokenizer;
  const vocab = Array.from({ length: tokenizer.vocabSize }, (_, i) => tokenizer.token(i));
  const passages = generatePassages(vocab, options.docs, options.seed);
  const input = join(options.workDir, `passages-${options.docs}-${options.seed}.tsv`);
  await writeFile(input, passages.map((p, i) => `${i}\t${p}\n`).join(""));

  const tokenRows: TokenRows = passages.map((p) => tokenizer.encode(p).ids);
  const lengths = tokenRows.map((ids) => ids.length);
  const sorted = [...lengths].sort((a, b) => a - b);
  const realTokens = lengths.reduce((a, b) => a + b, 0);
  const window = batchSize * options.windowBatches;
  const plans = { length: batchPlan(lengths, window, batchSize, "length"), input: batchPlan(lengths, window, batchSize, "input") };

  const warmup = join(options.workDir, "warmup.tsv");
  await writeFile(
    warmup,
    passages
      .slice(0, batchSize * 2)
      .map((p, i) => `${i}\t${p}\n`)
      .join(""),
  );

  const int8Encoder = options.int8Encoder;
  const modes: RunMode[] = int8Encoder ? [...BATCHING_MODES, "length-int8"] : [...BATCHING_MODES];
  // jsonl keeps float32 weights, which the int8 comparison needs; anserini (encode-corpus's default) otherwise.
  const format = int8Encoder ? FORMATS.jsonl : FORMATS.anserini;
  const outputOf = (mode: RunMode) => join(options.workDir, `out-${mode}.jsonl`);
  const run = async (mode: RunMode, file: string, round: number): Promise<CorpusBenchRun> => {
    const output = outputOf(mode);
    // encode-corpus refuses to write over an output no checkpoint accounts for: each run starts from nothing.
    await Promise.all([output, `${output}.checkpoint`].map((f) => rm(f, { force: true })));
    const cpu = process.cpuUsage();
    const started = performance.now();
    const summary = await encodeCorpus({
      input: file,
      output,
      format,
      formatOptions: {},
      encoder: mode === "length-int8" && int8Encoder ? int8Encoder : encoder,
      model: "bench",
      engine: "bench",
      sparsify: { minWeight: options.minWeight },
      batchSize,
      sortWindow: window,
      byLength: mode !== "input",
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
  let terms: CorpusBenchResult["terms"] | undefined;
  const peaks: GemmPeak[] = [];
  let int8: Int8Fidelity | undefined;
  try {
    // Warm-up: session first-run allocations, JIT of the JS path.
    await run("length", warmup, 0);
    if (int8Encoder) await run("length-int8", warmup, 0);
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 === 1 ? modes : [...modes].reverse();
      for (const mode of order) {
        const r = await run(mode, input, round);
        terms ??= await termCounts(outputOf(mode));
        runs.push(r);
        options.onRun?.(r);
      }
      if (int8Encoder && round === 1) int8 = await compareVectors(outputOf("length"), outputOf("length-int8"));
      if (options.gemm) {
        const peak = await options.gemm.measure(GEMM_SECONDS);
        peaks.push(peak);
        options.onPeak?.(round, peak);
      }
    }
  } finally {
    const scratch = [input, warmup, ...modes.map(outputOf)];
    await Promise.all(scratch.flatMap((f) => [f, `${f}.checkpoint`]).map((f) => rm(f, { force: true })));
  }
  const summary = Object.fromEntries(
    modes.map((mode) => {
      const mine = runs.filter((r) => r.mode === mode);
      return [mode, { docsPerSecond: median(mine.map((r) => r.docsPerSecond)), cpuPercent: median(mine.map((r) => r.cpuPercent)) }];
    }),
  ) as CorpusBenchResult["summary"];
  const profile = options.profile;
  return {
    corpus: {
      documents: options.docs,
      seed: options.seed,
      tokens: {
        mean: realTokens / lengths.length,
        p5: quantile(sorted, 0.05),
        p50: quantile(sorted, 0.5),
        p95: quantile(sorted, 0.95),
        max: sorted[sorted.length - 1],
      },
    },
    terms: terms ?? { mean: 0, p5: 0, p50: 0, p95: 0 },
    paddingOverhead: { length: paddedTokens(lengths, plans.length) / realTokens, input: paddedTokens(lengths, plans.input) / realTokens },
    runs,
    peaks,
    summary,
    speedup: summary.length.docsPerSecond / summary.input.docsPerSecond,
    flops: {
      perDocument: meanFlops(options.config, lengths),
      executedPerDocument: { length: executedFlops(options.config, lengths, plans.length), input: executedFlops(options.config, lengths, plans.input) },
    },
    ...(int8 ? { int8 } : {}),
    ...(profile
      ? {
          profile: await profileGraph(
            profile.modelFile,
            options.config,
            spread(plans.length, profile.batches).map((batch) => batch.map((i) => tokenRows[i])),
            profile.threads,
            join(options.workDir, `profile-${process.pid}`),
          ),
        }
      : {}),
  };
}
