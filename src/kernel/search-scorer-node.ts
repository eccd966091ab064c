// search-scorer.wasm compiled in Node: what `#kernel/search-scorer.wasm` (package.json "imports") resolves to there.
// Under workerd the same name resolves to the .wasm itself, which wrangler's CompiledWasm rule (wrangler.toml) imports
// compiled, since workerd compiles no wasm from bytes; both give search-scorer.ts a WebAssembly.Module.
import { readFileSync } from "node:fs";

const scorerModule = new WebAssembly.Module(readFileSync(new URL("./search-scorer.wasm", import.meta.url)));
export default scorerModule;
