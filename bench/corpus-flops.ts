// How much of this machine's float32 arithmetic the document encoder uses: the attainable float32 GEMM rate measured
// with onnxruntime-node on a one-MatMul graph (same threads as the benchmark), the theoretical peak from /proc/cpuinfo,
// and where the graph's time goes (onnxruntime's profiler); the model's FLOPs per document are counted in
// test/support/sequence-flops.ts. Measures; asserts nothing.
import { readdir, readFile, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { cpus } from "node:os";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import type { TokenRows } from "../src/encoder/encoder.ts";
import type { EncoderConfig } from "../src/model/architectures.ts";
import { ONNX_IR_VERSION, ONNX_OPSET } from "../src/model/onnx/build.ts";
import { graphFeeds } from "../src/node/graph-feeds.ts";
import { nodeSession } from "../src/node/ort-node.ts";

const { onnx } = onnxProto;

export interface TheoreticalPeak {
  cores: number;
  mhz: number;
  vendor: string;
  /** The widest float32 FMA the flags allow: avx512f (16 lanes), avx2 + fma (8), else SSE (4, no FMA). */
  widest: "avx512f" | "avx2+fma" | "sse";
  /** Assumed: two FMA pipes per core at that width (Intel server cores since Skylake-SP, AMD Zen 5). */
  flopsPerCycle: number;
  gflops: number;
  flags: string[];
}

/**
 * cores × MHz × FLOPs per cycle, from /proc/cpuinfo. An upper bound that assumes two full-width FMA pipes: Zen 4
 * runs a 512-bit FMA as two 256-bit halves (half this figure), and a VM's "cpu MHz" is the nominal clock, not boost.
 */
export async function theoreticalPeak(): Promise<TheoreticalPeak | null> {
  const info = await readFile("/proc/cpuinfo", "utf8").catch(() => null);
  if (!info) return null;
  const field = (name: string) => info.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim() ?? "";
  const flags = field("flags").split(/\s+/);
  const widest = flags.includes("avx512f") ? "avx512f" : flags.includes("avx2") && flags.includes("fma") ? "avx2+fma" : "sse";
  const lanes = { avx512f: 16, "avx2+fma": 8, sse: 4 }[widest];
  const flopsPerCycle = widest === "sse" ? 2 * lanes : 2 * 2 * lanes;
  const mhz = Number(field("cpu MHz"));
  const cores = cpus().length;
  const shown = ["fma", "avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "avx512_vp2intersect"];
  return {
    cores,
    mhz,
    vendor: field("vendor_id"),
    widest,
    flopsPerCycle,
    gflops: (cores * mhz * flopsPerCycle) / 1000,
    flags: shown.filter((f) => flags.includes(f)),
  };
}

/** One float32 MatMul, A [n, n] (input) × B [n, n] (initializer), as an ONNX graph. */
export function matmulGraph(n: number, seed = 1): Uint8Array {
  const b = new Float32Array(n * n);
  let x = seed;
  for (let i = 0; i < b.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x / 4294967296 - 0.5;
  }
  const DataType = onnx.TensorProto.DataType;
  const tensorType = (name: string) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } } });
  return onnx.ModelProto.encode({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "splade-edge bench",
    graph: {
      name: "gemm-peak",
      node: [{ opType: "MatMul", input: ["a", "b"], output: ["c"], name: "matmul" }],
      initializer: [{ name: "b", dims: [n, n], dataType: DataType.FLOAT, rawData: new Uint8Array(b.buffer) }],
      input: [tensorType("a")],
      output: [tensorType("c")],
    },
  }).finish();
}

export interface GemmPeak {
  n: number;
  threads: number;
  runs: number;
  /** Median and best run, in GFLOP/s (2·n³ per run). */
  medianGflops: number;
  bestGflops: number;
  /** Process CPU time over wall time while it ran, percent of one core: below threads × 100 when others had the cores. */
  cpuPercent: number;
}

export interface GemmProbe {
  /** Times the MatMul for about `seconds` (at least 5 runs). */
  measure(seconds: number): Promise<GemmPeak>;
  close(): Promise<void>;
}

/**
 * The attainable float32 GEMM rate: onnxruntime-node (MLAS) on one n³ MatMul with the benchmark's thread count. One
 * session, measured again between the benchmark's rounds so each round's docs/s has a peak taken under the same load.
 */
