// Requests to the Worker under test, through its real fetch entry point (`exports.default`), as a client sends them.
import { expect } from "vitest";
import { exports } from "cloudflare:workers";

const ORIGIN = "https://splade-edge.test";

export function get(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}${path}`, init);
}

export function post(path: string, body: string, contentType = "application/json"): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}${path}`, { method: "POST", headers: { "content-type": contentType }, body });
}

export function postJson(path: string, body: unknown): Promise<Response> {
  return post(path, JSON.stringify(body));
}

/** An error body, after checking it has exactly the two keys every error carries. */
export async function errorBody(response: Response): Promise<{ error: string; error_type: string }> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await response.json<{ error: string; error_type: string }>();
  expect(Object.keys(body).sort()).toEqual(["error", "error_type"]);
  return body;
}
