// The real Worker in workerd on this machine, through `wrangler dev` on a free local port, for the tests and the
// benchmarks. wrangler and its workerd run in a process group of their own, killed on stop(), on SIGINT/SIGTERM and on
// exit — and by WATCHDOG when this process dies without running any handler (tsx SIGKILLs its child when a signal is
// not acknowledged within 60 ms, as happens mid-inference).
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

/** wrangler's own entry, run with this Node (no npx, no shell). */
export const WRANGLER = join("node_modules", "wrangler", "bin", "wrangler.js");
const READY_TIMEOUT_MS = 120_000;

/** Leads the group: runs wrangler, and kills the whole group when its stdin (a pipe from this process) closes. */
const WATCHDOG = `
const child = require("node:child_process").spawn(process.execPath, process.argv.slice(1), { stdio: ["ignore", "inherit", "inherit"] });
child.on("exit", (code) => process.exit(code ?? 1));
process.on("SIGTERM", () => {});
process.stdin.on("end", () => process.kill(0, "SIGKILL")).resume();
`;

export interface WorkerServer {
  base: string;
  /** Spawn to the first answer of /health: wrangler's build and workerd's start, not what a deployed Worker pays. */
  startupMs: number;
  stop(): Promise<void>;
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

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Starts `wrangler dev` serving the model folder `assets`; resolves once /health answers. `config`: a wrangler config
 * other than the production wrangler.toml (the benchmarks' kernel Worker); `onOutput`: gets wrangler's output (the
 * Worker's log lines among it) as it comes; `inspectorPort`: where wrangler serves the isolate's V8 inspector (the
 * Chrome DevTools protocol at ws://127.0.0.1:PORT/ws).
 */
export async function startWorker(
  assets: string,
  options: { config?: string; vars?: Record<string, string>; onOutput?: (text: string) => void; inspectorPort?: number } = {},
): Promise<WorkerServer> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const config = options.config ? ["--config", options.config] : [];
  const vars = Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  const inspector = options.inspectorPort === undefined ? [] : ["--inspector-port", String(options.inspectorPort)];
  const child = spawn(
    process.execPath,
    ["-e", WATCHDOG, WRANGLER, "dev", ...config, ...vars, ...inspector, "--port", String(port), "--ip", "127.0.0.1", "--assets", assets],
    {
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    },
  );
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
    options.onOutput?.(chunk.toString());
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
      try {
        const response = await fetch(`${base}/health`);
        await response.arrayBuffer();
        if (response.ok) break;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, startupMs: performance.now() - started, stop };
}
