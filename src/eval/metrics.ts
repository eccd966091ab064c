// Retrieval metrics exactly as trec_eval computes them — pure functions, no I/O (src/eval/trec.ts reads the files).
//
// Source: usnistgov/trec_eval v10.0 (tag v10.0, commit f4253652c8ef, Makefile VERSIONID 10.0-rc3), checked line by
// line against v9.0.8 where noted:
//
// Ranking (form_res_rels.c, te_form_res_rels + comp_sim_docno): a query's retrieved documents are sorted by score
//   descending, equal scores by docno DESCENDING (strcmp(p2->docno, p1->docno): byte order of the UTF-8 docno, i.e.
//   code point order). The rank column of a run file is ignored. -M N keeps the first N after this sort.
//   v10.0 compares scores as C doubles; 9.0.x stored them as C floats, so scores equal in float32 tie there
//   (`scorePrecision: "float32"` reproduces 9.0.x, which Anserini's tools/eval/trec_eval.9.0.4 and pytrec_eval run).
// Duplicates (form_res_rels.c): a docno twice in one query's ranking is an error ("duplicate docs"; trec_eval stops
//   with exit 4), not "keep the first": a duplicate_document EvaluationError here. A docno twice in one query's qrels is too.
// Relevance: a retrieved docno absent from the query's qrels is RELVALUE_NONPOOL (-1), a qrels value below 0 is
//   "unjudged in pool"; both count as non-relevant everywhere below. Relevant means rel ≥ relevance_level
//   (-l, default 1): rel 0 is judged non-relevant.
// recip_rank (m_recip_rank.c): 1 / rank of the first relevant retrieved document, 0 if none. MRR@10 is
//   `trec_eval -M 10 -m recip_rank` (the ranking cut at 10 first), what Anserini reports for MS MARCO and what
//   MS MARCO's ms_marco_eval.py computes (MaxMRRRank = 10; it divides by every reference query, as -c does).
// recall.k (m_recall.c): relevant among the first k retrieved / relevant in the qrels (rel ≥ level); a run shorter
//   than k is padded with non-relevant documents; a query with no relevant document scores 0 (and still counts).
// ndcg_cut.k (m_ndcg_cut.c): DCG@k / IDCG@k with gain = the qrels value itself (graded, no 2^rel − 1) for every
//   retrieved document whose value is > 0, discount log2(rank + 1); IDCG@k from the query's qrels values > 0
//   sorted descending (all judged documents, retrieved or not). IDCG 0 (no positive judgment) scores 0. Gains ignore
//   -l: a rel-1 document gains 1 even at -l 2, as in trec_eval.
// Which queries count (trec_eval.c main loop; meas_avg.c te_calc_avg_meas_*): only queries in the qrels are ever
//   evaluated — a run's query absent from the qrels is ignored. A qrels query the run lacks is skipped by default,
//   and scores 0 with -c (average_complete_flag: the mean divides by every qrels query, num_q_rels). A qrels query
//   whose judgments are all non-relevant is evaluated like any other (0 on every measure here) and counts in the
//   mean, with or without -c. A run sharing no query with the qrels is an error (trec_eval 9.0.8 exit 7, "No queries
//   with both results and relevance info"; ms_marco_eval.py "No matching QIDs found"), with or without -c.
//   `complete` defaults to true: Anserini's regressions and MS MARCO's official eval both average over every
//   qrels query (`-c`), and a run that lost queries should not look better for it.
//   (v10.0 without -c exits 4 on a qrels query missing from the run, "result qid … not found in qrels": a
//   regression of its rewritten loop; `complete: false` follows 9.0.8 and the documented behaviour, skipping it.)

import { EvaluationError } from "./errors.ts";

export interface RunEntry {
  docno: string;
  score: number;
}

/** qid → its retrieved documents, in any order (the rank column is never read). */
export type Run = ReadonlyMap<string, readonly RunEntry[]>;

/** qid → docno → relevance value (an integer; < 0: unjudged, 0: non-relevant). */
export type Qrels = ReadonlyMap<string, ReadonlyMap<string, number>>;

export interface MetricOptions {
  /** trec_eval -c: every qrels query counts, one the run lacks scoring 0. Default true. */
  complete?: boolean;
  /** trec_eval -l: the least relevance value that is relevant. Default 1. */
  relevanceLevel?: number;
  /** "double" (trec_eval 10.0, default) or "float32" (9.0.x): how equal two scores must be to tie. */
  scorePrecision?: "double" | "float32";
}

/** The four figures, in trec_eval's terms. */
export const MEASURES = {
  mrr10: { label: "MRR@10", trecEval: "-M 10 -m recip_rank" },
  recall100: { label: "R@100", trecEval: "-m recall.100" },
  recall1000: { label: "R@1000", trecEval: "-m recall.1000" },
  ndcg10: { label: "nDCG@10", trecEval: "-m ndcg_cut.10" },
} as const;

export type MeasureName = keyof typeof MEASURES;
export type Scores = Record<MeasureName, number>;

export interface QueryScores extends Scores {
  qid: string;
  /** Documents of the qrels with rel ≥ the relevance level. */
  relevant: number;
  /** Documents the run retrieved for it (0: not in the run). */
  retrieved: number;
}

export interface Evaluation extends Scores {
  /** Queries averaged over. */
  queries: number;
  perQuery: QueryScores[];
  /** Qrels queries the run has no line for (scored 0 when complete, else left out). */
  missingFromRun: string[];
  /** Run queries without qrels (ignored, as trec_eval does). */
  notInQrels: string[];
  /** Qrels queries with no relevant document (evaluated: 0 on every measure). */
  withoutRelevant: string[];
  options: Required<MetricOptions>;
}

