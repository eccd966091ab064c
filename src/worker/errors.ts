// Every error the Worker answers with, mapped to its HTTP status in one place (text-embeddings-inference's
// `ErrorType` → `StatusCode` in router/src/http/server.rs; the CLIs' exit codes are src/cli/exit-codes.ts): the
// Worker's own kinds, TEI's spelling on /embed_sparse, and kind by kind the domain errors of the code below the Worker,
// so a kind added to a domain's union does not compile until it has its answer here. Bodies are always
// `{"error", "error_type"}`; anything else thrown is a bug, logged and answered 500 `internal`.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { FormatError, type FormatErrorKind } from "../encoder/formats/index.ts";
import { KernelWeightsError, type KernelErrorKind } from "../kernel/encoder-kernel.ts";
import { KindedError } from "../kinded-error.ts";

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
  /** No search index is deployed, or it does not pair with the served query model (/search). */
  index_unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorKind = keyof typeof ERROR_STATUS;

// TEI's wire spelling, for /embed_sparse only: text-embeddings-inference v1.9.3 answers an empty list with
// `{"error_type": "Empty"}` and 400, and an empty, too long (truncate: false) or one too many input with
// `{"error_type": "Validation"}` and 422 (router/src/lib.rs ErrorType, serialized by name; router/src/http/server.rs).
export const TEI_ERROR_STATUS = { Validation: 422, Empty: 400 } as const satisfies Record<string, ContentfulStatusCode>;

export type TeiErrorType = keyof typeof TEI_ERROR_STATUS;

/** What the domain errors below the Worker answer as, kind by kind. */
const DOMAIN_KINDS = {
  // What the engine would refuse: the options and ids are checked with the request, but an engine's limit on
  // non-zero terms or an empty vector shows only once encoded, and is the caller's to change (top_k, min_weight).
  format: { request: "validation", empty: "validation", too_many_terms: "validation", weight_cap: "validation" },
  // encoder.bin does not fit the kernel: the model must be converted again (the message says so).
  kernel: { weights: "model_unavailable" },
} as const satisfies { format: Record<FormatErrorKind, ErrorKind>; kernel: Record<KernelErrorKind, ErrorKind> };

/** A failure the caller can act on: its kind picks the status, its message is sent as is, with its headers. */
export class ApiError extends KindedError<ErrorKind> {
  readonly headers: Record<string, string>;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(kind, message, { cause: options?.cause });
    this.headers = options?.headers ?? {};
  }
}

/** A failure /embed_sparse answers in TEI's own spelling: TEI's `error_type`, with TEI's status. */
export class TeiError extends KindedError<TeiErrorType> {}

interface Answer {
  type: ErrorKind | TeiErrorType;
  status: ContentfulStatusCode;
  headers?: Record<string, string>;
}

// Hono throws its own HTTPExceptions only for client errors (a malformed JSON body its validator reads); they keep
// their status and take the first kind listed for it.
function kindOfStatus(status: number): ErrorKind {
  return (Object.keys(ERROR_STATUS) as ErrorKind[]).find((k) => ERROR_STATUS[k] === status) ?? "internal";
}

function answerOf(error: unknown): Answer | undefined {
  if (error instanceof ApiError) return { type: error.kind, status: ERROR_STATUS[error.kind], headers: error.headers };
  if (error instanceof TeiError) return { type: error.kind, status: TEI_ERROR_STATUS[error.kind] };
  let kind: ErrorKind | undefined;
  if (error instanceof FormatError) kind = DOMAIN_KINDS.format[error.kind];
  else if (error instanceof KernelWeightsError) kind = DOMAIN_KINDS.kernel[error.kind];
  else if (error instanceof HTTPException) kind = kindOfStatus(error.status);
  return kind === undefined || kind === "internal" ? undefined : { type: kind, status: ERROR_STATUS[kind] };
}

/** The JSON error response for `error`; anything not in the table above is logged and answered as a bare 500. */
export function errorResponse(c: Context, error: unknown): Response {
  const answer = answerOf(error);
  if (answer) {
    c.set("errorType", answer.type);
    return c.json({ error: (error as Error).message, error_type: answer.type }, answer.status, answer.headers);
  }
  // Messages and stacks of unexpected errors can name files and internals: they go to the log, never to the caller.
  console.error(error);
  c.set("errorType", "internal");
  return c.json({ error: "internal error", error_type: "internal" }, 500);
}
