// GET /openapi.json: a valid OpenAPI 3.1 document (checked by hyperjump's validator against the official OAS 3.1
// schemas, Schema Objects included) that describes exactly the routes the Worker serves, every query format and every
// error kind. Then each documented example request is sent to the Worker: it must get the documented status and
// content type, the documented headers marked required, a body the documented schema accepts, and for an error the
// documented body exactly.
import { registerSchema, unregisterSchema, validate } from "@hyperjump/json-schema/openapi-3-1";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORMATS, QUERY_FORMAT_NAMES } from "../../src/encoder/formats/index.ts";
import { ERROR_STATUS, type ErrorKind } from "../../src/worker/errors";
import app from "../../src/worker/index";
import { get, post } from "./http";

interface Example {
  summary: string;
  value: unknown;
}
interface Media {
  schema: unknown;
  examples?: Record<string, Example>;
}
interface Response {
  description: string;
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, Media>;
}
interface Parameter {
  name: string;
  in: string;
  schema: { enum?: string[]; "x-enumDescriptions"?: Record<string, string> };
  examples?: Record<string, Example>;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, Response>;
  security?: Array<Record<string, string[]>>;
}
interface Document {
  openapi: string;
  info: { description: string; "x-splade-model"?: unknown };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { properties?: { error_type?: { enum: string[] } } }>;
    responses: Record<string, Response>;
    securitySchemes: Record<string, { type: string; scheme: string; description: string }>;
  };
}

const DOC_URI = "https://splade-edge.test/openapi.json";
const OAS_3_1 = "https://spec.openapis.org/oas/3.1/schema-base";

// The examples are read at collection time, so that each one is its own test; the document does not depend on the
// request, and the one served through the Worker's entry point is compared with this one below.
const doc = await (await app.request("/openapi.json", {}, env)).json<Document>();

const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

/** The URI of a location in the document (a JSON pointer in the fragment). */
function at(...parts: string[]): string {
  return `${DOC_URI}#${parts.map((p) => `/${encodeURIComponent(p.replaceAll("~", "~0").replaceAll("/", "~1"))}`).join("")}`;
}

async function expectValid(schemaUri: string, value: unknown): Promise<void> {
  const output = await validate(schemaUri, value as never, "BASIC");
  expect(output, `${JSON.stringify(value).slice(0, 200)} against ${schemaUri}`).toEqual({ valid: true });
}

interface Exchange {
  label: string;
  method: string;
  path: string;
  /** A POST body, or query parameters. */
  body?: unknown;
  query?: Record<string, unknown>;
  status: string;
  type: string;
  response: Response;
  value?: unknown;
}

/** Every documented request example (or the bare request of an operation that takes none), with the answer of the same name. */
function exchanges(): Exchange[] {
  return operations.flatMap(({ path, method, op }) => {
    const bodies = op.requestBody?.content["application/json"]?.examples ?? {};
    const queries: Record<string, Record<string, unknown>> = {};
    for (const p of op.parameters ?? []) for (const [name, e] of Object.entries(p.examples ?? {})) (queries[name] ??= {})[p.name] = e.value;
    const names = [...Object.keys(bodies), ...Object.keys(queries)];
    if (names.length === 0) {
      const [type] = Object.keys(op.responses["200"].content ?? {});
      return [{ label: "(bare request)", method, path, status: "200", type, response: op.responses["200"] }];
    }
    return names.map((name) => {
      const answers = Object.entries(op.responses).flatMap(([status, response]) =>
        Object.entries(response.content ?? {})
          .filter(([, media]) => media.examples?.[name])
          .map(([type, media]) => ({ status, type, response, value: media.examples?.[name].value })),
      );
      if (answers.length !== 1) throw new Error(`${method} ${path}: example "${name}" has ${answers.length} answers of that name, not one`);
      return { label: name, method, path, body: bodies[name]?.value, query: queries[name], ...answers[0] };
    });
  });
}

