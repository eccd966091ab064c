// Identical requests answered from the Cache API, and what an answer tells the caches between the Worker and its
// client.
//
// The key is everything an answer depends on, so a cached answer is byte for byte what a miss would return now:
// - the Worker's code: the id of this Worker Version (the `[version_metadata]` binding). Cloudflare gives every upload
//   a new one (`wrangler deploy`, `wrangler versions upload`, a secret put), and `wrangler dev` a random one on every
//   start (miniflare 4.20260426's version-metadata plugin), so a change to a format's rendering never meets answers of
//   the old code, even though the Cache API outlives it (a data center's cache; `.wrangler/state` locally). A hash of
//   the sources would miss a dependency bumped in the lockfile; the version id changes with every upload, whatever
//   changed. Without the binding (a config other than wrangler.toml) the code is this isolate's own: answers are
//   then reused only within it.
// - the served model: its whole manifest, which holds the sha256 of every file the Worker reads (encoder.bin, the
//   tokenizer and its config) and every field an answer renders (source.repo as `model`, vocab_size, max_length), so
//   the same weights converted from another folder, or with another tokenizer, are another model.
// - the normalized request (the parsed, validated request: field order, defaults and GET/POST spelling do not
//   matter).
// Answers are deterministic (exact kernel), so one key always gives the same bytes, and its digest is a strong ETag.
//
// Cloudflare's Cache API is per data center and does nothing on *.workers.dev hostnames: deployed on workers.dev every
// request is a miss; on a custom domain, repeats within a location hit.
import type { Context } from "hono";
import { afterResponse } from "./after-response";
import type { Env, Settings } from "./settings";

const KEY_ORIGIN = "https://cache.splade-edge.internal";

/** Headers a cached answer keeps (the rest is added per request: Server-Timing, CORS, cache and random-weights headers). */
export const CACHED_HEADERS = ["Content-Type", "X-Splade-Tokens", "X-Splade-Truncated"];

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

let isolateCode: string | undefined;

/** The identity of the code answering: this Worker Version's id, else (no binding) this isolate's own. */
export function codeIdentity(env: Env): string {
  const version = env.CF_VERSION_METADATA?.id;
  if (version) return `version:${version}`;
  isolateCode ??= `isolate:${crypto.randomUUID()}`;
  return isolateCode;
}

/** What an answer depends on besides the request: the code answering, the served model's manifest, the index's. */
export interface Served {
  code: string;
  manifest: object;
  index?: object;
}

// The manifest is the isolate's one object: serialized once, not on every request.
const manifestTexts = new WeakMap<object, string>();

export interface CacheEntry {
  key: Request;
  /** Strong ETag of the answer: the same code, model and request always give the same bytes. */
  etag: string;
}

function manifestText(manifest: object): string {
  let text = manifestTexts.get(manifest);
  if (text === undefined) {
    text = JSON.stringify(manifest);
    manifestTexts.set(manifest, text);
  }
  return text;
}

/**
 * The cache entry of a request: `request` is the route's name and its validated request in one canonical spelling
 * (every field in a fixed order, defaults settled), so that GET and POST, field order and defaults do not matter.
 */
export async function cacheEntry(served: Served, request: readonly unknown[]): Promise<CacheEntry> {
  const index = served.index === undefined ? null : manifestText(served.index);
  const digest = await sha256Hex(JSON.stringify([served.code, manifestText(served.manifest), index, request]));
  return { key: new Request(`${KEY_ORIGIN}/${String(request[0])}/${digest}`), etag: `"${digest.slice(0, 32)}"` };
}

/**
 * What a GET answer tells the caches on its way. With API keys on, the answer was given to one key holder: `private`
 * keeps shared caches (a CDN, a proxy's cache) from storing it and serving it to a client without a key (RFC 9111
 * §3.5: `public` is what lets a shared cache reuse an answer to an authenticated request), and `Vary: Authorization`
 * keeps a browser from reusing it under another key. (CORS adds `Vary: Origin` itself when origins are listed.)
 */
export function clientCaching(settings: Settings): Record<string, string> {
  const maxAge = `max-age=${settings.cacheTtl}`;
  return settings.apiKeys.length > 0 ? { "Cache-Control": `private, ${maxAge}`, Vary: "Authorization" } : { "Cache-Control": `public, ${maxAge}` };
}

/** The cached answer, or undefined; a Cache API failure is a miss, never an error. */
export async function cachedAnswer(entry: CacheEntry): Promise<Response | undefined> {
  try {
    return (await caches.default.match(entry.key)) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * A request's answer from the cache, when there is one: 304 when If-None-Match names its ETag, else the cached 200.
 * Either way the ETag, the GET caching headers and X-Splade-Cache are set on `c`.
 */
export async function answerFromCache(c: Context, entry: CacheEntry, settings: Settings): Promise<Response | undefined> {
  c.header("ETag", entry.etag);
  if (c.req.method === "GET") for (const [name, value] of Object.entries(clientCaching(settings))) c.header(name, value);
  const hit = c.req.header("If-None-Match")?.includes(entry.etag) ? "not-modified" : await cachedAnswer(entry);
  c.header("X-Splade-Cache", hit ? "hit" : "miss");
  if (hit === "not-modified") return c.body(null, 304);
  if (!hit) return undefined;
  for (const name of CACHED_HEADERS) c.header(name, hit.headers.get(name) ?? undefined);
  return c.body(await hit.arrayBuffer(), 200);
}

/** Stores the answer's body and CACHED_HEADERS after it is sent (waitUntil), for `ttl` seconds. */
export function storeAnswer(c: Context, entry: CacheEntry, response: Response, ttl: number): void {
  const headers = new Headers({ "Cache-Control": `public, max-age=${ttl}` });
  for (const name of CACHED_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const stored = new Response(response.clone().body, { status: response.status, headers });
  afterResponse(c, caches.default.put(entry.key, stored), "storing an answer in the cache");
}
