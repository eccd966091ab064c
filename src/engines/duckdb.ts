// DuckDB, in process, as an exact sparse-retrieval engine: the `encode-corpus --format ids` JSONL unnested into a
// postings table, queries answered by join + GROUP BY. For the end-to-end retrieval test and an eval command. Node
// only.
//
// Why this engine: a second, independent exact scorer over the other corpus format (ids JSONL, 0-based token ids,
// as Qdrant and Pinecone bulk loads take), computed in float64 by a real query engine rather than by our own loop;
// @duckdb/node-api ships its native binding in a per-platform npm package (no install script, no network).
//
// Versions: @duckdb/node-api 1.5.6-r.1 (DuckDB v1.5.6), binding @duckdb/node-bindings-<platform> 1.5.6-r.1.
//
// Quirks found:
// - No sparse vector type or operator: the inner product is SUM(p.weight * q.weight) over the postings the query's
//   terms hit, so a query costs a join of its terms against the whole postings table plus a GROUP BY.
// - Two unnest() calls in one SELECT zip their lists (the shorter padded with NULL); loadIdsFile() refuses records
//   whose indices and values differ in length rather than silently inserting NULLs.
// - read_json's type sniffing makes an id column of mixed strings and numbers JSON; explicit `columns` read every
//   id as VARCHAR (7 → "7"), no sniffing pass.
// - Weights are read as DOUBLE, so scores are float64 sums of the decimal weights in the file (equal, to rounding,
//   to a float64 brute force over the same file).
//
// The eval index (loadIndex/searchIndex, what `npm run eval` retrieves with) is laid out for collections larger
// than memory, in a database file:
// - `P_docs (doc INTEGER, id VARCHAR)`, doc = the id's rank in byte order (0-based), and `P_postings (term USMALLINT,
//   doc INTEGER, weight FLOAT)` sorted by term. Weights are stored as float32 (what the model computed; the file's
//   shortest decimals read back to exactly those), and multiplied and summed in float64.
// - A query joins its terms against the postings: the hash join pushes its keys into the scan as a dynamic
//   `term IN (…)` filter, and on postings sorted by term the zone maps skip every row group holding none of them,
//   so a query reads about the postings of its own terms, not the table.
// - GROUP BY doc runs as DuckDB's perfect hash aggregate (one slot per doc, no hashing) once perfect_ht_threshold
//   covers the doc range: at 1M generated documents a top-1000 query took 66 ms with it and 227 ms with the default
//   threshold (12 bits). The slots cost 2^bits × ~16 bytes per thread (256 MiB at 8.8M documents).
// - ORDER BY score DESC, doc DESC picks and orders the top k as trec_eval ranks ties (docno descending), so the
//   cut at k and the order within it are the ones trec_eval sees.
// - read_json and the two sorts spill to temp_directory beyond memory_limit; building an 8.8M-passage index needs
//   disk for the raw table, the postings and the spill (about 3 × the postings, ~10 bytes each).
import { DuckDBInstance, listValue, version, type DuckDBConnection } from "@duckdb/node-api";
import type { Hit } from "./pgvector.ts";
import { EngineError } from "./errors.ts";

export type { Hit };

export interface SparseQuery {
  /** Token ids, 0-based. */
  indices: readonly number[];
  values: readonly number[];
}

export interface DuckdbLoad {
  documents: number;
  postings: number;
  /** read_json + unnest into the postings table, ms. */
  loadMs: number;
}

export interface DuckdbOptions {
  threads?: number;
  /** A database file (created if missing); default in memory. */
  path?: string;
  /** DuckDB's memory_limit, e.g. "8GB" (default: 80% of RAM); beyond it, sorts and joins spill to tempDirectory. */
  memoryLimit?: string;
  tempDirectory?: string;
}

export interface IndexLoad {
  documents: number;
  postings: number;
  /** read_json + checks, ms. */
  readMs: number;
  /** The sorted docs and postings tables, ms. */
  buildMs: number;
}

/** What an index was built from, kept with it so that a rerun can tell whether it is still current. */
export interface IndexSource {
  files: string[];
  /** Anything that identifies the files' contents (sizes, mtimes, a checkpoint). */
  fingerprint: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new RangeError(`table name must match ${IDENTIFIER}, got ${JSON.stringify(name)}`);
  return name;
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

export class Duckdb {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    /** Instance + connection, ms. */
    readonly openMs: number,
  ) {}

  readonly version = version();

  static async open(options: DuckdbOptions = {}): Promise<Duckdb> {
    const t0 = performance.now();
    const config: Record<string, string> = {};
    if (options.threads) config.threads = String(options.threads);
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    if (options.tempDirectory) config.temp_directory = options.tempDirectory;
    // The index's CREATE TABLE … ORDER BY must keep its order; nothing here depends on insertion order otherwise.
    const instance = await DuckDBInstance.create(options.path ?? ":memory:", config);
    const connection = await instance.connect();
    return new Duckdb(instance, connection, performance.now() - t0);
  }

