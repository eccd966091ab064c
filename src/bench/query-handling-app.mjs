// The production Worker's app and model, for the bench-only handling Worker (query-handling-worker.ts). A JavaScript
// module with its own declarations (query-handling-app.d.mts) because the root tsconfig checks src/bench with Node's
// types, under which src/worker (typed for workerd) does not check; wrangler's esbuild bundles through it as usual.
export { default as app } from "../worker/index.ts";
export { loadEncoder, prepareInBackground } from "../worker/model.ts";
