// The query model as the Worker runs it, assembled from a converted folder's files, for both kinds of query half: a
// transformer on the kernel (worker-tokenizer.json, tokenizer_config.json, manifest.json's max length, encoder.bin on a
// compiled kernel module) and an inference-free weight table (the same tokenizer files, static-weights.bin; no kernel,
// no wasm), each behind the encoder core. The one assembly: the Worker (src/worker/model.ts, files from its ASSETS
// binding) and Node (src/node/query-model.ts, files from disk: `npm run eval`, tests, benchmarks) differ only in how
// they read files and which kernel build they hand in.
import { SpladeEncoder } from "../encoder/encoder.ts";
import { readStaticWeights, STATIC_WEIGHTS_FORMAT, StaticWeightsError, staticWeightsBackend } from "../encoder/static-weights.ts";
import { SpladeTokenizer, WORKER_TOKENIZER_FILE } from "../encoder/tokenizer.ts";
import type { InferenceFreeManifest, ModelManifest, TransformerManifest } from "../model/manifest-format.ts";
import { KERNEL_WEIGHTS_FORMAT, type KernelLayout } from "./contract.ts";
import { SpladeKernel, type KernelLoadTimings } from "./encoder-kernel.ts";
import { kernelBackend } from "./sparse-backend.ts";
import type { SpladeHeadOptions } from "./splade-head.ts";

/** The tokenizer's configuration, read beside WORKER_TOKENIZER_FILE. */
export const TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

/** A manifest that lists what the kernel runs (`edge`: encoder.bin and its table). */
export type EdgeManifest = TransformerManifest & { edge: KernelLayout };

/** The manifest of a query model this assembly serves: a transformer on the kernel, or an inference-free table. */
export type ServedManifest = EdgeManifest | InferenceFreeManifest;

/** Why the kernel cannot run the folder of this manifest (a sentence that follows the manifest's path), or undefined when it can. */
export function edgeProblem(manifest: ModelManifest): string | undefined {
  if (manifest.kind === "inference-free") return "is an inference-free query model's: it has a weight table, no encoder.bin";
  if (manifest.edge?.format === KERNEL_WEIGHTS_FORMAT) return undefined;
  if (manifest.role !== "query") return `is a ${manifest.role} model's: only a query model has an encoder.bin`;
  return manifest.edge
    ? `lists encoder.bin as ${JSON.stringify(manifest.edge.format)}, not ${KERNEL_WEIGHTS_FORMAT}`
    : `lists no encoder.bin (${KERNEL_WEIGHTS_FORMAT}): it predates it`;
}

/** Why this assembly cannot serve the folder of this manifest as a query model (a sentence that follows the manifest's path), or undefined. */
export function servedProblem(manifest: ModelManifest): string | undefined {
  if (manifest.kind !== "inference-free") return edgeProblem(manifest);
  const { format } = manifest.static_weights ?? {};
  return format === STATIC_WEIGHTS_FORMAT ? undefined : `lists its weight table as ${JSON.stringify(format)}, not ${STATIC_WEIGHTS_FORMAT}`;
}

/**
 * How a runtime reads the folder's files; a file it cannot read rejects with the runtime's own error, naming it.
 * encoder.bin comes whole and is copied into the kernel's memory once: reading it in chunk by chunk took ~2× as long
 * under `wrangler dev`, where it arrives in 4 KiB chunks (4,282 reads, each a promise, against one copy of ~10 ms).
 */
export interface QueryModelFiles {
  text(file: string): Promise<string>;
  bytes(file: string): Promise<ArrayBuffer | Uint8Array>;
}

/**
 * What the load spent, ms. `load-*`: when each part was ready, from the load's start (the parts overlap); the rest:
 * how long one step took. `*-fetch` runs from the file's request to its last byte.
 */
type TokenizerLoadTimings = Record<"load-tokenizer" | "tokenizer-fetch" | "tokenizer-parse" | "tokenizer-build", number>;

/** A transformer's load: the tokenizer's and the kernel's stages. */
export type KernelQueryLoadTimings = TokenizerLoadTimings &
  Record<"load-kernel" | "kernel-fetch", number> & {
    [Step in keyof KernelLoadTimings as `kernel-${Step}`]: number;
  };

/** An inference-free model's load: the tokenizer's stages and the weight table's (fetched, then read and checked). */
export type StaticQueryLoadTimings = TokenizerLoadTimings & Record<"load-weights" | "weights-fetch" | "weights-read", number>;

export type QueryLoadTimings = KernelQueryLoadTimings | StaticQueryLoadTimings;

/** A transformer query encoder on the kernel. */
export interface KernelQueryModel {
  readonly kind: "transformer";
  readonly manifest: EdgeManifest;
  readonly encoder: SpladeEncoder;
  readonly kernel: SpladeKernel;
  readonly timings: KernelQueryLoadTimings;
}

/** An inference-free query model: the tokenizer and the weight table. */
export interface StaticQueryModel {
  readonly kind: "inference-free";
  readonly manifest: InferenceFreeManifest;
  readonly encoder: SpladeEncoder;
  readonly timings: StaticQueryLoadTimings;
}

