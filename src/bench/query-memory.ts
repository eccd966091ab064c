// Cold start and memory per variant (each in a fresh child process: memory-probe.ts), and the sizes of what each
// variant loads.
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { KERNEL_WASM } from "../kernel/build.ts";
import { splitModel } from "../kernel/split-model.ts";

export const MEMORY_VARIANTS = ["ort-node full", "ort-web full", "ort-web trunk + kernel", "ort-web trunk(embeds) + kernel"] as const;
export type MemoryVariant = (typeof MEMORY_VARIANTS)[number];

/**
 * One variant from a fresh process, first request at T=10. Times in ms, memory in bytes; null where a figure does not
 * apply. `ort_wasm_bytes_*`: onnxruntime-web's wasm linear memory (what goal 4 counts, with the kernel's);
 * `kernel_wasm_bytes`: the head kernel's own linear memory; `rss_delta_*`: resident set growth since just before the
 * runtime started — it counts only touched pages, plus V8 heap, compiled wasm code and (for onnxruntime-node) the
 * native allocations no wasm figure sees.
 */
export interface MemoryProbe {
  variant: MemoryVariant;
  runtime_start_ms: number | null;
  session_ms: number;
  kernel_create_ms: number | null;
  first_run_ms: number;
  ort_wasm_bytes_after_session: number | null;
  ort_wasm_bytes_after_first_run: number | null;
  kernel_wasm_bytes: number | null;
  rss_delta_after_runtime_start: number | null;
  rss_delta_after_session: number;
  rss_delta_after_first_run: number;
}

const PROBE = fileURLToPath(new URL("memory-probe.ts", import.meta.url));

export async function probeMemory(variant: MemoryVariant, modelDir: string): Promise<MemoryProbe> {
  // process.execArgv carries tsx's loader, which the probe needs to run TypeScript.
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, "--expose-gc", PROBE, variant, modelDir], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split("\n").pop()!) as MemoryProbe;
}

export interface ModelSizes {
  model_onnx: number;
  trunk_onnx: number;
  trunk_embeds_onnx: number;
  /** Decoder [vocab, hidden] and bias, float32: what the kernel copies in (and quantizes to int8 alongside). */
  head_f32: number;
  kernel_wasm: number;
  ort_wasm: number;
}

export function modelSizes(modelDir: string): ModelSizes {
  const bytes = new Uint8Array(readFileSync(join(modelDir, "model.onnx")));
  const split = splitModel(bytes);
  const ortWasm = createRequire(import.meta.url).resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm");
  return {
    model_onnx: bytes.length,
    trunk_onnx: split.trunk.length,
    trunk_embeds_onnx: splitModel(bytes, { wordEmbeddings: "input" }).trunk.length,
    head_f32: split.head.decoder.byteLength + split.head.bias.byteLength,
    kernel_wasm: statSync(KERNEL_WASM).size,
    ort_wasm: statSync(ortWasm).size,
  };
}
