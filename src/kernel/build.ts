// `npm run build:kernel`: compiles encoder.c and splade-head.c into the committed kernel.wasm (plain SIMD128) and
// kernel-relaxed.wasm (relaxed SIMD: -DRELAXED), and search-scorer.c into search-scorer.wasm (SIMD128), with Debian's
// clang-16 and lld-16 (`apt-get install clang-16 lld-16`), so that `npm install` needs no compiler; erf-table.h is generated
// first (erf-table.ts). The output is byte-for-byte reproducible: no libc, no debug info, names and the producers
// section stripped, paths never embedded.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KERNEL_BUILD_FILES, type KernelBuildName } from "./contract.ts";
import { erfHeader } from "./erf-table.ts";

export const KERNEL_DIR = dirname(fileURLToPath(import.meta.url));
export const KERNEL_SOURCES = ["encoder.c", "splade-head.c"];
export const KERNEL_WASM = join(KERNEL_DIR, KERNEL_BUILD_FILES.simd128);
export const KERNEL_RELAXED_WASM = join(KERNEL_DIR, KERNEL_BUILD_FILES["relaxed-simd"]);

/** A build by the contract's name for it (the name the Worker reports). */
export type KernelBuild = KernelBuildName;
export const KERNEL_BUILDS: Record<KernelBuild, { file: string; flags: string[] }> = {
  "relaxed-simd": { file: KERNEL_RELAXED_WASM, flags: ["-mrelaxed-simd", "-DRELAXED"] },
  simd128: { file: KERNEL_WASM, flags: [] },
};
export const ERF_HEADER = join(KERNEL_DIR, "erf-table.h");
export const SEARCH_SCORER_WASM = join(KERNEL_DIR, "search-scorer.wasm");

/** A committed .wasm and what it is compiled from. */
export interface WasmBuild {
  file: string;
  sources: string[];
  flags: string[];
}

/** Every committed .wasm: what `npm run build:kernel` writes, and what test/kernel/encoder.test.ts rebuilds and compares. */
export const WASM_BUILDS: WasmBuild[] = [
  ...Object.values(KERNEL_BUILDS).map(({ file, flags }) => ({ file, sources: KERNEL_SOURCES, flags })),
  // The search scorer's loops gain nothing from relaxed SIMD (no multiply-adds): one plain build. Non-trapping
  // float-to-int (in every engine that runs SIMD128) turns a bucket's float into an index without a range check.
  { file: SEARCH_SCORER_WASM, sources: ["search-scorer.c"], flags: ["-mnontrapping-fptoint"] },
];

/** The compiler the committed .wasm was built with; another version may emit other (valid) bytes. */
export const CLANG = process.env.CLANG ?? "clang-16";
export const CLANG_VERSION = "Debian clang version 16.0.6";

const FLAGS = [
  "--target=wasm32",
  "-O3",
  "-msimd128",
  "-mbulk-memory",
  "-ffreestanding",
  "-nostdlib",
  "-g0",
  // Exported functions are marked export_name in the source; everything else stays internal.
  "-Wl,--no-entry",
  "-Wl,--export=__heap_base",
  // The 64 KiB shadow stack below the data: an overflow traps instead of overwriting the decoder.
  "-Wl,--stack-first",
  "-Wl,--strip-all",
  "-Wall",
  "-Werror",
];

/** The compiler's version line, or undefined when it is not installed. */
export function clangVersion(): string | undefined {
  try {
    return execFileSync(CLANG, ["--version"], { encoding: "utf8" }).split("\n")[0];
  } catch {
    return undefined;
  }
}

/** Compiles one committed .wasm (the kernel with the committed erf-table.h) and returns its bytes. */
export function buildWasm({ sources, flags }: WasmBuild): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "splade-kernel-"));
  try {
    const out = join(dir, "out.wasm");
    execFileSync(CLANG, [...FLAGS, ...flags, "-o", out, ...sources], { cwd: KERNEL_DIR, stdio: "inherit" });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const version = clangVersion();
  if (!version) {
    console.error(`${CLANG} not found — install it with \`apt-get install clang-16 lld-16\` (or set CLANG)`);
    process.exit(1);
  }
  if (!version.startsWith(CLANG_VERSION)) console.warn(`warning: ${version} is not ${CLANG_VERSION}: the bytes will differ from the committed build`);
  writeFileSync(ERF_HEADER, erfHeader());
  for (const build of WASM_BUILDS) {
    const bytes = buildWasm(build);
    writeFileSync(build.file, bytes);
    console.log(`${build.file}: ${bytes.length} bytes (${version})`);
  }
}
