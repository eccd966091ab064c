// The per-model benchmark (`npm run bench -- models`): what each kind of model in the catalogue costs, measured the
// way users call it and side by side in one run. Query side: the real Worker under `wrangler dev` serving one query
// model of each kind — a fresh Worker's first /encode (the isolate's cold start: the model's files fetched and built)
// and warm requests, interleaved round by round so the shared machine's load hits every kind alike. Document side:
// the real `encode-corpus` process over generated passages with each document architecture at its real size.
// Reports through callbacks; draws and asserts nothing. Every model here has generated weights: what they cost is
// real, what they output means nothing.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { encodeOnce, HANDLING_WORKER_CONFIG, handlingSplitOnce, type EncodeTiming } from "./worker-client.ts";
import { HANDLING_REPS } from "./query.ts";
import type { HandlingSplit } from "./query-handling-worker.ts";
import { quantiles, type Quantiles } from "./stats.ts";
import { writeStaticHub } from "../test/support/static-weights-hub.ts";
import { GTE_ARCHITECTURE } from "../src/model/architectures.ts";
import { convertFolder, DEFAULT_MAX_LENGTH } from "../src/model/convert.ts";
import { ensureFixtureModels, DOC_CONFIG, FIXTURES, FULL_SIZE_FIXTURES, KERNEL_SHAPE_FIXTURES, writeFixture, type FixtureSpec } from "../src/model/fixture.ts";
import { GTE_FIXTURE_CONFIG, writeGteFixture } from "../src/model/fixture-gte.ts";
import { assetsFolder, startWorker, type WorkerServer } from "../src/node/wrangler-dev.ts";

/** The query every Worker is asked: 10 tokens with [CLS] and [SEP] on the BERT tokenizer, 8 without. */
export const MODELS_BENCH_QUERY = "what is the weather in new york now";
/**
 * encode-corpus keeps each document's heaviest terms: generated weights make thousands of terms non-zero where trained
 * SPLADE documents keep ~100–200, and the benchmark times encoding, not writing 30k-term lines.
 */
export const MODELS_BENCH_DOC_TOP_K = 256;

/**
 * opensearch-neural-sparse-encoding-doc-v2-mini's BERT (6 × 384, 12 heads of 32, 1536; docs/model-sources.md §2.4) at its
 * real size, DistilBERT's initializer std and the doc-full fixture's decoder bias shift.
 */
const BERT_6X384: FixtureSpec = {
  name: "doc-bert-6x384",
  config: { ...DOC_CONFIG, architecture: "BertForMaskedLM", hiddenSize: 384, numHeads: 12, intermediateSize: 1536, typeVocabSize: 2 },
  seed: 7,
  std: 0.02,
  decoderBiasShift: -2.1,
};

/** doc-v3-gte's GTE at gte-base-en-v1.5's size (12 × 768, 12 heads, 3072; §2.1), the fixture's rotary settings. */
const GTE_12X768 = { ...GTE_FIXTURE_CONFIG, hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072 };

/**
 * The generated models the benchmark compares, converted under `root`: a query model of each kind the Worker serves
 * (efficient-SPLADE's BERT 2 × 128 first, the baseline) and, with `docs`, each document architecture of the catalogue
 * at its real size. Kept between runs: the checkpoints are regenerated and converted only when missing.
 */
