// pgvector, in process: PGlite (Postgres compiled to WebAssembly) with the vector extension, for the end-to-end
// retrieval test and an eval command. Node only.
//
// Why this engine: pgvector's `sparsevec` is the real thing users deploy (Postgres + pgvector), it takes
// `encode-corpus --format pgvector` COPY rows and the Worker's `format=pgvector` literal as they are, and PGlite
// installs from the npm registry with no server, no native build and no install script.
//
// Versions: @electric-sql/pglite 0.4.6 = PostgreSQL 17.5 + pgvector 0.8.1 (`@electric-sql/pglite/vector`). pglite
// 0.5.x dropped that export; its replacement, @electric-sql/pglite-pgvector, pins pglite 0.5.x exactly as a peer.
//
// Quirks found (pglite 0.4.6, pgvector 0.8.1):
// - COPY … FROM a file reads PGlite's virtual `/dev/blob`: the Blob passed as the query's `blob` option, held in
//   memory whole. `COPY … FROM STDIN` through exec()/query() never returns (it waits for a stream nobody feeds).
// - `<#>` is the *negative* inner product (ORDER BY ascending puts the best first); the score is its negation.
//   pgvector sums sparsevec products in float32: scores differ from a float64 sum in the 7th significant digit,
//   and near-ties may come out in either order.
// - sparsevec input may list indices in any order (they are sorted on input), drops zero weights, and refuses
//   duplicate indices; HNSW refuses any row with more than 1,000 non-zeros ("sparsevec cannot have more than 1000
//   non-zero elements for hnsw index"). Queries may have any number.
// - The planner weighs the index against a sequential scan + sort, and its HNSW cost grows with hnsw.ef_search: on
//   2,000 rows, ef_search ≥ 80 already gets a sequential scan, i.e. an exact answer that looks like perfect recall.
//   `scan: "index"` (enable_seqscan off) forces the index for measuring it; `scan: "exact"` (enable_indexscan off)
//   forces the scan. Check with explain().
// - Opening PGlite (WebAssembly instantiate + initdb in memory) takes 2–6 s; do it once per process.
import { openAsBlob } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite/vector";

export interface Hit {
  id: string;
  score: number;
}

export interface PgvectorLoad {
  rows: number;
  /** COPY (parse + insert), ms. */
  copyMs: number;
  /** ANALYZE, ms. */
  analyzeMs: number;
}

export interface HnswOptions {
  /** Max connections per layer (pgvector default 16). */
  m?: number;
  /** Candidate list while building (pgvector default 64). */
  efConstruction?: number;
}

export interface SearchOptions {
  /**
   * "exact": a sequential scan even when an index exists (enable_indexscan off for the query's transaction);
   * "index": the index even where the planner would rather scan (enable_seqscan off); "auto" (default): the planner's
   * choice — which on a small table with a large ef_search is a sequential scan, i.e. exact.
   */
  scan?: "auto" | "exact" | "index";
  /** hnsw.ef_search for this query (pgvector default 40). */
  efSearch?: number;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new RangeError(`table name must match ${IDENTIFIER}, got ${JSON.stringify(name)}`);
  return name;
}

function positiveInt(name: string, n: number, max = 1e9): number {
  if (!Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`${name} must be an integer in [1, ${max}], got ${n}`);
  return n;
}

export class Pgvector {
  private constructor(
    readonly db: PGlite,
    /** PGlite init (WASM + initdb) and CREATE EXTENSION vector, ms. */
    readonly openMs: number,
    readonly versions: { postgres: string; pgvector: string },
  ) {}

  static async open(): Promise<Pgvector> {
    const t0 = performance.now();
    const db = await PGlite.create({ extensions: { vector } });
    await db.exec("CREATE EXTENSION IF NOT EXISTS vector");
    const openMs = performance.now() - t0;
    const pg = await db.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    const ext = await db.query<{ v: string }>("SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'");
    return new Pgvector(db, openMs, { postgres: pg.rows[0].v, pgvector: ext.rows[0].v });
  }

