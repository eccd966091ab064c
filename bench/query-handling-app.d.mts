// What query-handling-worker.ts uses of src/worker, in types both runtimes have (see query-handling-app.mjs).
export interface HandlingEnv {
  ASSETS: { fetch(input: string): Promise<Response> };
  [name: string]: unknown;
}

export interface HandlingContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

export interface HandlingEncoder {
  tokenizer: { encode(text: string): { ids: number[]; truncated: boolean } };
  encodeTokenized(tokenized: ReadonlyArray<{ ids: number[]; truncated: boolean }>): Promise<unknown[]>;
}

export const app: { fetch(request: Request, env: HandlingEnv, ctx: HandlingContext): Response | Promise<Response> };
/** The production Worker's isolate state (src/worker/model.ts IsolateModel). */
export const isolateModel: {
  model(assets: HandlingEnv["ASSETS"]): Promise<{ encoder: HandlingEncoder }>;
  prepareInBackground(): Promise<void> | undefined;
};
