// `npm run eval` (the `splade-eval` bin: src/cli/bin/splade-eval.mjs): retrieval quality in one command. The work is
// src/eval/evaluation.ts; this command checks the options and the dataset's files, starts the doc model with the
// progress and Ctrl-C wiring it shares with encode-corpus (document-encoding.ts), and prints each step, the metrics
// and the JSON. `--run RUN --qrels QRELS` scores any TREC run (Anserini's, PISA's) the same way.
import { defineCommand } from "citty";
import { existsSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { type MODEL_CARD, runEvaluation, scoreRunFile, type EvalDataset, type EvalStep } from "../eval/evaluation.ts";
import { MEASURES, type Evaluation, type MeasureName } from "../eval/metrics.ts";
import { startDocumentEncoding } from "./document-encoding.ts";
import { nonNegative, positiveInt, printJson, runCli, usage } from "./run.ts";

const DEFAULT_HITS = 1000;
const DEFAULT_TAG = "splade-edge";

function requireFile(option: string, path: string): string {
  if (!existsSync(path)) usage(`${option} ${path}: no such file`);
  if (statSync(path).isDirectory()) usage(`${option} ${path} is a directory, not a file`);
  return path;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

function metricsJson(e: Evaluation): Record<MeasureName, number> {
  return { mrr10: round(e.mrr10, 6), recall100: round(e.recall100, 6), recall1000: round(e.recall1000, 6), ndcg10: round(e.ndcg10, 6) };
}

function metricLines(e: Evaluation, card?: typeof MODEL_CARD): string[] {
  const c = e.options.complete ? "-c " : "";
  return (Object.keys(MEASURES) as MeasureName[]).map((name) => {
    const m = MEASURES[name];
    const beside = card ? [name in card ? `model card ${card[name as keyof typeof MODEL_CARD].toFixed(1)}` : ""].map((t) => t.padEnd(15)) : [];
    return [m.label.padEnd(8), e[name].toFixed(4), `${(e[name] * 100).toFixed(1).padStart(5)}%`, ...beside, `trec_eval ${c}${m.trecEval}`].join("   ");
  });
}

function evaluationNotes(e: Evaluation): string[] {
  const notes: string[] = [];
  const few = (ids: string[]) =>
    ids
      .slice(0, 5)
      .map((q) => JSON.stringify(q))
      .join(", ") + (ids.length > 5 ? ", …" : "");
  if (e.missingFromRun.length > 0) {
    notes.push(
      `${e.missingFromRun.length} qrels quer${e.missingFromRun.length === 1 ? "y has" : "ies have"} no run line (${few(e.missingFromRun)}): ${e.options.complete ? "scored 0 (as trec_eval -c)" : "left out (--no-complete)"}`,
    );
  }
  if (e.notInQrels.length > 0)
    notes.push(
      `${e.notInQrels.length} run quer${e.notInQrels.length === 1 ? "y has" : "ies have"} no qrels (${few(e.notInQrels)}): ignored, as trec_eval does`,
    );
  if (e.withoutRelevant.length > 0)
    notes.push(
      `${e.withoutRelevant.length} quer${e.withoutRelevant.length === 1 ? "y has" : "ies have"} no relevant document in the qrels: 0 on every measure, counted`,
    );
  return notes;
}

export const evalCommand = defineCommand({
  meta: {
    name: "eval",
    description:
      "Retrieval quality: encode documents and queries, retrieve the exact top-k with DuckDB, write a TREC run, print MRR@10, R@100, R@1000, nDCG@10 (trec_eval's definitions)",
  },
  args: {
    collection: { type: "string", description: "Documents to encode: MS MARCO collection.tsv (id<TAB>text) or JSONL (_id/id, text, title)" },
    queries: { type: "string", description: "Queries: MS MARCO TSV (qid<TAB>text) or BEIR JSONL (_id, text)" },
    qrels: { type: "string", description: "Judgments: TREC `qid 0 docid rel` (MS MARCO's qrels.dev.small.tsv too) or BEIR `query-id corpus-id score`" },
    beir: { type: "string", description: "A BEIR dataset folder: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv" },
    split: { type: "string", description: "BEIR qrels split", default: "test" },
    encoded: { type: "string", description: "Documents already encoded by encode-corpus (--format ids, jsonl or pgvector) instead of --collection" },
    run: { type: "string", description: "Score this TREC run (Anserini's, PISA's, or eval's own) against --qrels; nothing is encoded" },
    work: { type: "string", description: "Folder for the encoded documents (with their checkpoint: a rerun resumes), the DuckDB index and the run" },
    output: { type: "string", description: "Run file to write (default: WORK/run.trec)" },
    hits: { type: "string", description: `Documents retrieved per query, the exact top-k (default ${DEFAULT_HITS})` },
    "doc-model": { type: "string", description: "Converted doc model folder", default: "model/doc" },
    "query-model": { type: "string", description: "Converted query model folder (its encoder.bin runs on the Worker's kernel)", default: "model/query" },
    "doc-top-k": { type: "string", description: "Keep each document's N heaviest terms (encode-corpus --top-k; default all)" },
    "doc-min-weight": { type: "string", description: "Keep document terms with weight ≥ W (encode-corpus --min-weight)" },
    threads: { type: "string", description: "Doc model inference threads (default: every core)" },
    memory: { type: "string", description: "DuckDB memory_limit, e.g. 8GB (default: 80% of RAM); beyond it DuckDB spills to WORK" },
    tag: { type: "string", description: "The run's tag column", default: DEFAULT_TAG },
    complete: {
      type: "boolean",
      description: "Average over every qrels query, 0 for one the run lacks (trec_eval -c); --no-complete leaves them out",
      default: true,
    },
    quiet: { type: "boolean", description: "No progress bar" },
    json: { type: "boolean", description: "Print the result as JSON on stdout" },
  },
  async run({ args }) {
    const complete = args.complete !== false;
    if (args.run !== undefined) {
      const extra = (["collection", "queries", "beir", "encoded", "work", "output", "hits", "doc-top-k", "doc-min-weight", "threads", "memory"] as const).find(
        (name) => args[name] !== undefined,
      );
      if (extra) usage(`--run scores a run file against --qrels: --${extra} does not apply`);
      if (args.qrels === undefined) usage("--run needs --qrels QRELS");
      await scoreRun(requireFile("--run", args.run), requireFile("--qrels", args.qrels), { complete, json: Boolean(args.json) });
      return;
    }
    const dataset = resolveDataset(args);
    if (args.work === undefined) usage("give --work DIR: the folder for the encoded documents, the index and the run (a rerun resumes there)");
    const hits = positiveInt("hits", args.hits) ?? DEFAULT_HITS;
    const threads = positiveInt("threads", args.threads);
    const sparsify = { topK: positiveInt("doc-top-k", args["doc-top-k"]), minWeight: nonNegative("doc-min-weight", args["doc-min-weight"]) };
    if (dataset.encoded && (sparsify.topK !== undefined || sparsify.minWeight !== undefined || threads !== undefined)) {
      usage("--doc-top-k, --doc-min-weight and --threads apply to encoding documents, and --encoded documents are encoded already");
    }
    if (args.memory !== undefined && !/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(args.memory))
      usage(`--memory must be a size like 8GB, got ${args.memory}`);
    if (/\s/.test(args.tag) || args.tag === "") usage("--tag must be one word (a TREC run's columns are split on whitespace)");
    await runEval(dataset, {
      work: args.work,
      output: args.output,
      hits,
      threads,
      sparsify,
      docModel: args["doc-model"],
      queryModel: args["query-model"],
      memory: args.memory,
      tag: args.tag,
      complete,
      quiet: Boolean(args.quiet),
      json: Boolean(args.json),
    });
  },
});

function resolveDataset(args: { collection?: string; queries?: string; qrels?: string; beir?: string; split: string; encoded?: string }): EvalDataset {
  if (args.beir !== undefined) {
    const clash = (["collection", "queries", "qrels"] as const).find((name) => args[name] !== undefined);
    if (clash) usage(`--beir ${args.beir} brings its own corpus, queries and qrels: drop --${clash}`);
    if (!existsSync(args.beir) || !statSync(args.beir).isDirectory()) usage(`--beir ${args.beir}: no such folder`);
    if (!/^[\w.-]+$/.test(args.split)) usage(`--split must be a name like test or dev, got ${args.split}`);
    const qrels = join(args.beir, "qrels", `${args.split}.tsv`);
    if (!existsSync(qrels)) usage(`${qrels} not found — a BEIR folder has qrels/{train,dev,test}.tsv; choose one with --split`);
    return {
      name: `BEIR ${basename(resolve(args.beir))} (${args.split})`,
      collection: args.encoded === undefined ? requireFile("--beir", join(args.beir, "corpus.jsonl")) : undefined,
      encoded: args.encoded === undefined ? undefined : requireFile("--encoded", args.encoded),
      queries: requireFile("--beir", join(args.beir, "queries.jsonl")),
      qrels,
    };
  }
  if (args.collection !== undefined && args.encoded !== undefined) usage("give --collection (to encode) or --encoded (encoded already), not both");
  if (args.collection === undefined && args.encoded === undefined)
    usage("give the documents: --collection FILE, --encoded FILE or --beir DIR (or --run RUN --qrels QRELS to score a run)");
  if (args.queries === undefined) usage("--queries FILE is needed with --collection or --encoded");
  if (args.qrels === undefined) usage("--qrels FILE is needed with --collection or --encoded");
  return {
    name: basename(args.collection ?? args.encoded!),
    collection: args.collection === undefined ? undefined : requireFile("--collection", args.collection),
    encoded: args.encoded === undefined ? undefined : requireFile("--encoded", args.encoded),
    queries: requireFile("--queries", args.queries),
    qrels: requireFile("--qrels", args.qrels),
  };
}

async function scoreRun(runFile: string, qrelsFile: string, options: { complete: boolean; json: boolean }): Promise<void> {
  const { evaluation, lines, format } = await scoreRunFile(runFile, qrelsFile, options);
  if (options.json) {
    printJson({
      ok: true,
      run: runFile,
      run_format: format,
      qrels: qrelsFile,
      queries: evaluation.queries,
      lines,
      metrics: metricsJson(evaluation),
      trec_eval: trecEvalOptions(options.complete),
      complete: options.complete,
      missing_from_run: evaluation.missingFromRun.length,
      not_in_qrels: evaluation.notInQrels.length,
      without_relevant: evaluation.withoutRelevant.length,
    });
    return;
  }
  console.log(
    `${runFile}: ${lines.toLocaleString("en-US")} lines (${format}), ${evaluation.queries.toLocaleString("en-US")} queries evaluated against ${qrelsFile}`,
  );
  for (const note of evaluationNotes(evaluation)) console.log(`  ${note}`);
  for (const line of metricLines(evaluation)) console.log(line);
}

const trecEvalOptions = (complete: boolean) =>
  Object.fromEntries((Object.keys(MEASURES) as MeasureName[]).map((n) => [n, `${complete ? "-c " : ""}${MEASURES[n].trecEval}`]));

interface EvalOptions {
  work: string;
  output?: string;
  hits: number;
  threads?: number;
  sparsify: { topK?: number; minWeight?: number };
  docModel: string;
  queryModel: string;
  memory?: string;
  tag: string;
  complete: boolean;
  quiet: boolean;
  json: boolean;
}

/** The line each step of the evaluation prints (on stderr, none with --json). */
function stepLine(step: EvalStep, dataset: EvalDataset, options: EvalOptions): string {
  const n = (x: number) => x.toLocaleString("en-US");
  switch (step.step) {
    case "start":
      return `eval: ${dataset.name}: ${n(step.judged)} judged queries of ${n(step.qrelsQueries)} in the qrels; work folder ${options.work}`;
    case "documents":
      if ("converted" in step) return `documents: ${n(step.converted.records)} ${step.converted.format} records → ${step.file}`;
      return step.corpus.alreadyDone
        ? `documents: ${n(step.corpus.totals.documents)} encoded before (${step.file})`
        : `documents: encoded ${n(step.corpus.encoded)}${step.corpus.resumedAt > 0 ? ` (resumed after ${n(step.corpus.resumedAt)})` : ""} in ${step.corpus.seconds.toFixed(1)} s → ${step.file}`;
    case "index":
      return step.index.built
        ? `index: ${step.engine}, ${n(step.index.documents)} documents, ${n(step.index.postings)} postings, built in ${((step.index.built.readMs + step.index.built.buildMs) / 1000).toFixed(1)} s`
        : `index: ${step.engine}, ${n(step.index.documents)} documents (built before, same file)`;
    case "queries":
      return `queries: ${n(step.count)} encoded ${step.kernel === "static-weights" ? "with the inference-free weight table" : `on the Worker's kernel (${step.kernel})`}, ${(step.ms / step.count).toFixed(1)} ms each${step.truncated ? `; ${step.truncated} cut to the model's length` : ""}`;
    case "retrieval": {
      const sorted = [...step.result.times].sort((a, b) => a - b);
      const total = step.result.times.reduce((a, b) => a + b, 0);
      const empty = step.result.empty.length;
      return (
        `retrieval: exact top-${options.hits}, median ${sorted[sorted.length >> 1].toFixed(1)} ms a query, ${(total / 1000).toFixed(1)} s in all → ${step.output}` +
        (empty > 0 ? `\n⚠ ${empty} quer${empty === 1 ? "y" : "ies"} retrieved nothing (no term any document has): absent from the run` : "")
      );
    }
  }
}

async function runEval(dataset: EvalDataset, options: EvalOptions): Promise<void> {
  const say = (message: string) => {
    if (!options.json) console.error(message);
  };
  const tty = !options.quiet && !options.json && process.stderr.isTTY;
  const result = await runEvaluation(
    dataset,
    {
      work: options.work,
      output: options.output,
      hits: options.hits,
      tag: options.tag,
      complete: options.complete,
      memory: options.memory,
      sparsify: options.sparsify,
      queryModel: options.queryModel,
      docModel: options.docModel,
      async startDocuments() {
        const documents = await startDocumentEncoding({
          model: options.docModel,
          option: "--doc-model",
          engine: "node",
          threads: options.threads,
          quiet: options.quiet,
          json: options.json,
          resume: "run the same command again to continue from the last checkpoint",
        });
        if (documents.model.roleWarning) say(`⚠ ${documents.model.roleWarning}`);
        // eval always resumes: a first run finding no checkpoint is no news.
        const onWarning = (message: string) => {
          if (!message.startsWith("no checkpoint at")) documents.warn(message);
        };
        return { ...documents, events: { ...documents.events, onWarning } };
      },
    },
    {
      onStep: (step) => {
        if (tty && step.step === "retrieval") process.stderr.write("\n");
        say(stepLine(step, dataset, options));
      },
      onQuery: tty ? (done, total) => process.stderr.write(`\rretrieving ${done}/${total}`) : undefined,
    },
  );
  const { evaluation, modelCard: card, randomWeights } = result;
  const notice =
    randomWeights.length > 0
      ? `${randomWeights.join(" and ")} hold${randomWeights.length === 1 ? "s" : ""} random weights (a generated test model): these numbers mean nothing`
      : undefined;
  if (options.json) {
    printJson({
      ok: true,
      dataset: dataset.name,
      documents: result.index.documents,
      postings: result.index.postings,
      queries: evaluation.queries,
      hits: options.hits,
      run: result.run,
      run_lines: result.retrieval.lines,
      metrics: metricsJson(evaluation),
      trec_eval: trecEvalOptions(options.complete),
      complete: options.complete,
      model_card: card ? { dataset: "MS MARCO passage dev", mrr10: card.mrr10 / 100, recall1000: card.recall1000 / 100 } : null,
      random_weights: randomWeights.length > 0,
      notice: notice ?? null,
      engine: result.engine,
      kernel: result.kernel,
      documents_encoded: result.corpus ? result.corpus.encoded : 0,
      documents_encoded_before: result.corpus?.alreadyDone ?? false,
      resumed_at: result.corpus?.resumedAt ?? 0,
      index_reused: result.index.built === undefined,
      doc_model_random_weights: result.docModelRandomWeights ?? null,
      missing_from_run: evaluation.missingFromRun.length,
      empty_queries: result.retrieval.empty.length,
      seconds: { query_encoding: round(result.seconds.queryEncoding, 3), retrieval: round(result.seconds.retrieval, 3), total: round(result.seconds.total, 3) },
    });
    return;
  }
  if (notice) console.error(`⚠ ${notice}`);
  for (const note of evaluationNotes(evaluation)) console.log(`  ${note}`);
  console.log(
    `${dataset.name}: ${evaluation.queries.toLocaleString("en-US")} queries, ${result.index.documents.toLocaleString("en-US")} documents, top ${options.hits}`,
  );
  for (const line of metricLines(evaluation, card)) console.log(line);
  if (card) console.log("model card: naver/efficient-splade-VI-BT-large, MS MARCO dev (MRR@10 38.0, R@1000 97.8)");
  if (notice) console.log("(random weights: these numbers mean nothing)");
}

await runCli(evalCommand);
