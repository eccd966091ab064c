// One structured JSON line per request (Workers Logs / `wrangler tail` parse it): route, status, tokens, cache, time
// and error type. Never the Authorization header or the API key; query texts only with SPLADE_LOG_QUERIES=true.
import type { MiddlewareHandler } from "hono";
import { settingsOf, type Env } from "./settings";

export type LogVariables = {
  /** The error_type of an error answer (errors.ts sets it). */
  errorType?: string;
  /** The query texts of the request (routes set them; logged only when configured). */
  queries?: readonly string[];
};

export const requestLog: MiddlewareHandler<{ Bindings: Env; Variables: LogVariables }> = async (c, next) => {
  const started = performance.now();
  await next();
  const tokens = c.res.headers.get("X-Splade-Tokens");
  const line: Record<string, unknown> = {
    method: c.req.method,
    route: c.req.routePath,
    path: c.req.path,
    status: c.res.status,
    tokens: tokens === null ? null : tokens.split(",").reduce((n, t) => n + Number(t), 0),
    cache: c.res.headers.get("X-Splade-Cache"),
    // Deployed, the clock advances only on I/O (a Spectre mitigation): time spent computing shows as ~0 there.
    ms: Math.round((performance.now() - started) * 10) / 10,
    error_type: c.get("errorType") ?? null,
  };
  if (settingsOf(c.env).logQueries && c.get("queries")) line.queries = c.get("queries");
  console.log(JSON.stringify(line));
};
