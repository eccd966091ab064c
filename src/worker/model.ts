// The query model inside the isolate: manifest, tokenizer and the encoder kernel (src/kernel), read from the
// ASSETS binding (the `model/query` folder, private to this Worker) once per isolate. A failed load is forgotten so the next request
// tries again: `npm run model -- fetch` can fill the folder while `wrangler dev` keeps running.
import { SpladeEncoder } from "../encoder/encoder.ts";
import { SpladeTokenizer } from "../encoder/tokenizer.ts";
import { chooseKernelBuild, KernelWeightsError, SpladeKernel } from "../kernel/encoder-kernel.ts";
import { kernelBackend } from "../kernel/sparse-backend.ts";
import relaxedModule from "../kernel/kernel-relaxed.wasm";
import plainModule from "../kernel/kernel.wasm";
import { KERNEL_WEIGHTS_FORMAT } from "../kernel/contract.ts";
import { MANIFEST_FORMAT, type ModelManifest } from "../model/manifest-format.ts";
import { ApiError } from "./errors";
import { memoize } from "./memoize";

const MISSING_HINT = "run `npm run model -- fetch` (or `npm run demo` for a generated test model), then restart";
const CONVERT_AGAIN = "convert the model again (`npm run model -- fetch`, or `npm run model -- convert`), then restart";

type EdgeFiles = NonNullable<ModelManifest["edge"]>;
/** A manifest that lists what the Worker runs. */
export type EdgeManifest = ModelManifest & { edge: EdgeFiles };

// The host is ignored by the assets binding; only the path selects the file.
async function fetchAsset(assets: Fetcher, file: string): Promise<Response> {
  const response = await assets.fetch(`https://assets.local/${file}`);
  if (!response.ok) throw new ApiError("model_unavailable", `model/query/${file} is missing — ${MISSING_HINT}`);
  return response;
}

const manifest = memoize(async (assets: Fetcher): Promise<EdgeManifest> => {
  const m = await (await fetchAsset(assets, "manifest.json")).json<ModelManifest>();
  if (m.format !== MANIFEST_FORMAT) {
    throw new ApiError("model_unavailable", `model/query/manifest.json is ${JSON.stringify(m.format)}, not ${MANIFEST_FORMAT} — ${CONVERT_AGAIN}`);
  }
  // Refused here rather than when the encoder loads, so that the stale manifest is not kept for the isolate's life.
  if (m.edge?.format !== KERNEL_WEIGHTS_FORMAT) {
    throw new ApiError("model_unavailable", `model/query/manifest.json lists no encoder.bin (${KERNEL_WEIGHTS_FORMAT}): it predates it — ${CONVERT_AGAIN}`);
  }
  return { ...m, edge: m.edge };
});

/** The manifest of the served model: cheap (one small asset), loaded once per isolate. */
export const loadManifest = manifest.get;

/** The manifest if some request of this isolate has loaded it already. */
export const loadedManifest = manifest.value;

// Between queries the isolate answers its other requests (a /health, a one-query /encode): a 64-query batch would
// otherwise hold it for the whole batch.
const yieldToIsolate = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

let build: ReturnType<typeof chooseKernelBuild> | undefined;

/** The kernel build this isolate runs: relaxed SIMD unless its self-test fails here (chosen once, cheaply: no model). */
export function kernelBuild(): ReturnType<typeof chooseKernelBuild> {
  build ??= chooseKernelBuild([
    { name: "relaxed-simd", module: relaxedModule },
    { name: "simd128", module: plainModule },
  ]);
  return build;
}

function loadKernel(bytes: ArrayBuffer, manifest: EdgeManifest): SpladeKernel {
  const { module } = kernelBuild();
  try {
    // The int8 decoder is quantized after the first answer (prepareInBackground): until then encodes run the float32
    // scan, which gives the same bits.
    return SpladeKernel.create(module, bytes, manifest.edge, { prepare: "later" });
  } catch (cause) {
    if (cause instanceof KernelWeightsError) throw new ApiError("model_unavailable", `model/query/${manifest.edge.file}: ${cause.message} — ${CONVERT_AGAIN}`);
    throw cause;
  }
}

/**
 * When each part of the isolate's model load was ready, in ms from the load's start (the parts overlap): reported in
 * Server-Timing by the request that waited for it.
 */
export type LoadTimings = Record<"load-manifest" | "load-tokenizer" | "load-kernel", number>;
let loadTimings: LoadTimings | undefined;
let loadedKernel: SpladeKernel | undefined;

/**
 * The tokenizer is built as soon as its files arrive, while encoder.bin is still on its way: the CPU work of one
 * overlaps the download of the other. (Streaming encoder.bin into the kernel's memory chunk by chunk, rather than
 * taking it whole, made the load 2–3× slower under `wrangler dev`.)
 */
async function createEncoder(assets: Fetcher): Promise<SpladeEncoder> {
  const start = performance.now();
  const since = () => performance.now() - start;
  const m = await loadManifest(assets);
  const manifestMs = since();
  const kernel = fetchAsset(assets, m.edge.file).then(async (r) => ({ k: loadKernel(await r.arrayBuffer(), m), ms: since() }));
  const tokenizer = Promise.all([
    fetchAsset(assets, "tokenizer.json").then((r) => r.json<object>()),
    fetchAsset(assets, "tokenizer_config.json").then((r) => r.json<object>()),
  ]).then(([json, config]) => ({ t: new SpladeTokenizer(json, config, m.max_length), ms: since() }));
  const [{ k, ms: kernelMs }, { t, ms: tokenizerMs }] = await Promise.all([kernel, tokenizer]);
  loadedKernel = k;
  loadTimings = { "load-manifest": manifestMs, "load-tokenizer": tokenizerMs, "load-kernel": kernelMs };
  return new SpladeEncoder(t, kernelBackend(k, yieldToIsolate), m.vocab_size);
}

/** Rows of the int8 decoder quantized per step of prepareInBackground: a few ms each, so requests interleave. */
const PREPARE_ROWS_PER_STEP = 2048;
let preparing: Promise<void> | undefined;

/**
 * Finishes the loaded kernel's int8 decoder in steps that yield to other requests, once per isolate; undefined when
 * there is nothing (left) to do. The caller keeps the isolate alive for it (waitUntil).
 */
export function prepareInBackground(): Promise<void> | undefined {
  const head = loadedKernel?.head;
  if (!head || head.prepared) return undefined;
  preparing ??= (async () => {
    try {
      // Every step waits first: none runs before the answer that scheduled it is on its way.
      do await new Promise((resolve) => setTimeout(resolve, 0));
      while (!head.prepareSome(PREPARE_ROWS_PER_STEP));
    } finally {
      preparing = undefined;
    }
  })();
  return preparing;
}

/** The stages of the isolate's model load, once it has loaded. */
export const modelLoadTimings = (): LoadTimings | undefined => loadTimings;

const encoder = memoize(createEncoder);

/** The isolate's encoder (tokenizer and kernel), created on first use. */
export const loadEncoder = encoder.get;

/** Whether some request of this isolate has finished loading the encoder. */
export const isEncoderLoaded = (): boolean => encoder.value() !== undefined;
