// The files retrieval is judged with: qrels (TREC and BEIR), runs (TREC, MS MARCO) and queries (MS MARCO TSV, BEIR
// JSONL), read as trec_eval and the datasets' own tools read them; and the TREC run lines eval writes.
//
// - Qrels, TREC: `qid iter docno rel`, whitespace-separated (trec_eval's get_qrels.c). MS MARCO's
//   qrels.dev.small.tsv is the same four columns with tabs (`qid<TAB>0<TAB>docid<TAB>1`). BEIR's qrels/{split}.tsv
//   is three, `query-id<TAB>corpus-id<TAB>score`, after a header line naming them. The column count of the first
//   line decides; every line must have it. rel is an integer (trec_eval reads it with atol; "1.5" is refused here
//   rather than read as 1). A (qid, docno) twice is refused, as trec_eval refuses it.
// - Runs, TREC: `qid Q0 docno rank score tag` (get_trec_results.c: six fields or more, the rank never read, the
//   score a number). MS MARCO's `qid<TAB>docid<TAB>rank` (Anserini's -format msmarco) is read with score = −rank,
//   which ranks as the file does. `#` comment lines and blank lines are skipped, as trec_eval 10.0 does.
import { openInput, openProblem, type Input, type InputLine } from "../corpus/input.ts";
import { inputError } from "./errors.ts";
import type { Qrels, Run, RunEntry } from "./metrics.ts";

const FIELDS = /\s+/;
const INTEGER = /^[+-]?\d+$/;

function fields(text: string): string[] {
  return text.trim().split(FIELDS);
}

async function* lines(path: string): AsyncGenerator<InputLine> {
  let input: Input;
  try {
    input = await openInput(path);
  } catch (error) {
    const problem = openProblem(error);
    throw problem ? inputError(path, undefined, problem) : error;
  }
  for await (const line of input.lines()) if (!line.text.trimStart().startsWith("#")) yield line;
}

export type QrelsFormat = "trec" | "beir";

export interface QrelsFile {
  qrels: Qrels;
  format: QrelsFormat;
  judgments: number;
}

/** Parses qrels text lines (TREC four columns or BEIR three with its header). */
export function parseQrels(input: Iterable<InputLine>, file: string): QrelsFile {
  const qrels = new Map<string, Map<string, number>>();
  let format: QrelsFormat | undefined;
  let judgments = 0;
  for (const { line, text } of input) {
    const f = fields(text);
    if (format === undefined) {
      if (f.length === 4) format = "trec";
      else if (f.length === 3) {
        format = "beir";
        if (!INTEGER.test(f[2])) continue; // the header: query-id corpus-id score
      } else
        throw inputError(
          file,
          line,
          `a qrels line has 4 columns (qid iter docno rel: TREC, MS MARCO) or 3 (query-id corpus-id score: BEIR), found ${f.length}`,
        );
    }
    const want = format === "trec" ? 4 : 3;
    if (f.length !== want)
      throw inputError(
        file,
        line,
        `expected ${want} columns like the first line (${format === "trec" ? "qid iter docno rel" : "query-id corpus-id score"}), found ${f.length}`,
      );
    const [qid, docno, rel] = format === "trec" ? [f[0], f[2], f[3]] : [f[0], f[1], f[2]];
    if (!INTEGER.test(rel)) throw inputError(file, line, `relevance ${JSON.stringify(rel)} is not an integer`);
    let judged = qrels.get(qid);
    if (!judged) qrels.set(qid, (judged = new Map()));
    if (judged.has(docno))
      throw inputError(file, line, `query ${JSON.stringify(qid)} judges document ${JSON.stringify(docno)} twice (trec_eval refuses duplicates)`);
    judged.set(docno, Number(rel));
    judgments++;
  }
  if (format === undefined) throw inputError(file, undefined, "holds no judgments");
  return { qrels, format, judgments };
}

export async function readQrels(path: string): Promise<QrelsFile> {
  const all: InputLine[] = [];
  for await (const line of lines(path)) all.push(line);
  return parseQrels(all, path);
}

