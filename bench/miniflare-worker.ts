// A bench-only Worker (its wrangler config: `main`, compatibility date, vars, [assets] binding) in workerd through
// Miniflare's own API, in this process: no `wrangler dev`. Why: wrangler dev's inspector proxy turns on the isolate's
// Network domain and relays every event to its own Node process; at 1M passages, where each query reads 1 MiB index
// parts from the ASSETS binding, that process sat at 100 % CPU and 2.6 GB relaying `Network.dataReceived`, and requests
// timed out (measured, wrangler 4.86.0). Here workerd's own inspector is served on `inspectorPort` (Miniflare without
// `unsafeInspectorProxy` hands workerd the port itself) and nothing turns Network on.
//
// The Worker is bundled as wrangler would (esbuild, workerd's export conditions, `.wasm` imports kept as modules of
// their own: the config's CompiledWasm rule) and run with the options wrangler's dev server derives from the config
// (getAssetsOptions: the router forwards to the Worker first when run_worker_first), as test/bundle does.
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { freePort } from "../src/node/wrangler-dev.ts";

/** The fields of wrangler's parsed config (its `Config`, whose types wrangler does not ship) used here. */
interface BenchConfig {
  name: string;
  main: string;
  compatibility_date: string;
  compatibility_flags: string[];
  vars: Record<string, string>;
  rules: Array<{ type: string; globs: string[] }>;
  assets?: { binding?: string; run_worker_first?: boolean | string[] };
}

export interface MiniflareWorker {
  base: string;
  /** A request to `base` + `path`, on a connection of its own, aborted after `timeoutMs`. */
  fetch(path: string, init: RequestInit | undefined, timeoutMs: number): Promise<Response>;
  /** workerd's process (every service of this Miniflare: the Worker, the asset router and store). */
  pid: number;
  /** The isolate's Chrome DevTools protocol endpoint, straight from workerd. */
  inspectorUrl: string;
  stop(): Promise<void>;
}

/** The workerd child this process runs (one Miniflare at a time). */
function workerdChild(): number {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m) => m !== null && Number(m[2]) === process.pid && /workerd\S* serve/.test(m[3]));
  if (rows.length !== 1) throw new Error(`expected one workerd child of this process, found ${rows.length}`);
  return Number(rows[0]![1]);
}

/** The Worker of wrangler config `config`, serving folder `assets` (query/ and index/) to its ASSETS binding. */
export async function startMiniflareWorker(config: string, assets: string, vars: Record<string, string> = {}): Promise<MiniflareWorker> {
  const wrangler = unstable_readConfig({ config }) as unknown as BenchConfig;
  if (!wrangler.assets?.binding) throw new Error(`${config}: [assets] has no binding`);
  if (!wrangler.rules.some((r) => r.type === "CompiledWasm" && r.globs.includes("**/*.wasm")))
    throw new Error(`${config}: no CompiledWasm rule for **/*.wasm, which this bundling assumes`);
  const outdir = await mkdtemp(join(tmpdir(), "splade-edge-bench-worker-"));
  try {
    await build({
      entryPoints: [resolve(dirname(config), wrangler.main)],
      outfile: join(outdir, "worker.js"),
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2024",
      conditions: ["workerd", "worker", "browser"],
      external: ["cloudflare:*"],
      // A copied .wasm stays an import of its own file: a CompiledWasm module, as wrangler's rule makes it.
      loader: { ".wasm": "copy" },
      assetNames: "[name]-[hash]",
      logLevel: "warning",
    });
    const wasm = (await readdir(outdir)).filter((f) => f.endsWith(".wasm"));
    const inspectorPort = await freePort();
    const mf = new Miniflare({
      name: wrangler.name,
      modulesRoot: outdir,
      modules: [
        // The entry point first: Miniflare runs the first module.
        { type: "ESModule", path: join(outdir, "worker.js") },
        ...wasm.map((f) => ({ type: "CompiledWasm" as const, path: join(outdir, f) })),
      ],
      compatibilityDate: wrangler.compatibility_date,
      compatibilityFlags: wrangler.compatibility_flags,
      bindings: { ...wrangler.vars, ...vars },
      assets: {
        directory: assets,
        binding: wrangler.assets.binding,
        routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: wrangler.assets.run_worker_first === true },
        assetConfig: { compatibility_date: wrangler.compatibility_date, compatibility_flags: wrangler.compatibility_flags },
      },
      inspectorPort,
      // Miniflare's Request.cf placeholder, not a download of https://workers.cloudflare.com/cf.json (its setupCf,
      // miniflare 4.20260426.0): offline here, and the Worker never reads it.
      cf: false,
    });
    let base: string;
    try {
      base = (await mf.ready).href.replace(/\/$/, "");
    } catch (error) {
      await mf.dispose();
      throw error;
    }
    return {
      base,
      fetch: (path, init, timeoutMs) => {
        const headers = new Headers(init?.headers);
        headers.set("connection", "close");
        return fetch(`${base}${path}`, { ...init, headers, signal: AbortSignal.timeout(timeoutMs) });
      },
      pid: workerdChild(),
      inspectorUrl: `ws://127.0.0.1:${inspectorPort}/core:user:${wrangler.name}`,
      stop: async () => {
        await mf.dispose();
        await rm(outdir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(outdir, { recursive: true, force: true });
    throw error;
  }
}
