// `npm run build:kernel`: compiles splade-head.c to the committed splade-head.wasm with Debian's clang-16 and lld-16
// (`apt-get install clang-16 lld-16`), so that `npm install` needs no compiler. The output is byte-for-byte
// reproducible: no libc, no debug info, names and the producers section stripped, paths never embedded.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const KERNEL_SOURCE = fileURLToPath(new URL("splade-head.c", import.meta.url));
export const KERNEL_WASM = fileURLToPath(new URL("splade-head.wasm", import.meta.url));

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

/** Compiles the kernel and returns the .wasm bytes. */
export function buildKernel(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "splade-head-"));
  try {
    const out = join(dir, "splade-head.wasm");
    execFileSync(CLANG, [...FLAGS, "-o", out, "splade-head.c"], { cwd: dirname(KERNEL_SOURCE), stdio: "inherit" });
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
  const bytes = buildKernel();
  writeFileSync(KERNEL_WASM, bytes);
  console.log(`${KERNEL_WASM}: ${bytes.length} bytes (${version})`);
}
