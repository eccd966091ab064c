// `npm run bench -- retrieval`: the eval engine at scale. Generated collections (bench/sparse-collection.ts:
// ~120 terms a document, ~25 a query, Zipf over the vocabulary) written as ids JSONL, then per engine and size, in a
// fresh process each (retrieval-probe.ts): load time, exact top-k query time, RSS, disk. DuckDB at every size,
// pgvector (PGlite) at the sizes up to `pgvectorMax` for the comparison that chose DuckDB (src/eval/retrieve.ts).
// Then an extrapolation to MS MARCO dev (8,841,823 passages, 6,980 queries), linear in the collection size through
// the two largest sizes measured.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RetrievalProbe } from "./retrieval-probe.ts";
import { DOC_SHAPE, QUERY_SHAPE, writeCopyFile, writeSparseCollection } from "./sparse-collection.ts";
import { quantiles, type Quantiles } from "./stats.ts";

const PROBE = fileURLToPath(new URL("retrieval-probe.ts", import.meta.url));
export const MSMARCO = { documents: 8_841_823, queries: 6_980 };

export interface RetrievalBenchOptions {
  sizes: number[];
  /** pgvector runs at sizes ≤ this. */
  pgvectorMax: number;
  queries: number;
  hits: number;
  seed: number;
  out: string;
  memory?: string;
  onPhase?(message: string): void;
}

export interface RetrievalRow {
  engine: RetrievalProbe["engine"];
  version: string;
  documents: number;
  postings: number;
  file_bytes: number;
  generate_s: number | null;
  load_s: number;
  load_parts_s: Record<string, number>;
  query_ms: Quantiles & { mean: number };
  rss_after_load_mib: number;
  rss_peak_mib: number;
  disk_mib: number | null;
}

export interface RetrievalBenchResult {
  hits: number;
  queries: number;
  rows: RetrievalRow[];
  /** Share of top-10 ids both engines return, per size they both ran (float32 vs float64 sums may swap near-ties). */
  top10_agreement: Record<string, number>;
  msmarco: {
    engine: string;
    from_documents: number;
    load_s: number;
    query_ms_mean: number;
    all_queries_s: number;
    rss_peak_mib_at_measured: number;
    disk_gib: number | null;
  };
}

function runProbe(args: string[]): Promise<RetrievalProbe> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", PROBE, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`retrieval probe ${args[0]} exited with ${code}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)!) as RetrievalProbe);
    });
  });
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export async function benchRetrieval(options: RetrievalBenchOptions): Promise<RetrievalBenchResult> {
  await mkdir(options.out, { recursive: true });
  const queriesFile = join(options.out, `queries-${options.seed}.ids.jsonl`);
  // Three more than measured: the probe's warm-up.
  await writeSparseCollection(queriesFile, { count: options.queries + 3, seed: options.seed, stream: 1, shape: QUERY_SHAPE, prefix: "Q" });
  const rows: RetrievalRow[] = [];
  const tops: Record<string, Record<string, string[][]>> = {};
  for (const size of options.sizes) {
    const docs = join(options.out, `docs-${size}-${options.seed}.ids.jsonl`);
    const meta = `${docs}.meta.json`;
    let generated: { postings: number; seconds: number | null };
    if (existsSync(docs) && existsSync(meta)) {
      generated = { postings: (JSON.parse(readFileSync(meta, "utf8")) as { postings: number }).postings, seconds: null };
      options.onPhase?.(`${size.toLocaleString("en-US")} documents: ${docs} (generated before)`);
    } else {
      options.onPhase?.(`generating ${size.toLocaleString("en-US")} documents → ${docs}`);
      const t0 = performance.now();
      const written = await writeSparseCollection(docs, { count: size, seed: options.seed, stream: 0, shape: DOC_SHAPE, prefix: "D" });
      writeFileSync(meta, JSON.stringify(written));
      generated = { postings: written.postings, seconds: (performance.now() - t0) / 1000 };
    }
    const engines: Array<RetrievalProbe["engine"]> = size <= options.pgvectorMax ? ["duckdb", "pgvector"] : ["duckdb"];
    if (engines.includes("pgvector")) await writeCopyFile(docs);
    for (const engine of engines) {
      options.onPhase?.(`${engine}, ${size.toLocaleString("en-US")} documents: load, then ${options.queries} queries at top-${options.hits}`);
      const p = await runProbe([engine, docs, queriesFile, options.out, String(options.hits), String(options.queries), options.memory ?? ""]);
      (tops[size] ??= {})[engine] = p.top10;
      const q = quantiles(p.query_ms);
      rows.push({
        engine,
        version: p.version,
        documents: p.documents,
        postings: p.postings ?? generated.postings,
        file_bytes: statSync(docs).size,
        generate_s: generated.seconds,
        load_s: p.load_ms / 1000,
        load_parts_s: Object.fromEntries(Object.entries(p.load_parts_ms).map(([k, v]) => [k, v / 1000])),
        query_ms: { ...q, mean: p.query_ms.reduce((a, b) => a + b, 0) / p.query_ms.length },
        rss_after_load_mib: mib(p.rss_after_load),
        rss_peak_mib: mib(p.rss_peak),
        disk_mib: p.disk_bytes === null ? null : mib(p.disk_bytes),
      });
    }
  }
  const top10_agreement: Record<string, number> = {};
  for (const [size, byEngine] of Object.entries(tops)) {
    if (!byEngine.duckdb || !byEngine.pgvector) continue;
    let same = 0;
    let all = 0;
    byEngine.duckdb.forEach((ids, i) => {
      const other = new Set(byEngine.pgvector[i]);
      same += ids.filter((id) => other.has(id)).length;
      all += ids.length;
    });
    top10_agreement[size] = all === 0 ? 1 : same / all;
  }
  // Linear in the collection: through the two largest DuckDB sizes when there are two (a fixed cost per query plus
  // one per document), else proportional to the one.
  const duck = rows.filter((r) => r.engine === "duckdb").sort((a, b) => b.documents - a.documents);
  const largest = duck[0];
  const scale = MSMARCO.documents / largest.documents;
  const line = (f: (r: RetrievalRow) => number) => {
    if (duck.length < 2) return f(largest) * scale;
    const [big, small] = duck;
    const slope = (f(big) - f(small)) / (big.documents - small.documents);
    return f(big) + slope * (MSMARCO.documents - big.documents);
  };
  const queryMs = line((r) => r.query_ms.mean);
  return {
    hits: options.hits,
    queries: options.queries,
    rows,
    top10_agreement,
    msmarco: {
      engine: "duckdb",
      from_documents: largest.documents,
      load_s: line((r) => r.load_s),
      query_ms_mean: queryMs,
      all_queries_s: (queryMs * MSMARCO.queries) / 1000,
      rss_peak_mib_at_measured: largest.rss_peak_mib,
      disk_gib: largest.disk_mib === null ? null : line((r) => r.disk_mib ?? 0) / 1024,
    },
  };
}
