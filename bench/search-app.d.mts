// What search-worker.ts uses of src/worker, in types both runtimes have (see search-app.mjs).
import type { IndexReader } from "../src/index/reader.ts";

export interface SearchBenchEnv {
  ASSETS: { fetch(input: string): Promise<Response> };
  [name: string]: unknown;
}

export interface SearchBenchContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

export const app: { fetch(request: Request, env: SearchBenchEnv, ctx: SearchBenchContext): Response | Promise<Response> };
/** src/worker/model.ts IsolateModel: the served query model's manifest is what the index is paired with. */
export const isolateModel: { manifest(assets: SearchBenchEnv["ASSETS"]): Promise<unknown> };
/** src/worker/search-index.ts IsolateIndex: the route's index, opened once per isolate with the route's part budget. */
export const isolateIndex: {
  index(assets: SearchBenchEnv["ASSETS"], cacheBytes: number, query: unknown): Promise<IndexReader>;
  loaded(): IndexReader | undefined;
};
export function settingsOf(env: SearchBenchEnv): { indexCacheBytes: number };
