// The production Worker's app and isolate state, for the bench-only search Worker (search-worker.ts). A JavaScript
// module with its own declarations (search-app.d.mts) because the root tsconfig checks bench/ with Node's types, under
// which src/worker (typed for workerd) does not check; wrangler's esbuild bundles through it as usual
// (query-handling-app.mjs does the same for the query benchmark).
export { default as app } from "../src/worker/index.ts";
export { isolateModel } from "../src/worker/model.ts";
export { isolateIndex } from "../src/worker/search-index.ts";
export { settingsOf } from "../src/worker/settings.ts";