export async function benchModelCases(
  root: string,
  options: { docs: boolean; onConvert: (name: string) => void },
): Promise<{ query: QueryModelCase[]; doc: DocModelCase[] }> {
  const querySparse = FIXTURES.find((f) => f.name === "query-sparse");
  if (!querySparse) throw new Error("the query-sparse fixture is gone from src/model/fixture.ts");
  const { models } = await ensureFixtureModels(root, options.onConvert, [querySparse, KERNEL_SHAPE_FIXTURES[0], ...(options.docs ? FULL_SIZE_FIXTURES : [])]);
  const staticModel = join(root, "model", "query-inference-free");
  if (!existsSync(join(staticModel, "manifest.json"))) {
    options.onConvert("query-inference-free");
    const hub = writeStaticHub(join(root, "hf", "query-inference-free"), { seed: 8 });
    await convertFolder(hub.dir, staticModel, { role: "query" });
  }
  const query: QueryModelCase[] = [
    { name: "transformer BERT 2×128 (efficient-SPLADE's query)", folder: models[querySparse.name] },
    { name: "transformer BERT 4×256 (BERT-mini's shape)", folder: models[KERNEL_SHAPE_FIXTURES[0].name] },
    { name: "inference-free (30,522-token weight table)", folder: staticModel },
  ];
  if (!options.docs) return { query, doc: [] };
  // A BERT converts as a query encoder by default (ensureFixtureModels): this one is a document encoder.
  const bertModel = join(root, "model", BERT_6X384.name);
  if (!existsSync(join(bertModel, "manifest.json"))) {
    options.onConvert(BERT_6X384.name);
    const { dir } = await writeFixture(join(root, "hf", BERT_6X384.name), BERT_6X384);
    await convertFolder(dir, bertModel, { role: "doc", maxLength: DEFAULT_MAX_LENGTH });
  }
  const gteModel = join(root, "model", "doc-gte-12x768");
  if (!existsSync(join(gteModel, "manifest.json"))) {
    options.onConvert("doc-gte-12x768");
    const hf = await writeGteFixture(join(root, "hf", "doc-gte-12x768"), {
      config: GTE_12X768,
      seed: 9,
      std: 0.02,
      decoderBiasShift: -2.1,
      activation: "log1p_relu",
    });
    await convertFolder(hf, gteModel, { role: "doc", maxLength: DEFAULT_MAX_LENGTH });
  }
  const doc: DocModelCase[] = [
    { name: "DistilBERT 6×768 (efficient-SPLADE, doc-v2/v3-distill)", folder: models[FULL_SIZE_FIXTURES[0].name] },
    { name: "BERT 6×384 (doc-v2-mini)", folder: bertModel },
    { name: `${GTE_ARCHITECTURE} 12×768 (doc-v3-gte)`, folder: gteModel },
  ];
  return { query, doc };
}

/** A converted query model folder the Worker serves, and how the report names it. */
export interface QueryModelCase {
  name: string;
  folder: string;
}

/** A converted document model folder encode-corpus runs, and how the report names it. */
export interface DocModelCase {
  name: string;
  folder: string;
}

export interface ModelsBenchOptions {
  query: QueryModelCase[];
  doc: DocModelCase[];
  /** The one query every Worker is asked (the same text for every kind). */
  queryText: string;
  /** Fresh Workers per query model for the cold start. */
  colds: number;
  rounds: number;
  warmup: number;
  /** A JSONL corpus (`{"id","text"}` lines) for the document side, and a folder for its outputs. */
  corpus: { file: string; docs: number; workDir: string };
  onPhase?(message: string): void;
}

export interface ColdStart {
  /** The first /encode's round trip on a Worker whose only earlier request was /health. */
  round_trip_ms: number;
  /** Its Server-Timing `total` (the model's load included) and the load's stages. */
  server_timing: Record<string, number>;
}

export interface QueryModelResult {
  name: string;
  folder: string;
  tokens: number;
  cold: ColdStart[];
  /** Medians over `cold`. */
  cold_round_trip_p50_ms: number;
  cold_server_total_p50_ms: number;
  warm_round_trip_ms: Quantiles;
  /** Server-Timing `total`: the request inside the Worker, tokenizing and encoding included. */
  warm_server_total_ms: Quantiles;
  /** Server-Timing `inference`: the model's run alone. */
  warm_inference_ms: Quantiles;
  /**
   * Inside workerd, no proxy (bench/query-handling-worker.ts, the app's fetch called in-process, log muted): mean ms per
   * POST /encode, and of its model run alone, medians over the rounds.
   */
  in_process_encode_ms: number;
  in_process_inference_ms: number;
  /** in_process_encode_ms over the first query model's, same run: the per-request cost ratio. */
  vs_first: number;
}

export interface DocModelResult {
  name: string;
  folder: string;
  docs: number;
  /** The process, spawn to exit: the model's load included. */
  wall_s: number;
  /** The encoding run, as encode-corpus's summary reports it (`seconds`): what a large corpus pays per document. */
  encode_s: number;
  docs_per_s: number;
  ms_per_doc: number;
  tokens_per_s: number;
}

export interface ModelsBenchResult {
  query: QueryModelResult[];
  doc: DocModelResult[];
}

const median = (xs: readonly number[]) => quantiles(xs).p50;

async function coldStarts(model: QueryModelCase, options: ModelsBenchOptions): Promise<ColdStart[]> {
  const colds: ColdStart[] = [];
  for (let i = 0; i < options.colds; i++) {
    // The cache off: a cold answer must come from the model, never from wrangler dev's Cache API kept across runs.
    const server = await startWorker(await assetsFolder(model.folder), { vars: { SPLADE_CACHE_TTL: "0" } });
    try {
      const first = await encodeOnce(server.base, options.queryText);
      colds.push({ round_trip_ms: first.roundTripMs, server_timing: first.serverTiming });
    } finally {
      await server.stop();
    }
  }
  return colds;
}