function send(x: Exchange): Promise<globalThis.Response> {
  if (x.method === "post") return post(x.path, JSON.stringify(x.body));
  const query = new URLSearchParams(Object.entries(x.query ?? {}).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return get(query === "" ? x.path : `${x.path}?${query}`);
}

beforeAll(() => registerSchema(doc as never, DOC_URI, OAS_3_1));
afterAll(() => unregisterSchema(DOC_URI));

describe("the document", () => {
  it("is served at GET /openapi.json as JSON, the same through the Worker's entry point", async () => {
    const response = await get("/openapi.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual(doc);
  });

  it("is valid OpenAPI 3.1, and the validator refuses a broken copy", async () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(await validate(OAS_3_1, doc as never, "BASIC")).toEqual({ valid: true });
    const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>> };
    delete broken.paths["/health"].get.responses["200"].description;
    expect((await validate(OAS_3_1, broken as never)).valid).toBe(false);
  });

  it("says which model is served, its kind and its weights' licence (unknown: the generated model's manifest records none)", () => {
    const { info } = doc;
    expect(info["x-splade-model"]).toEqual({ name: "query", kind: "transformer", license: "unknown" });
    expect(info.description).toContain("This Worker serves query, a transformer query model (its weights' licence: unknown).");
  });

  it("documents exactly the routes the Worker serves", () => {
    const served = app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`);
    const documented = operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(new Set(documented)).toEqual(new Set(served));
    expect(documented.toSorted()).toEqual([
      "GET /",
      "GET /encode",
      "GET /health",
      "GET /info",
      "GET /openapi.json",
      "GET /search",
      "POST /embed_sparse",
      "POST /encode",
      "POST /search",
    ]);
  });

  it("lists every query format with its description, for POST and GET", () => {
    const post = doc.paths["/encode"].post.requestBody?.content["application/json"].schema as { properties: Record<string, Parameter["schema"]> };
    const getFormat = doc.paths["/encode"].get.parameters?.find((p) => p.name === "format")?.schema;
    for (const schema of [post.properties.format, getFormat]) {
      expect(schema?.enum).toEqual(QUERY_FORMAT_NAMES);
      expect(schema?.["x-enumDescriptions"]).toEqual(Object.fromEntries(QUERY_FORMAT_NAMES.map((n) => [n, FORMATS[n].query?.description])));
    }
    expect(Object.keys(post.properties)).toEqual(["query", "queries", "id", "ids", "top_k", "min_weight", "format", "field", "quantize"]);
    expect(doc.paths["/encode"].get.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(
      ["q", "id", "top_k", "min_weight", "format", "field", "quantize"].map((n) => `query:${n}`),
    );
  });

  it("answers each JSON format with its own schema, and the text formats as text/plain", () => {
    const content = doc.paths["/encode"].post.responses["200"].content ?? {};
    expect(Object.keys(content)).toEqual(["application/json", "text/plain; charset=utf-8"]);
    const answers = Object.keys(doc.components.schemas).filter((name) => name.endsWith("Answer"));
    const json = QUERY_FORMAT_NAMES.filter((n) => FORMATS[n].query?.kind === "json");
    expect(answers).toEqual(json.map((n) => `${n[0].toUpperCase()}${n.slice(1)}Answer`));
    const text = QUERY_FORMAT_NAMES.filter((n) => FORMATS[n].query?.kind === "text");
    expect(text).toEqual(["pgvector", "anserini", "pisa"]);
    expect((content["text/plain; charset=utf-8"].schema as { description: string }).description).toMatch(/^pgvector, anserini, pisa: /);
  });

  it("documents every error kind under its status as {error, error_type}, and 404/405 for any path", () => {
    const documented = new Map<string, Set<string>>();
    for (const { op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = response.content?.["application/json"]?.schema as { properties?: { error_type?: { enum: string[] } }; required?: string[] } | undefined;
        if (Number(status) < 400) continue;
        expect(schema?.required).toEqual(["error", "error_type"]);
        for (const kind of schema?.properties?.error_type?.enum ?? []) documented.set(kind, (documented.get(kind) ?? new Set()).add(status));
      }
    }
    for (const [kind, status] of Object.entries(ERROR_STATUS) as Array<[ErrorKind, number]>) {
      if (kind === "not_found" || kind === "method_not_allowed") continue;
      expect([...(documented.get(kind) ?? [])], kind).toContain(String(status));
    }
    expect(doc.components.schemas.Error.properties?.error_type?.enum).toEqual(Object.keys(ERROR_STATUS));
    expect(Object.keys(doc.components.responses)).toEqual(["NotFound", "MethodNotAllowed"]);
    expect(doc.components.responses.MethodNotAllowed.headers?.Allow?.required).toBe(true);
  });

  it("marks the bearer key optional (required only when SPLADE_API_KEYS is set) on every route but /health and /", () => {
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.bearerAuth.description).toMatch(/required when the SPLADE_API_KEYS secret is set/);
    for (const { method, path, op } of operations) {
      const open = path === "/health" || path === "/";
      expect(op.security, `${method} ${path}`).toEqual(open ? undefined : [{}, { bearerAuth: [] }]);
    }
  });

  it("documents 401 with WWW-Authenticate on the keyed routes and 429 with Retry-After on the ones that run the model, as errors.ts gives them", () => {
    const has = (status: number) => Object.values(ERROR_STATUS).includes(status as never);
    for (const { method, path, op } of operations) {
      const keyed = path !== "/health" && path !== "/";
      const limited = path === "/encode" || path === "/embed_sparse" || path === "/search";
      expect(op.responses["401"] !== undefined, `${method} ${path} 401`).toBe(keyed && has(401));
      expect(op.responses["429"] !== undefined, `${method} ${path} 429`).toBe(limited && has(429));
      expect(op.responses["401"]?.headers?.["WWW-Authenticate"]?.required ?? true).toBe(true);
      expect(op.responses["429"]?.headers?.["Retry-After"]?.required ?? true).toBe(true);
    }
  });

  it("gives every route example requests", () => {
    const examples = exchanges();
    for (const { method, path } of operations)
      expect(
        examples.some((x) => x.method === method && x.path === path),
        `${method} ${path}`,
      ).toBe(true);
    for (const status of ["200", "422"]) {
      for (const path of ["/encode", "/embed_sparse"])
        expect(
          examples.some((x) => x.path === path && x.status === status),
          `${path} ${status}`,
        ).toBe(true);
    }
  });

  it("has examples its own schemas accept: every answer, and every request that succeeds", async () => {
    for (const { path, method, op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          for (const e of Object.values(media.examples ?? {}))
            await expectValid(at("paths", path, method, "responses", status, "content", type, "schema"), e.value);
        }
      }
    }
    for (const x of exchanges().filter((x) => x.status === "200")) {
      if (x.body !== undefined) await expectValid(at("paths", x.path, x.method, "requestBody", "content", "application/json", "schema"), x.body);
      const parameters = doc.paths[x.path][x.method].parameters ?? [];
      for (const [name, value] of Object.entries(x.query ?? {}))
        await expectValid(at("paths", x.path, x.method, "parameters", String(parameters.findIndex((p) => p.name === name)), "schema"), value);
    }
  });
});

describe("each documented example, sent to the Worker", () => {
  it.each(exchanges().map((x) => [`${x.method.toUpperCase()} ${x.path} ${x.label} → ${x.status} ${x.type}`, x] as const))("%s", async (_, x) => {
    const response = await send(x);
    expect(response.status).toBe(Number(x.status));
    expect(response.headers.get("content-type")).toBe(x.type);
    for (const [name, h] of Object.entries(x.response.headers ?? {})) if (h.required) expect(response.headers.get(name), name).not.toBeNull();
    const body = x.type === "application/json" ? await response.json() : await response.text();
    if (x.status !== "200") {
      expect(body).toEqual(x.value);
      return;
    }
    await expectValid(at("paths", x.path, x.method, "responses", x.status, "content", x.type, "schema"), body);
    // The schema of an /encode answer admits every format; each must also fit its own format's.
    const format = ((x.body ?? x.query) as { format?: string } | undefined)?.format ?? "terms";
    if (x.path === "/encode" && x.type === "application/json") {
      for (const answer of Array.isArray(body) ? body : [body])
        await expectValid(at("components", "schemas", `${format[0].toUpperCase()}${format.slice(1)}Answer`), answer);
    }
  });
});
