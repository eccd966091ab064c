// `npm run bench -- search-scorer`: the search scorer's loops in WebAssembly (src/kernel/search-scorer.c, what
// src/index/search.ts runs) against the same loops in JavaScript (JsScorer below: search.ts's loops before they moved,
// kept here only as the baseline), in Node, in one run: searchTopK on the synthetic collection's QUERY_SHAPE vectors
// (bench/sparse-collection.ts, seed 1, the query stream bench/search.ts uses) over an index of its passages built in
// process and cached under test/.generated/bench/search-scorer, every part in memory (no fetch is timed). Each query
// runs both ways, alternating which goes first; their hits and statistics must agree (the run stops otherwise). Reports
// p50/p99 per k and the ratio, the scorer's wasm memory, the CPU flags and the load average; asserts no timing.
import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { BLOCK_ENTRY, BLOCK_SIZE } from "../src/index/format.ts";
import { buildIndex } from "../src/index/build.ts";
import { IndexReader } from "../src/index/reader.ts";
import type { Query } from "../src/index/score.ts";
import { scorerOf, searchTopK, type Scorer, type SearchResult } from "../src/index/search.ts";
import { CliError } from "../src/cli/run.ts";
import { ensureFixtureModels, FIXTURE_ROOT } from "../src/model/fixture.ts";
import { theoreticalPeak } from "./corpus-flops.ts";
import { DOC_SHAPE, QUERY_SHAPE, SparseVectorSource, writeSparseCollection } from "./sparse-collection.ts";
import { quantiles, type Quantiles } from "./stats.ts";

/**
 * The three loops as search.ts ran them in JavaScript (one float64 sum per document in a Float64Array), behind the
 * interface the WebAssembly scorer offers.
 */
class JsScorer implements Scorer {
  private readonly sums: Float64Array;
  private readonly counts: Uint32Array;

  constructor(
    readonly documents: number,
    readonly buckets: number,
  ) {
    this.sums = new Float64Array(documents);
    this.counts = new Uint32Array(buckets);
  }

  accumulate(record: Uint8Array, blocks: number, postings: number, weight: number): number | undefined {
    const sums = this.sums;
    const dataStart = blocks * BLOCK_ENTRY;
    let at = dataStart;
    let doc = -1;
    for (let b = 0; b < blocks; b++) {
      const count = b === blocks - 1 ? postings - b * BLOCK_SIZE : BLOCK_SIZE;
      const tableEnd = b * BLOCK_ENTRY + 4;
      const end = dataStart + (record[tableEnd] | (record[tableEnd + 1] << 8) | (record[tableEnd + 2] << 16) | (record[tableEnd + 3] << 24));
      let impact = end - count;
      while (impact < end) {
        let byte = record[at++];
        let gap = byte & 0x7f;
        for (let shift = 7; byte & 0x80; shift += 7) {
          byte = record[at++];
          gap |= (byte & 0x7f) << shift;
        }
        doc += gap >>> 0;
        sums[doc] += weight * record[impact++];
      }
      at = end;
    }
    return undefined;
  }

  histogram(width: number): Uint32Array {
    const counts = this.counts.fill(0);
    const sums = this.sums;
    for (let d = 0; d < sums.length; d++) {
      const sum = sums[d];
      if (sum > 0) counts[Math.floor(sum / width)]++;
    }
    return counts;
  }

  countAtLeast(low: number, high: number): { low: number; high: number; largest: number } {
    const reach = { low: 0, high: 0, largest: 0 };
    for (const sum of this.sums) {
      if (sum >= low) reach.low++;
      if (sum >= high) reach.high++;
      if (sum > reach.largest) reach.largest = sum;
    }
    return reach;
  }

