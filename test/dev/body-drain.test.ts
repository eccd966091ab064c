// `wrangler dev`, the server `npm start` users talk to: an answer given before the body is read (413, 415, 404)
// must leave the connection reusable. Before the Worker read every body first, the next request on the same
// keep-alive connection got no answer for minutes. The requests here are real HTTP on one socket.
import http from "node:http";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerServer } from "../../src/node/wrangler-dev.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";

let server: WorkerServer;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
beforeAll(async () => {
  server = await startWorker(resolve(FIXTURE_ROOT, "model", "query-sparse"));
}, 120_000);
afterAll(async () => {
  agent.destroy();
  await server?.stop();
});

interface Answer {
  status: number;
  body: string;
  socket: unknown;
}

/** A request on the shared one-socket agent; a chunked body of `size` bytes when given. Gives up after 15 s. */
function request(method: string, path: string, body?: { size: number; type: string }): Promise<Answer> {
  const url = new URL(server.base);
  return new Promise((done, fail) => {
    const headers: Record<string, string> = body ? { "content-type": body.type, "transfer-encoding": "chunked" } : {};
    const req = http.request({ host: url.hostname, port: url.port, path, method, headers, agent }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => done({ status: res.statusCode ?? 0, body: text, socket: req.socket }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer to ${method} ${path} within 15 s`)));
    req.on("error", fail);
    if (!body) return void req.end();
    const chunk = Buffer.alloc(4096, 0x20);
    let sent = 0;
    const write = (): void => {
      while (sent < body.size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", write);
      }
      req.end();
    };
    write();
  });
}

describe("early answers under wrangler dev", () => {
  it.each([
    { what: "413 for a chunked 100 KB JSON body", method: "POST", path: "/encode", type: "application/json", size: 100_000, status: 413 },
    { what: "415 for a 30 KB text body", method: "POST", path: "/encode", type: "text/plain", size: 30_000, status: 415 },
    { what: "404 for a body sent to no route", method: "POST", path: "/nowhere", type: "application/json", size: 30_000, status: 404 },
  ])("$what, then /health answers on the same connection", async ({ method, path, type, size, status }) => {
    const early = await request(method, path, { size, type });
    expect(early.status).toBe(status);
    expect(JSON.parse(early.body)).toHaveProperty("error_type");
    const health = await request("GET", "/health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: "ok" });
  });
});
