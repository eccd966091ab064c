// `tsx test/kernel/measure.ts [--rounds N] [--json FILE]`: the SPLADE head kernel against onnxruntime, in Node,
// interleaved, medians and p90. Reports; asserts nothing. Each model and T: onnxruntime-node full graph (1 thread, the
// baseline), onnxruntime-web full graph, onnxruntime-web trunk + kernel (exact / approx), the trunk fed gathered word
// rows instead of ids, and the kernel alone. Cold pieces (runtime start, session creation, kernel instantiate) and wasm
// memory are measured in fresh child processes (`--cold VARIANT`), one per variant, since one wasm runtime serves
// every onnxruntime-web session of a process.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web/wasm";
import { SpladeHead } from "../../src/kernel/splade-head.ts";
import { splitModel, TRUNK_EMBEDS_INPUT, TRUNK_OUTPUT } from "../../src/kernel/split-model.ts";
import { ensureFixtureModels } from "../../src/model/fixture.ts";
import { feeds, kernelModule, randomIds } from "./harness.ts";

const LENGTHS = [4, 10, 32];
const MODELS = ["query", "query-sparse"];
const QUERIES_PER_LENGTH = 8;

// Every wasm memory onnxruntime-web creates, to report its size (the kernel reports its own).
const memories = new Set<WebAssembly.Memory>();
const instantiate = WebAssembly.instantiate.bind(WebAssembly);
WebAssembly.instantiate = (async (source: never, imports?: WebAssembly.Imports) => {
  for (const ns of Object.values(imports ?? {})) for (const v of Object.values(ns)) if (v instanceof WebAssembly.Memory) memories.add(v);
  const result = (await instantiate(source, imports)) as WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource;
  const instance = result instanceof WebAssembly.Instance ? result : result.instance;
  for (const v of Object.values(instance.exports)) if (v instanceof WebAssembly.Memory) memories.add(v);
  return result;
}) as typeof WebAssembly.instantiate;
const wasmBytes = () => [...memories].reduce((a, m) => a + m.buffer.byteLength, 0);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const MB = (b: number) => +(b / 2 ** 20).toFixed(1);

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "40" }, json: { type: "string" }, cold: { type: "string" } } });

async function cold(variant: string): Promise<void> {
  const { models } = await ensureFixtureModels();
  const bytes = new Uint8Array((await import("node:fs")).readFileSync(`${models["query-sparse"]}/model.onnx`));
  const t = performance.now();
  const split = variant === "full" ? undefined : splitModel(bytes, { wordEmbeddings: variant === "trunk-embeds" ? "input" : "inside" });
  const tSplit = performance.now();
  // The runtime starts on the first session: a one-node graph times that start alone.
  const onnxProto = (await import("onnx-proto")).default;
  const identity = onnxProto.onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "start",
      node: [{ opType: "Identity", input: ["x"], output: ["y"] }],
      input: [{ name: "x", type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }],
      output: [{ name: "y", type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }],
    },
  }).finish();
  ortWeb.env.wasm.numThreads = 1;
  await ortWeb.InferenceSession.create(identity, { executionProviders: ["wasm"] });
  const tStart = performance.now();
  const session = await ortWeb.InferenceSession.create(split ? split.trunk : bytes, { executionProviders: ["wasm"] });
  const tSession = performance.now();
  const ortMemory = wasmBytes();
  const kernel = split ? SpladeHead.create(kernelModule(), split.head) : undefined;
  const tKernel = performance.now();
  const ids = randomIds(10, 1);
  const f = feeds([ids]);
  const input: Record<string, ortWeb.Tensor> =
    variant === "trunk-embeds"
      ? { [TRUNK_EMBEDS_INPUT]: new ortWeb.Tensor("float32", kernel!.rows(ids), [1, 10, 128]), attention_mask: f.attention_mask }
      : { input_ids: f.input_ids, attention_mask: f.attention_mask };
  const out = await session.run(input);
  if (kernel) kernel.spladeFromHidden(out[TRUNK_OUTPUT].data as Float32Array, 10);
  const tFirst = performance.now();
  console.log(
    JSON.stringify({
      variant,
      split_ms: tSplit - t,
      runtime_start_ms: tStart - tSplit,
      session_ms: tSession - tStart,
      kernel_create_ms: tKernel - tSession,
      first_encode_ms: tFirst - tKernel,
      ort_wasm_mb: MB(ortMemory),
      kernel_wasm_mb: kernel ? MB(kernel.memoryBytes) : 0,
      total_wasm_mb_after_first: MB(wasmBytes() + (kernel?.memoryBytes ?? 0)),
      trunk_bytes: split?.trunk.length ?? bytes.length,
    }),
  );
}

