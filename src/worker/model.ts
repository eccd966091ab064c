// The query model inside the isolate: read from the ASSETS binding (`query/<file>`: the `model/query` folder, private to
// this Worker) once per isolate and assembled by src/kernel/query-model.ts — a transformer on the kernel, or an
// inference-free weight table — all held by one IsolateModel.
import { kernelFilesLabel } from "../kernel/contract.ts";
import { chooseKernelBuild, KernelWeightsError } from "../kernel/encoder-kernel.ts";
import relaxedModule from "../kernel/kernel-relaxed.wasm";
import plainModule from "../kernel/kernel.wasm";
import { StaticWeightsError } from "../encoder/static-weights.ts";
import { loadQueryModel, servedProblem, type QueryLoadTimings, type QueryModel, type QueryModelFiles, type ServedManifest } from "../kernel/query-model.ts";
import { MANIFEST_FORMAT, type ModelManifest } from "../model/manifest-format.ts";
import { ApiError } from "./errors";
import { memoize } from "./memoize";

export type { ServedManifest } from "../kernel/query-model.ts";

const MISSING_HINT = "run `npm run model -- fetch` (or `npm run demo` for a generated test model), then restart";
const CONVERT_AGAIN = "convert the model again (`npm run model -- fetch`, or `npm run model -- convert`), then restart";

// The host is ignored by the assets binding; only the path selects the file.
async function fetchAsset(assets: Fetcher, file: string): Promise<Response> {
  const response = await assets.fetch(`https://assets.local/query/${file}`);
  if (!response.ok) throw new ApiError("model_unavailable", `model/query/${file} is missing — ${MISSING_HINT}`);
  return response;
}

function assetFiles(assets: Fetcher): QueryModelFiles {
  return {
    text: async (file) => (await fetchAsset(assets, file)).text(),
    bytes: async (file) => (await fetchAsset(assets, file)).arrayBuffer(),
  };
}

async function readManifest(assets: Fetcher): Promise<ServedManifest> {
  const m = await (await fetchAsset(assets, "manifest.json")).json<ModelManifest>();
  if (m.format !== MANIFEST_FORMAT) {
    throw new ApiError("model_unavailable", `model/query/manifest.json is ${JSON.stringify(m.format)}, not ${MANIFEST_FORMAT} — ${CONVERT_AGAIN}`);
  }
  // Refused here rather than when the encoder loads, so that the stale manifest is not kept for the isolate's life.
  const problem = servedProblem(m);
  if (problem) throw new ApiError("model_unavailable", `model/query/manifest.json ${problem} — ${CONVERT_AGAIN}`);
  return m as ServedManifest;
}

// Between queries the isolate answers its other requests (a /health, a one-query /encode): a 64-query batch would
// otherwise hold it for the whole batch.
const yieldToIsolate = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A kernel build (its name for /info) and its compiled module. */
export type KernelBuild = ReturnType<typeof chooseKernelBuild>;

/**
 * What the isolate's model load spent, ms, reported in Server-Timing by the request that waited for it: the manifest,
 * then the assembly's stages (QueryLoadTimings), `load-*` counted from the start of the whole load. Under
 * `wrangler dev` a `*-fetch` includes the CPU the isolate's other steps take meanwhile (one thread serves the assets too).
 */
export type LoadTimings = { "load-manifest": number } & QueryLoadTimings;

/** The isolate's served model, once loaded. */
export type LoadedModel = QueryModel & { readonly timings: LoadTimings };

/** A model name or licence as a header value: as is when printable ASCII, else percent-encoded (headers carry bytes, not text). */
function headerValue(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
}

/**
 * The headers every answer carries once the manifest is loaded, errors included: which model is served, its kind, its
 * licence ("unknown" when the manifest records none), and whether its weights are random. A request answered before
 * anything loaded the manifest (only /health can be) goes without.
 */
export function modelHeaders(manifest: ServedManifest): Record<string, string> {
  return {
    "X-Splade-Model": headerValue(manifest.source.repo),
    "X-Splade-Model-Kind": manifest.kind ?? "transformer",
    "X-Splade-License": headerValue(manifest.source.license ?? "unknown"),
    ...(manifest.random_weights ? { "X-Splade-Random-Weights": "true" } : {}),
  };
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
  manifest(assets: Fetcher): Promise<ServedManifest> {
    return this.manifestLoad.get(assets);
  }

  /** The manifest if some request has loaded it already. */
  loadedManifest(): ServedManifest | undefined {
    return this.manifestLoad.value();
  }

  /** The model (encoder, kernel or weight table, and how long their load took), loaded by the first request that needs it. */
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
    const model = this.loadedModel();
    // An inference-free model has no kernel, so nothing to prepare.
    if (model?.kind !== "transformer" || model.kernel.head.prepared) return undefined;
    const { head } = model.kernel;
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

  private async loadModel(assets: Fetcher): Promise<LoadedModel> {
    const start = performance.now();
    const manifest = await this.manifest(assets);
    const manifestMs = performance.now() - start;
    try {
      // The int8 decoder is quantized after the first answer (prepareInBackground): until then encodes run the float32
      // scan, which gives the same bits.
      const model = await loadQueryModel(assetFiles(assets), manifest, () => this.kernelBuild().module, {
        prepare: "later",
        betweenRows: yieldToIsolate,
        startedAt: start,
      });
      return { ...model, timings: { "load-manifest": manifestMs, ...model.timings } } as LoadedModel;
    } catch (cause) {
      // errors.ts answers it 503 model_unavailable; the message says which file and what to run.
      if (cause instanceof KernelWeightsError && manifest.kind !== "inference-free")
        throw new KernelWeightsError(`model/query/${kernelFilesLabel(manifest.edge)}: ${cause.message} — ${CONVERT_AGAIN}`);
      if (cause instanceof StaticWeightsError && manifest.kind === "inference-free")
        throw new ApiError("model_unavailable", `model/query/${manifest.static_weights.file}: ${cause.message} — ${CONVERT_AGAIN}`, { cause });
      throw cause;
    }
  }
}

/** This isolate's model: module state lives as long as the isolate. */
export const isolateModel = new IsolateModel();
