// The real Worker in workerd on this machine, through `wrangler dev`, for the tests and the benchmarks. wrangler and its
// workerd run in a process group of their own, killed on stop(), on SIGINT/SIGTERM and on exit — and by WATCHDOG when
// this process dies without running any handler (tsx SIGKILLs its child when a signal is not acknowledged within 60 ms,
// as happens mid-inference).
//
// Busy machines (2 cores, other test files, another `wrangler dev`) are the normal case, so nothing here races:
// - Ports: wrangler binds port 0 for the server and its inspector and reports the server's in its "Ready on" line. A
//   port found free here and handed over could be taken before wrangler binds it, and the inspector's default (the
//   first free port from 9229, probed then bound) collides when two `wrangler dev` start together.
// - Connections: wrangler dev's proxy (workerd 1.20260426) closes a connection that has carried no request for 15 s,
//   or sat idle for 5 s after an answer (no Keep-Alive header says so); fetch's pool keeps an idle one for 4 s by its
//   own timer. A caller whose event loop stalls past the 5 s (PGlite's initdb stalled the engines test's 9–13 s on a
//   busy 2-core machine) reuses a connection the proxy has closed and gets "SocketError: other side closed", so
//   `WorkerServer.fetch` sends each request on a connection of its own. A stall past 15 s between connecting and
//   sending still loses the request: no request may be in flight while the caller blocks its event loop that long.
// - Network: none. No metrics (WRANGLER_SEND_METRICS), no update check (it runs from the banner: WRANGLER_HIDE_BANNER),
//   no download of the `Request.cf` object (NO_CF_DOWNLOAD).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureFixtureModels, FIXTURE_ROOT } from "../model/fixture.ts";

/** wrangler's own entry, run with this Node (no npx, no shell). */
export const WRANGLER = join("node_modules", "wrangler", "bin", "wrangler.js");
const READY_TIMEOUT_MS = 120_000;
/** Miniflare's line once wrangler's server listens (NO_COLOR), with the port it bound: whole, up to the line's end. */
const READY = /ready on (http:\/\/127\.0\.0\.1:\d+)\r?\n/i;

/** Leads the group: runs wrangler, and kills the whole group when its stdin (a pipe from this process) closes. */
const WATCHDOG = `
const child = require("node:child_process").spawn(process.execPath, process.argv.slice(1), { stdio: ["ignore", "inherit", "inherit"] });
child.on("exit", (code) => process.exit(code ?? 1));
process.on("SIGTERM", () => {});
process.stdin.on("end", () => process.kill(0, "SIGKILL")).resume();
`;

export interface WorkerServer {
  base: string;
  /** A request to `base` + `path` on a connection of its own, closed after the answer: never a pooled idle one. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Spawn to the first answer of /health: wrangler's build and workerd's start, not what a deployed Worker pays. */
  startupMs: number;
  stop(): Promise<void>;
}

/**
 * What every `wrangler dev` of ours runs with: no download of the `Request.cf` object (https://workers.cloudflare.com/cf.json,
 * which miniflare 4.20260426.0 fetches at every start and which the Worker never reads; offline, the failed download
 * printed two `getaddrinfo ENOTFOUND` stack traces before "Ready"). CLOUDFLARE_CF_FETCH_ENABLED=false is the switch
 * miniflare reads (its setupCf); it then uses its placeholder.
 */
export const NO_CF_DOWNLOAD = { CLOUDFLARE_CF_FETCH_ENABLED: "false" } as const;

/** The committed model/.assetsignore: what wrangler leaves out of model/, the Worker's assets in production. */
const ASSETS_IGNORE = fileURLToPath(new URL("../../model/.assetsignore", import.meta.url));

/**
 * `root`, made a folder the Worker can serve as its assets as it serves model/ (wrangler.toml): `root/query` a copy of
 * the converted query model folder `model`, and model/.assetsignore (without it wrangler would take a query model's
 * model.onnx, 42.8 MiB for BERT-mini's shape, and refuse it as over 25 MiB). The copy is made again when `model`'s
 * manifest.json differs from the copy's (a conversion writes its manifest last, with every file's sha256); `model` may
 * be `root/query` itself. A copy, not a link: Windows cannot make one without privileges. `root` by default:
 * test/.generated/assets/<model's folder name>.
 */
