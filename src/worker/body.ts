// Request bodies, read to their end before anything answers. Under `wrangler dev` (4.86.0) every request passes
// through wrangler's ProxyWorker, which forwards the client's body to the Worker as a subrequest and hands the client
// the Worker's answer as soon as it comes. workerd refuses to read a request body once its answer is sent ("Can't read
// from request stream after response has been sent"), so an answer given before the body is read whole breaks that
// forwarding: a short unread rest left the client's keep-alive connection hanging (measured: /health after a chunked
// 100 KB body got no answer in 20 s); a long one (a 1.2 MB body answered 413 after 1.06 MB, the rest cancelled or
// merely left unread: measured both) left the connection between the proxy and the Worker broken, the next request
// failed with "Network connection lost", the ProxyWorker reported it and wrangler exited. So every body is read here to its end, whatever its length — only
// the first maxBytes are kept — and a 413 comes after the last byte, on a connection that stays reusable. Deployed,
// Cloudflare answers bodies over the plan's limit itself (100 MB on Free and Pro) before the Worker runs.
//
// A body that cannot be read to its end means the client is gone (workerd: "Network connection lost."). Nobody can
// read an answer then: the request ends with a bodyless 499 (nginx's "client closed request") so the request log
// still writes its one line — an answer with a body made workerd report an uncaught "Network connection lost" when
// writing it to the closed connection.
//
// The bytes kept go to Hono's body cache as text, which c.req.json() and the validators read: rebuilding the Request
// around them (the obvious way to hand them on) copied its headers and made a new stream on every request with a body.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors";
import type { LogVariables } from "./log";

/** What the log line says of a request whose client left before its body arrived whole. */
const CLIENT_CLOSED = { status: 499, errorType: "client_closed" } as const;

// As Request.text() decodes: UTF-8, a byte order mark dropped, malformed bytes replaced.
const utf8 = new TextDecoder();

export function readBody(maxBytes: number): MiddlewareHandler<{ Variables: LogVariables }> {
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return next();
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch {
        c.set("errorType", CLIENT_CLOSED.errorType);
        // Not c.body(): Hono's status type has no 499.
        return new Response(null, { status: CLIENT_CLOSED.status });
      }
      if (read.done) break;
      size += read.value.byteLength;
      if (size <= maxBytes) chunks.push(read.value);
    }
    if (size > maxBytes) {
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
