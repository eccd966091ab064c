// `encode-corpus INPUT --output OUT`: pre-encodes a document collection with the SPLADE doc model into the files
// search engines ingest. The work is src/corpus/encode.ts; this command parses options, starts the model with the
// progress and Ctrl-C wiring it shares with eval (document-encoding.ts), and prints the summary.
import { defineCommand } from "citty";
import { isMainThread } from "node:worker_threads";
import { encodeCorpus, type CorpusSummary } from "../corpus/encode.ts";
import { DOCUMENT_FORMAT_NAMES, FORMATS } from "../encoder/formats/index.ts";
import { INPUT_FORMATS, type InputFormat } from "../corpus/records.ts";
import { parseShard } from "../corpus/shard.ts";
import { ENGINES, type Engine } from "../node/inference-thread.ts";
import { startDocumentEncoding } from "./document-encoding.ts";
import { nonNegative, positiveInt, runCli, usage } from "./run.ts";

export { EXIT_BAD_INPUT, EXIT_OUTPUT } from "./exit-codes.ts";
const DEFAULT_BATCH = 32;
/** Windows of this many batches are sorted by length: long enough to group similar lengths, short enough to checkpoint often. */
const WINDOW_BATCHES = 16;

function describe(s: CorpusSummary): string[] {
  const t = s.totals;
  const lines = [
    s.alreadyDone
      ? `already complete: ${t.documents.toLocaleString("en-US")} documents (nothing to resume)`
      : `encoded ${s.encoded.toLocaleString("en-US")} documents${s.resumedAt > 0 ? ` (resumed after ${s.resumedAt.toLocaleString("en-US")} records; ${t.documents.toLocaleString("en-US")} in total)` : ""}`,
  ];
  const issues = [
    t.skipped > 0 ? `${t.skipped} malformed line${t.skipped === 1 ? "" : "s"} skipped` : undefined,
    t.duplicates > 0 ? `${t.duplicates} duplicate id${t.duplicates === 1 ? "" : "s"}` : undefined,
    t.truncated > 0 ? `${t.truncated} document${t.truncated === 1 ? "" : "s"} truncated to --max-length` : undefined,
  ].filter(Boolean);
  if (issues.length > 0) lines.push(`  ${issues.join(", ")}`);
  if (!s.alreadyDone) {
    lines.push(
      `  ${s.seconds.toFixed(1)} s, ${(s.encoded / Math.max(s.seconds, 0.001)).toFixed(1)} docs/s, ${Math.round(s.tokens / Math.max(s.seconds, 0.001)).toLocaleString("en-US")} tokens/s`,
    );
  }
  lines.push(`  mean ${(t.terms / Math.max(t.documents, 1)).toFixed(1)} terms per document`);
  lines.push(`  ${s.files.length === 1 ? "file" : `${s.files.length} files`}: ${s.files.join(", ")}`);
  return lines;
}

function summaryJson(s: CorpusSummary, extra: Record<string, unknown>): string {
  const t = s.totals;
  return JSON.stringify(
    {
      ...extra,
      documents: t.documents,
      encoded: s.encoded,
      skipped: t.skipped,
      duplicates: t.duplicates,
      truncated: t.truncated,
      tokens: t.tokens,
      seconds: Number(s.seconds.toFixed(3)),
      docs_per_s: Number((s.encoded / Math.max(s.seconds, 0.001)).toFixed(2)),
      tokens_per_s: Math.round(s.tokens / Math.max(s.seconds, 0.001)),
      mean_terms: Number((t.terms / Math.max(t.documents, 1)).toFixed(2)),
      resumed_at: s.resumedAt,
      already_done: s.alreadyDone,
      files: s.files,
      checkpoint: s.checkpoint,
      skipped_lines: t.skippedLines,
    },
    null,
    2,
  );
}

