// Identical requests answered from the Cache API. The key is the served model's sha256 plus the normalized request
// (the parsed, validated request: field order, defaults and GET/POST spelling do not matter), so a new model never
// serves old vectors. Answers are deterministic (exact kernel), so a cached one is byte for byte what a miss returns.
//
// Cloudflare's Cache API is per data center and does nothing on *.workers.dev hostnames: deployed on workers.dev every
// request is a miss; on a custom domain, repeats within a location hit.
import type { Context } from "hono";
import { afterResponse } from "./after-response";
import type { EncodeRequest } from "./requests";

const KEY_ORIGIN = "https://cache.splade-edge.internal";

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The request in one canonical spelling: every field in a fixed order, defaults settled. */
function canonical(request: EncodeRequest): string {
  const { texts, ids, single, topK, minWeight, format, options } = request;
  return JSON.stringify([texts, ids, single, topK ?? null, minWeight ?? null, format, options.field ?? null, options.quantize ?? null]);
}

export interface CacheEntry {
  key: Request;
  /** Strong ETag of the answer: the same model and request always give the same bytes. */
  etag: string;
}

export async function cacheEntry(model: string, request: EncodeRequest): Promise<CacheEntry> {
  const digest = await sha256Hex(`${model}\n${canonical(request)}`);
  return { key: new Request(`${KEY_ORIGIN}/encode/${digest}`), etag: `"${digest.slice(0, 32)}"` };
}

/** The cached answer, or undefined; a Cache API failure is a miss, never an error. */
export async function cachedAnswer(entry: CacheEntry): Promise<Response | undefined> {
  try {
    return (await caches.default.match(entry.key)) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Stores the answer after it is sent (waitUntil), for `ttl` seconds. */
export function storeAnswer(c: Context, entry: CacheEntry, response: Response, ttl: number): void {
  const stored = new Response(response.clone().body, response);
  stored.headers.set("Cache-Control", `public, max-age=${ttl}`);
  stored.headers.delete("Server-Timing");
  afterResponse(c, caches.default.put(entry.key, stored), "storing an answer in the cache");
}
