// The type of `#kernel/search-scorer.wasm` (package.json "imports", the `types` condition): the compiled module, from
// search-scorer-node.ts in Node or wrangler's CompiledWasm rule in workerd.
declare const scorerModule: WebAssembly.Module;
export default scorerModule;
