// The production Worker's app and model, for the bench-only handling Worker (query-handling-worker.ts). A JavaScript
// module with its own declarations (query-handling-app.d.mts) because the root tsconfig checks bench/ with Node's
// types, under which src/worker (typed for workerd) does not check; wrangler's esbuild bundles through it as usual.
export { default as app } from "../src/worker/index.ts";
export { isolateModel } from "../src/worker/model.ts";
