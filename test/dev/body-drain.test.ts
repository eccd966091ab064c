// `wrangler dev`, the server `npm start` users talk to: an answer given before the body is read (413, 415, 404)
// must leave the connection reusable and the server answering. Before the Worker read every body first, the next
// request on the same keep-alive connection got no answer for minutes; while it cancelled bodies over 64 KiB + 1 MiB,
// the request after such a 413 got a 500 with Miniflare's stack trace and wrangler exited. The requests here are real
// HTTP; node:net sends the exact bytes of a client that leaves mid-body. The Worker's log lines are read from
// wrangler's output.
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoAssets, startWorker, type WorkerServer } from "../../src/node/wrangler-dev.ts";

let server: WorkerServer;
let output = "";
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
beforeAll(async () => {
  server = await startWorker(await demoAssets(), { onOutput: (text) => (output += text) });
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

interface Body {
  size: number;
  type: string;
  /** "chunked" (Transfer-Encoding) or "length" (Content-Length, as curl --data-binary sends it). */
  framing: "chunked" | "length";
}

/** A request on the shared one-socket agent, with a body of `size` spaces when given. Gives up after 15 s. */
function request(method: string, path: string, body?: Body): Promise<Answer> {
  const url = new URL(server.base);
  return new Promise((done, fail) => {
    const headers: Record<string, string | number> = {};
    if (body) {
      headers["content-type"] = body.type;
      if (body.framing === "chunked") headers["transfer-encoding"] = "chunked";
      else headers["content-length"] = body.size;
    }
    const req = http.request({ host: url.hostname, port: url.port, path, method, headers, agent }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => done({ status: res.statusCode ?? 0, body: text, socket: req.socket }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer to ${method} ${path} within 15 s`)));
    req.on("error", fail);
    if (!body) return void req.end();
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const write = (): void => {
      while (sent < body.size) {
        const part = chunk.subarray(0, Math.min(chunk.length, body.size - sent));
        sent += part.length;
        if (!req.write(part)) return void req.once("drain", write);
      }
      req.end();
    };
    write();
  });
}

/** The Worker's request log lines (src/worker/log.ts) in wrangler's output between `from` and `to`. */
function logLines(from: number, to = output.length): Record<string, unknown>[] {
  return output
    .slice(from, to)
    .split("\n")
    .filter((line) => line.startsWith('{"method":'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

let marks = 0;

/**
 * Sends GET /mark-N (a 404) and waits for its log line; gives where that line starts and where the output after it
 * starts. The isolate writes its lines in order, each before its answer leaves: a request answered before the mark
 * logged before it, one sent after it logs after it.
 */
async function mark(): Promise<{ before: number; after: number }> {
  const path = `/mark-${++marks}`;
  await (await fetch(`${server.base}${path}`)).arrayBuffer();
  const at = () => output.lastIndexOf("\n", output.indexOf(`"path":"${path}"`)) + 1;
  await expect.poll(() => output.includes(`"path":"${path}"`), { timeout: 10_000 }).toBe(true);
  return { before: at(), after: output.indexOf("\n", at()) + 1 };
}

/** What the requests `work` sends write to wrangler's output, its log lines apart: all between a mark before and after it. */
async function outputOf(work: (from: number) => Promise<void>): Promise<{ lines: Record<string, unknown>[]; text: string }> {
  const { after: from } = await mark();
  await work(from);
  const { before: to } = await mark();
  return { lines: logLines(from, to), text: output.slice(from, to) };
}

describe("early answers under wrangler dev", () => {
  it.each([
    { what: "413 for a chunked 100 KB JSON body", path: "/encode", type: "application/json", size: 100_000, framing: "chunked", status: 413 },
    { what: "415 for a 30 KB text body", path: "/encode", type: "text/plain", size: 30_000, framing: "chunked", status: 415 },
    { what: "404 for a body sent to no route", path: "/nowhere", type: "application/json", size: 30_000, framing: "chunked", status: 404 },
    // Over 64 KiB + 1 MiB: the size past which the Worker used to cancel the body.
    { what: "413 for a 1.2 MB body with Content-Length", path: "/embed_sparse", type: "application/json", size: 1_200_000, framing: "length", status: 413 },
    { what: "413 for a chunked 8 MB body", path: "/encode", type: "application/json", size: 8_000_000, framing: "chunked", status: 413 },
  ] as const)("$what, then /health answers on the same connection", async ({ path, type, size, framing, status }) => {
    const early = await request("POST", path, { size, type, framing });
    expect(early.status).toBe(status);
    expect(JSON.parse(early.body)).toHaveProperty("error_type");
    const health = await request("GET", "/health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: "ok" });
  });

  it("keeps answering after a 413 for a 1.2 MB body: POST / gets its 405, on a new connection, with one log line each", async () => {
    const { lines } = await outputOf(async () => {
      const early = await request("POST", "/embed_sparse", { size: 1_200_000, type: "application/json", framing: "length" });
      expect(early.status).toBe(413);
      const next = await fetch(`${server.base}/`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(next.status).toBe(405);
      expect(await next.json()).toMatchObject({ error_type: "method_not_allowed" });
      const health = await fetch(`${server.base}/health`);
      expect(health.status).toBe(200);
      await health.arrayBuffer();
    });
    expect(lines.map(({ method, path, status }) => [method, path, status])).toEqual([
      ["POST", "/embed_sparse", 413],
      ["POST", "/", 405],
      ["GET", "/health", 200],
    ]);
  });
});

describe("a client that leaves mid-body", () => {
  it("is one log line (499, client_closed), no uncaught error, and the server keeps answering", async () => {
    const url = new URL(server.base);
    const { lines, text } = await outputOf(async (from) => {
      const socket = net.connect(Number(url.port), url.hostname);
      await new Promise<void>((done, fail) => socket.once("connect", done).once("error", fail));
      // Content-Length 100, then 13 bytes: the Worker is left waiting for the other 87.
      socket.write('POST /encode HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":"a"}');
      // A request answered after those bytes were sent: by then wrangler has handed the first one to the Worker.
      await (await fetch(`${server.base}/health`)).arrayBuffer();
      socket.destroy();
      await expect.poll(() => logLines(from).some((line) => line.path === "/encode"), { timeout: 10_000 }).toBe(true);
      const health = await fetch(`${server.base}/health`);
      expect(health.status).toBe(200);
      await health.arrayBuffer();
    });
    expect(lines.filter((line) => line.path === "/encode")).toEqual([expect.objectContaining({ method: "POST", status: 499, error_type: "client_closed" })]);
    expect(lines.filter((line) => line.path === "/health")).toHaveLength(2);
    expect(text).not.toMatch(/Uncaught|\[ERROR\]/);
  });
});
