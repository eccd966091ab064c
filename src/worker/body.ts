// Request bodies, read whole before anything answers. An answer sent before the body is read (a 401, a 413, a 415)
// leaves the client's connection stuck under `wrangler dev`: its proxy waits for the unread bytes, and the next
// request on that connection hangs (measured: /health after a chunked 100 KB body got no answer in 20 s). So every
// body is read here first — up to the limit kept, then discarded up to DRAIN_BYTES so the connection stays reusable;
// past that the stream is cancelled and the answer says `Connection: close`.
//
// The bytes kept go to Hono's body cache as text, which c.req.json() and the validators read: rebuilding the Request
// around them (the obvious way to hand them on) copied its headers and made a new stream on every request with a body.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors";

/** Bytes read and thrown away after the limit, so an early answer keeps the connection reusable. */
const DRAIN_BYTES = 1024 * 1024;

// As Request.text() decodes: UTF-8, a byte order mark dropped, malformed bytes replaced.
const utf8 = new TextDecoder();

export function readBody(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return next();
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    let drained = true;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size <= maxBytes) chunks.push(value);
      else if (size > maxBytes + DRAIN_BYTES) {
        await reader.cancel();
        drained = false;
        break;
      }
    }
    if (size > maxBytes) {
      if (!drained) c.header("Connection", "close");
      throw new ApiError("payload_too_large", `the request body is over ${maxBytes / 1024} KiB — send fewer or shorter queries`);
    }
    // Hono 4.13.19 keeps promises there (request.js #cachedBody stores raw.text()'s), though its type names the value.
    c.req.bodyCache.text = Promise.resolve(utf8.decode(chunks.length === 1 ? chunks[0] : concat(chunks, size))) as unknown as string;
    await next();
  };
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
