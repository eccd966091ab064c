// src/node/wrangler-dev.ts as the tests and benchmarks use it, on a machine where other `wrangler dev` start at the same
// time and a test's event loop stalls for seconds (PGlite's initdb in test/engines stalled it 9 s on a busy 2-core
// machine). Each server is the real `wrangler dev` with the generated sparse query model.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoAssets, startWorker, type WorkerServer } from "../../src/node/wrangler-dev.ts";

const ASSETS = await demoAssets();
const NO_NETWORK = pathToFileURL(resolve(import.meta.dirname, "../support/no-network.mjs")).href;
/** wrangler dev's proxy closes a keep-alive connection idle this long (measured: 5.0 s, workerd 1.20260426). */
const PROXY_IDLE_CLOSE_MS = 5_000;

const work = mkdtempSync(join(tmpdir(), "splade-wrangler-dev-"));
const netLog = join(work, "net.log");
/** Started with every Node process of wrangler's under the network guard. */
let guarded: WorkerServer | undefined;

beforeAll(async () => {
  // As a user's shell starts it: no NODE_ENV=test (Miniflare skips its `Request.cf` download under it) and a temporary
  // folder without wrangler's update-check cache (an answer from the last hour is not asked again).
  const saved = {
    NODE_OPTIONS: process.env.NODE_OPTIONS,
    NET_GUARD_LOG: process.env.NET_GUARD_LOG,
    TMPDIR: process.env.TMPDIR,
    NODE_ENV: process.env.NODE_ENV,
  };
  Object.assign(process.env, { NODE_OPTIONS: `${saved.NODE_OPTIONS ?? ""} --import ${NO_NETWORK}`.trim(), NET_GUARD_LOG: netLog, TMPDIR: work });
  delete process.env.NODE_ENV;
  try {
    guarded = await startWorker(ASSETS);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}, 120_000);
afterAll(async () => {
  await guarded?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Blocks this process's event loop, as a long synchronous WebAssembly call does. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe("startWorker", () => {
  // Before, wrangler probed for a free inspector port from 9229 and bound it later: of three started together, two
  // exited with "Address already in use (127.0.0.1:9229)".
  it("starts three servers at once, each answering on its own port", async () => {
    const started = await Promise.allSettled([0, 1, 2].map(() => startWorker(ASSETS)));
    const servers = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    try {
      expect(started.map((result) => (result.status === "rejected" ? String(result.reason) : "started"))).toEqual(["started", "started", "started"]);
      expect(new Set(servers.map((server) => server.base)).size).toBe(3);
      for (const server of servers) {
        const response = await server.fetch("/health");
        expect(response.status).toBe(200);
        await response.arrayBuffer();
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  }, 240_000);

  // Before, the tests sent requests on fetch's keep-alive pool: after a stall longer than the proxy's idle timeout the
  // next request went out on a connection the proxy had closed, and failed with "SocketError: other side closed".
  it("answers a request sent after this process stalled past the proxy's idle timeout", async () => {
    const first = await guarded!.fetch("/encode?q=red+planet&format=ids");
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    stall(PROXY_IDLE_CLOSE_MS + 1_000);
    const second = await guarded!.fetch("/encode?q=red+planet&format=ids");
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ indices: expect.any(Array), values: expect.any(Array) });
  });

  // Before, wrangler asked registry.npmjs.org for a newer version (its banner) and workers.cloudflare.com for the
  // `Request.cf` object, printing ENOTFOUND stack traces offline.
  it("tries no network beyond loopback while starting and serving", async () => {
    const answer = await guarded!.fetch("/encode?q=red+planet");
    expect(answer.status).toBe(200);
    await answer.arrayBuffer();
    const log = readFileSync(netLog, "utf8").trim().split("\n");
    expect(log.some((line) => /^guarding \d+ .*wrangler-dist[/\\]cli\.js$/.test(line))).toBe(true);
    expect(log.filter((line) => !line.startsWith("guarding "))).toEqual([]);
  });
});