export async function assetsFolder(model: string, root = join(FIXTURE_ROOT, "assets", basename(resolve(model)))): Promise<string> {
  const target = join(root, "query");
  const manifest = await readFile(join(model, "manifest.json"));
  const current = async () => existsSync(join(target, "manifest.json")) && (await readFile(join(target, "manifest.json"))).equals(manifest);
  await mkdir(root, { recursive: true });
  const ignore = await readFile(ASSETS_IGNORE);
  const ignoreFile = join(root, ".assetsignore");
  // Written only when it differs: a `wrangler dev` serving `root` reloads on every change.
  if (!existsSync(ignoreFile) || !(await readFile(ignoreFile)).equals(ignore)) await writeFile(ignoreFile, ignore);
  // Copied beside `root`, then renamed into place whole, and a copy found current is never moved away: test files
  // start their `wrangler dev` on the same folder in parallel, and a `wrangler dev` watches its assets folder. Two
  // processes that find the same stale copy may collide once; the one that loses finds the winner's copy current, or
  // tries again.
  for (let attempt = 1; !(await current()); attempt++) {
    const staging = await mkdtemp(join(dirname(root), `.${basename(root)}-`));
    try {
      await cp(model, staging, { recursive: true });
      // mkdtemp makes it 0700; the copy is read as any other model folder.
      await chmod(staging, 0o755);
      if (await current()) break;
      if (existsSync(target)) await rename(target, `${staging}-stale`);
      await rename(staging, target);
    } catch (error) {
      if (attempt === 3) throw error;
    } finally {
      await rm(staging, { recursive: true, force: true });
      await rm(`${staging}-stale`, { recursive: true, force: true });
    }
  }
  return root;
}

/**
 * The generated query-sparse model (made or converted again first when needed; `onConvert` hears which) as an assets
 * folder: what `npm run demo` serves, and the tests that run `wrangler dev` on it.
 */
export async function demoAssets(onConvert?: (name: string) => void): Promise<string> {
  const { models } = await ensureFixtureModels(FIXTURE_ROOT, onConvert);
  return assetsFolder(models["query-sparse"]);
}

/** A port nothing on 127.0.0.1 listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A request on a connection of its own: `Connection: close` makes undici drop the socket once the answer is read. */
function fetchOwnConnection(url: string, init?: RequestInit): Promise<Response> {
  const headers = new Headers(init?.headers);
  headers.set("connection", "close");
  return fetch(url, { ...init, headers });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Starts `wrangler dev` serving the folder `assets` (laid out as model/: the query model in `query/`, a search index in
 * `index/`; assetsFolder makes one); resolves once /health answers. `config`: a wrangler config
 * other than the production wrangler.toml (the benchmarks' kernel Worker); `onOutput`: gets wrangler's output (the
 * Worker's log lines among it) as it comes; `inspectorPort`: where wrangler serves the isolate's V8 inspector (the
 * Chrome DevTools protocol at ws://127.0.0.1:PORT/ws).
 */
export async function startWorker(
  assets: string,
  options: { config?: string; vars?: Record<string, string>; onOutput?: (text: string) => void; inspectorPort?: number } = {},
): Promise<WorkerServer> {
  const started = performance.now();
  const config = options.config ? ["--config", options.config] : [];
  const vars = Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  const child = spawn(
    process.execPath,
    [
      "-e",
      WATCHDOG,
      WRANGLER,
      "dev",
      ...config,
      ...vars,
      "--ip",
      "127.0.0.1",
      "--port",
      "0",
      "--inspector-port",
      String(options.inspectorPort ?? 0),
      "--assets",
      assets,
    ],
    {
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", ...NO_CF_DOWNLOAD, NO_COLOR: "1" },
    },
  );
  let log = "";
  let base: string | undefined;
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
    options.onOutput?.(chunk.toString());
    base ??= READY.exec(log)?.[1];
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));

  const onExit = () => killGroup(child, "SIGKILL");
  const onSignal = (signal: NodeJS.Signals) => {
    killGroup(child, "SIGKILL");
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const stop = async () => {
    process.off("exit", onExit);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (alive) {
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    // Whatever outlived wrangler (workerd).
    killGroup(child, "SIGKILL");
    child.stdin!.destroy();
  };

  try {
    for (;;) {
      if (!alive) throw new Error(`wrangler dev exited before the Worker answered:\n${log}`);
      if (performance.now() - started > READY_TIMEOUT_MS) throw new Error(`the Worker did not answer /health within ${READY_TIMEOUT_MS / 1000} s:\n${log}`);
      if (base !== undefined) {
        try {
          // Bounded by the deadline: the proxy holds requests until the Worker is up, and would hold this one forever.
          const response = await fetchOwnConnection(`${base}/health`, {
            signal: AbortSignal.timeout(Math.ceil(READY_TIMEOUT_MS - (performance.now() - started))),
          });
          await response.arrayBuffer();
          if (response.ok) break;
        } catch {
          // The proxy is up but not serving yet.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const ready = base!;
  return { base: ready, fetch: (path, init) => fetchOwnConnection(`${ready}${path}`, init), startupMs: performance.now() - started, stop };
}
