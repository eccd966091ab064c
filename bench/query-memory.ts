// Cold start and memory per variant (each in a fresh child process: memory-probe.ts), and the sizes of what each
// variant loads.
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { KERNEL_WASM } from "../src/kernel/build.ts";
import { kernelLayout } from "../test/support/query-inputs.ts";

export const MEMORY_VARIANTS = ["ort-node full", "ort-web full", "kernel"] as const;
export type MemoryVariant = (typeof MEMORY_VARIANTS)[number];

/**
 * One variant from a fresh process, first request at T=10. Times in ms, memory in bytes; null where a figure does not
 * apply. A variant starts (onnxruntime-web: its wasm runtime, through a one-node session; the kernel: compiling
 * kernel.wasm; onnxruntime-node: nothing), loads the model (an InferenceSession on model.onnx; the kernel: reading
 * encoder.bin and SpladeKernel.create, which instantiates the module and copies the weights in), then runs once.
 * `ort_wasm_bytes_*`: onnxruntime-web's wasm linear memory; `kernel_wasm_bytes_*`: the kernel's linear memory
 * (encoder.bin's copy and its scratch); `rss_delta_*`: resident set growth since just before the start — it counts
 * only touched pages, plus V8 heap, compiled wasm code and (for onnxruntime-node) the native allocations no wasm figure
 * sees.
 */
export interface MemoryProbe {
  variant: MemoryVariant;
  /** onnxruntime-web only: its wasm runtime's start. */
  runtime_start_ms: number | null;
  /** kernel only: new WebAssembly.Module on kernel.wasm's bytes. */
  kernel_compile_ms: number | null;
  /** InferenceSession.create (onnxruntime), or reading encoder.bin + SpladeKernel.create (kernel). */
  load_ms: number;
  first_run_ms: number;
  ort_wasm_bytes_after_load: number | null;
  ort_wasm_bytes_after_first_run: number | null;
  kernel_wasm_bytes_after_load: number | null;
  kernel_wasm_bytes_after_first_run: number | null;
  /** After the runtime start (onnxruntime-web) or the compile (kernel); null for onnxruntime-node. */
  rss_delta_after_start: number | null;
  rss_delta_after_load: number;
  rss_delta_after_first_run: number;
}

const PROBE = fileURLToPath(new URL("memory-probe.ts", import.meta.url));

export async function probeMemory(variant: MemoryVariant, modelDir: string): Promise<MemoryProbe> {
  // process.execArgv carries tsx's loader, which the probe needs to run TypeScript.
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, "--expose-gc", PROBE, variant, modelDir], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split("\n").pop()!) as MemoryProbe;
}

/** Bytes of what the variants load: model.onnx (onnxruntime), encoder.bin and kernel.wasm (kernel), ORT's .wasm. */
export interface ModelSizes {
  model_onnx: number;
  encoder_bin: number;
  kernel_wasm: number;
  ort_wasm: number;
}

export function modelSizes(modelDir: string): ModelSizes {
  const ortWasm = createRequire(import.meta.url).resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm");
  return {
    model_onnx: statSync(join(modelDir, "model.onnx")).size,
    encoder_bin: kernelLayout(modelDir).bytes,
    kernel_wasm: statSync(KERNEL_WASM).size,
    ort_wasm: statSync(ortWasm).size,
  };
}
