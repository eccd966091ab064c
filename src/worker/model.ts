// The query model inside the isolate: manifest, tokenizer and the encoder kernel (src/kernel), read from the
// ASSETS binding (the `model/query` folder, private to this Worker) once per isolate, all held by one IsolateModel.
import { SpladeEncoder } from "../encoder/encoder.ts";
import { SpladeTokenizer, WORKER_TOKENIZER_FILE } from "../encoder/tokenizer.ts";
import { chooseKernelBuild, KernelWeightsError, SpladeKernel, type KernelLoadTimings } from "../kernel/encoder-kernel.ts";
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

async function readManifest(assets: Fetcher): Promise<EdgeManifest> {
  const m = await (await fetchAsset(assets, "manifest.json")).json<ModelManifest>();
  if (m.format !== MANIFEST_FORMAT) {
    throw new ApiError("model_unavailable", `model/query/manifest.json is ${JSON.stringify(m.format)}, not ${MANIFEST_FORMAT} — ${CONVERT_AGAIN}`);
  }
  // Refused here rather than when the encoder loads, so that the stale manifest is not kept for the isolate's life.
  if (m.edge?.format !== KERNEL_WEIGHTS_FORMAT) {
    throw new ApiError("model_unavailable", `model/query/manifest.json lists no encoder.bin (${KERNEL_WEIGHTS_FORMAT}): it predates it — ${CONVERT_AGAIN}`);
  }
  return { ...m, edge: m.edge };
}

// Between queries the isolate answers its other requests (a /health, a one-query /encode): a 64-query batch would
// otherwise hold it for the whole batch.
const yieldToIsolate = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A kernel build (its name for /info) and its compiled module. */
export type KernelBuild = ReturnType<typeof chooseKernelBuild>;

/**
 * What the isolate's model load spent, ms, reported in Server-Timing by the request that waited for it. `load-*`: when
 * each part was ready, from the load's start (the parts overlap); the rest: how long one step took. `*-fetch` runs
 * from the asset's request to its last byte, which under `wrangler dev` includes the CPU the isolate's other steps
 * take meanwhile (one thread serves the assets too).
 */
export type LoadTimings = Record<
  "load-manifest" | "load-tokenizer" | "load-kernel" | "tokenizer-fetch" | "tokenizer-parse" | "tokenizer-build" | "kernel-fetch",
  number
> & { [Step in keyof KernelLoadTimings as `kernel-${Step}`]: number };

/** The isolate's served model, once loaded. */
export interface LoadedModel {
  readonly manifest: EdgeManifest;
  readonly encoder: SpladeEncoder;
  readonly kernel: SpladeKernel;
  readonly timings: LoadTimings;
}

/** Rows of the int8 decoder quantized per step of prepareInBackground: a few ms each, so requests interleave. */
const PREPARE_ROWS_PER_STEP = 2048;

/**
 * Everything an isolate keeps between requests: the manifest, the model (tokenizer, kernel, the timings of its load),
 * the kernel build and the int8 decoder's background preparation. Each part loads on first use, once; a failed load
 * is forgotten so the next request tries again: `npm run model -- fetch` can fill the folder while `wrangler dev`
 * keeps running. The Worker holds one (`isolateModel`); tests make their own.
 */
export class IsolateModel {
  private readonly manifestLoad = memoize(readManifest);
  private readonly modelLoad = memoize((assets: Fetcher) => this.loadModel(assets));
  private build: KernelBuild | undefined;
  private preparing: Promise<void> | undefined;

  /** The manifest of the served model: cheap (one small asset). */
  manifest(assets: Fetcher): Promise<EdgeManifest> {
    return this.manifestLoad.get(assets);
  }

  /** The manifest if some request has loaded it already. */
  loadedManifest(): EdgeManifest | undefined {
    return this.manifestLoad.value();
  }

  /** The model (encoder, kernel and how long their load took), loaded by the first request that needs it. */
  model(assets: Fetcher): Promise<LoadedModel> {
    return this.modelLoad.get(assets);
  }

  /** The model if some request has finished loading it. */
  loadedModel(): LoadedModel | undefined {
    return this.modelLoad.value();
  }

