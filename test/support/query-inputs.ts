// What the query benchmark feeds every variant in Node: the kernel compiled from the committed kernel.wasm as the Node
// runtime compiles it (src/node/query-model.ts) and loaded with a model folder's encoder.bin, plus (from query-ids.ts)
// seeded token ids and the shapes measured.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SpladeKernel } from "../../src/kernel/encoder-kernel.ts";
import { readKernelWeights } from "../../src/model/encoder-bin.ts";
import type { KernelLayout } from "../../src/kernel/contract.ts";
import { edgeProblem, type EdgeManifest } from "../../src/kernel/query-model.ts";
import type { TransformerManifest, OnnxGraphNames } from "../../src/model/manifest-format.ts";
import { compileKernel } from "../../src/node/query-model.ts";

export { INPUTS_PER_SHAPE, QUERY_SHAPES, randomIds, shapeInputs, type QueryShape } from "./query-ids.ts";

export function kernelModule(): WebAssembly.Module {
  return compileKernel("simd128");
}

const readManifest = (modelDir: string) => JSON.parse(readFileSync(join(modelDir, "manifest.json"), "utf8")) as TransformerManifest;

/** The names in the model folder's model.onnx: manifest.json's `onnx`. */
export function onnxNames(modelDir: string): OnnxGraphNames {
  return readManifest(modelDir).onnx;
}

/** The model folder's kernel weights table: manifest.json's `edge` (query models only). */
export function kernelLayout(modelDir: string): KernelLayout {
  const manifest = readManifest(modelDir);
  const problem = edgeProblem(manifest);
  if (problem) throw new Error(`${join(modelDir, "manifest.json")} ${problem}: convert it again`);
  return (manifest as EdgeManifest).edge;
}

/** Reads the folder's encoder.bin and loads it into a kernel instance of `module`. */
export function loadKernel(modelDir: string, module: WebAssembly.Module, layout = kernelLayout(modelDir)): SpladeKernel {
  return SpladeKernel.create(module, readKernelWeights(modelDir, layout), layout);
}
