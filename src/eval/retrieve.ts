// Exact top-k retrieval for eval: the encoded collection in a DuckDB database file (src/engines/duckdb.ts,
// loadIndex/searchIndex), every query's top k by dot product written as a TREC run.
//
// Why DuckDB, not pgvector (PGlite), measured with `npm run bench -- retrieval` on generated collections (~120
// terms a document, ~25 a query, Zipf over the vocabulary; 2 cores, docs/eval.md):
// - query time: DuckDB reads only the postings of the query's terms (sorted postings + the join's dynamic filter)
//   and sums them in a perfect hash aggregate; pgvector has no inverted access for sparsevec, so an exact top-k is a
//   sequential scan of every row, in one WebAssembly thread. At 100k documents, top-1000 p50: DuckDB 13.5 ms,
//   pgvector 118 ms (same top-10 ids); pgvector grows with every row (≈ 10 s a query at 8.8M: a day for 6,980
//   queries), DuckDB with the postings its terms hit (81 ms at 1M; ≈ 0.7 s at 8.8M on 2 cores).
// - size: PGlite holds the database in WebAssembly memory (a 32-bit heap, under 4 GiB) and COPY reads its file
//   whole from a Blob; DuckDB works from a file and spills its sorts beyond memory_limit, so MS MARCO's ~1.1 B
//   postings fit on disk.
// - load: DuckDB's read_json + sorted tables beat COPY's text parsing (100k: 2.7 s vs 8.6 s; 1M: 22.7 s), and
//   with memory_limit 1GB the 1M load and queries ran as fast in 1.3 GiB of RSS (3.6 GiB unbounded).
import { once } from "node:events";
import { createWriteStream, statSync } from "node:fs";
import { rename } from "node:fs/promises";
import type { Duckdb, IndexLoad, IndexSource } from "../engines/duckdb.ts";
import type { RunEntry } from "./metrics.ts";
import { runLine } from "./trec.ts";

export const INDEX_PREFIX = "eval";

/** What identifies ids files' contents cheaply: path, size and mtime of each. */
export function fingerprint(files: string[]): IndexSource {
  return {
    files,
    fingerprint: JSON.stringify(
      files.map((f) => {
        const s = statSync(f);
        return [f, s.size, Math.round(s.mtimeMs)];
      }),
    ),
  };
}

export interface IndexReady {
  documents: number;
  postings: number;
  /** Undefined when an index of the same files was already there. */
  built?: IndexLoad;
}

/** The index of `files`, built unless the database already holds one of the same files. */
export async function ensureIndex(duck: Duckdb, files: string[]): Promise<IndexReady> {
  const source = fingerprint(files);
  const info = await duck.indexInfo(INDEX_PREFIX);
  if (info && info.source.fingerprint === source.fingerprint) return { documents: info.documents, postings: info.postings };
  const built = await duck.loadIndex(source, { prefix: INDEX_PREFIX });
  return { documents: built.documents, postings: built.postings, built };
}

export interface EncodedQuery {
  qid: string;
  indices: readonly number[];
  values: readonly number[];
}

export interface RetrievalResult {
  /** qid → hits, trec_eval's order (the run as the metrics read it). */
  run: Map<string, RunEntry[]>;
  /** Per query, ms. */
  times: number[];
  /** Queries with no hit (an empty vector, or no term any document has): absent from the run file. */
  empty: string[];
  lines: number;
}

/** Retrieves the top `k` of every query and writes them as a TREC run to `output` (whole, or not at all). */
export async function retrieve(
  duck: Duckdb,
  queries: readonly EncodedQuery[],
  options: { k: number; output: string; tag: string; onQuery?(done: number): void },
): Promise<RetrievalResult> {
  const partial = `${options.output}.part`;
  const out = createWriteStream(partial);
  const run = new Map<string, RunEntry[]>();
  const times: number[] = [];
  const empty: string[] = [];
  let lines = 0;
  try {
    for (const [i, query] of queries.entries()) {
      const t0 = performance.now();
      const hits = await duck.searchIndex(query, options.k, { prefix: INDEX_PREFIX });
      times.push(performance.now() - t0);
      if (hits.length === 0) empty.push(query.qid);
      run.set(
        query.qid,
        hits.map((h) => ({ docno: h.id, score: h.score })),
      );
      const text = hits.map((h, r) => runLine(query.qid, h.id, r + 1, h.score, options.tag)).join("");
      lines += hits.length;
      if (!out.write(text)) await once(out, "drain");
      options.onQuery?.(i + 1);
    }
  } finally {
    out.end();
    await once(out, "finish");
  }
  await rename(partial, options.output);
  return { run, times, empty, lines };
}
