// `npm run eval`: retrieval quality in one command. Documents are encoded with encode-corpus's core (ids format,
// checkpointed in --work, so a rerun resumes), queries with the kernel the Worker runs (src/eval/query-encoder.ts),
// the exact top-k retrieved by DuckDB from a database file in --work (src/eval/retrieve.ts says why DuckDB), a TREC
// run written, and MRR@10, R@100, R@1000 and nDCG@10 printed as trec_eval computes them (src/eval/metrics.ts).
// `--run RUN --qrels QRELS` scores any TREC run (Anserini's, PISA's) the same way.
//
// Only an npm script, no package.json "bin": the bin shim pattern (src/cli/bin/) runs an esbuild bundle of the
// CLI, and this one loads DuckDB's native binding and the kernel's .wasm files from paths relative to its source
// modules (src/kernel/build.ts's KERNEL_DIR), which a single-file bundle in dist/ would not find.
import { defineCommand } from "citty";
import { existsSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { encodeCorpus, type CorpusSummary } from "../corpus/encode.ts";
import { FORMATS } from "../encoder/formats/index.ts";
import { openDuckdb, type Duckdb } from "../engines/duckdb.ts";
import { convertToIds, sniffEncoded } from "../eval/encoded.ts";
import { evaluate, MEASURES, type Evaluation, type MeasureName, type Qrels } from "../eval/metrics.ts";
import { queryEncoder } from "../eval/query-encoder.ts";
import { ensureIndex, retrieve, type EncodedQuery } from "../eval/retrieve.ts";
import { inputError } from "../eval/errors.ts";
import { readQrels, readQueries, readRun, trecIdProblem, type Query } from "../eval/trec.ts";
import { loadDocModel, startDocEncoder } from "../node/doc-model.ts";
import { loadModelFolder } from "../node/model-folder.ts";
import { documentBar, interactive } from "./progress.ts";
import { nonNegative, positiveInt, printJson, runCli, usage, CliError } from "./run.ts";

const DEFAULT_HITS = 1000;
const DEFAULT_TAG = "splade-edge";
const FETCH_QUERY = "npm run model -- fetch --only query";

/** MS MARCO passage dev (small): its collection and its qrels' query count. */
const MSMARCO_DEV = { documents: 8_841_823, queries: 6_980 };
/** naver/efficient-splade-VI-BT-large model card: MS MARCO dev, in percent. */
const MODEL_CARD = { mrr10: 38.0, recall1000: 97.8 } as const;

function requireFile(option: string, path: string): string {
  if (!existsSync(path)) usage(`${option} ${path}: no such file`);
  if (statSync(path).isDirectory()) usage(`${option} ${path} is a directory, not a file`);
  return path;
}

interface Dataset {
  name: string;
  /** A collection to encode (TSV or JSONL), or undefined with `encoded`. */
  collection?: string;
  encoded?: string;
  queries: string;
  qrels: string;
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

function resolveDataset(args: { collection?: string; queries?: string; qrels?: string; beir?: string; split: string; encoded?: string }): Dataset {
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
  let evaluation: Evaluation;
  let lines: number;
  let format: string;
  const [run, qrels] = await Promise.all([readRun(runFile), readQrels(qrelsFile)]);
  evaluation = evaluate(run.run, qrels.qrels, { complete: options.complete });
  lines = run.lines;
  format = run.format;
  if (options.json) {
    printJson({
      ok: true,
      run: runFile,
      run_format: format,
      qrels: qrelsFile,
      queries: evaluation.queries,
      lines,
      metrics: metricsJson(evaluation),
      trec_eval: Object.fromEntries((Object.keys(MEASURES) as MeasureName[]).map((n) => [n, `${options.complete ? "-c " : ""}${MEASURES[n].trecEval}`])),
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

async function runEval(dataset: Dataset, options: EvalOptions): Promise<void> {
  const say = (message: string) => {
    if (!options.json) console.error(message);
  };
  const started = performance.now();
  await mkdir(options.work, { recursive: true });
  const output = options.output ?? join(options.work, "run.trec");

  let qrels: Qrels;
  let queries: Query[];
  qrels = (await readQrels(dataset.qrels)).qrels;
  const all = await readQueries(dataset.queries);
  // Only judged queries are encoded: the others cannot change a measure (BEIR's queries.jsonl holds every split's).
  queries = all.filter((q) => qrels.has(q.qid));
  for (const q of queries) {
    const problem = trecIdProblem("query", q.qid);
    if (problem) throw inputError(dataset.queries, undefined, problem);
  }
  if (queries.length === 0) throw inputError(dataset.queries, undefined, `none of its ${all.length} queries is in ${dataset.qrels}`);
  const queryFolder = await loadModelFolder(options.queryModel, { fetchHint: FETCH_QUERY });
  const randomWeights: string[] = [];
  if (queryFolder.manifest.random_weights) randomWeights.push(options.queryModel);
  say(
    `eval: ${dataset.name}: ${queries.length.toLocaleString("en-US")} judged queries of ${qrels.size.toLocaleString("en-US")} in the qrels; work folder ${options.work}`,
  );

  // ── documents ────────────────────────────────────────────────────────────────────────────────────────────────
  let idsFile: string;
  let corpus: CorpusSummary | undefined;
  let docModelRandom: boolean | undefined;
  if (dataset.collection) {
    idsFile = join(options.work, "docs.ids.jsonl");
    const model = await loadDocModel(options.docModel);
    docModelRandom = model.randomWeights;
    if (model.randomWeights) randomWeights.push(options.docModel);
    if (model.roleWarning) say(`⚠ ${model.roleWarning}`);
    const { encoder, backend } = await startDocEncoder(model, { engine: "node", threads: options.threads });
    const bar = documentBar(interactive({ quiet: options.quiet, json: options.json }));
    process.once("SIGINT", () => {
      bar.stop();
      console.error("\n✖ interrupted — run the same command again to continue from the last checkpoint");
      void backend.close().finally(() => process.exit(130));
    });
    try {
      corpus = await encodeCorpus(
        {
          input: dataset.collection,
          output: idsFile,
          format: FORMATS.ids,
          formatOptions: {},
          encoder,
          model: model.modelId,
          engine: "node",
          sparsify: options.sparsify,
          batchSize: 32,
          sortWindow: 32 * 16,
          resume: true,
          onError: "stop",
        },
        {
          onProgress: (p) => bar.update(p.documents, p.tokens, p.fraction),
          onWarning: (message) => {
            if (!message.startsWith("no checkpoint at")) bar.log(`⚠ ${message}`);
          },
        },
      );
    } finally {
      bar.stop();
      await backend.close();
    }
    say(
      corpus.alreadyDone
        ? `documents: ${corpus.totals.documents.toLocaleString("en-US")} encoded before (${idsFile})`
        : `documents: encoded ${corpus.encoded.toLocaleString("en-US")}${corpus.resumedAt > 0 ? ` (resumed after ${corpus.resumedAt.toLocaleString("en-US")})` : ""} in ${corpus.seconds.toFixed(1)} s → ${idsFile}`,
    );
    if (corpus.totals.duplicates > 0)
      throw new CliError("input", `${dataset.collection} has ${corpus.totals.duplicates} duplicate document id(s): a run cannot rank one document twice`);
  } else {
    const sniffed = await sniffEncoded(dataset.encoded!);
    if ("problem" in sniffed) throw new CliError("input", sniffed.problem);
    if (sniffed.format === "ids") idsFile = dataset.encoded!;
    else {
      idsFile = join(options.work, "encoded.ids.jsonl");
      const vocab = new Map<string, number>();
      for (let id = 0; id < queryFolder.tokenizer.vocabSize; id++) vocab.set(queryFolder.tokenizer.token(id), id);
      const n = await convertToIds(dataset.encoded!, sniffed.format, idsFile, (term) => vocab.get(term));
      say(`documents: ${n.toLocaleString("en-US")} ${sniffed.format} records → ${idsFile}`);
    }
  }

  // ── index ────────────────────────────────────────────────────────────────────────────────────────────────────
  const duck: Duckdb = await openDuckdb({
    path: join(options.work, "index.duckdb"),
    memoryLimit: options.memory,
    tempDirectory: join(options.work, "duckdb.tmp"),
  });
  try {
    const index = await ensureIndex(duck, [resolve(idsFile)]);
    say(
      index.built
        ? `index: DuckDB ${duck.version}, ${index.documents.toLocaleString("en-US")} documents, ${index.postings.toLocaleString("en-US")} postings, built in ${((index.built.readMs + index.built.buildMs) / 1000).toFixed(1)} s`
        : `index: DuckDB ${duck.version}, ${index.documents.toLocaleString("en-US")} documents (built before, same file)`,
    );

    // ── queries ──────────────────────────────────────────────────────────────────────────────────────────────────
    const encoderOfQueries = await queryEncoder(options.queryModel);
    const q0 = performance.now();
    const encoded: EncodedQuery[] = [];
    let truncated = 0;
    for (const q of queries) {
      const v = await encoderOfQueries.encode(q.text);
      if (v.truncated) truncated++;
      encoded.push({ qid: q.qid, indices: v.indices, values: v.values });
    }
    const queryMs = performance.now() - q0;
    say(
      `queries: ${encoded.length.toLocaleString("en-US")} encoded on the Worker's kernel (${encoderOfQueries.build}), ${(queryMs / encoded.length).toFixed(1)} ms each${truncated ? `; ${truncated} cut to the model's length` : ""}`,
    );

    // ── retrieval ────────────────────────────────────────────────────────────────────────────────────────────────
    const tty = !options.quiet && !options.json && process.stderr.isTTY;
    const result = await retrieve(duck, encoded, {
      k: options.hits,
      output,
      tag: options.tag,
      onQuery: tty ? (done) => process.stderr.write(`\rretrieving ${done}/${encoded.length}`) : undefined,
    });
    if (tty) process.stderr.write("\n");
    const sorted = [...result.times].sort((a, b) => a - b);
    const total = result.times.reduce((a, b) => a + b, 0);
    say(`retrieval: exact top-${options.hits}, median ${sorted[sorted.length >> 1].toFixed(1)} ms a query, ${(total / 1000).toFixed(1)} s in all → ${output}`);
    if (result.empty.length > 0)
      say(`⚠ ${result.empty.length} quer${result.empty.length === 1 ? "y" : "ies"} retrieved nothing (no term any document has): absent from the run`);

    let evaluation: Evaluation;
    evaluation = evaluate(result.run, qrels, { complete: options.complete });
    const looksLikeMsmarcoDev = qrels.size === MSMARCO_DEV.queries && index.documents === MSMARCO_DEV.documents;
    const card = looksLikeMsmarcoDev && randomWeights.length === 0 ? MODEL_CARD : undefined;
    const notice =
      randomWeights.length > 0
        ? `${randomWeights.join(" and ")} hold${randomWeights.length === 1 ? "s" : ""} random weights (a generated test model): these numbers mean nothing`
        : undefined;
    if (options.json) {
      printJson({
        ok: true,
        dataset: dataset.name,
        documents: index.documents,
        postings: index.postings,
        queries: evaluation.queries,
        hits: options.hits,
        run: output,
        run_lines: result.lines,
        metrics: metricsJson(evaluation),
        trec_eval: Object.fromEntries((Object.keys(MEASURES) as MeasureName[]).map((n) => [n, `${options.complete ? "-c " : ""}${MEASURES[n].trecEval}`])),
        complete: options.complete,
        model_card: card ? { dataset: "MS MARCO passage dev", mrr10: card.mrr10 / 100, recall1000: card.recall1000 / 100 } : null,
        random_weights: randomWeights.length > 0,
        notice: notice ?? null,
        engine: { name: "duckdb", version: duck.version },
        kernel: encoderOfQueries.build,
        documents_encoded: corpus ? corpus.encoded : 0,
        documents_encoded_before: corpus?.alreadyDone ?? false,
        resumed_at: corpus?.resumedAt ?? 0,
        index_reused: index.built === undefined,
        doc_model_random_weights: docModelRandom ?? null,
        missing_from_run: evaluation.missingFromRun.length,
        empty_queries: result.empty.length,
        seconds: { query_encoding: round(queryMs / 1000, 3), retrieval: round(total / 1000, 3), total: round((performance.now() - started) / 1000, 3) },
      });
      return;
    }
    if (notice) console.error(`⚠ ${notice}`);
    for (const note of evaluationNotes(evaluation)) console.log(`  ${note}`);
    console.log(
      `${dataset.name}: ${evaluation.queries.toLocaleString("en-US")} queries, ${index.documents.toLocaleString("en-US")} documents, top ${options.hits}`,
    );
    for (const line of metricLines(evaluation, card)) console.log(line);
    if (card) console.log("model card: naver/efficient-splade-VI-BT-large, MS MARCO dev (MRR@10 38.0, R@1000 97.8)");
    if (notice) console.log("(random weights: these numbers mean nothing)");
  } finally {
    duck.close();
  }
}

await runCli(evalCommand);