export type QueryModel = KernelQueryModel | StaticQueryModel;

export interface QueryModelOptions {
  /** When the int8 decoder is quantized (SpladeHeadOptions); until it is, encodes run the float32 scan (same bits). */
  prepare?: SpladeHeadOptions["prepare"];
  /** Runs between the rows of a batch (kernelBackend): the Worker yields to its other requests there. */
  betweenRows?: () => Promise<void>;
  /** The load's start (performance.now()) when the caller spent time on it before, reading the manifest. */
  startedAt?: number;
}

const since = (t0: number) => performance.now() - t0;

async function loadTokenizer(files: QueryModelFiles, manifest: ServedManifest, start: number) {
  const fetchStart = performance.now();
  const [text, config] = await Promise.all([files.text(WORKER_TOKENIZER_FILE), files.text(TOKENIZER_CONFIG_FILE)]);
  const fetchMs = since(fetchStart);
  const parseStart = performance.now();
  const json = JSON.parse(text) as object;
  const parseMs = since(parseStart);
  const buildStart = performance.now();
  // An inference-free model tokenizes by its own rule (manifest `tokenizer`: sentence-transformers' SparseStaticEmbedding
  // adds no [CLS]/[SEP]); a transformer always gets them.
  const addSpecialTokens = manifest.kind === "inference-free" ? manifest.tokenizer.add_special_tokens : true;
  const tokenizer = new SpladeTokenizer(json, JSON.parse(config) as object, manifest.max_length, { addSpecialTokens });
  const timings: TokenizerLoadTimings = {
    "load-tokenizer": since(start),
    "tokenizer-fetch": fetchMs,
    "tokenizer-parse": parseMs,
    "tokenizer-build": since(buildStart),
  };
  return { tokenizer, timings };
}

/**
 * Reads the tokenizer and the weights (encoder.bin, or the static table) concurrently and builds each as soon as its
 * files arrive: the tokenizer is ready while encoder.bin is still on its way. A KernelWeightsError says encoder.bin
 * does not match the manifest's table; a StaticWeightsError, that the weight table is not the manifest's or the
 * tokenizer's. `kernelModule` is asked for only by a transformer.
 */
export async function loadQueryModel(
  files: QueryModelFiles,
  manifest: ServedManifest,
  kernelModule: () => WebAssembly.Module,
  options: QueryModelOptions = {},
): Promise<QueryModel> {
  const start = options.startedAt ?? performance.now();
  if (manifest.kind === "inference-free") return loadStaticModel(files, manifest, start);
  const kernel = (async () => {
    const fetchStart = performance.now();
    let fetchMs = 0;
    // encoder.bin's files (one, or parts of ≤ 24 MiB for larger models) at once, each copied in as it arrives.
    const read = async (file: string) => {
      const bytes = await files.bytes(file);
      fetchMs = since(fetchStart);
      return bytes;
    };
    return { kernel: await SpladeKernel.load(kernelModule(), manifest.edge, read, { prepare: options.prepare }), fetchMs, readyMs: since(start) };
  })();
  const [k, t] = await Promise.all([kernel, loadTokenizer(files, manifest, start)]);
  const steps = k.kernel.loadTimings;
  return {
    kind: "transformer",
    manifest,
    encoder: new SpladeEncoder(t.tokenizer, kernelBackend(k.kernel, options.betweenRows), manifest.vocab_size),
    kernel: k.kernel,
    timings: {
      ...t.timings,
      "load-kernel": k.readyMs,
      "kernel-fetch": k.fetchMs,
      "kernel-instantiate": steps.instantiate,
      "kernel-copy": steps.copy,
      "kernel-setup": steps.setup,
    },
  };
}

async function loadStaticModel(files: QueryModelFiles, manifest: InferenceFreeManifest, start: number): Promise<StaticQueryModel> {
  const { file } = manifest.static_weights;
  const weights = (async () => {
    const fetchStart = performance.now();
    const bytes = await files.bytes(file);
    const fetchMs = since(fetchStart);
    const readStart = performance.now();
    const table = readStaticWeights(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), file);
    if (table.weights.length !== manifest.vocab_size)
      throw new StaticWeightsError(`${file} holds ${table.weights.length} weights, but manifest.json's vocabulary has ${manifest.vocab_size} tokens`);
    return { table, fetchMs, readMs: since(readStart), readyMs: since(start) };
  })();
  const [w, t] = await Promise.all([weights, loadTokenizer(files, manifest, start)]);
  if (t.tokenizer.vocabSize !== w.table.weights.length) {
    throw new StaticWeightsError(`${file} holds ${w.table.weights.length} weights, but ${WORKER_TOKENIZER_FILE} has ${t.tokenizer.vocabSize} tokens`);
  }
  return {
    kind: "inference-free",
    manifest,
    encoder: new SpladeEncoder(t.tokenizer, staticWeightsBackend(w.table), manifest.vocab_size),
    timings: { ...t.timings, "load-weights": w.readyMs, "weights-fetch": w.fetchMs, "weights-read": w.readMs },
  };
}
