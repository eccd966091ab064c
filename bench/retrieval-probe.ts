// `tsx bench/retrieval-probe.ts ENGINE DOCS.ids.jsonl QUERIES.ids.jsonl WORK HITS ROUNDS [MEMORY]` (run by
// retrieval.ts): one engine on one generated collection in a fresh process — load, exact top-HITS queries, RSS —
// printed as one JSON line. A fresh process each, because neither engine gives memory back to the OS. pgvector
// reads the collection's COPY file, which retrieval.ts writes first (encode-corpus --format pgvector would).
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { openDuckdb } from "../src/engines/duckdb.ts";
import { openPgvector } from "../src/engines/pgvector.ts";
import { INDEX_PREFIX, fingerprint } from "../src/eval/retrieve.ts";
import { sparsevecLiteral } from "../src/encoder/formats/pgvector.ts";
import { copyFileFor, VOCAB_SIZE, type SparseVectorRecord } from "./sparse-collection.ts";

export interface RetrievalProbe {
  engine: "duckdb" | "pgvector";
  version: string;
  documents: number;
  /** Postings the engine counted (DuckDB); null where it keeps whole vectors (pgvector). */
  postings: number | null;
  /** Engine start (PGlite: WebAssembly + initdb; DuckDB: open the file), ms. */
  open_ms: number;
  /** Ingest until queries can run: DuckDB read_json + checks + sorted tables; pgvector COPY + ANALYZE. */
  load_ms: number;
  load_parts_ms: Record<string, number>;
  /** Per measured query, ms (after the warm-up ones). */
  query_ms: number[];
  warmup: number;
  hits: number;
  /** Resident set size, bytes: before the engine opens, after the load, after the queries; and the process peak. */
  rss_start: number;
  rss_after_load: number;
  rss_after_queries: number;
  rss_peak: number;
  /** On-disk size of what the engine keeps (DuckDB's database file), bytes; null in memory. */
  disk_bytes: number | null;
  /** Top-10 ids of each measured query, for comparing engines. */
  top10: string[][];
}

const WARMUP = 3;

async function main(): Promise<void> {
  const [engine, docs, queriesFile, work, hitsArg, roundsArg, memory] = process.argv.slice(2);
  const hits = Number(hitsArg);
  const rounds = Number(roundsArg);
  const queries = readFileSync(queriesFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SparseVectorRecord)
    .slice(0, rounds + WARMUP);
  const rss = () => process.memoryUsage().rss;
  const query_ms: number[] = [];
  const top10: string[][] = [];
  let result: Omit<RetrievalProbe, "query_ms" | "top10" | "rss_after_queries" | "rss_peak" | "warmup" | "hits">;
  let search: (q: SparseVectorRecord) => Promise<Array<{ id: string }>>;
  let close: () => Promise<void>;
  if (engine === "duckdb") {
    const path = join(work, "bench.duckdb");
    rmSync(path, { force: true });
    rmSync(`${path}.wal`, { force: true });
    const rss_start = rss();
    const duck = await openDuckdb({ path, memoryLimit: memory || undefined, tempDirectory: join(work, "duckdb.tmp") });
    const load = await duck.loadIndex(fingerprint([docs]), { prefix: INDEX_PREFIX });
    result = {
      engine,
      version: duck.version,
      documents: load.documents,
      postings: load.postings,
      open_ms: duck.openMs,
      load_ms: load.readMs + load.buildMs,
      load_parts_ms: { read_json_and_checks: load.readMs, sorted_tables: load.buildMs },
      rss_start,
      rss_after_load: rss(),
      disk_bytes: null,
    };
    search = (q) => duck.searchIndex(q, hits, { prefix: INDEX_PREFIX });
    close = async () => {
      duck.close();
      result.disk_bytes = statSync(path).size;
    };
  } else if (engine === "pgvector") {
    const copy = copyFileFor(docs);
    const rss_start = rss();
    const pg = await openPgvector();
    const load = await pg.loadCopyFile(copy, { table: "docs", dimensions: VOCAB_SIZE });
    result = {
      engine,
      version: `PostgreSQL ${pg.versions.postgres} + pgvector ${pg.versions.pgvector} (PGlite)`,
      documents: load.rows,
      postings: null,
      open_ms: pg.openMs,
      load_ms: load.copyMs + load.analyzeMs,
      load_parts_ms: { copy: load.copyMs, analyze: load.analyzeMs },
      rss_start,
      rss_after_load: rss(),
      disk_bytes: null,
    };
    search = (q) => pg.search(sparsevecLiteral(q, VOCAB_SIZE), hits, { table: "docs", scan: "exact" });
    close = () => pg.close();
  } else {
    throw new Error(`engine must be duckdb or pgvector, got ${engine}`);
  }
  for (const [i, q] of queries.entries()) {
    const t0 = performance.now();
    const found = await search(q);
    const ms = performance.now() - t0;
    if (i < WARMUP) continue;
    query_ms.push(ms);
    top10.push(found.slice(0, 10).map((h) => h.id));
  }
  const rss_after_queries = rss();
  await close();
  const probe: RetrievalProbe = { ...result, query_ms, top10, warmup: WARMUP, hits, rss_after_queries, rss_peak: process.resourceUsage().maxRSS * 1024 };
  process.stdout.write(`${JSON.stringify(probe)}\n`);
}

await main();
