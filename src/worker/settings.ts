// The Worker's knobs, read from its environment: `[vars]` in wrangler.toml, Workers secrets (`wrangler secret put`,
// `.dev.vars` locally) and bindings. One place parses them, so a route never reads `env` by hand and a bad value
// is one clear message in the log instead of a surprise at the first request that needs it.
import type { TimingVariables } from "hono/timing";
import type { AccessVariables } from "./access";
import type { LogVariables } from "./log";

export interface Env {
  /** The `model` folder, served only to this Worker (`run_worker_first = true`): the query model at `query/`, the index at `index/`. */
  ASSETS: Fetcher;
  /** Secret: comma-separated API keys; when set, every route but /health and / needs `Authorization: Bearer KEY`. */
  SPLADE_API_KEYS?: string;
  /** Comma-separated browser origins allowed by CORS, or "*" (the default). */
  SPLADE_ALLOWED_ORIGINS?: string;
  /** Most tokens one request may encode, summed over its queries ([CLS] and [SEP] included). */
  SPLADE_MAX_BATCH_TOKENS?: string;
  /** Seconds a cached answer may be reused by clients and the Cache API; "0" turns the cache off. */
  SPLADE_CACHE_TTL?: string;
  /** "true" puts query texts in the request log (off by default: queries are users' words). */
  SPLADE_LOG_QUERIES?: string;
  /** MiB of search index parts an isolate keeps between queries (src/worker/search-index.ts). */
  SPLADE_INDEX_CACHE_MB?: string;
  /** Cloudflare's Rate Limiting binding (`[[ratelimits]]`): requests per client (API key, else IP) per period. */
  RATE_LIMITER?: RateLimit;
  /** This Worker Version (`[version_metadata]`): its id is the code's part of every cache key (cache.ts). */
  CF_VERSION_METADATA?: WorkerVersionMetadata;
}

/** The Worker's Hono environment: its bindings, and what middleware leaves for the routes and the log. */
export type AppEnv = { Bindings: Env; Variables: TimingVariables & AccessVariables & LogVariables };

export interface Settings {
  apiKeys: readonly string[];
  allowedOrigins: "*" | readonly string[];
  maxBatchTokens: number;
  cacheTtl: number;
  logQueries: boolean;
  indexCacheBytes: number;
}

/** Defaults, and why: 64 queries of 32 tokens — a search page's batch — without letting one request hold the isolate. */
export const DEFAULT_MAX_BATCH_TOKENS = 2048;
export const DEFAULT_CACHE_TTL = 3600;
/**
 * 48 MiB of index parts: with the query model (a 2×128 transformer isolate peaks at ~55 MB while loading) and one
 * query's parts in flight, the isolate stays under Workers' 128 MB.
 */
export const DEFAULT_INDEX_CACHE_MB = 48;

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)} (wrangler.toml [vars])`);
  return n;
}

const parsed = new WeakMap<object, Settings>();

/** The settings of this environment (parsed once per env object: workerd hands every request the same one). */
export function settingsOf(env: Env): Settings {
  let settings = parsed.get(env);
  if (!settings) {
    const origins = list(env.SPLADE_ALLOWED_ORIGINS);
    settings = {
      apiKeys: list(env.SPLADE_API_KEYS),
      allowedOrigins: origins.length === 0 || origins.includes("*") ? "*" : origins,
      maxBatchTokens: integer("SPLADE_MAX_BATCH_TOKENS", env.SPLADE_MAX_BATCH_TOKENS, DEFAULT_MAX_BATCH_TOKENS, 2),
      cacheTtl: integer("SPLADE_CACHE_TTL", env.SPLADE_CACHE_TTL, DEFAULT_CACHE_TTL, 0),
      logQueries: env.SPLADE_LOG_QUERIES === "true",
      indexCacheBytes: integer("SPLADE_INDEX_CACHE_MB", env.SPLADE_INDEX_CACHE_MB, DEFAULT_INDEX_CACHE_MB, 0) * 1024 * 1024,
    };
    parsed.set(env, settings);
  }
  return settings;
}
