#!/usr/bin/env node
// The `splade-eval` command that package.json's "bin" names: `npm run eval` for an installed splade-edge. It runs the
// TypeScript sources through tsx (a devDependency, in every checkout's install) rather than a bundle: eval loads DuckDB's native
// binding and the kernel's .wasm files by their paths in the package, which a single-file bundle would not find.
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const { register } = await import("tsx/esm/api");
register();
await import(pathToFileURL(join(root, "src", "cli", "eval.ts")).href);
