// What one client may spend: requests per period (Cloudflare's Rate Limiting binding), bytes, queries and tokens per
// request.
import type { MiddlewareHandler } from "hono";
import type { TokenizedText } from "../encoder/tokenizer.ts";
import type { AccessVariables } from "./access";
import { ApiError } from "./errors";
import type { Env } from "./settings";

/** Most bytes of a request body (larger is a 413 payload_too_large): 64 queries of a few hundred words. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Most queries one request may encode (/encode's `queries`, /embed_sparse's `inputs`). */
export const MAX_QUERIES = 64;

/** The period of `[[ratelimits]]` in wrangler.toml (the binding does not report it; a test pins the two together). */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

const LOOPBACK = new Set(["ip:127.0.0.1", "ip:::1"]);

/**
 * One count per request against the client's key (its API key, else its IP) in the RATE_LIMITER binding; over the
 * limit is a 429 with Retry-After. Not limited: a Worker without the binding; requests with no client identity (no
 * key and no CF-Connecting-IP, which only happens off Cloudflare's edge); and loopback clients, which only `wrangler
 * dev` produces (it sets CF-Connecting-IP 127.0.0.1 on every request), so local benchmarks and tests are not throttled.
 */
export const rateLimit: MiddlewareHandler<{ Bindings: Env; Variables: AccessVariables }> = async (c, next) => {
  const client = c.get("client");
  const limiter = c.env.RATE_LIMITER;
  if (client && !LOOPBACK.has(client) && limiter && !(await limiter.limit({ key: client })).success) {
    throw new ApiError(
      "rate_limited",
      `too many requests from this client: at most the limit set in wrangler.toml [[ratelimits]] per ${RATE_LIMIT_PERIOD_SECONDS} s — retry later`,
      {
        headers: { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) },
      },
    );
  }
  await next();
};

/** Refuses a request whose queries hold more tokens together than the budget (TEI's max_batch_tokens, per request). */
export function checkTokenBudget(tokenized: readonly TokenizedText[], maxBatchTokens: number): void {
  const tokens = tokenized.reduce((n, t) => n + t.ids.length, 0);
  if (tokens > maxBatchTokens) {
    throw new ApiError(
      "too_many_tokens",
      `the queries hold ${tokens} tokens together ([CLS] and [SEP] included), over this endpoint's budget of ${maxBatchTokens} per request (SPLADE_MAX_BATCH_TOKENS) — split the batch`,
    );
  }
}