  collect(rest: number, theta: number, least: () => number, candidate: (doc: number, sum: number) => void): number {
    const sums = this.sums;
    let n = 0;
    for (let d = 0; d < sums.length; d++) {
      const sum = sums[d];
      if (sum === 0) continue;
      sums[d] = 0;
      if (sum + rest >= theta) {
        if (sum >= least()) candidate(d, sum);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.sums.fill(0);
  }
}

export const SCORER_BENCH_KS = [10, 1000] as const;

export interface ScorerBenchRow {
  k: number;
  js_ms: Quantiles;
  wasm_ms: Quantiles;
  /** JavaScript's time over WebAssembly's, at p50 and p99. */
  ratio_p50: number;
  ratio_p99: number;
  /** Postings of the query's terms, and of them traversed (accumulated), p50. */
  postings_p50: number;
  /** WebAssembly's p50 time per posting of the query's terms, ns. */
  wasm_ns_per_posting_p50: number;
}

export interface ScorerBenchResult {
  documents: number;
  postings: number;
  queries: number;
  /** The scorer's wasm memory after the run, bytes (the sums, its buffers, the largest record copied in). */
  scorer_memory_bytes: number;
  load_average: { start: number[]; end: number[] };
  rows: ScorerBenchRow[];
}

const sameResult = (a: SearchResult, b: SearchResult) => JSON.stringify(a) === JSON.stringify(b);

/** The collection's index, built once and kept under `out`. */
async function cachedIndex(out: string, size: number, seed: number, onPhase: (message: string) => void): Promise<IndexReader> {
  const index = join(out, `index-${size}-${seed}`);
  if (!existsSync(join(index, "index.json"))) {
    const docs = join(out, `docs-${size}-${seed}.ids.jsonl`);
    onPhase(`writing ${size} generated passages' vectors and building their index (once; kept in ${out})`);
    await writeSparseCollection(docs, { count: size, seed, stream: 0, shape: DOC_SHAPE, prefix: "D" });
    const { models } = await ensureFixtureModels(FIXTURE_ROOT, (name) => onPhase(`generating the ${name} test model…`));
    await buildIndex({ inputs: [docs], output: index, model: models.doc, force: false, builder: { name: "bench", version: "0" } });
  }
  return IndexReader.open((file) => readFile(join(index, file)));
}

export async function benchSearchScorer(options: {
  size: number;
  queries: number;
  seed: number;
  out: string;
  onPhase: (message: string) => void;
}): Promise<ScorerBenchResult> {
  const start = loadavg();
  await mkdir(options.out, { recursive: true });
  const index = await cachedIndex(options.out, options.size, options.seed, options.onPhase);
  const source = new SparseVectorSource(options.seed, 1);
  const queries: Query[] = Array.from({ length: options.queries }, (_, i) => source.vector(`Q${i}`, QUERY_SHAPE));
  const wasm = scorerOf(index);
  const js = new JsScorer(index.manifest.documents, wasm.buckets);
  const rows: ScorerBenchRow[] = [];
  for (const k of SCORER_BENCH_KS) {
    options.onPhase(`k = ${k}: ${queries.length} queries, each in JavaScript and in WebAssembly`);
    // Untimed first pass: every part read into the index's cache, both paths compiled by V8's optimizing tier.
    for (const query of queries) {
      const [a, b] = [await searchTopK(index, query, k, js), await searchTopK(index, query, k, wasm)];
      if (!sameResult(a, b)) throw new Error(`JavaScript and WebAssembly differ at k = ${k} on ${JSON.stringify(query)}`);
    }
    const times = { js: [] as number[], wasm: [] as number[] };
    const postings: number[] = [];
    for (const [i, query] of queries.entries()) {
      const order = i % 2 === 0 ? (["js", "wasm"] as const) : (["wasm", "js"] as const);
      for (const which of order) {
        const t0 = performance.now();
        const { stats } = await searchTopK(index, query, k, which === "js" ? js : wasm);
        times[which].push(performance.now() - t0);
        if (which === "wasm") postings.push(stats.postings);
      }
    }
    const jsMs = quantiles(times.js);
    const wasmMs = quantiles(times.wasm);
    const postingsP50 = quantiles(postings).p50;
    rows.push({
      k,
      js_ms: jsMs,
      wasm_ms: wasmMs,
      ratio_p50: jsMs.p50 / wasmMs.p50,
      ratio_p99: jsMs.p99 / wasmMs.p99,
      postings_p50: postingsP50,
      wasm_ns_per_posting_p50: (wasmMs.p50 * 1e6) / postingsP50,
    });
  }
  return {
    documents: index.manifest.documents,
    postings: index.manifest.postings,
    queries: queries.length,
    scorer_memory_bytes: wasm.memoryBytes,
    load_average: { start, end: loadavg() },
    rows,
  };
}

function count(name: string, value: string): number {
  const n = Number(value.replaceAll("_", ""));
  if (!Number.isInteger(n) || n < 1) throw new CliError("usage", `--${name} must be a positive integer, got ${value}`);
  return n;
}

export const searchScorerCommand = defineCommand({
  meta: {
    name: "search-scorer",
    description: "the search scorer's loops in WebAssembly against the same loops in JavaScript, in Node, one run, alternating",
  },
  args: {
    size: { type: "string", description: "Passages of the synthetic collection", default: "100000" },
    queries: { type: "string", description: "Queries per k (each run both ways)", default: "300" },
    seed: { type: "string", description: "Collection seed", default: "1" },
    out: {
      type: "string",
      description: "Folder for the collection and its index (kept between runs) and the results JSON",
      default: join(FIXTURE_ROOT, "bench", "search-scorer"),
    },
  },
  async run({ args }) {
    const peak = await theoreticalPeak();
    const machine = `${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.versions.node}; CPU flags: ${peak?.flags.join(" ") ?? "unknown"}`;
    console.error(`search-scorer benchmark on ${machine}`);
    const r = await benchSearchScorer({
      size: count("size", args.size),
      queries: count("queries", args.queries),
      seed: count("seed", args.seed),
      out: args.out,
      onPhase: (message) => console.error(message),
    });
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
    const ms = (x: number) => x.toFixed(2);
    console.log(`\n${machine}; generated weights (costs are real, rankings mean nothing)`);
    console.log(`load average (1/5/15 min): start ${load(r.load_average.start)}, end ${load(r.load_average.end)} — on ${cpus().length} cores`);
    console.log(
      `${r.documents.toLocaleString("en-US")} passages, ${r.postings.toLocaleString("en-US")} postings; ${r.queries} QUERY_SHAPE queries per k, hits and statistics identical both ways\n`,
    );
    console.log("| k | JavaScript p50 / p99 ms | WebAssembly p50 / p99 ms | ratio p50 / p99 | postings p50 | wasm ns a posting |");
    console.log("|---|---|---|---|---|---|");
    for (const row of r.rows)
      console.log(
        `| ${row.k} | ${ms(row.js_ms.p50)} / ${ms(row.js_ms.p99)} | ${ms(row.wasm_ms.p50)} / ${ms(row.wasm_ms.p99)} | ${row.ratio_p50.toFixed(2)} / ${row.ratio_p99.toFixed(2)} | ${row.postings_p50.toLocaleString("en-US")} | ${row.wasm_ns_per_posting_p50.toFixed(2)} |`,
      );
    console.log(`\nscorer wasm memory: ${(r.scorer_memory_bytes / 2 ** 20).toFixed(2)} MiB`);
    const file = join(args.out, `search-scorer-${new Date().toISOString().replaceAll(":", "-")}.json`);
    const environment = {
      node: process.versions.node,
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? null,
      cpu_flags: peak?.flags ?? null,
      date: new Date().toISOString(),
    };
    await writeFile(file, `${JSON.stringify({ benchmark: "search-scorer", environment, ...r }, null, 2)}\n`);
    console.log(`results: ${file}`);
  },
});
