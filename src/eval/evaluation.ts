// eval's core: judged queries → documents encoded (encode-corpus's core, ids format, checkpointed in the work folder
// so a rerun resumes) or converted from an encode-corpus output → the DuckDB index (src/eval/retrieve.ts says why
// DuckDB) → queries encoded with the kernel the Worker runs (query-encoder.ts) → the exact top-k written as a TREC
// run → MRR@10, R@100, R@1000 and nDCG@10 as trec_eval computes them (metrics.ts). UI-free, like src/corpus/encode.ts:
// it reports each step through callbacks and returns what the command prints; the command starts the doc model
// (with its progress bar and Ctrl-C) when this asks for it.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { encodeCorpus, type CorpusSummary, type EncodeCorpusEvents } from "../corpus/encode.ts";
import type { SpladeEncoder } from "../encoder/encoder.ts";
import { FORMATS } from "../encoder/formats/index.ts";
import type { SparsifyOptions } from "../encoder/sparse.ts";
import { openDuckdb } from "../engines/duckdb.ts";
import { queryEncoder, type QueryEncoder } from "./query-encoder.ts";
import { catalogueModelOf, DEFAULT_MODEL } from "../model/catalogue.ts";
import { ModelError } from "../model/errors.ts";
import { readManifest } from "../model/manifest.ts";
import { FETCH_QUERY } from "../node/query-model.ts";
import { convertToIds, sniffEncoded, type EncodedFormat } from "./encoded.ts";
import { EvaluationError, inputError } from "./errors.ts";
import { evaluate, type Evaluation } from "./metrics.ts";
import { ensureIndex, retrieve, type EncodedQuery, type IndexReady, type RetrievalResult } from "./retrieve.ts";
import { readQrels, readQueries, readRun, trecIdProblem } from "./trec.ts";

/** encode-corpus's defaults (src/cli/encode-corpus.ts): batches of 32, sorted by length in windows of 16 batches. */
const BATCH_SIZE = 32;
const SORT_WINDOW = BATCH_SIZE * 16;

/** MS MARCO passage dev (small): its collection and its qrels' query count. */
const MSMARCO_DEV = { documents: 8_841_823, queries: 6_980 };
/** naver/efficient-splade-VI-BT-large model card: MS MARCO dev, in percent. */
export const MODEL_CARD = { mrr10: 38.0, recall1000: 97.8 } as const;

export interface EvalDataset {
  name: string;
  /** A collection to encode (TSV or JSONL), or undefined with `encoded`. */
  collection?: string;
  /** An encode-corpus output (ids, jsonl or pgvector). */
  encoded?: string;
  queries: string;
  qrels: string;
}

/** The doc model at work on the collection, as the command starts it. */
export interface DocumentEncoding {
  encoder: SpladeEncoder;
  /** What the checkpoint records as the model. */
  modelId: string;
  randomWeights: boolean;
  /** Aborting it stops the encoding, resumable (Ctrl-C). */
  signal?: AbortSignal;
  /** The encoding's progress and warnings. */
  events?: EncodeCorpusEvents;
  close(): Promise<void>;
}

export interface EvaluationOptions {
  /** Encoded documents with their checkpoint, the DuckDB database and (by default) the run. */
  work: string;
  /** The run file; default WORK/run.trec. */
  output?: string;
  hits: number;
  tag: string;
  /** Average over every qrels query (trec_eval -c). */
  complete: boolean;
  /** DuckDB's memory_limit. */
  memory?: string;
  /** Cuts on the document vectors (encode-corpus's --top-k, --min-weight). */
  sparsify: SparsifyOptions;
  queryModel: string;
  docModel: string;
  /** Starts the doc model; called only when the collection needs encoding, and closed after. */
  startDocuments(): Promise<DocumentEncoding>;
}

/** What each step found, as it finishes. */
export type EvalStep =
  | { step: "start"; judged: number; qrelsQueries: number }
  | { step: "documents"; file: string; corpus: CorpusSummary }
  | { step: "documents"; file: string; converted: { records: number; format: Exclude<EncodedFormat, "ids"> } }
  | { step: "index"; engine: string; index: IndexReady }
  | { step: "queries"; count: number; kernel: QueryEncoder["build"]; ms: number; truncated: number }
  | { step: "retrieval"; result: RetrievalResult; output: string };

