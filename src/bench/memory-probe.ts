// `tsx src/bench/memory-probe.ts VARIANT MODEL_DIR` (run by query-memory.ts, with --expose-gc): one variant's cold
// start and memory in a fresh process, printed as one JSON line. A fresh process per variant, because one wasm
// runtime serves every onnxruntime-web session of a process and memory never shrinks.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web/wasm";
import { padBatch } from "../encoder/encoder.ts";
import { SpladeHead } from "../kernel/splade-head.ts";
import { splitModel, TRUNK_EMBEDS_INPUT, TRUNK_OUTPUT } from "../kernel/split-model.ts";
import { kernelModule, randomIds } from "./query-inputs.ts";
import type { MemoryProbe, MemoryVariant } from "./query-memory.ts";

ortWeb.env.wasm.numThreads = 1;

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
    graph: { name: "start", node: [{ opType: "Identity", input: ["x"], output: ["y"] }], input: [{ name: "x", type: scalar }], output: [{ name: "y", type: scalar }] },
  }).finish();
}

async function probe(variant: MemoryVariant, dir: string): Promise<MemoryProbe> {
  const bytes = new Uint8Array(readFileSync(join(dir, "model.onnx")));
  const split = variant === "ort-web trunk + kernel" ? splitModel(bytes) : variant === "ort-web trunk(embeds) + kernel" ? splitModel(bytes, { wordEmbeddings: "input" }) : undefined;
  const { inputIds, attentionMask } = padBatch([randomIds(10, 1)]);
  const rss0 = rss();
  let t = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = now - t;
    t = now;
    return ms;
  };

  if (variant === "ort-node full") {
    const session = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" });
    const sessionMs = lap();
    const rssSession = rss();
    t = performance.now();
    await session.run({ input_ids: new ortNode.Tensor("int64", inputIds, [1, 10]), attention_mask: new ortNode.Tensor("int64", attentionMask, [1, 10]) });
    const firstRunMs = lap();
    return { variant, runtime_start_ms: null, session_ms: sessionMs, kernel_create_ms: null, first_run_ms: firstRunMs, ort_wasm_bytes_after_session: null, ort_wasm_bytes_after_first_run: null, kernel_wasm_bytes: null, rss_delta_after_runtime_start: null, rss_delta_after_session: rssSession - rss0, rss_delta_after_first_run: rss() - rss0 };
  }

  await ortWeb.InferenceSession.create(identityModel(), { executionProviders: ["wasm"] });
  const runtimeStartMs = lap();
  const rssStart = rss();
  t = performance.now();
  const session = await ortWeb.InferenceSession.create(split ? split.trunk : bytes, { executionProviders: ["wasm"] });
  const sessionMs = lap();
  const kernel = split ? SpladeHead.create(kernelModule(), split.head) : undefined;
  const kernelMs = lap();
  const ortAfterSession = ortWasmBytes();
  const rssSession = rss();
  t = performance.now();
  const dims = [1, 10];
  const mask = new ortWeb.Tensor("int64", attentionMask, dims);
  const feeds: Record<string, ortWeb.Tensor> =
    variant === "ort-web trunk(embeds) + kernel"
      ? { [TRUNK_EMBEDS_INPUT]: new ortWeb.Tensor("float32", kernel!.rows(inputIds), [1, 10, kernel!.hiddenSize]), attention_mask: mask }
      : { input_ids: new ortWeb.Tensor("int64", inputIds, dims), attention_mask: mask };
  const out = await session.run(feeds);
  if (kernel) kernel.spladeFromHidden(out[TRUNK_OUTPUT].data as Float32Array, 10);
  const firstRunMs = lap();
  return {
    variant,
    runtime_start_ms: runtimeStartMs,
    session_ms: sessionMs,
    kernel_create_ms: kernel ? kernelMs : null,
    first_run_ms: firstRunMs,
    ort_wasm_bytes_after_session: ortAfterSession,
    ort_wasm_bytes_after_first_run: ortWasmBytes(),
    kernel_wasm_bytes: kernel ? kernel.memoryBytes : null,
    rss_delta_after_runtime_start: rssStart - rss0,
    rss_delta_after_session: rssSession - rss0,
    rss_delta_after_first_run: rss() - rss0,
  };
}

const [variant, dir] = process.argv.slice(2);
console.log(JSON.stringify(await probe(variant as MemoryVariant, dir)));
