// `tsx bench/memory-probe.ts VARIANT MODEL_DIR` (run by query-memory.ts, with --expose-gc): one variant's cold
// start and memory in a fresh process, printed as one JSON line. A fresh process per variant, because one wasm
// runtime serves every onnxruntime-web session of a process, compiled wasm code stays, and memory never shrinks.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { KERNEL_WASM } from "../src/kernel/build.ts";
import { SpladeKernel } from "../src/kernel/encoder-kernel.ts";
import { readKernelWeights } from "../src/model/encoder-bin.ts";
import { createNodeBackend } from "../src/node/ort-node.ts";
import { createWebBackend, webSession } from "../src/node/ort-web.ts";
import { kernelLayout, onnxNames, randomIds } from "../test/support/query-inputs.ts";
import type { MemoryProbe, MemoryVariant } from "./query-memory.ts";

// onnxruntime-web has no API for its memory: catch every WebAssembly.Memory it imports or exports.
const memories = new Set<WebAssembly.Memory>();
const instantiate = WebAssembly.instantiate.bind(WebAssembly);
WebAssembly.instantiate = (async (source: never, imports?: WebAssembly.Imports) => {
  for (const ns of Object.values(imports ?? {})) for (const v of Object.values(ns)) if (v instanceof WebAssembly.Memory) memories.add(v);
  const result = (await instantiate(source, imports)) as WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource;
  const instance = result instanceof WebAssembly.Instance ? result : result.instance;
  for (const v of Object.values(instance.exports)) if (v instanceof WebAssembly.Memory) memories.add(v);
  return result;
}) as typeof WebAssembly.instantiate;
const ortWasmBytes = () => [...memories].reduce((a, m) => a + m.buffer.byteLength, 0);

const rss = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
};

/** A one-node graph: creating its session starts the wasm runtime and nothing else. */
function identityModel(): Uint8Array {
  const scalar = { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } };
  return onnxProto.onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "start",
      node: [{ opType: "Identity", input: ["x"], output: ["y"] }],
      input: [{ name: "x", type: scalar }],
      output: [{ name: "y", type: scalar }],
    },
  }).finish();
}

async function probe(variant: MemoryVariant, dir: string): Promise<MemoryProbe> {
  const ids = randomIds(10, 1);
  const none = {
    runtime_start_ms: null,
    kernel_compile_ms: null,
    ort_wasm_bytes_after_load: null,
    ort_wasm_bytes_after_first_run: null,
    kernel_wasm_bytes_after_load: null,
    kernel_wasm_bytes_after_first_run: null,
    rss_delta_after_start: null,
  };
  // Read before the clock starts: model.onnx for onnxruntime (the sessions' load then starts from bytes),
  // kernel.wasm and the manifest for the kernel. encoder.bin's read is part of the kernel's load.
  const layout = variant === "kernel" ? kernelLayout(dir) : undefined;
  const wasmBytes = variant === "kernel" ? readFileSync(KERNEL_WASM) : undefined;
  const bytes = variant === "kernel" ? undefined : new Uint8Array(readFileSync(join(dir, "model.onnx")));
  const rss0 = rss();
  let t = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = now - t;
    t = now;
    return ms;
  };

  if (variant === "kernel") {
    const module = new WebAssembly.Module(wasmBytes!);
    const compileMs = lap();
    const rssStart = rss();
    t = performance.now();
    const kernel = SpladeKernel.create(module, readKernelWeights(dir, layout!), layout!);
    const loadMs = lap();
    const kernelAfterLoad = kernel.memoryBytes;
    const rssLoad = rss();
    t = performance.now();
    kernel.encode(ids);
    const firstRunMs = lap();
    return {
      variant,
      ...none,
      kernel_compile_ms: compileMs,
      load_ms: loadMs,
      first_run_ms: firstRunMs,
      kernel_wasm_bytes_after_load: kernelAfterLoad,
      kernel_wasm_bytes_after_first_run: kernel.memoryBytes,
      rss_delta_after_start: rssStart - rss0,
      rss_delta_after_load: rssLoad - rss0,
      rss_delta_after_first_run: rss() - rss0,
    };
  }

  if (variant === "ort-node full") {
    const backend = await createNodeBackend(bytes!, onnxNames(dir), { threads: 1 });
    const loadMs = lap();
    const rssLoad = rss();
    t = performance.now();
    await backend.run([ids]);
    const firstRunMs = lap();
    return { variant, ...none, load_ms: loadMs, first_run_ms: firstRunMs, rss_delta_after_load: rssLoad - rss0, rss_delta_after_first_run: rss() - rss0 };
  }

  await webSession(identityModel());
  const runtimeStartMs = lap();
  const rssStart = rss();
  t = performance.now();
  const backend = await createWebBackend(bytes!, onnxNames(dir));
  const loadMs = lap();
  const ortAfterLoad = ortWasmBytes();
  const rssLoad = rss();
  t = performance.now();
  await backend.run([ids]);
  const firstRunMs = lap();
  return {
    variant,
    ...none,
    runtime_start_ms: runtimeStartMs,
    load_ms: loadMs,
    first_run_ms: firstRunMs,
    ort_wasm_bytes_after_load: ortAfterLoad,
    ort_wasm_bytes_after_first_run: ortWasmBytes(),
    rss_delta_after_start: rssStart - rss0,
    rss_delta_after_load: rssLoad - rss0,
    rss_delta_after_first_run: rss() - rss0,
  };
}

const [variant, dir] = process.argv.slice(2);
console.log(JSON.stringify(await probe(variant as MemoryVariant, dir)));
