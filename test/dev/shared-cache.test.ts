// The caches between the Worker and its clients, for real: Debian's nginx as a shared cache (`proxy_cache`, as a
// proxy or CDN in front of the Worker keeps answers) in front of the real Worker under `wrangler dev`. An answer to a
// request with an API key must never reach a client without one; an open deployment's answers may be reused. Then the
// Worker's own cache across a restart: `wrangler dev` keeps the Cache API in .wrangler/state, and answers of the code
// that ran before must not be served by the code that runs now.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoAssets, freePort, startWorker, type WorkerServer } from "../../src/node/wrangler-dev.ts";

const NGINX = "/usr/sbin/nginx";
const ASSETS = await demoAssets();
const KEY = "shared-cache-test-key";
// Unique per run: the Worker's Cache API in .wrangler/state outlives the run.
const RUN = randomUUID().slice(0, 8);

/**
 * A stock proxy_cache in front of each upstream: one server per upstream on its own port, answers kept per URL (nginx's
 * default key, $scheme$proxy_host$request_uri) as the upstream's Cache-Control allows, X-Proxy-Cache telling HIT from
 * MISS. Every path nginx writes is in `dir`; one process, as the current user.
 */
function nginxConfig(dir: string, servers: Array<{ port: number; upstream: string }>): string {
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${join(dir, t)};`).join("\n");
  const blocks = servers.map(
    ({ port, upstream }) => `  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass ${upstream};
      proxy_http_version 1.1;
      proxy_cache answers;
      add_header X-Proxy-Cache $upstream_cache_status always;
    }
  }`,
  );
  return `pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")};
events {}
http {
  access_log off;
${temp}
  proxy_cache_path ${join(dir, "cache")} keys_zone=answers:1m;
${blocks.join("\n")}
}
`;
}

let dir: string;
let nginx: ChildProcess | undefined;
let keyed: WorkerServer | undefined;
let open: WorkerServer | undefined;
let keyedProxy: string;
let openProxy: string;

beforeAll(async () => {
  if (!existsSync(NGINX)) {
    throw new Error(
      `${NGINX} is missing: this test puts Debian's nginx in front of the Worker as a shared cache — install it (as root): apt-get update && apt-get install -y --no-install-recommends nginx-light`,
    );
  }
  // One after the other: two wrangler dev starting at once can pick the same inspector port.
  keyed = await startWorker(ASSETS, { vars: { SPLADE_API_KEYS: KEY } });
  open = await startWorker(ASSETS);
  dir = mkdtempSync(join(tmpdir(), "splade-edge-nginx-"));
  const [keyedPort, openPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, "nginx.conf"),
    nginxConfig(dir, [
      { port: keyedPort, upstream: keyed.base },
      { port: openPort, upstream: open.base },
    ]),
  );
  keyedProxy = `http://127.0.0.1:${keyedPort}`;
  openProxy = `http://127.0.0.1:${openPort}`;
  // -e: nginx opens its error log before it reads the config; master_process off: no worker dropping to another user.
  nginx = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log"), "-g", "daemon off; master_process off;"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  nginx.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((done) => nginx?.once("exit", () => done()));
  for (;;) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited ${nginx.exitCode}: ${stderr}${readFileSync(join(dir, "error.log"), "utf8")}`);
    const answered = await Promise.race([
      fetch(`${openProxy}/health`).then(
        () => true,
        () => false,
      ),
      exited.then(() => false),
    ]);
    if (answered) break;
    await new Promise((done) => setTimeout(done, 25));
  }
}, 180_000);

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((done) => nginx?.once("exit", done));
    nginx.kill("SIGTERM");
    await exited;
  }
  await Promise.all([keyed?.stop(), open?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const withKey = { headers: { Authorization: `Bearer ${KEY}` } };

describe("nginx proxy_cache in front of the Worker", () => {
  it("never gives a keyed answer to a client without a key", async () => {
    const path = `/encode?q=${RUN}+keyed+answer&top_k=3`;
    const keyedAnswers: Array<{ status: number; cacheControl: string | null; proxy: string | null }> = [];
    for (let i = 0; i < 2; i++) {
      const answer = await fetch(`${keyedProxy}${path}`, withKey);
      await answer.arrayBuffer();
      keyedAnswers.push({ status: answer.status, cacheControl: answer.headers.get("Cache-Control"), proxy: answer.headers.get("X-Proxy-Cache") });
    }
    const keyless = await fetch(`${keyedProxy}${path}`);
    expect(keyless.headers.get("X-Proxy-Cache")).toBe("MISS");
    expect(keyless.status).toBe(401);
    expect(await keyless.json()).toEqual({ error: "this endpoint needs an API key: send Authorization: Bearer KEY", error_type: "unauthorized" });
    expect(keyedAnswers).toEqual(Array(2).fill({ status: 200, cacheControl: "private, max-age=3600", proxy: "MISS" }));
  });

  it("reuses an open deployment's answer", async () => {
    const path = `/encode?q=${RUN}+open+answer&top_k=3`;
    const first = await fetch(`${openProxy}${path}`);
    expect(first.status).toBe(200);
    expect(first.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(first.headers.get("X-Proxy-Cache")).toBe("MISS");
    // Read whole first: nginx keeps an answer once it has all of it (a request meanwhile is another MISS).
    const body = await first.text();
    const again = await fetch(`${openProxy}${path}`);
    expect(again.headers.get("X-Proxy-Cache")).toBe("HIT");
    expect(await again.text()).toBe(body);
  });
});

describe("the Worker's own cache across a restart of wrangler dev", () => {
  it("does not serve answers the code that ran before rendered", async () => {
    const path = `/encode?q=${RUN}+before+the+restart&top_k=3`;
    const before = await fetch(`${open?.base}${path}`);
    expect(before.status).toBe(200);
    await before.arrayBuffer();
    // Stored after the answer is sent (waitUntil): asked again until it comes from the cache.
    let cached = "miss";
    for (let i = 0; i < 200 && cached !== "hit"; i++) {
      const again = await fetch(`${open?.base}${path}`);
      await again.arrayBuffer();
      cached = again.headers.get("X-Splade-Cache") ?? "none";
      if (cached !== "hit") await new Promise((done) => setTimeout(done, 25));
    }
    expect(cached).toBe("hit");

    await open?.stop();
    open = await startWorker(ASSETS);
    const after = await open.fetch(path, { headers: { "If-None-Match": before.headers.get("ETag") as string } });
    expect(after.status).toBe(200);
    expect(after.headers.get("X-Splade-Cache")).toBe("miss");
    expect(after.headers.get("ETag")).not.toBe(before.headers.get("ETag"));
  });
});
