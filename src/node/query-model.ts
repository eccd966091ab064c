// A converted query model folder on the kernel, in Node (`npm run eval`, tests, benchmarks): its files read from disk
// and the kernel builds compiled from the committed .wasm in src/kernel, assembled as the Worker assembles them
// (src/kernel/query-model.ts), so the vectors are the Worker's.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KERNEL_BUILD_FILES, kernelFilesLabel, type KernelBuildName } from "../kernel/contract.ts";
import { chooseKernelBuild, KernelWeightsError } from "../kernel/encoder-kernel.ts";
import { edgeProblem, loadQueryModel, type EdgeManifest, type QueryModel, type QueryModelOptions } from "../kernel/query-model.ts";
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

export interface NodeQueryModel extends QueryModel {
  build: KernelBuildName;
}

async function readModelFile(dir: string, file: string, hint: string): Promise<Buffer> {
  const path = join(dir, file);
  try {
    return await readFile(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw new ModelError("folder", `${path} not found — run \`${hint}\``, { cause });
    throw cause;
  }
}

/** Loads a converted query model folder (`dir` as the user named it, for messages) on the kernel build nodeKernelBuild picks. */
export async function loadQueryFolder(dir: string, options: Pick<QueryModelOptions, "prepare"> & { fetchHint?: string } = {}): Promise<NodeQueryModel> {
  const hint = options.fetchHint ?? FETCH_QUERY;
  const read = await readManifest(dir);
  const problem = edgeProblem(read);
  if (problem) throw new ModelError("manifest", `${join(dir, "manifest.json")} ${problem} — convert it again with \`${hint}\``);
  const manifest = read as EdgeManifest;
  const files = {
    text: async (file: string) => (await readModelFile(dir, file, hint)).toString("utf8"),
    bytes: (file: string) => readModelFile(dir, file, hint),
  };
  const build = nodeKernelBuild();
  try {
    return { ...(await loadQueryModel(files, manifest, build.module, { prepare: options.prepare })), build: build.name };
  } catch (cause) {
    if (cause instanceof KernelWeightsError)
      throw new KernelWeightsError(`${join(dir, kernelFilesLabel(manifest.edge))}: ${cause.message} — convert it again with \`${hint}\``);
    throw cause;
  }
}