  /**
   * Creates `table (id text PRIMARY KEY, embedding sparsevec(dimensions))` and COPYs `path` into it: COPY text
   * format, `ID<TAB>{i:w,…}/N` per line (1-based indices, the id escaped as COPY text requires).
   */
  async loadCopyFile(path: string, options: { table: string; dimensions: number }): Promise<PgvectorLoad> {
    const table = identifier(options.table);
    const dimensions = positiveInt("dimensions", options.dimensions, 1_000_000_000);
    await this.db.exec(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id text PRIMARY KEY, embedding sparsevec(${dimensions}) NOT NULL)`);
    const blob = await openAsBlob(path);
    const t0 = performance.now();
    const copied = await this.db.query(`COPY ${table} (id, embedding) FROM '/dev/blob'`, [], { blob });
    const copyMs = performance.now() - t0;
    const t1 = performance.now();
    await this.db.exec(`ANALYZE ${table}`);
    const analyzeMs = performance.now() - t1;
    const rows = copied.affectedRows ?? Number((await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);
    return { rows, copyMs, analyzeMs };
  }

  /** HNSW index on the table's embeddings (inner product); returns the build time, ms. */
  async createHnsw(options: { table: string } & HnswOptions): Promise<{ ms: number }> {
    const table = identifier(options.table);
    const m = positiveInt("m", options.m ?? 16, 100);
    const ef = positiveInt("efConstruction", options.efConstruction ?? 64, 1000);
    const t0 = performance.now();
    await this.db.exec(`CREATE INDEX ${table}_embedding_hnsw ON ${table} USING hnsw (embedding sparsevec_ip_ops) WITH (m = ${m}, ef_construction = ${ef})`);
    return { ms: performance.now() - t0 };
  }

  private sql(table: string): string {
    return `SELECT id, -(embedding <#> $1::sparsevec) AS score FROM ${identifier(table)} ORDER BY embedding <#> $1::sparsevec LIMIT $2`;
  }

  /** The k rows of highest inner product with `literal` (a sparsevec literal `{i:w,…}/N`), best first. */
  async search(literal: string, k: number, options: { table: string } & SearchOptions): Promise<Hit[]> {
    positiveInt("k", k);
    const rows = await this.withSettings(options, (tx) => tx.query<Hit>(this.sql(options.table), [literal, k]));
    return rows.rows.map((r) => ({ id: r.id, score: Number(r.score) }));
  }

  /** EXPLAIN of the search query under the same settings: shows whether the index or a sequential scan answers it. */
  async explain(literal: string, k: number, options: { table: string } & SearchOptions): Promise<string> {
    const plan = await this.withSettings(options, (tx) => tx.query<{ "QUERY PLAN": string }>(`EXPLAIN ${this.sql(options.table)}`, [literal, k]));
    return plan.rows.map((r) => r["QUERY PLAN"]).join("\n");
  }

  private async withSettings<T>(options: SearchOptions, run: (tx: Pick<PGlite, "query" | "exec">) => Promise<T>): Promise<T> {
    const settings = [
      options.scan === "exact" ? "SET LOCAL enable_indexscan = off" : undefined,
      options.scan === "index" ? "SET LOCAL enable_seqscan = off" : undefined,
      options.efSearch !== undefined ? `SET LOCAL hnsw.ef_search = ${positiveInt("efSearch", options.efSearch, 1000)}` : undefined,
    ].filter((s) => s !== undefined);
    if (settings.length === 0) return run(this.db);
    return this.db.transaction(async (tx) => {
      for (const s of settings) await tx.exec(s);
      return run(tx);
    });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** PGlite with pgvector, ready for loadCopyFile. */
export function openPgvector(): Promise<Pgvector> {
  return Pgvector.open();
}
