// What the query benchmark feeds every variant: the kernel compiled from the committed kernel.wasm and loaded with a
// model folder's encoder.bin, seeded token ids, and the shapes measured (three query lengths and a batch).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KERNEL_WASM } from "../kernel/build.ts";
import { SpladeKernel } from "../kernel/encoder-kernel.ts";
import type { KernelLayout } from "../kernel/weights.ts";
import type { ModelManifest } from "../model/manifest-format.ts";
import { seededUniform } from "../model/random.ts";

const CLS = 101;
const SEP = 102;
/** Below 1000 the uncased vocabulary holds [PAD], [unused…], [CLS]/[SEP]/[MASK] and single characters. */
const FIRST_WORD_PIECE = 1000;

export interface QueryShape {
  name: string;
  batch: number;
  /** Tokens per sequence, [CLS] and [SEP] included. */
  tokens: number;
}

export const QUERY_SHAPES: readonly QueryShape[] = [
  { name: "T=4", batch: 1, tokens: 4 },
  { name: "T=10", batch: 1, tokens: 10 },
  { name: "T=32", batch: 1, tokens: 32 },
  { name: "16×T=10", batch: 16, tokens: 10 },
];

export function kernelModule(): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(KERNEL_WASM));
}

/** The model folder's kernel weights table: manifest.json's `edge` (query models only). */
export function kernelLayout(modelDir: string): KernelLayout {
  const manifest = JSON.parse(readFileSync(join(modelDir, "manifest.json"), "utf8")) as ModelManifest;
  if (!manifest.edge) throw new Error(`${modelDir}: manifest.json has no \`edge\` (not a query model, or converted before encoder.bin existed: convert it again)`);
  return manifest.edge;
}

/** Reads the folder's encoder.bin and loads it into a kernel instance of `module`. */
export function loadKernel(modelDir: string, module: WebAssembly.Module, layout = kernelLayout(modelDir)): SpladeKernel {
  return SpladeKernel.create(module, readFileSync(join(modelDir, layout.file)), layout);
}

/** [CLS], `length − 2` ordinary word-piece ids drawn from the seed, [SEP]. */
export function randomIds(length: number, seed: number): number[] {
  const u = seededUniform(seed);
  return Array.from({ length }, (_, t) => (t === 0 ? CLS : t === length - 1 ? SEP : FIRST_WORD_PIECE + Math.floor(u() * (30522 - FIRST_WORD_PIECE))));
}
