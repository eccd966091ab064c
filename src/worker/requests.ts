// How a route checks what it is sent, before the model is touched: a route module declares its request schemas (zod,
// the same ones GET /openapi.json describes) with these helpers, and every problem becomes a 422 whose message names
// the field and what it must be, e.g. "top_k must be a positive integer"; a POST body must first be declared and
// parse as JSON (415, 400).
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { ApiError } from "./errors";

/** A non-empty text: a query or an input. */
export const text = z
  .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
  .regex(/\S/, { error: "must not be empty or whitespace only" });

/** A number given in a query string, which carries it as text; a value that is no number stays text and fails the same way. */
export function fromQueryString<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v), schema);
}

/** An object of exactly these fields (`what` names one in the message: "field", "parameter"). */
export function fieldsOf<S extends z.core.$ZodLooseShape>(shape: S, what: string) {
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === "unrecognized_keys") {
        return `unknown ${what} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")} — valid: ${Object.keys(shape).join(", ")}`;
      }
      if (issue.code === "invalid_type") return `the request body must be a JSON object`;
      return undefined;
    },
  });
}

function describe(issue: z.core.$ZodIssue): string {
  const name = issue.path.reduce<string>((s, key) => (typeof key === "number" ? `${s}[${key}]` : s ? `${s}.${String(key)}` : String(key)), "");
  return name === "" ? issue.message : `${name} ${issue.message}`;
}

/** The routes' validation hook (OpenAPIHono's defaultHook): the first problem, named by its field, is the 422. */
export function refuseInvalid(result: { success: true } | { success: false; error: z.ZodError }): void {
  if (!result.success) throw new ApiError("validation", describe(result.error.issues[0]));
}

/**
 * 415 unless the body is declared `application/json` (parameters such as charset allowed), 400 unless it parses.
 * Hono's json validator would read any other type as `{}` and leave a malformed body to a bare HTTPException.
 */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const type = c.req.header("content-type") ?? "";
  if (type.split(";")[0].trim().toLowerCase() !== "application/json") {
    const got = type === "" ? "no Content-Type" : `Content-Type ${JSON.stringify(type)}`;
    throw new ApiError("unsupported_media_type", `send the body as JSON with Content-Type: application/json (got ${got})`);
  }
  try {
    await c.req.json();
  } catch (cause) {
    throw new ApiError("invalid_json", `the request body is not valid JSON: ${(cause as Error).message}`);
  }
  await next();
};
