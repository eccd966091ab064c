// A converted query model folder in Node (`npm run eval`, tests, benchmarks): its files read from disk and, for a
// transformer, the kernel builds compiled from the committed .wasm in src/kernel, assembled as the Worker assembles them
// (src/kernel/query-model.ts), so the vectors are the Worker's. An inference-free folder needs no kernel.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KERNEL_BUILD_FILES, kernelFilesLabel, type KernelBuildName } from "../kernel/contract.ts";
import { chooseKernelBuild, KernelWeightsError } from "../kernel/encoder-kernel.ts";
import { StaticWeightsError } from "../encoder/static-weights.ts";
import { loadQueryModel, servedProblem, type QueryModel, type QueryModelOptions, type ServedManifest } from "../kernel/query-model.ts";
import { ModelError } from "../model/errors.ts";
import { readManifest } from "../model/manifest.ts";

/** What to run when the query model folder is missing. */
export const FETCH_QUERY = "npm run model -- fetch --only query";

/** A kernel build's committed .wasm, compiled. */
export function compileKernel(build: KernelBuildName): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(fileURLToPath(new URL(`../kernel/${KERNEL_BUILD_FILES[build]}`, import.meta.url))));
}

/**
 * The build the Worker would choose here: the fastest that this engine compiles and that passes its self-test. Node
 * 20's V8 compiles relaxed SIMD only with --experimental-wasm-relaxed-simd, so kernel.wasm runs there; both builds
 * give the same bits on the exact path.
 */
export function nodeKernelBuild(): { name: KernelBuildName; module: WebAssembly.Module } {
  const builds = (Object.keys(KERNEL_BUILD_FILES) as KernelBuildName[]).flatMap((name) => {
    try {
      return [{ name, module: compileKernel(name) }];
    } catch (error) {
      if (error instanceof WebAssembly.CompileError) return [];
      throw error;
    }
  });
  return chooseKernelBuild(builds);
}

/** The query model, and what encodes with it: the kernel build, or for an inference-free model the weight table. */
export type NodeQueryModel = QueryModel & { build: KernelBuildName | "static-weights" };

async function readModelFile(dir: string, file: string, hint: string): Promise<Buffer> {
  const path = join(dir, file);
  try {
    return await readFile(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw new ModelError("folder", `${path} not found — run \`${hint}\``, { cause });
    throw cause;
  }
}

/** Loads a converted query model folder (`dir` as the user named it, for messages): a transformer on the kernel build nodeKernelBuild picks. */
export async function loadQueryFolder(dir: string, options: Pick<QueryModelOptions, "prepare"> & { fetchHint?: string } = {}): Promise<NodeQueryModel> {
  const hint = options.fetchHint ?? FETCH_QUERY;
  const read = await readManifest(dir);
  const problem = servedProblem(read);
  if (problem) throw new ModelError("manifest", `${join(dir, "manifest.json")} ${problem} — convert it again with \`${hint}\``);
  const manifest = read as ServedManifest;
  const files = {
    text: async (file: string) => (await readModelFile(dir, file, hint)).toString("utf8"),
    bytes: (file: string) => readModelFile(dir, file, hint),
  };
  let build: NodeQueryModel["build"] = "static-weights";
  const kernelModule = () => {
    const chosen = nodeKernelBuild();
    build = chosen.name;
    return chosen.module;
  };
  try {
    return { ...(await loadQueryModel(files, manifest, kernelModule, { prepare: options.prepare })), build };
  } catch (cause) {
    const again = `convert it again with \`${hint}\``;
    if (cause instanceof KernelWeightsError && manifest.kind !== "inference-free")
      throw new KernelWeightsError(`${join(dir, kernelFilesLabel(manifest.edge))}: ${cause.message} — ${again}`);
    if (cause instanceof StaticWeightsError && manifest.kind === "inference-free")
      throw new ModelError("folder", `${join(dir, manifest.static_weights.file)}: ${cause.message} — ${again}`, { cause });
    throw cause;
  }
}