/** `encode-corpus` as users run it: the built CLI's process, its wall time from spawn to exit. */
async function encodeCorpusOnce(model: DocModelCase, options: ModelsBenchOptions): Promise<DocModelResult> {
  const output = join(options.corpus.workDir, `${model.name.replaceAll(/[^\w.-]+/g, "-")}.jsonl`);
  await rm(output, { force: true });
  await rm(`${output}.checkpoint`, { recursive: true, force: true });
  const started = performance.now();
  let stdout = "";
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/encode-corpus.ts",
        options.corpus.file,
        "--model",
        model.folder,
        "--output",
        output,
        "--format",
        "jsonl",
        "--top-k",
        String(MODELS_BENCH_DOC_TOP_K),
        "--quiet",
        "--json",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`encode-corpus exited ${code} on ${model.folder}:\n${stderr}`))));
  });
  const wallS = (performance.now() - started) / 1000;
  const summary = JSON.parse(stdout) as { encoded: number; seconds: number; tokens_per_s: number; mean_terms: number };
  return {
    name: model.name,
    folder: model.folder,
    docs: summary.encoded,
    wall_s: wallS,
    encode_s: summary.seconds,
    docs_per_s: summary.encoded / summary.seconds,
    ms_per_doc: (summary.seconds * 1000) / summary.encoded,
    tokens_per_s: summary.tokens_per_s,
  };
}

export async function benchModels(options: ModelsBenchOptions): Promise<ModelsBenchResult> {
  const phase = (message: string) => options.onPhase?.(message);
  const colds = new Map<string, ColdStart[]>();
  for (const model of options.query) {
    phase(`cold starts: ${options.colds} fresh Workers serving ${model.name}…`);
    colds.set(model.name, await coldStarts(model, options));
  }

  const servers: WorkerServer[] = [];
  const handlers: WorkerServer[] = [];
  const warm = options.query.map(() => [] as EncodeTiming[]);
  const inProcess = options.query.map(() => [] as HandlingSplit[]);
  try {
    for (const model of options.query) {
      phase(`starting the Worker and the in-process bench Worker for ${model.name} (wrangler dev)…`);
      const assets = await assetsFolder(model.folder);
      servers.push(await startWorker(assets, { vars: { SPLADE_CACHE_TTL: "0" } }));
      const handler = await startWorker(assets, { config: HANDLING_WORKER_CONFIG });
      handlers.push(handler);
      // Its first block loads the model and runs cold code: not a warm figure.
      await handlingSplitOnce(handler.base, options.queryText, HANDLING_REPS, true);
    }
    phase(`warm: ${options.warmup} warm-up + ${options.rounds} rounds, the kinds in rotating order`);
    for (let round = 0; round < options.warmup + options.rounds; round++) {
      for (let k = 0; k < servers.length; k++) {
        const i = (k + round) % servers.length;
        const timing = await encodeOnce(servers[i].base, options.queryText);
        if (round >= options.warmup) warm[i].push(timing);
        // One block of in-process calls every tenth round: each is HANDLING_REPS encodes long.
        if (round >= options.warmup && round % 10 === 0) inProcess[i].push(await handlingSplitOnce(handlers[i].base, options.queryText, HANDLING_REPS, true));
      }
    }
  } finally {
    await Promise.all([...servers, ...handlers].map((s) => s.stop()));
  }

  const query = options.query.map((model, i): QueryModelResult => {
    const cold = colds.get(model.name) ?? [];
    const serverMs = (name: string) => quantiles(warm[i].map((t) => t.serverTiming[name] ?? Number.NaN));
    return {
      name: model.name,
      folder: model.folder,
      tokens: warm[i][0]?.tokens ?? 0,
      cold,
      cold_round_trip_p50_ms: median(cold.map((c) => c.round_trip_ms)),
      cold_server_total_p50_ms: median(cold.map((c) => c.server_timing.total ?? Number.NaN)),
      warm_round_trip_ms: quantiles(warm[i].map((t) => t.roundTripMs)),
      warm_server_total_ms: serverMs("total"),
      warm_inference_ms: serverMs("inference"),
      in_process_encode_ms: median(inProcess[i].map((split) => split.ms.encode)),
      in_process_inference_ms: median(inProcess[i].map((split) => split.ms.inference)),
      vs_first: 0,
    };
  });
  for (const row of query) row.vs_first = row.in_process_encode_ms / query[0].in_process_encode_ms;

  const doc: DocModelResult[] = [];
  for (const model of options.doc) {
    phase(`encode-corpus: ${options.corpus.docs} passages with ${model.name}…`);
    doc.push(await encodeCorpusOnce(model, options));
  }
  return { query, doc };
}
