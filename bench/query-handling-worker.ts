// A bench-only Worker (bench/query-handling-worker.toml; never deployed): the production Worker's app called
// in-process inside workerd — no socket, no `wrangler dev` proxy — so the per-request split between handling (Hono,
// validation, body, headers, render, log) and the model can be timed. Its env is the production one with the cache off.
//
//   GET /health                 answers without touching the app
//   GET /split?q=…&reps=40      per kind, `reps` calls timed in blocks that alternate between the kinds (local workerd's
//       clock advances within a request at ≈1 ms resolution, so one call cannot be timed alone: a block can). Kinds:
//       health (GET /health), encode (POST /encode {"query": q}), invalid (the same with top_k 0: a 422), tokenize
//       (the tokenizer alone), inference (encodeTokenized alone: what Server-Timing calls inference) and log (one
//       console.log of a line like the Worker's own, to show what the log line costs here).
//   GET /throughput?q=…&concurrency=16&ms=1000
//       `concurrency` loops of POST /encode at once for `ms`: requests per second one isolate answers.
//
// Every call writes the Worker's log line, as production does; under `wrangler dev` that line also crosses to wrangler's
// process, a cost production's log need not have (quiet=1 mutes console.log during the loops to show that share).
import { app, isolateModel, type HandlingContext, type HandlingEnv } from "./query-handling-app.mjs";

export const SPLIT_KINDS = ["health", "encode", "invalid", "tokenize", "inference", "log"] as const;
export type SplitKind = (typeof SPLIT_KINDS)[number];

/** What /split answers: mean ms per call of each kind. */
export interface HandlingSplit {
  reps: number;
  ms: Record<SplitKind, number>;
}

/** What /throughput answers. */
export interface HandlingThroughput {
  concurrency: number;
  requests: number;
  ms: number;
  requests_per_second: number;
}

const BLOCKS = 4;
/** The shape of src/worker/log.ts's line for an /encode answer. */
const LOG_LINE = { method: "POST", route: "/encode", path: "/encode", status: 200, tokens: 10, cache: null, ms: 1.4, error_type: null };
const ORIGIN = "https://splade-edge.bench";

function encodeRequest(query: string, extra: Record<string, unknown> = {}): Request {
  return new Request(`${ORIGIN}/encode`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, ...extra }) });
}

async function call(request: Request, env: HandlingEnv, ctx: HandlingContext, status: number): Promise<void> {
  const response = await app.fetch(request, env, ctx);
  await response.arrayBuffer();
  if (response.status !== status) throw new Error(`${request.method} ${new URL(request.url).pathname} answered ${response.status}, not ${status}`);
}

/** The model loaded and its int8 decoder built, as in a warm isolate. */
async function warm(env: HandlingEnv, ctx: HandlingContext, query: string) {
  await call(encodeRequest(query), env, ctx, 200);
  await isolateModel.prepareInBackground();
  return (await isolateModel.model(env.ASSETS)).encoder;
}

async function quietly<T>(quiet: boolean, work: () => Promise<T>): Promise<T> {
  const log = console.log;
  if (quiet) console.log = () => {};
  try {
    return await work();
  } finally {
    console.log = log;
  }
}

async function split(env: HandlingEnv, ctx: HandlingContext, query: string, reps: number): Promise<HandlingSplit> {
  const encoder = await warm(env, ctx, query);
  const tokenized = encoder.tokenizer.encode(query);
  const runs: Record<SplitKind, () => Promise<unknown>> = {
    health: () => call(new Request(`${ORIGIN}/health`), env, ctx, 200),
    encode: () => call(encodeRequest(query), env, ctx, 200),
    invalid: () => call(encodeRequest(query, { top_k: 0 }), env, ctx, 422),
    tokenize: async () => encoder.tokenizer.encode(query),
    inference: () => encoder.encodeTokenized([tokenized]),
    log: async () => console.log(JSON.stringify(LOG_LINE)),
  };
  const total = Object.fromEntries(SPLIT_KINDS.map((k) => [k, 0])) as Record<SplitKind, number>;
  const perBlock = Math.ceil(reps / BLOCKS);
  for (let b = 0; b < BLOCKS; b++) {
    for (const kind of SPLIT_KINDS) {
      const t0 = performance.now();
      for (let i = 0; i < perBlock; i++) await runs[kind]();
      total[kind] += performance.now() - t0;
    }
  }
  const ms = Object.fromEntries(SPLIT_KINDS.map((k) => [k, total[k] / (perBlock * BLOCKS)])) as Record<SplitKind, number>;
  return { reps: perBlock * BLOCKS, ms };
}

async function throughput(env: HandlingEnv, ctx: HandlingContext, query: string, concurrency: number, ms: number): Promise<HandlingThroughput> {
  await warm(env, ctx, query);
  let requests = 0;
  const t0 = performance.now();
  const loop = async () => {
    while (performance.now() - t0 < ms) {
      await call(encodeRequest(query), env, ctx, 200);
      requests++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = performance.now() - t0;
  return { concurrency, requests, ms: elapsed, requests_per_second: (requests / elapsed) * 1000 };
}

function positive(url: URL, name: string, fallback: number): number {
  const n = Number(url.searchParams.get(name) ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

export default {
  async fetch(request: Request, env: HandlingEnv, ctx: HandlingContext): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/health") return Response.json({ ok: true });
      const query = url.searchParams.get("q") ?? "what is the capital of france and germany";
      const quiet = url.searchParams.get("quiet") === "1";
      if (url.pathname === "/split") return Response.json(await quietly(quiet, () => split(env, ctx, query, positive(url, "reps", 40))));
      if (url.pathname === "/throughput") {
        return Response.json(await quietly(quiet, () => throughput(env, ctx, query, positive(url, "concurrency", 16), positive(url, "ms", 1000))));
      }
      return Response.json({ error: `no route ${url.pathname}` }, { status: 404 });
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 500 });
    }
  },
};
