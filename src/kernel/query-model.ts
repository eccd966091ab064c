// The query model as the Worker runs it, assembled from a converted folder's files: the tokenizer the converter wrote for
// it (worker-tokenizer.json, tokenizer_config.json, manifest.json's max length) and encoder.bin on a compiled kernel
// module, behind the encoder core. The one assembly: the Worker (src/worker/model.ts, files from its ASSETS binding) and
// Node (src/node/query-model.ts, files from disk: `npm run eval`, tests, benchmarks) differ only in how they read files
// and which kernel build they hand in.
import { SpladeEncoder } from "../encoder/encoder.ts";
import { SpladeTokenizer, WORKER_TOKENIZER_FILE } from "../encoder/tokenizer.ts";
import type { ModelManifest } from "../model/manifest-format.ts";
import { KERNEL_WEIGHTS_FORMAT, type KernelLayout } from "./contract.ts";
import { SpladeKernel, type KernelLoadTimings } from "./encoder-kernel.ts";
import { kernelBackend } from "./sparse-backend.ts";
import type { SpladeHeadOptions } from "./splade-head.ts";

/** The tokenizer's configuration, read beside WORKER_TOKENIZER_FILE. */
export const TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

/** A manifest that lists what the kernel runs (`edge`: encoder.bin and its table). */
export type EdgeManifest = ModelManifest & { edge: KernelLayout };

/** Why the kernel cannot run the folder of this manifest (a sentence that follows the manifest's path), or undefined when it can. */
export function edgeProblem(manifest: ModelManifest): string | undefined {
  if (manifest.edge?.format === KERNEL_WEIGHTS_FORMAT) return undefined;
  if (manifest.role !== "query") return `is a ${manifest.role} model's: only a query model has an encoder.bin`;
  return manifest.edge
    ? `lists encoder.bin as ${JSON.stringify(manifest.edge.format)}, not ${KERNEL_WEIGHTS_FORMAT}`
    : `lists no encoder.bin (${KERNEL_WEIGHTS_FORMAT}): it predates it`;
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
export type QueryLoadTimings = Record<"load-tokenizer" | "load-kernel" | "tokenizer-fetch" | "tokenizer-parse" | "tokenizer-build" | "kernel-fetch", number> & {
  [Step in keyof KernelLoadTimings as `kernel-${Step}`]: number;
};

export interface QueryModel {
  readonly manifest: EdgeManifest;
  readonly encoder: SpladeEncoder;
  readonly kernel: SpladeKernel;
  readonly timings: QueryLoadTimings;
}

export interface QueryModelOptions {
  /** When the int8 decoder is quantized (SpladeHeadOptions); until it is, encodes run the float32 scan (same bits). */
  prepare?: SpladeHeadOptions["prepare"];
  /** Runs between the rows of a batch (kernelBackend): the Worker yields to its other requests there. */
  betweenRows?: () => Promise<void>;
  /** The load's start (performance.now()) when the caller spent time on it before, reading the manifest. */
  startedAt?: number;
}

/**
 * Reads the tokenizer and encoder.bin concurrently and builds each as soon as its files arrive: the tokenizer is ready
 * while encoder.bin is still on its way. A KernelWeightsError says encoder.bin does not match the manifest's table.
 */
export async function loadQueryModel(
  files: QueryModelFiles,
  manifest: EdgeManifest,
  module: WebAssembly.Module,
  options: QueryModelOptions = {},
): Promise<QueryModel> {
  const start = options.startedAt ?? performance.now();
  const since = (t0: number) => performance.now() - t0;
  const kernel = (async () => {
    const fetchStart = performance.now();
    let fetchMs = 0;
    // encoder.bin's files (one, or parts of ≤ 24 MiB for larger models) at once, each copied in as it arrives.
    const read = async (file: string) => {
      const bytes = await files.bytes(file);
      fetchMs = since(fetchStart);
      return bytes;
    };
    return { kernel: await SpladeKernel.load(module, manifest.edge, read, { prepare: options.prepare }), fetchMs, readyMs: since(start) };
  })();
  const tokenizer = (async () => {
    const fetchStart = performance.now();
    const [text, config] = await Promise.all([files.text(WORKER_TOKENIZER_FILE), files.text(TOKENIZER_CONFIG_FILE)]);
    const fetchMs = since(fetchStart);
    const parseStart = performance.now();
    const json = JSON.parse(text) as object;
    const parseMs = since(parseStart);
    const buildStart = performance.now();
    const tokenizer = new SpladeTokenizer(json, JSON.parse(config) as object, manifest.max_length);
    return { tokenizer, fetchMs, parseMs, buildMs: since(buildStart), readyMs: since(start) };
  })();
  const [k, t] = await Promise.all([kernel, tokenizer]);
  const steps = k.kernel.loadTimings;
  return {
    manifest,
    encoder: new SpladeEncoder(t.tokenizer, kernelBackend(k.kernel, options.betweenRows), manifest.vocab_size),
    kernel: k.kernel,
    timings: {
      "load-tokenizer": t.readyMs,
      "load-kernel": k.readyMs,
      "tokenizer-fetch": t.fetchMs,
      "tokenizer-parse": t.parseMs,
      "tokenizer-build": t.buildMs,
      "kernel-fetch": k.fetchMs,
      "kernel-instantiate": steps.instantiate,
      "kernel-copy": steps.copy,
      "kernel-setup": steps.setup,
    },
  };
}