export interface EvaluationEvents {
  onStep?(step: EvalStep): void;
  /** After each query retrieved. */
  onQuery?(done: number, total: number): void;
}

export interface EvaluationResult {
  evaluation: Evaluation;
  index: IndexReady;
  retrieval: RetrievalResult;
  run: string;
  engine: { name: "duckdb"; version: string };
  kernel: QueryEncoder["build"];
  /** The doc encoding of this run, when the collection was encoded. */
  corpus?: CorpusSummary;
  docModelRandomWeights?: boolean;
  /** The model folders holding generated random weights: the numbers mean nothing. */
  randomWeights: string[];
  /** The model card's figures, when the run is MS MARCO dev on real weights. */
  modelCard?: typeof MODEL_CARD;
  seconds: { queryEncoding: number; retrieval: number; total: number };
}

/** Encodes, indexes, retrieves and scores `dataset` (see the header). */
export async function runEvaluation(dataset: EvalDataset, options: EvaluationOptions, events: EvaluationEvents = {}): Promise<EvaluationResult> {
  const started = performance.now();
  await mkdir(options.work, { recursive: true });
  const output = options.output ?? join(options.work, "run.trec");

  const { qrels } = await readQrels(dataset.qrels);
  const all = await readQueries(dataset.queries);
  // Only judged queries are encoded: the others cannot change a measure (BEIR's queries.jsonl holds every split's).
  const queries = all.filter((q) => qrels.has(q.qid));
  for (const q of queries) {
    const problem = trecIdProblem("query", q.qid);
    if (problem) throw inputError(dataset.queries, undefined, problem);
  }
  if (queries.length === 0) throw inputError(dataset.queries, undefined, `none of its ${all.length} queries is in ${dataset.qrels}`);
  // The Worker's query model, either kind (a transformer on the kernel, or an inference-free weight table).
  const queryManifest = join(options.queryModel, "manifest.json");
  if (!existsSync(queryManifest))
    throw new ModelError("folder", `${queryManifest} not found — run \`${FETCH_QUERY}\`, or point --query-model at a converted model folder`);
  const encoderOfQueries = await queryEncoder(options.queryModel, { fetchHint: FETCH_QUERY });
  const queryModel = catalogueModelOf(encoderOfQueries.manifest);
  // A missing doc folder is named by the document encoder's start, below.
  if (dataset.collection && existsSync(join(options.docModel, "manifest.json"))) {
    // A query half scores only against its own model's documents: two catalogue models' halves are refused here,
    // before hours of encoding, as verify refuses them.
    const docModel = catalogueModelOf(await readManifest(options.docModel));
    if (queryModel && docModel && queryModel !== docModel) {
      throw new ModelError(
        "manifest",
        `${options.queryModel} is ${queryModel.name}'s query half but ${options.docModel} is ${docModel.name}'s documents: not one model — fetch both with \`npm run model -- fetch --model NAME\``,
      );
    }
  }
  const randomWeights: string[] = [];
  if (encoderOfQueries.manifest.random_weights) randomWeights.push(options.queryModel);
  events.onStep?.({ step: "start", judged: queries.length, qrelsQueries: qrels.size });

  // ── documents ────────────────────────────────────────────────────────────────────────────────────────────────
  let idsFile: string;
  let corpus: CorpusSummary | undefined;
  let docModelRandomWeights: boolean | undefined;
  if (dataset.collection) {
    idsFile = join(options.work, "docs.ids.jsonl");
    const documents = await options.startDocuments();
    docModelRandomWeights = documents.randomWeights;
    if (documents.randomWeights) randomWeights.push(options.docModel);
    try {
      corpus = await encodeCorpus(
        {
          input: dataset.collection,
          output: idsFile,
          format: FORMATS.ids,
          formatOptions: {},
          encoder: documents.encoder,
          model: documents.modelId,
          engine: "node",
          sparsify: options.sparsify,
          batchSize: BATCH_SIZE,
          sortWindow: SORT_WINDOW,
          resume: true,
          onError: "stop",
          signal: documents.signal,
        },
        documents.events,
      );
    } finally {
      await documents.close();
    }
    events.onStep?.({ step: "documents", file: idsFile, corpus });
    if (corpus.totals.duplicates > 0) {
      throw new EvaluationError(
        "duplicate_document",
        `${dataset.collection} has ${corpus.totals.duplicates} duplicate document id(s): a run cannot rank one document twice`,
      );
    }
  } else {
    const encoded = dataset.encoded as string;
    const sniffed = await sniffEncoded(encoded);
    if ("problem" in sniffed) throw new EvaluationError("input", sniffed.problem);
    if (sniffed.format === "ids") idsFile = encoded;
    else {
      idsFile = join(options.work, "encoded.ids.jsonl");
      const vocab = new Map<string, number>();
      const { tokenizer } = encoderOfQueries;
      for (let id = 0; id < tokenizer.vocabSize; id++) vocab.set(tokenizer.token(id), id);
      const records = await convertToIds(encoded, sniffed.format, idsFile, (term) => vocab.get(term));
      events.onStep?.({ step: "documents", file: idsFile, converted: { records, format: sniffed.format } });
    }
  }

  // ── index ────────────────────────────────────────────────────────────────────────────────────────────────────
  const duck = await openDuckdb({ path: join(options.work, "index.duckdb"), memoryLimit: options.memory, tempDirectory: join(options.work, "duckdb.tmp") });
  try {
    const index = await ensureIndex(duck, [resolve(idsFile)]);
    events.onStep?.({ step: "index", engine: `DuckDB ${duck.version}`, index });

    // ── queries ──────────────────────────────────────────────────────────────────────────────────────────────────
    const q0 = performance.now();
    const encoded: EncodedQuery[] = [];
    let truncated = 0;
    for (const q of queries) {
      const v = await encoderOfQueries.encode(q.text);
      if (v.truncated) truncated++;
      encoded.push({ qid: q.qid, indices: v.indices, values: v.values });
    }
    const queryMs = performance.now() - q0;
    events.onStep?.({ step: "queries", count: encoded.length, kernel: encoderOfQueries.build, ms: queryMs, truncated });

    // ── retrieval ────────────────────────────────────────────────────────────────────────────────────────────────
    const result = await retrieve(duck, encoded, {
      k: options.hits,
      output,
      tag: options.tag,
      onQuery: events.onQuery ? (done) => events.onQuery?.(done, encoded.length) : undefined,
    });
    events.onStep?.({ step: "retrieval", result, output });

    const evaluation = evaluate(result.run, qrels, { complete: options.complete });
    const looksLikeMsmarcoDev = qrels.size === MSMARCO_DEV.queries && index.documents === MSMARCO_DEV.documents;
    return {
      evaluation,
      index,
      retrieval: result,
      run: output,
      engine: { name: "duckdb", version: duck.version },
      kernel: encoderOfQueries.build,
      corpus,
      docModelRandomWeights,
      randomWeights,
      // The card's figures are efficient-SPLADE's: another model's run is not compared with them.
      modelCard: looksLikeMsmarcoDev && randomWeights.length === 0 && queryModel === DEFAULT_MODEL ? MODEL_CARD : undefined,
      seconds: {
        queryEncoding: queryMs / 1000,
        retrieval: result.times.reduce((a, b) => a + b, 0) / 1000,
        total: (performance.now() - started) / 1000,
      },
    };
  } finally {
    duck.close();
  }
}

/** Scores a TREC or MS MARCO run file against qrels, as trec_eval does. */
export async function scoreRunFile(
  runFile: string,
  qrelsFile: string,
  options: { complete: boolean },
): Promise<{ evaluation: Evaluation; lines: number; format: string }> {
  const [run, qrels] = await Promise.all([readRun(runFile), readQrels(qrelsFile)]);
  return { evaluation: evaluate(run.run, qrels.qrels, { complete: options.complete }), lines: run.lines, format: run.format };
}