async function warm(): Promise<void> {
  const { models } = await ensureFixtureModels();
  const rounds = Number(args.rounds);
  const results: Record<string, unknown>[] = [];
  ortWeb.env.wasm.numThreads = 1;
  for (const name of MODELS) {
    const bytes = new Uint8Array((await import("node:fs")).readFileSync(`${models[name]}/model.onnx`));
    const split = splitModel(bytes);
    const splitEmbeds = splitModel(bytes, { wordEmbeddings: "input" });
    const kernel = SpladeHead.create(kernelModule(), split.head);
    const nodeFull = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" });
    const webFull = await ortWeb.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
    const webTrunk = await ortWeb.InferenceSession.create(split.trunk, { executionProviders: ["wasm"] });
    const webTrunkEmbeds = await ortWeb.InferenceSession.create(splitEmbeds.trunk, { executionProviders: ["wasm"] });
    for (const length of LENGTHS) {
      const queries = Array.from({ length: QUERIES_PER_LENGTH }, (_, q) => randomIds(length, 900 + 31 * length + q));
      const webFeeds = queries.map((ids) => feeds([ids]));
      const nodeFeeds = queries.map((ids) => {
        const f = feeds([ids]);
        return { input_ids: new ortNode.Tensor("int64", f.input_ids.data as BigInt64Array, f.input_ids.dims), attention_mask: new ortNode.Tensor("int64", f.attention_mask.data as BigInt64Array, f.attention_mask.dims) };
      });
      const hidden = await Promise.all(webFeeds.map(async (f) => (await webTrunk.run({ input_ids: f.input_ids, attention_mask: f.attention_mask }))[TRUNK_OUTPUT].data as Float32Array));
      const variants: Record<string, (q: number) => Promise<unknown> | unknown> = {
        "ort-node full (baseline)": (q) => nodeFull.run(nodeFeeds[q]),
        "ort-web full": (q) => webFull.run({ input_ids: webFeeds[q].input_ids, attention_mask: webFeeds[q].attention_mask }),
        "ort-web trunk": (q) => webTrunk.run({ input_ids: webFeeds[q].input_ids, attention_mask: webFeeds[q].attention_mask }),
        "ort-web trunk + kernel exact": async (q) => {
          const out = await webTrunk.run({ input_ids: webFeeds[q].input_ids, attention_mask: webFeeds[q].attention_mask });
          return kernel.spladeFromHidden(out[TRUNK_OUTPUT].data as Float32Array, length);
        },
        "ort-web trunk + kernel approx": async (q) => {
          const out = await webTrunk.run({ input_ids: webFeeds[q].input_ids, attention_mask: webFeeds[q].attention_mask });
          return kernel.spladeFromHidden(out[TRUNK_OUTPUT].data as Float32Array, length, undefined, { mode: "approx" });
        },
        "ort-web trunk(embeds) + kernel exact": async (q) => {
          const embeds = new ortWeb.Tensor("float32", kernel.rows(queries[q]), [1, length, kernel.hiddenSize]);
          const out = await webTrunkEmbeds.run({ [TRUNK_EMBEDS_INPUT]: embeds, attention_mask: webFeeds[q].attention_mask });
          return kernel.spladeFromHidden(out[TRUNK_OUTPUT].data as Float32Array, length);
        },
        "kernel exact": (q) => kernel.spladeFromHidden(hidden[q], length),
        "kernel approx (int8 pass)": (q) => kernel.spladeFromHidden(hidden[q], length, undefined, { mode: "approx" }),
        "kernel scan (f32 pass)": (q) => kernel.spladeFromHidden(hidden[q], length, undefined, { mode: "scan" }),
      };
      const names = Object.keys(variants);
      const times = new Map(names.map((n) => [n, [] as number[]]));
      for (const n of names) for (let q = 0; q < QUERIES_PER_LENGTH; q++) await variants[n](q);
      for (let round = 0; round < rounds; round++) {
        // Rotate the order each round so no variant always runs right after the same neighbour.
        for (let i = 0; i < names.length; i++) {
          const n = names[(i + round) % names.length];
          const q = round % QUERIES_PER_LENGTH;
          const t0 = performance.now();
          await variants[n](q);
          times.get(n)!.push(performance.now() - t0);
        }
      }
      const rescored = hidden.map((h) => kernel.spladeFromHidden(h, length).rescored);
      const nonZero = hidden.map((h) => kernel.spladeFromHidden(h, length).indices.length);
      const baseline = quantile(times.get(names[0])!.sort((a, b) => a - b), 0.5);
      const macs = length * kernel.vocabSize * kernel.hiddenSize;
      for (const n of names) {
        const sorted = times.get(n)!.sort((a, b) => a - b);
        const p50 = quantile(sorted, 0.5);
        const row: Record<string, unknown> = { model: name, tokens: length, variant: n, p50_ms: +p50.toFixed(3), p90_ms: +quantile(sorted, 0.9).toFixed(3), vs_baseline: +(p50 / baseline).toFixed(2) };
        if (n.startsWith("kernel approx") || n.startsWith("kernel scan")) row.gmac_per_s = +(macs / p50 / 1e6).toFixed(1);
        if (n === "kernel exact") {
          row.rescored_mean = rescored.reduce((a, b) => a + b, 0) / rescored.length;
          row.non_zero_mean = nonZero.reduce((a, b) => a + b, 0) / nonZero.length;
        }
        results.push(row);
        console.log(Object.values(row).join("\t"));
      }
    }
    await Promise.all([webFull.release(), webTrunk.release(), webTrunkEmbeds.release(), nodeFull.release()]);
  }
  const self = fileURLToPath(import.meta.url);
  const coldRuns = ["full", "trunk", "trunk-embeds"].map((variant) => JSON.parse(execFileSync(process.execPath, [...process.execArgv, self, "--cold", variant], { encoding: "utf8" }).trim().split("\n").pop()!));
  for (const c of coldRuns) console.log(JSON.stringify(c));
  const environment = { node: process.versions.node, v8: process.versions.v8, cpus: cpus().length, cpu: cpus()[0]?.model ?? null, rounds, queries_per_length: QUERIES_PER_LENGTH };
  if (args.json) writeFileSync(args.json, JSON.stringify({ environment, warm: results, cold: coldRuns }, null, 2) + "\n");
}

await (args.cold ? cold(args.cold) : warm());