  /** Loads an ids JSONL file (`{"id","indices","values"}` per line) into `table (id, term, weight)`, one row a posting. */
  async loadIdsFile(path: string, options: { table: string }): Promise<DuckdbLoad> {
    const table = identifier(options.table);
    const t0 = performance.now();
    const source = `read_json(${sqlString(path)}, format = 'newline_delimited', columns = {id: 'VARCHAR', indices: 'INTEGER[]', "values": 'DOUBLE[]'})`;
    const bad = await this.connection.runAndReadAll(
      `SELECT id FROM ${source} WHERE id IS NULL OR indices IS NULL OR "values" IS NULL OR len(indices) <> len("values") LIMIT 1`,
    );
    if (bad.currentRowCount > 0)
      throw new EngineError("input", `${path}: record ${JSON.stringify(bad.getRowObjectsJS()[0].id)} has no id, or indices and values of different lengths`);
    await this.connection.run(`CREATE OR REPLACE TABLE ${table} AS SELECT id, unnest(indices) AS term, unnest("values") AS weight FROM ${source}`);
    const loadMs = performance.now() - t0;
    const counts = await this.connection.runAndReadAll(`SELECT count(DISTINCT id)::INTEGER AS documents, count(*)::INTEGER AS postings FROM ${table}`);
    const { documents, postings } = counts.getRowObjectsJS()[0] as { documents: number; postings: number };
    return { documents, postings, loadMs };
  }

  /** Exact top-k by inner product, best first; equal scores by id. Documents sharing no term with the query never appear. */
  async search(query: SparseQuery, k: number, options: { table: string }): Promise<Hit[]> {
    const table = identifier(options.table);
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
    if (query.indices.length !== query.values.length) throw new RangeError(`query has ${query.indices.length} indices and ${query.values.length} values`);
    const reader = await this.connection.runAndReadAll(
      `WITH q AS (SELECT unnest($1::INTEGER[]) AS term, unnest($2::DOUBLE[]) AS weight)
       SELECT p.id AS id, sum(p.weight * q.weight) AS score
       FROM ${table} p JOIN q USING (term)
       GROUP BY p.id ORDER BY score DESC, p.id LIMIT ${k}`,
      [listValue([...query.indices]), listValue([...query.values])],
    );
    return (reader.getRowObjectsJS() as Array<{ id: string; score: number }>).map((r) => ({ id: r.id, score: Number(r.score) }));
  }

  /**
   * Builds the eval index `P_docs` + `P_postings` (see the header) from ids JSONL files, replacing any of that
   * prefix. Refuses records without an id or with indices and values of different lengths, a token id twice in one
   * record, token ids outside 0–65535, an id on two records (trec_eval refuses a docno twice in a ranking), and an
   * empty id or one with whitespace (TREC files split on it).
   */
  async loadIndex(source: IndexSource, options: { prefix: string }): Promise<IndexLoad> {
    const p = identifier(options.prefix);
    if (source.files.length === 0) throw new RangeError("loadIndex needs at least one file");
    const files = `[${source.files.map(sqlString).join(", ")}]`;
    const c = this.connection;
    const t0 = performance.now();
    await c.run(`DROP TABLE IF EXISTS ${p}_meta; DROP TABLE IF EXISTS ${p}_docs; DROP TABLE IF EXISTS ${p}_postings; DROP TABLE IF EXISTS ${p}_raw`);
    await c.run(
      `CREATE TABLE ${p}_raw AS SELECT id, indices, "values" FROM read_json(${files}, format = 'newline_delimited', columns = {id: 'VARCHAR', indices: 'INTEGER[]', "values": 'FLOAT[]'})`,
    );
    const problem = async (sql: string) => {
      const r = await c.runAndReadAll(sql);
      return r.currentRowCount > 0 ? (r.getRowObjectsJS()[0] as { id: string | null; what: string }) : undefined;
    };
    try {
      const bad =
        (await problem(`SELECT id, 'has no id, indices or values' AS what FROM ${p}_raw WHERE id IS NULL OR indices IS NULL OR "values" IS NULL LIMIT 1`)) ??
        (await problem(`SELECT id, 'has indices and values of different lengths' AS what FROM ${p}_raw WHERE len(indices) <> len("values") LIMIT 1`)) ??
        (await problem(`SELECT id, 'has a token id outside 0–65535' AS what FROM ${p}_raw WHERE list_min(indices) < 0 OR list_max(indices) > 65535 LIMIT 1`)) ??
        (await problem(`SELECT id, 'lists a token id twice' AS what FROM ${p}_raw WHERE len(list_distinct(indices)) <> len(indices) LIMIT 1`)) ??
        (await problem(`SELECT id, 'is the id of more than one record' AS what FROM ${p}_raw GROUP BY id HAVING count(*) > 1 LIMIT 1`)) ??
        (await problem(
          `SELECT id, 'is empty or holds whitespace (a TREC run splits on it)' AS what FROM ${p}_raw WHERE id = '' OR regexp_matches(id, '\\s') LIMIT 1`,
        ));
      if (bad) throw new EngineError("input", `${source.files.join(", ")}: record ${bad.id === null ? "without an id" : JSON.stringify(bad.id)} ${bad.what}`);
      const readMs = performance.now() - t0;
      const t1 = performance.now();
      await c.run(`CREATE TABLE ${p}_docs AS SELECT (row_number() OVER (ORDER BY id) - 1)::INTEGER AS doc, id FROM ${p}_raw ORDER BY doc`);
      await c.run(
        `CREATE TABLE ${p}_postings AS
         SELECT term::USMALLINT AS term, doc, weight FROM (
           SELECT d.doc, unnest(r.indices) AS term, unnest(r."values") AS weight FROM ${p}_raw r JOIN ${p}_docs d USING (id)
         ) WHERE weight <> 0 ORDER BY term, doc`,
      );
      const counts = await c.runAndReadAll(
        `SELECT (SELECT count(*) FROM ${p}_docs)::BIGINT AS documents, (SELECT count(*) FROM ${p}_postings)::BIGINT AS postings`,
      );
      const row = counts.getRowObjectsJS()[0] as { documents: bigint; postings: bigint };
      const load = { documents: Number(row.documents), postings: Number(row.postings), readMs, buildMs: performance.now() - t1 };
      await c.run(`CREATE TABLE ${p}_meta AS SELECT ${sqlString(JSON.stringify({ source, documents: load.documents, postings: load.postings }))} AS info`);
      return load;
    } finally {
      await c.run(`DROP TABLE IF EXISTS ${p}_raw`);
      await c.run("CHECKPOINT");
    }
  }