export const encodeCorpusCommand = defineCommand({
  meta: { name: "encode-corpus", description: "Encode a document collection with the SPLADE doc model into files search engines ingest" },
  args: {
    input: {
      type: "positional",
      description: "Collection: MS MARCO TSV (id<TAB>text) or JSONL (_id/id, text/contents, title); .gz read as such; - for stdin",
      required: true,
    },
    output: { type: "string", alias: "o", description: "Output file (.gz compresses), or with --split-size a directory or part pattern", required: true },
    format: {
      type: "enum",
      options: [...DOCUMENT_FORMAT_NAMES],
      description: "What to write, for which engine (docs/engines.md: one recipe per engine)",
      default: "anserini",
    },
    field: { type: "string", description: "The engine's field: elasticsearch, opensearch, milvus field; qdrant vector name; vespa tensor field" },
    index: { type: "string", description: "elasticsearch, opensearch: _index on every bulk action line (else give it in the _bulk URL)" },
    doctype: { type: "string", description: "vespa: the document type, as in id:NAMESPACE:DOCTYPE::ID" },
    namespace: { type: "string", description: "vespa: the document id namespace (default: the document type)" },
    model: { type: "string", description: "Converted doc model folder", default: "model/doc" },
    shard: { type: "string", description: "i/n: encode the i-th of n contiguous parts (0-based); outputs of 0..n-1 concatenate to the whole" },
    resume: { type: "boolean", description: "Continue a killed or interrupted run from its checkpoint" },
    force: { type: "boolean", description: "Write over an existing output (a finished run, or files no checkpoint accounts for); never over the input" },
    quiet: { type: "boolean", description: "No progress bar or warnings list" },
    json: { type: "boolean", description: "Print the summary as JSON on stdout" },
    threads: { type: "string", description: "Inference threads (default: every core)" },
    engine: { type: "enum", options: [...ENGINES], description: "node: onnxruntime-node; web: onnxruntime-web (WebAssembly, one thread)", default: "node" },
    "batch-size": { type: "string", description: `Documents per model run (default ${DEFAULT_BATCH})` },
    "sort-window": { type: "string", description: `Records sorted by length together (default ${WINDOW_BATCHES} × batch size; = batch size for input order)` },
    "max-length": { type: "string", description: "Tokens per document, [CLS] and [SEP] included (default: the model's, 256)" },
    quantize: { type: "string", description: "Integer weights round(w × N) (anserini, pisa, pretokenized: default 100; the others: float32 unless given)" },
    "top-k": { type: "string", description: "Keep each document's N heaviest terms" },
    "min-weight": { type: "string", description: "Keep terms with weight ≥ W" },
    "split-size": { type: "string", description: "Documents per output file" },
    "input-format": { type: "enum", options: ["auto", ...INPUT_FORMATS], description: "auto: from the name, else the first line", default: "auto" },
    "on-error": {
      type: "enum",
      options: ["stop", "skip"],
      description: "What a malformed line does: stop the run, or skip it (counted in the summary)",
      default: "stop",
    },
  },
  async run({ args }) {
    // Enum values were checked against their options before run() (src/cli/run.ts).
    const format = FORMATS[args.format];
    const engine: Engine = args.engine;
    const onError: "stop" | "skip" = args["on-error"];
    const inputFormat: "auto" | InputFormat = args["input-format"];
    const shard = args.shard === undefined ? undefined : (parseShard(args.shard) ?? usage(`--shard must be i/n with 0 ≤ i < n, got ${args.shard}`));
    const batchSize = positiveInt("batch-size", args["batch-size"]) ?? DEFAULT_BATCH;
    const threads = positiveInt("threads", args.threads);
    if (engine === "web" && threads !== undefined && threads > 1)
      usage("--engine web runs one thread (onnxruntime-web on Node needs numThreads = 1); drop --threads");
    const options = {
      batchSize,
      sortWindow: positiveInt("sort-window", args["sort-window"]) ?? batchSize * WINDOW_BATCHES,
      formatOptions: {
        quantize: positiveInt("quantize", args.quantize),
        field: args.field,
        index: args.index,
        doctype: args.doctype,
        namespace: args.namespace,
      },
      splitSize: positiveInt("split-size", args["split-size"]),
      sparsify: { topK: positiveInt("top-k", args["top-k"]), minWeight: nonNegative("min-weight", args["min-weight"]) },
    };
    const maxLength = positiveInt("max-length", args["max-length"]);
    if (maxLength !== undefined && maxLength < 2) usage("--max-length must be at least 2 ([CLS] and [SEP])");

    const documents = await startDocumentEncoding({
      model: args.model,
      option: "--model",
      maxLength,
      engine,
      threads,
      quiet: Boolean(args.quiet),
      json: Boolean(args.json),
      resume: "run the same command with --resume to continue from the last checkpoint",
    });
    const { model } = documents;
    const randomWeights = model.randomWeights;
    if (model.randomWeightsWarning) console.error(`⚠ ${model.randomWeightsWarning}`);
    if (model.roleWarning) documents.warn(model.roleWarning);
    let summary: CorpusSummary;
    try {
      summary = await encodeCorpus(
        {
          ...options,
          input: args.input,
          output: args.output,
          format,
          inputFormat: inputFormat === "auto" ? undefined : inputFormat,
          encoder: documents.encoder,
          model: documents.modelId,
          engine,
          shard,
          resume: Boolean(args.resume),
          force: Boolean(args.force),
          onError,
          signal: documents.signal,
        },
        documents.events,
      );
    } finally {
      await documents.close();
    }
    if (args.json) {
      console.log(
        summaryJson(summary, { input: args.input, output: args.output, format: format.name, engine, shard: args.shard ?? null, random_weights: randomWeights }),
      );
    } else {
      for (const line of describe(summary)) console.log(line);
    }
  },
});

// The bundle is one file that its inference thread loads too (inference-thread.ts): the CLI runs on the main thread only.
if (isMainThread) await runCli(encodeCorpusCommand);
