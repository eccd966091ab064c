// Queries encoded the way the Worker encodes them, in Node: the model folder's tokenizer and encoder.bin on the
// splade-edge kernel (src/kernel), the head in "auto" mode, no top_k or min_weight (the Worker's default answer), so
// the vectors — and the metrics computed from them — are the Worker's. The backend is the Worker's own
// (src/kernel/sparse-backend.ts), and the build is chosen by the same self-test: relaxed SIMD where the engine
// compiles it (Node 20's V8 does not without --experimental-relaxed-simd, so kernel.wasm runs; both builds give
// the same bits on the exact path).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SpladeEncoder } from "../encoder/encoder.ts";
import type { SparseVector } from "../encoder/sparse.ts";
import { chooseKernelBuild, SpladeKernel, type KernelBuildName } from "../kernel/encoder-kernel.ts";
import { KERNEL_DIR, KERNEL_WASM } from "../kernel/build.ts";
import { kernelBackend } from "../kernel/sparse-backend.ts";
import type { ModelFolder } from "../node/model-folder.ts";
import { ModelError } from "../model/errors.ts";

function compile(file: string): WebAssembly.Module | undefined {
  try {
    return new WebAssembly.Module(readFileSync(file));
  } catch {
    return undefined;
  }
}

export interface QueryEncoder {
  build: KernelBuildName;
  /** One query's sparse vector: token ids and float32 weights, heaviest first; `tokens` fed to the model. */
  encode(text: string): Promise<SparseVector & { tokens: number; truncated: boolean }>;
}

/** The Worker's encoder on a converted query model folder (its manifest lists encoder.bin under `edge`). */
export function queryEncoder(folder: ModelFolder, dir: string): QueryEncoder {
  const layout = folder.manifest.edge;
  if (!layout)
    throw new ModelError(
      "manifest",
      `${dir}: manifest.json lists no encoder.bin (not a query model, or converted before it existed): convert it again with \`npm run model -- fetch --only query\``,
    );
  const builds: Array<{ name: KernelBuildName; module: WebAssembly.Module }> = [];
  const relaxed = compile(join(KERNEL_DIR, "kernel-relaxed.wasm"));
  if (relaxed) builds.push({ name: "relaxed-simd", module: relaxed });
  builds.push({ name: "simd128", module: new WebAssembly.Module(readFileSync(KERNEL_WASM)) });
  const build = chooseKernelBuild(builds);
  const kernel = SpladeKernel.create(build.module, readFileSync(join(dir, layout.file)), layout);
  const encoder = new SpladeEncoder(folder.tokenizer, kernelBackend(kernel), folder.manifest.vocab_size);
  return {
    build: build.name,
    async encode(text) {
      const [vector] = await encoder.encode([text]);
      return vector;
    },
  };
}
