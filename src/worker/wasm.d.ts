// wrangler's CompiledWasm rule turns `.wasm` imports into compiled modules (see wrangler.toml).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
