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
import { DuckDBInstance, listValue, version, type DuckDBConnection } from "@duckdb/node-api";
import type { Hit } from "./pgvector.ts";

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

  static async open(options: { threads?: number } = {}): Promise<Duckdb> {
    const t0 = performance.now();
    const instance = await DuckDBInstance.create(":memory:", options.threads ? { threads: String(options.threads) } : {});
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
    if (bad.currentRowCount > 0) throw new Error(`${path}: record ${JSON.stringify(bad.getRowObjectsJS()[0].id)} has no id, or indices and values of different lengths`);
    await this.connection.run(
      `CREATE OR REPLACE TABLE ${table} AS SELECT id, unnest(indices) AS term, unnest("values") AS weight FROM ${source}`,
    );
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

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

export function openDuckdb(options: { threads?: number } = {}): Promise<Duckdb> {
  return Duckdb.open(options);
}