export async function openGemmProbe(threads: number, n = 1024): Promise<GemmProbe> {
  const session = await nodeSession(matmulGraph(n), { threads });
  const a = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const feeds = { a: new ort.Tensor("float32", a, [n, n]) };
  for (let i = 0; i < 3; i++) await session.run(feeds);
  return {
    async measure(seconds) {
      const times: number[] = [];
      const cpu = process.cpuUsage();
      const started = performance.now();
      while (performance.now() < started + seconds * 1000 || times.length < 5) {
        const runStarted = performance.now();
        await session.run(feeds);
        times.push((performance.now() - runStarted) / 1000);
      }
      const used = process.cpuUsage(cpu);
      const wall = (performance.now() - started) / 1000;
      times.sort((x, y) => x - y);
      const flops = 2 * n ** 3;
      return {
        n,
        threads,
        runs: times.length,
        medianGflops: flops / times[times.length >> 1] / 1e9,
        bestGflops: flops / times[0] / 1e9,
        cpuPercent: ((used.user + used.system) / 1e6 / wall) * 100,
      };
    },
    close: () => session.release(),
  };
}

export interface GraphProfile {
  batches: number;
  rows: number;
  paddedTokens: number;
  /** Total node time over the profiled runs, ms. */
  nodeMs: number;
  /** Share of node time per part of the model (node names from src/model/onnx/build.ts, after ORT's fusions). */
  shares: Record<"decoder" | "pooling" | "headTransform" | "attention" | "layersOther", number>;
  /** The decoder Gemm's own rate: its FLOPs over its time, GFLOP/s. */
  decoderGflops: number;
  /** The slowest nodes: name, operator, share of node time. */
  top: { node: string; op: string; share: number }[];
}

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

function part(node: string): keyof GraphProfile["shares"] {
  if (node.startsWith("head.decoder")) return "decoder";
  if (node.startsWith("pooling") || node.startsWith("logits") || node.startsWith("splade")) return "pooling";
  if (node.startsWith("head.")) return "headTransform";
  if (/\.attention\.(scores|masked_scores|probs|context|softmax)/.test(node) || /Softmax|Attention/.test(node)) return "attention";
  return "layersOther";
}

/**
 * Runs `batches` through a profiling session of `model` and sums onnxruntime's per-node kernel times. A separate
 * session on this thread, after the timed runs, so profiling never slows what the benchmark times.
 */
export async function profileGraph(
  model: string,
  config: EncoderConfig,
  batches: readonly TokenRows[],
  threads: number,
  prefix: string,
): Promise<GraphProfile> {
  const session = await ort.InferenceSession.create(model, {
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  let file: string | undefined;
  try {
    const names = { inputs: [...session.inputNames], output: session.outputNames[0] };
    // The first run allocates and prepacks weights: its events are left out of the sums.
    await session.run(graphFeeds(ort.Tensor, names, batches[0]));
    for (const rows of batches) await session.run(graphFeeds(ort.Tensor, names, rows));
    // onnxruntime-node 1.30 writes `${prefix}_<timestamp>.json` and returns nothing from endProfiling.
    session.endProfiling();
    const name = (await readdir(dirname(prefix))).find((f) => f.startsWith(`${basename(prefix)}_`) && f.endsWith(".json"));
    if (!name) throw new Error(`onnxruntime wrote no profile next to ${prefix}`);
    file = join(dirname(prefix), name);
    const events = JSON.parse(await readFile(file, "utf8")) as ProfileEvent[];
    const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run").sort((x, y) => x.ts - y.ts);
    const measuredFrom = runs[1]?.ts ?? 0;
    const nodes = events.filter((e) => e.cat === "Node" && e.name.endsWith("_kernel_time") && e.ts >= measuredFrom);
    const byNode = new Map<string, { op: string; us: number }>();
    for (const e of nodes) {
      const name = e.name.slice(0, -"_kernel_time".length);
      const entry = byNode.get(name) ?? { op: e.args?.op_name ?? "?", us: 0 };
      entry.us += e.dur;
      byNode.set(name, entry);
    }
    const totalUs = [...byNode.values()].reduce((s, n) => s + n.us, 0);
    const shares: GraphProfile["shares"] = { decoder: 0, pooling: 0, headTransform: 0, attention: 0, layersOther: 0 };
    for (const [name, { us }] of byNode) shares[part(name)] += us / totalUs;
    const paddedTokens = batches.reduce((s, rows) => s + rows.length * Math.max(...rows.map((r) => r.length)), 0);
    const decoderUs = [...byNode].filter(([name]) => part(name) === "decoder").reduce((s, [, n]) => s + n.us, 0);
    const decoderFlops = 2 * paddedTokens * config.hiddenSize * config.vocabSize;
    const top = [...byNode]
      .sort((x, y) => y[1].us - x[1].us)
      .slice(0, 8)
      .map(([node, { op, us }]) => ({ node, op, share: us / totalUs }));
    return {
      batches: batches.length,
      rows: batches.reduce((s, rows) => s + rows.length, 0),
      paddedTokens,
      nodeMs: totalUs / 1000,
      shares,
      decoderGflops: decoderFlops / (decoderUs / 1e6) / 1e9,
      top,
    };
  } finally {
    await session.release();
    if (file) await rm(file, { force: true });
  }
}
