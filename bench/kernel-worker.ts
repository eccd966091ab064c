// A bench-only Worker (bench/kernel-worker.toml; never deployed): the encoder kernel timed inside workerd, with no
// HTTP, tokenizer or JSON in the measured span. It holds both builds — kernel.wasm (SIMD128) and kernel-relaxed.wasm
// (relaxed SIMD), imported as precompiled modules — and reads the model (manifest.json's `edge`, encoder.bin) from the
// ASSETS binding (`wrangler dev --assets <model folder>`).
//
//   GET /health                   answers without touching the model or the kernel
//   GET /run?build=plain|relaxed&tokens=10&batch=1&reps=200&mode=exact|approx&parts=0|1
//       `reps` encodes of `batch` seeded sequences of `tokens` ids each, timed with performance.now() around the whole
//       loop (local workerd's clock advances within a request at ≈1 ms resolution, so one ~1 ms encode cannot be timed
//       alone: the loop is). parts=1 also times the trunk alone and the head alone (exact/approx as `mode`) per encode.
//   GET /cold?build=plain|relaxed
//       fetch of manifest.json + encoder.bin's files, SpladeKernel.load (int8 decoder deferred, as the Worker; `create_ms`
//       is what it took after the last file arrived) and one T=10
//       encode (the float32 scan, as a Worker's first request), each timed; then the deferred quantization and a
//       second, exact encode. Meaningful as a
//       cold start only as the first model request of an isolate: the answer says whether it was (`fresh`).
//
// Root tsconfig type-checks this file with Node's types, so it names only what both runtimes have (fetch, Response,
// performance); the ASSETS binding gets a minimal local type.
/// <reference path="../src/worker/wasm.d.ts" />
import { SpladeKernel } from "../src/kernel/encoder-kernel.ts";
import relaxedModule from "../src/kernel/kernel-relaxed.wasm";
import plainModule from "../src/kernel/kernel.wasm";
import type { HeadMode } from "../src/kernel/splade-head.ts";
import type { KernelLayout } from "../src/kernel/contract.ts";
import { INPUTS_PER_SHAPE, randomIds, shapeInputs } from "../test/support/query-ids.ts";

interface Env {
  ASSETS: { fetch(input: string): Promise<Response> };
}

export const KERNEL_WORKER_BUILDS = ["plain", "relaxed"] as const;
export type KernelWorkerBuild = (typeof KERNEL_WORKER_BUILDS)[number];
const MODULES: Record<KernelWorkerBuild, WebAssembly.Module> = { plain: plainModule, relaxed: relaxedModule };

/** What /run answers. A rep encodes `batch` sequences: ms_per_encode is per rep (one call of the Node cells' shape). */
export interface KernelRunResult {
  build: KernelWorkerBuild;
  tokens: number;
  batch: number;
  mode: "exact" | "approx";
  reps: number;
  ms_per_encode: number;
  ms_per_sequence: number;
  /** With parts=1: the trunk alone (ids → hidden) and the head alone (hidden → terms), ms per rep. */
  trunk_ms_per_encode: number | null;
  head_ms_per_encode: number | null;
  /** Date.now() around the same loop, ms per rep: a check on performance.now(). */
  date_ms_per_encode: number;
  /** Mean non-zero terms per sequence (same ids as the Node cells: the same count as theirs). */
  non_zero: number;
  /** int8_selftest() of this build in this engine: 0 = its int8 dot is right. */
  selftest: number;
  /** Drawn when the isolate loaded this module: a change means wrangler reloaded the Worker (it watches its sources). */
  isolate: string;
}

/** What /cold answers, ms. */
export interface KernelColdResult {
  build: KernelWorkerBuild;
  /** No kernel had been created and no /run or /cold had run in this isolate before this request. */
  fresh: boolean;
  fetch_ms: number;
  /** SpladeKernel.create as the Worker calls it: the int8 decoder deferred. */
  create_ms: number;
  /** The first encode (T=10), on the float32 scan as a Worker's first request: the end of the cold path. */
  first_encode_ms: number;
  total_ms: number;
  /** What the Worker does after that first answer: quantizing the int8 decoder (all steps back to back here). */
  prepare_ms: number;
  /** The next encode (same ids), on the exact int8 path. */
  second_encode_ms: number;
  selftest: number;
}

/** A shape's inputs (query-ids.ts: the ids the Node cells get), cycled through the reps. */
function inputs(tokens: number, batch: number): Int32Array[][] {
  return shapeInputs(tokens, batch).map((rows) => rows.map((row) => Int32Array.from(row)));
}

// ---- Isolate state.
const ISOLATE = Math.random().toString(36).slice(2, 10);
let touched = false;
const selftests: Partial<Record<KernelWorkerBuild, number>> = {};
const kernels: Partial<Record<KernelWorkerBuild, Promise<SpladeKernel>>> = {};

function selftest(build: KernelWorkerBuild): number {
  return (selftests[build] ??= (new WebAssembly.Instance(MODULES[build], {}).exports as { int8_selftest(): number }).int8_selftest());
}

async function asset(env: Env, file: string): Promise<Response> {
  const response = await env.ASSETS.fetch(`https://assets.local/query/${file}`);
  if (!response.ok) throw new Error(`query/${file}: assets answered ${response.status} (start wrangler dev with --assets <a folder holding query/>)`);
  return response;
}

