// What the query benchmark feeds every variant in Node: the kernel compiled from the committed kernel.wasm and loaded
// with a model folder's encoder.bin, plus (from query-ids.ts) seeded token ids and the shapes measured.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KERNEL_WASM } from "../../src/kernel/build.ts";
import { SpladeKernel } from "../../src/kernel/encoder-kernel.ts";
import type { KernelLayout } from "../../src/kernel/contract.ts";
import type { ModelManifest } from "../../src/model/manifest-format.ts";

export { INPUTS_PER_SHAPE, QUERY_SHAPES, randomIds, shapeInputs, type QueryShape } from "./query-ids.ts";

export function kernelModule(): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(KERNEL_WASM));
}

/** The model folder's kernel weights table: manifest.json's `edge` (query models only). */
export function kernelLayout(modelDir: string): KernelLayout {
  const manifest = JSON.parse(readFileSync(join(modelDir, "manifest.json"), "utf8")) as ModelManifest;
  if (!manifest.edge)
    throw new Error(`${modelDir}: manifest.json has no \`edge\` (not a query model, or converted before encoder.bin existed: convert it again)`);
  return manifest.edge;
}

/** Reads the folder's encoder.bin and loads it into a kernel instance of `module`. */
export function loadKernel(modelDir: string, module: WebAssembly.Module, layout = kernelLayout(modelDir)): SpladeKernel {
  return SpladeKernel.create(module, readFileSync(join(modelDir, layout.file)), layout);
}
