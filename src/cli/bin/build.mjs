// `npm run build:cli`: each bundled CLI as one ESM file: dist/encode-corpus.mjs, dist/splade-index.mjs.
// onnxruntime-node (a native addon) and onnxruntime-web (which reads its .wasm next to its own module URL) stay in
// node_modules; everything else is inlined. CommonJS dependencies (cli-progress) call require(), which an ESM file
// lacks: the banner provides one.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: { "encode-corpus": "src/cli/encode-corpus.ts", "splade-index": "src/cli/index.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  external: ["onnxruntime-node", "onnxruntime-web", "*.node"],
  banner: {
    js: ["#!/usr/bin/env node", 'import { createRequire as __createRequire } from "node:module";', "const require = __createRequire(import.meta.url);"].join(
      "\n",
    ),
  },
  logLevel: "warning",
});
