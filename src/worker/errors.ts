// Every error the Worker answers with, as one table of kinds → HTTP status (text-embeddings-inference's
// `ErrorType` → `StatusCode` in router/src/http/server.rs). Bodies are always `{"error", "error_type"}`.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const ERROR_STATUS = {
  invalid_json: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  /** More tokens in one request than SPLADE_MAX_BATCH_TOKENS allows. */
  too_many_tokens: 413,
  unsupported_media_type: 415,
  validation: 422,
  rate_limited: 429,
  internal: 500,
  model_unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorKind = keyof typeof ERROR_STATUS;

// TEI's wire spelling, for /embed_sparse only (index.ts renders it): text-embeddings-inference v1.9.3 answers an
// empty list with `{"error_type": "Empty"}` and 400, and an empty, too long (truncate: false) or one too many input
// with `{"error_type": "Validation"}` and 422 (router/src/lib.rs ErrorType, serialized by name; router/src/http/server.rs).
export const TEI_ERROR_STATUS = { Validation: 422, Empty: 400 } as const satisfies Record<string, ContentfulStatusCode>;

export type TeiErrorType = keyof typeof TEI_ERROR_STATUS;

/** A failure the caller can act on: its kind picks the status, its message is sent as is, with its headers. */
export class ApiError extends HTTPException {
  readonly headers: Record<string, string>;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(ERROR_STATUS[kind], { message, cause: options?.cause });
    this.headers = options?.headers ?? {};
  }
}

const ROUTE_RENDERED = new WeakSet<HTTPException>();

/** Ends a request with `res`, an error answer its route rendered in its own wire spelling (errorResponse sends it). */
export function renderedError(res: Response): HTTPException {
  const error = new HTTPException(res.status as ContentfulStatusCode, { res });
  ROUTE_RENDERED.add(error);
  return error;
}

// Hono throws its own HTTPExceptions only for client errors (e.g. bodyLimit, a malformed JSON body); they keep their
// status and take the kind listed for it.
function kindOf(error: HTTPException): ErrorKind {
  if (error instanceof ApiError) return error.kind;
  const kind = (Object.keys(ERROR_STATUS) as ErrorKind[]).find((k) => ERROR_STATUS[k] === error.status && k !== "too_many_tokens");
  return kind ?? "internal";
}

/** The JSON error response for `error`; anything that is not an HTTPException is logged and answered as a bare 500. */
export function errorResponse(c: Context, error: unknown): Response {
  // A route that rendered its own error (TEI's spelling on /embed_sparse) sends it as it is.
  if (error instanceof HTTPException && ROUTE_RENDERED.has(error)) return error.getResponse();
  if (error instanceof HTTPException) {
    const kind = kindOf(error);
    if (kind !== "internal") {
      c.set("errorType", kind);
      return c.json({ error: error.message, error_type: kind }, ERROR_STATUS[kind], error instanceof ApiError ? error.headers : {});
    }
  }
  // Messages and stacks of unexpected errors can name files and internals: they go to the log, never to the caller.
  console.error(error);
  c.set("errorType", "internal");
  return c.json({ error: "internal error", error_type: "internal" }, 500);
}