export type RunFormat = "trec" | "msmarco";

export interface RunFile {
  run: Run;
  format: RunFormat;
  lines: number;
  /** The last line's tag (trec_eval keeps that one). */
  tag?: string;
}

/** Parses run lines: TREC (6+ columns) or MS MARCO (qid docid rank); duplicates are left for the metrics to refuse. */
export function parseRun(input: Iterable<InputLine>, file: string): RunFile {
  const run = new Map<string, RunEntry[]>();
  let format: RunFormat | undefined;
  let count = 0;
  let tag: string | undefined;
  for (const { line, text } of input) {
    const f = fields(text);
    format ??= f.length >= 6 ? "trec" : f.length === 3 ? "msmarco" : undefined;
    if (format === undefined)
      throw inputError(file, line, `a run line has 6 columns (qid Q0 docno rank score tag: TREC) or 3 (qid docid rank: MS MARCO), found ${f.length}`);
    let entry: RunEntry;
    if (format === "trec") {
      if (f.length < 6) throw inputError(file, line, `expected 6 columns (qid Q0 docno rank score tag), found ${f.length}`);
      const score = Number(f[4]);
      if (f[4] === "" || Number.isNaN(score)) throw inputError(file, line, `score ${JSON.stringify(f[4])} is not a number`);
      entry = { docno: f[2], score };
      tag = f[5];
    } else {
      if (f.length !== 3) throw inputError(file, line, `expected 3 columns (qid docid rank) like the first line, found ${f.length}`);
      if (!/^\d+$/.test(f[2]) || Number(f[2]) < 1) throw inputError(file, line, `rank ${JSON.stringify(f[2])} is not a positive integer`);
      entry = { docno: f[1], score: -Number(f[2]) };
    }
    let entries = run.get(f[0]);
    if (!entries) run.set(f[0], (entries = []));
    entries.push(entry);
    count++;
  }
  if (format === undefined) throw inputError(file, undefined, "holds no run lines");
  return { run, format, lines: count, tag };
}

export async function readRun(path: string): Promise<RunFile> {
  const all: InputLine[] = [];
  for await (const line of lines(path)) all.push(line);
  return parseRun(all, path);
}

export interface Query {
  qid: string;
  text: string;
}

/** Queries: MS MARCO `qid<TAB>text` or BEIR JSONL `{"_id","text"}` (also `id`), by the first line's shape. */
export async function readQueries(path: string): Promise<Query[]> {
  const queries: Query[] = [];
  const seen = new Set<string>();
  let json: boolean | undefined;
  for await (const { line, text } of lines(path)) {
    json ??= text.trimStart().startsWith("{");
    let query: Query;
    if (json) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw inputError(path, line, `invalid JSON (${(error as Error).message})`);
      }
      const o = value as Record<string, unknown>;
      const id = o?._id ?? o?.id;
      if ((typeof id !== "string" && typeof id !== "number") || typeof o.text !== "string")
        throw inputError(path, line, 'a query line is {"_id": …, "text": "…"}');
      query = { qid: String(id), text: o.text };
    } else {
      const tab = text.indexOf("\t");
      if (tab <= 0) throw inputError(path, line, "a query line is qid<TAB>text");
      query = { qid: text.slice(0, tab).trim(), text: text.slice(tab + 1) };
    }
    if (seen.has(query.qid)) throw inputError(path, line, `query id ${JSON.stringify(query.qid)} twice`);
    seen.add(query.qid);
    queries.push(query);
  }
  return queries;
}

/** One TREC run line: `qid Q0 docno rank score tag`. */
export function runLine(qid: string, docno: string, rank: number, score: number, tag: string): string {
  return `${qid} Q0 ${docno} ${rank} ${score} ${tag}\n`;
}

/** Why an id cannot be written into a whitespace-separated TREC file, or undefined. */
export function trecIdProblem(kind: "query" | "document", id: string): string | undefined {
  if (id === "" || /\s/.test(id)) return `${kind} id ${JSON.stringify(id)} is empty or holds whitespace: TREC run and qrels files split on it`;
  return undefined;
}