/**
 * The kernel of `build` loaded as the Worker loads it (SpladeKernel.load: encoder.bin's files fetched at once, each
 * copied in as it arrives); `fetch_ms`: from the manifest's request until the last file arrived.
 */
async function loadModel(env: Env, build: KernelWorkerBuild, prepare?: "later"): Promise<{ kernel: SpladeKernel; fetch_ms: number }> {
  const t0 = performance.now();
  const manifest = (await (await asset(env, "manifest.json")).json()) as { edge?: KernelLayout };
  if (!manifest.edge) throw new Error("manifest.json has no `edge`: not a query model folder");
  let fetchMs = 0;
  const read = async (file: string) => {
    const bytes = await (await asset(env, file)).arrayBuffer();
    fetchMs = performance.now() - t0;
    return bytes;
  };
  const kernel = await SpladeKernel.load(MODULES[build], manifest.edge, read, { prepare });
  return { kernel, fetch_ms: fetchMs };
}

function kernel(env: Env, build: KernelWorkerBuild): Promise<SpladeKernel> {
  return (kernels[build] ??= loadModel(env, build).then((loaded) => loaded.kernel));
}

// ---- Requests.
class BadRequest extends Error {}

function intParam(url: URL, name: string, fallback: number, max: number): number {
  const raw = url.searchParams.get(name);
  const n = raw === null ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new BadRequest(`${name} must be an integer in [1, ${max}], got ${raw}`);
  return n;
}

function buildParam(url: URL): KernelWorkerBuild {
  const build = url.searchParams.get("build") ?? "plain";
  if (!(KERNEL_WORKER_BUILDS as readonly string[]).includes(build)) throw new BadRequest(`build must be plain or relaxed, got ${build}`);
  return build as KernelWorkerBuild;
}

async function run(env: Env, url: URL): Promise<KernelRunResult> {
  const build = buildParam(url);
  const mode = url.searchParams.get("mode") ?? "exact";
  if (mode !== "exact" && mode !== "approx") throw new BadRequest(`mode must be exact or approx, got ${mode}`);
  const tokens = intParam(url, "tokens", 10, 256);
  const batch = intParam(url, "batch", 1, 64);
  const reps = intParam(url, "reps", 200, 100_000);
  const parts = url.searchParams.get("parts") === "1";
  touched = true;
  const k = await kernel(env, build);
  if (tokens > k.maxTokens) throw new BadRequest(`tokens must be at most ${k.maxTokens}`);
  const ins = inputs(tokens, batch);
  const headMode: HeadMode = mode;

  let terms = 0;
  const d0 = Date.now();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) for (const row of ins[r % INPUTS_PER_SHAPE]) terms += k.encode(row, { mode: headMode }).indices.length;
  const t1 = performance.now();
  const d1 = Date.now();

  let trunk: number | null = null;
  let head: number | null = null;
  if (parts) {
    const hidden = ins.map((rows) => rows.map((row) => k.hidden(row)));
    let sink = 0;
    const a0 = performance.now();
    for (let r = 0; r < reps; r++) for (const row of ins[r % INPUTS_PER_SHAPE]) sink += k.hidden(row).length;
    const a1 = performance.now();
    for (let r = 0; r < reps; r++)
      for (const h of hidden[r % INPUTS_PER_SHAPE]) sink += k.head.spladeFromHidden(h, tokens, undefined, { mode: headMode }).indices.length;
    const a2 = performance.now();
    if (sink < 0) throw new Error("unreachable");
    trunk = (a1 - a0) / reps;
    head = (a2 - a1) / reps;
  }
  return {
    build,
    tokens,
    batch,
    mode,
    reps,
    ms_per_encode: (t1 - t0) / reps,
    ms_per_sequence: (t1 - t0) / (reps * batch),
    trunk_ms_per_encode: trunk,
    head_ms_per_encode: head,
    date_ms_per_encode: (d1 - d0) / reps,
    non_zero: terms / (reps * batch),
    selftest: selftest(build),
    isolate: ISOLATE,
  };
}

async function cold(env: Env, url: URL): Promise<KernelColdResult> {
  const build = buildParam(url);
  const fresh = !touched && Object.keys(kernels).length === 0;
  touched = true;
  const t0 = performance.now();
  const { kernel: k, fetch_ms } = await loadModel(env, build, "later");
  const t1 = t0 + fetch_ms;
  const t2 = performance.now();
  const ids = Int32Array.from(randomIds(10, 1000 * 10 + 100));
  k.encode(ids, { mode: "auto" });
  const t3 = performance.now();
  k.head.prepareSome();
  const t4 = performance.now();
  k.encode(ids, { mode: "auto" });
  const t5 = performance.now();
  return {
    build,
    fresh,
    fetch_ms: t1 - t0,
    create_ms: t2 - t1,
    first_encode_ms: t3 - t2,
    total_ms: t3 - t0,
    prepare_ms: t4 - t3,
    second_encode_ms: t5 - t4,
    selftest: selftest(build),
  };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/health") return Response.json({ ok: true });
      if (url.pathname === "/run") return Response.json(await run(env, url));
      if (url.pathname === "/cold") return Response.json(await cold(env, url));
      return Response.json({ error: `no route ${url.pathname}` }, { status: 404 });
    } catch (error) {
      return Response.json({ error: String(error) }, { status: error instanceof BadRequest ? 400 : 500 });
    }
  },
};
