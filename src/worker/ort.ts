/**
 * onnxruntime-web inside workerd: every quirk of loading and running ORT in a Worker lives here.
 *
 * - `onnxruntime-web/wasm` resolves to `dist/ort.wasm.bundle.min.mjs`, the CPU-only build that already
 *   embeds its Emscripten glue (`ort-wasm-simd-threaded.mjs`). The default entry drags in the 28 MB WebGPU
 *   build; the non-bundled entries `import()` the glue from a URL, which a Worker cannot do.
 * - workerd forbids compiling wasm from bytes ("Wasm code generation disallowed by embedder"), so
 *   `ort-wasm-simd-threaded.wasm` is imported as a module that wrangler's `CompiledWasm` rule compiles at
 *   upload time. ORT forwards only `numThreads`, `wasmBinary` and `locateFile` to the glue (no
 *   `instantiateWasm` hook), and the glue then calls `WebAssembly.instantiate(new Uint8Array(wasmBinary),
 *   imports)`. We hand ORT an empty sentinel `wasmBinary` and wrap `WebAssembly.instantiate` so that a
 *   view over exactly that sentinel buffer is swapped for the precompiled module; every other call is
 *   passed through untouched. Setting `wasmBinary` (with one thread) is also what makes ORT use the embedded
 *   glue when `import.meta.url` is undefined, as in a deployed Worker (`lib/wasm/wasm-utils-import.ts`).
 * - `wasmPaths` cannot work: the glue fetches through XMLHttpRequest or `import()`, neither of which a
 *   Worker has for its own files.
 * - Workers have no threads to spare and no Web Workers: `numThreads = 1`, `proxy = false`.
 * - One wasm instance serves every run, and ORT's `run()` (`lib/wasm/wasm-core-impl.ts`) `stackAlloc`s its
 *   argument arrays, awaits, then restores the stack in `finally`: overlapping runs would restore the stack
 *   under one another. Runs therefore go through one promise chain, as transformers.js
 *   `src/backends/onnx.js` does (its WebGPU build fails outright with "Session already started").
 * - If the wasm runtime itself fails to start, ORT remembers ("previous call to 'initializeWebAssembly()'
 *   failed") and only a new isolate recovers; evicting the session promise still lets a failed model
 *   fetch be retried on the next request.
 */
import * as ort from "onnxruntime-web/wasm";
import ortWasmModule from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import { memoize } from "./memoize";

const WASM_BINARY_SENTINEL = new ArrayBuffer(0);

const instantiate = WebAssembly.instantiate.bind(WebAssembly);

function instantiateWithCompiledOrt(
  source: BufferSource | WebAssembly.Module,
  imports?: WebAssembly.Imports,
): Promise<unknown> {
  if (ArrayBuffer.isView(source) && source.buffer === WASM_BINARY_SENTINEL) {
    return instantiate(ortWasmModule, imports).then((instance) => ({ instance, module: ortWasmModule }));
  }
  return instantiate(source as BufferSource, imports);
}

WebAssembly.instantiate = instantiateWithCompiledOrt as typeof WebAssembly.instantiate;

ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
ort.env.wasm.wasmBinary = WASM_BINARY_SENTINEL;

export { Tensor } from "onnxruntime-web/wasm";
export type { InferenceSession } from "onnxruntime-web/wasm";

/** Creates an ORT session on the wasm backend from the bytes of an `.onnx` file. */
export function createSession(modelBytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelBytes, { executionProviders: ["wasm"] });
}

/**
 * The isolate's one session, created on first call from the bytes `loadModel` returns and shared by every
 * later request (kept even when a sibling load of the encoder fails). A rejected load is forgotten so that the next
 * call tries again.
 */
export const getSession = memoize((loadModel: () => Promise<Uint8Array>) => loadModel().then(createSession)).get;

let runChain: Promise<unknown> = Promise.resolve();

/** Runs `session` after every run already queued in this isolate has settled. */
export function run(
  session: ort.InferenceSession,
  feeds: ort.InferenceSession.FeedsType,
): Promise<ort.InferenceSession.ReturnType> {
  const result = runChain.then(() => session.run(feeds));
  runChain = result.catch(() => undefined);
  return result;
}