  /** The kernel build this isolate runs: relaxed SIMD unless its self-test fails here (chosen once, cheaply: no model). */
  kernelBuild(): KernelBuild {
    this.build ??= chooseKernelBuild([
      { name: "relaxed-simd", module: relaxedModule },
      { name: "simd128", module: plainModule },
    ]);
    return this.build;
  }

  /**
   * Finishes the loaded kernel's int8 decoder in steps that yield to other requests, once; undefined when there is
   * nothing (left) to do. The caller keeps the isolate alive for it (waitUntil).
   */
  prepareInBackground(): Promise<void> | undefined {
    const head = this.loadedModel()?.kernel.head;
    if (!head || head.prepared) return undefined;
    this.preparing ??= (async () => {
      try {
        // Every step waits first: none runs before the answer that scheduled it is on its way.
        do await new Promise((resolve) => setTimeout(resolve, 0));
        while (!head.prepareSome(PREPARE_ROWS_PER_STEP));
      } finally {
        this.preparing = undefined;
      }
    })();
    return this.preparing;
  }

  /**
   * The tokenizer is built as soon as its files arrive, while encoder.bin is still on its way. (Reading encoder.bin
   * into the kernel's memory chunk by chunk, rather than taking it whole and copying it once, takes ~2× as long under
   * `wrangler dev`: it arrives in 4 KiB chunks, 4,282 reads each a promise, against one copy of ~10 ms.)
   */
  private async loadModel(assets: Fetcher): Promise<LoadedModel> {
    const start = performance.now();
    const since = (t0 = start) => performance.now() - t0;
    const manifest = await this.manifest(assets);
    const manifestMs = since();
    const kernel = (async () => {
      const fetchStart = performance.now();
      const bytes = await (await fetchAsset(assets, manifest.edge.file)).arrayBuffer();
      const fetchMs = since(fetchStart);
      return { kernel: this.createKernel(bytes, manifest), fetchMs, readyMs: since() };
    })();
    const tokenizer = (async () => {
      const fetchStart = performance.now();
      const [text, config] = await Promise.all([
        fetchAsset(assets, WORKER_TOKENIZER_FILE).then((r) => r.text()),
        fetchAsset(assets, "tokenizer_config.json").then((r) => r.json<object>()),
      ]);
      const fetchMs = since(fetchStart);
      const parseStart = performance.now();
      const json = JSON.parse(text) as object;
      const parseMs = since(parseStart);
      const buildStart = performance.now();
      const tokenizer = new SpladeTokenizer(json, config, manifest.max_length);
      return { tokenizer, fetchMs, parseMs, buildMs: since(buildStart), readyMs: since() };
    })();
    const [k, t] = await Promise.all([kernel, tokenizer]);
    const steps = k.kernel.loadTimings;
    const timings: LoadTimings = {
      "load-manifest": manifestMs,
      "load-tokenizer": t.readyMs,
      "load-kernel": k.readyMs,
      "tokenizer-fetch": t.fetchMs,
      "tokenizer-parse": t.parseMs,
      "tokenizer-build": t.buildMs,
      "kernel-fetch": k.fetchMs,
      "kernel-instantiate": steps.instantiate,
      "kernel-copy": steps.copy,
      "kernel-setup": steps.setup,
    };
    const encoder = new SpladeEncoder(t.tokenizer, kernelBackend(k.kernel, yieldToIsolate), manifest.vocab_size);
    return { manifest, encoder, kernel: k.kernel, timings };
  }

  private createKernel(bytes: ArrayBuffer, manifest: EdgeManifest): SpladeKernel {
    const { module } = this.kernelBuild();
    try {
      // The int8 decoder is quantized after the first answer (prepareInBackground): until then encodes run the float32
      // scan, which gives the same bits.
      return SpladeKernel.create(module, bytes, manifest.edge, { prepare: "later" });
    } catch (cause) {
      // errors.ts answers it 503 model_unavailable; the message says which file and what to run.
      if (cause instanceof KernelWeightsError) throw new KernelWeightsError(`model/query/${manifest.edge.file}: ${cause.message} — ${CONVERT_AGAIN}`);
      throw cause;
    }
  }
}

/** This isolate's model: module state lives as long as the isolate. */
export const isolateModel = new IsolateModel();
