// Who may call the Worker: optional API keys (the SPLADE_API_KEYS secret) and the browser origins CORS allows.
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { timingSafeEqual } from "hono/utils/buffer";
import { ApiError } from "./errors";
import { settingsOf, type Env, type Settings } from "./settings";

/** Answered without a key: liveness checks, and the page (static, and its calls to /encode carry the key). */
const OPEN_PATHS = new Set(["/health", "/"]);

export const REALM = "splade-edge";

export type AccessVariables = {
  /** Who is calling, for rate limits: "key:<sha256 prefix>" with keys on, else "ip:<address>"; absent off the edge. */
  client?: string;
};

async function fingerprint(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * With SPLADE_API_KEYS set, every route but OPEN_PATHS needs `Authorization: Bearer KEY` matching one of the keys.
 * Keys are compared through SHA-256 digests in constant time (hono's timingSafeEqual), against every key, so the
 * answer's timing says nothing about how much of a key matched or which one.
 */
export const requireApiKey: MiddlewareHandler<{ Bindings: Env; Variables: AccessVariables }> = async (c, next) => {
  const { apiKeys } = settingsOf(c.env);
  const ip = c.req.header("CF-Connecting-IP");
  if (ip) c.set("client", `ip:${ip}`);
  if (apiKeys.length === 0 || OPEN_PATHS.has(c.req.path) || c.req.method === "OPTIONS") return next();
  const header = c.req.header("Authorization");
  const token = header === undefined ? undefined : /^Bearer +([^\s]+) *$/i.exec(header)?.[1];
  if (token === undefined) {
    throw new ApiError(
      "unauthorized",
      header === undefined ? "this endpoint needs an API key: send Authorization: Bearer KEY" : "the Authorization header must be Bearer KEY",
      {
        headers: { "WWW-Authenticate": `Bearer realm="${REALM}"` },
      },
    );
  }
  const matches = await Promise.all(apiKeys.map((key) => timingSafeEqual(key, token)));
  if (!matches.includes(true)) {
    throw new ApiError("unauthorized", "the API key is not valid", { headers: { "WWW-Authenticate": `Bearer realm="${REALM}", error="invalid_token"` } });
  }
  c.set("client", `key:${await fingerprint(token)}`);
  await next();
};

const EXPOSED_HEADERS = [
  "Server-Timing",
  "X-Splade-Tokens",
  "X-Splade-Truncated",
  "X-Splade-Random-Weights",
  "X-Splade-Model",
  "X-Splade-Model-Kind",
  "X-Splade-License",
  "X-Splade-Cache",
  "Retry-After",
  "ETag",
];

const corsBySettings = new WeakMap<Settings, MiddlewareHandler>();

/**
 * CORS for the origins in SPLADE_ALLOWED_ORIGINS (any origin by default: the encoder holds no user data). Hono's cors()
 * middleware is built once per environment (its options join and copy arrays), not on every request.
 */
export const corsForOrigins: MiddlewareHandler<{ Bindings: Env }> = (c, next) => {
  const settings = settingsOf(c.env);
  let handler = corsBySettings.get(settings);
  if (!handler) {
    const { allowedOrigins } = settings;
    handler = cors({
      origin: allowedOrigins === "*" ? "*" : [...allowedOrigins],
      allowMethods: ["GET", "POST"],
      allowHeaders: ["Authorization", "Content-Type", "If-None-Match"],
      exposeHeaders: EXPOSED_HEADERS,
    });
    corsBySettings.set(settings, handler);
  }
  return handler(c, next);
};