/** A duplicate_document EvaluationError: `docno` twice in `qid`'s ranking or qrels. */
export function duplicateDocument(qid: string, docno: string, where: "run" | "qrels"): EvaluationError {
  return new EvaluationError(
    "duplicate_document",
    `query ${JSON.stringify(qid)} lists document ${JSON.stringify(docno)} twice in the ${where} (trec_eval refuses duplicates: "duplicate docs")`,
  );
}

const NOTHING_TO_EVALUATE = 'no query has both run lines and qrels (trec_eval: "No queries with both results and relevance info")';

/** strcmp on the UTF-8 bytes of a and b, on JavaScript strings: code point order (UTF-16 order differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (an astral code point, ≥ U+10000) sorts after every BMP unit ≥ U+E000, which UTF-16 puts after it.
    const surrogateX = x >= 0xd800 && x <= 0xdfff;
    const surrogateY = y >= 0xd800 && y <= 0xdfff;
    if (surrogateX !== surrogateY && (surrogateX ? y : x) >= 0xe000) return surrogateX ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * A query's documents in trec_eval's order: score descending, ties by docno descending. Throws
 * a duplicate_document EvaluationError for a docno listed twice.
 */
export function rankEntries(qid: string, entries: readonly RunEntry[], scorePrecision: "double" | "float32" = "double"): RunEntry[] {
  const key = scorePrecision === "float32" ? (s: number) => Math.fround(s) : (s: number) => s;
  const ranked = [...entries].sort((a, b) => {
    const sa = key(a.score);
    const sb = key(b.score);
    return sa > sb ? -1 : sa < sb ? 1 : compareCodePoints(b.docno, a.docno);
  });
  const seen = new Set<string>();
  for (const e of ranked) {
    if (seen.has(e.docno)) throw duplicateDocument(qid, e.docno, "run");
    seen.add(e.docno);
  }
  return ranked;
}

/** The relevance values of a ranking as trec_eval's results_rel_list: the qrels value, or -1 when not judged. */
function relevanceList(ranked: readonly RunEntry[], judged: ReadonlyMap<string, number>): number[] {
  return ranked.map((e) => judged.get(e.docno) ?? -1);
}

/** m_recip_rank.c on the first `cut` ranks (-M cut). */
export function reciprocalRank(rels: readonly number[], level: number, cut = Infinity): number {
  const n = Math.min(rels.length, cut);
  for (let i = 0; i < n; i++) if (rels[i] >= level) return 1 / (i + 1);
  return 0;
}

/** m_recall.c at cutoff k; `relevant` = qrels documents with rel ≥ level. */
export function recallAt(rels: readonly number[], relevant: number, level: number, k: number): number {
  if (relevant === 0) return 0;
  let found = 0;
  const n = Math.min(rels.length, k);
  for (let i = 0; i < n; i++) if (rels[i] >= level) found++;
  return found / relevant;
}

/** m_ndcg_cut.c at cutoff k; `judged` = every qrels value of the query. */
export function ndcgAt(rels: readonly number[], judged: Iterable<number>, k: number): number {
  let dcg = 0;
  const n = Math.min(rels.length, k);
  for (let i = 0; i < n; i++) if (rels[i] > 0) dcg += rels[i] / Math.log2(i + 2);
  const ideal = [...judged].filter((r) => r > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(ideal.length, k); i++) idcg += ideal[i] / Math.log2(i + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

/** The four measures of one query; `ranked` already in trec_eval's order (rankEntries). */
export function scoreQuery(qid: string, ranked: readonly RunEntry[], judged: ReadonlyMap<string, number>, level = 1): QueryScores {
  const rels = relevanceList(ranked, judged);
  let relevant = 0;
  for (const r of judged.values()) if (r >= level) relevant++;
  return {
    qid,
    relevant,
    retrieved: ranked.length,
    mrr10: reciprocalRank(rels, level, 10),
    recall100: recallAt(rels, relevant, level, 100),
    recall1000: recallAt(rels, relevant, level, 1000),
    ndcg10: ndcgAt(rels, judged.values(), 10),
  };
}

/** trec_eval's summary over a run: see the header for which queries count. */
export function evaluate(run: Run, qrels: Qrels, options: MetricOptions = {}): Evaluation {
  const resolved: Required<MetricOptions> = {
    complete: options.complete ?? true,
    relevanceLevel: options.relevanceLevel ?? 1,
    scorePrecision: options.scorePrecision ?? "double",
  };
  const perQuery: QueryScores[] = [];
  const missingFromRun: string[] = [];
  const withoutRelevant: string[] = [];
  for (const [qid, judged] of qrels) {
    const entries = run.get(qid);
    if (entries === undefined || entries.length === 0) {
      missingFromRun.push(qid);
      if (!resolved.complete) continue;
    }
    const scores = scoreQuery(qid, rankEntries(qid, entries ?? [], resolved.scorePrecision), judged, resolved.relevanceLevel);
    if (scores.relevant === 0) withoutRelevant.push(qid);
    perQuery.push(scores);
  }
  if (perQuery.length === 0 || perQuery.every((q) => q.retrieved === 0)) throw new EvaluationError("nothing_to_evaluate", NOTHING_TO_EVALUATE);
  const mean = (name: MeasureName) => perQuery.reduce((sum, q) => sum + q[name], 0) / perQuery.length;
  return {
    queries: perQuery.length,
    mrr10: mean("mrr10"),
    recall100: mean("recall100"),
    recall1000: mean("recall1000"),
    ndcg10: mean("ndcg10"),
    perQuery,
    missingFromRun,
    notInQrels: [...run.keys()].filter((qid) => !qrels.has(qid)),
    withoutRelevant,
    options: resolved,
  };
}