  /** The source and size of index `prefix` when one was completely built, else undefined. */
  async indexInfo(prefix: string): Promise<{ source: IndexSource; documents: number; postings: number } | undefined> {
    const p = identifier(prefix);
    const exists = await this.connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = ${sqlString(`${p}_meta`)}`);
    if ((exists.getRowObjectsJS()[0] as { n: number }).n === 0) return undefined;
    const info = await this.connection.runAndReadAll(`SELECT info FROM ${p}_meta`);
    return JSON.parse(String((info.getRowObjectsJS()[0] as { info: string }).info));
  }

  /**
   * Exact top-k of index `prefix` by inner product, best first, equal scores by id descending (trec_eval's order);
   * documents sharing no term with the query never appear. Query weights are taken as float32, as the model made them.
   */
  async searchIndex(query: SparseQuery, k: number, options: { prefix: string }): Promise<Hit[]> {
    const p = identifier(options.prefix);
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
    if (query.indices.length !== query.values.length) throw new RangeError(`query has ${query.indices.length} indices and ${query.values.length} values`);
    const terms: string[] = [];
    query.indices.forEach((term, i) => {
      const w = Math.fround(query.values[i]);
      if (!Number.isInteger(term) || term < 0 || term > 65535) throw new RangeError(`query token id ${term} is outside 0–65535`);
      if (!Number.isFinite(w)) throw new RangeError(`query weight ${query.values[i]} is not finite`);
      // A number literal in SQL: String() of a double reads back as the same double.
      if (w !== 0) terms.push(`(${term}::USMALLINT, ${String(w)}::DOUBLE)`);
    });
    if (terms.length === 0) return [];
    await this.perfectHash(p);
    const reader = await this.connection.runAndReadAll(
      `WITH q(term, w) AS (VALUES ${terms.join(", ")}),
       top AS (
         SELECT p.doc, sum(p.weight::DOUBLE * q.w) AS score FROM ${p}_postings p JOIN q USING (term)
         GROUP BY p.doc ORDER BY score DESC, p.doc DESC LIMIT ${k}
       )
       SELECT d.id AS id, top.score AS score FROM top JOIN ${p}_docs d USING (doc) ORDER BY top.score DESC, top.doc DESC`,
    );
    return (reader.getRowObjectsJS() as Array<{ id: string; score: number }>).map((r) => ({ id: r.id, score: Number(r.score) }));
  }

  private perfectHashFor?: string;

  /** perfect_ht_threshold wide enough for the index's doc range (DuckDB allows up to 32 bits). */
  private async perfectHash(prefix: string): Promise<void> {
    if (this.perfectHashFor === prefix) return;
    const r = await this.connection.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${prefix}_docs`);
    const n = Number((r.getRowObjectsJS()[0] as { n: bigint }).n);
    const bits = Math.min(32, Math.max(12, Math.ceil(Math.log2(Math.max(n, 2)))));
    await this.connection.run(`SET perfect_ht_threshold = ${bits}`);
    this.perfectHashFor = prefix;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

export function openDuckdb(options: DuckdbOptions = {}): Promise<Duckdb> {
  return Duckdb.open(options);
}
