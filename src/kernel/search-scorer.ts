// The search scorer's hot loops on search-scorer.wasm (search-scorer.c): one instance per index, its memory laid out
// here and grown as the index and its records need. Runtime-agnostic: `#kernel/search-scorer.wasm` (package.json
// "imports") is the module compiled from the committed .wasm in Node, and the .wasm imported compiled by wrangler's
// CompiledWasm rule in workerd. Every call is synchronous: a search's scoring never yields, so the isolate's other
// requests cannot touch the sums while a search holds them (src/index/search.ts).
import scorerModule from "#kernel/search-scorer.wasm";

interface ScorerExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  accumulate(record: number, bytes: number, blocks: number, postings: number, weight: number, sums: number, documents: number): number;
  histogram_counters(buckets: number): number;
  histogram(sums: number, documents: number, width: number, counts: number, buckets: number): void;
  count_at_least(sums: number, documents: number, low: number, high: number, above: number, largest: number): number;
  collect(sums: number, from: number, to: number, rest: number, theta: number, least: number, docs: number, partial: number, counted: number): number;
  clear(sums: number, documents: number): void;
}

const PAGE = 65536;
/** Documents a collect call reads at most: its output holds as many candidates (12 bytes each). */
const COLLECT_CHUNK = 4096;
/**
 * Documents the first collect call reads; each next one reads twice as many, up to COLLECT_CHUNK: the least sum the
 * caller still wants rises as it sees the first documents, so small first calls hand back fewer of them.
 */
const FIRST_COLLECT_CHUNK = 256;
const align = (n: number, to: number) => Math.ceil(n / to) * to;

export class SearchScorer {
  private readonly wasm: ScorerExports;
  private readonly at: { counts: number; counted: number; above: number; largest: number; docs: number; partial: number; sums: number; record: number };
  /** Bytes the record area holds now: it grows to the largest record accumulated (up to the index's largest part). */
  private recordBytes = 0;

  /** A scorer for `documents` documents and a histogram of `buckets` buckets; memory grows to hold the sums now. */
  constructor(
    readonly documents: number,
    readonly buckets: number,
  ) {
    this.wasm = new WebAssembly.Instance(scorerModule, {}).exports as unknown as ScorerExports;
    const counts = align(this.wasm.__heap_base.value as number, 16);
    const counted = counts + this.wasm.histogram_counters(buckets) * 4;
    const docs = counted + 16;
    const partial = align(docs + COLLECT_CHUNK * 4, 16);
    const sums = partial + COLLECT_CHUNK * 8;
    this.at = { counts, counted, above: counted + 4, largest: counted + 8, docs, partial, sums, record: align(sums + documents * 8, 16) };
    this.reserve(this.at.record);
  }

  /** The module's memory, bytes: what the scorer holds in the isolate. */
  get memoryBytes(): number {
    return this.wasm.memory.buffer.byteLength;
  }

  private reserve(end: number): void {
    const have = this.wasm.memory.buffer.byteLength;
    if (end > have) this.wasm.memory.grow(Math.ceil((end - have) / PAGE));
  }

  /**
   * Adds `weight` × impact of every posting of a term's record (format.ts: block table, then data) into the sums.
   * Returns undefined, or the first malformed block (blocks before it were added: clear() before the next search).
   */
  accumulate(record: Uint8Array, blocks: number, postings: number, weight: number): number | undefined {
    if (record.byteLength > this.recordBytes) {
      this.reserve(this.at.record + record.byteLength);
      this.recordBytes = record.byteLength;
    }
    new Uint8Array(this.wasm.memory.buffer, this.at.record, record.byteLength).set(record);
    const status = this.wasm.accumulate(this.at.record, record.byteLength, blocks, postings, weight, this.at.sums, this.documents);
    return status === 0 ? undefined : status - 1;
  }

  /** The histogram of the positive sums: bucket floor(sum / width) counts each; every sum must be below width × buckets. */
  histogram(width: number): Uint32Array {
    this.wasm.histogram(this.at.sums, this.documents, width, this.at.counts, this.buckets);
    return new Uint32Array(this.wasm.memory.buffer, this.at.counts, this.buckets);
  }

  /**
   * How many sums are ≥ `low`, how many ≥ `high`, and the largest sum (0 when there is none): comparisons only, a
   * fraction of a histogram's cost.
   */
  countAtLeast(low: number, high: number): { low: number; high: number; largest: number } {
    const n = this.wasm.count_at_least(this.at.sums, this.documents, low, high, this.at.above, this.at.largest);
    return {
      low: n,
      high: new Uint32Array(this.wasm.memory.buffer, this.at.above, 1)[0],
      largest: new Float64Array(this.wasm.memory.buffer, this.at.largest, 1)[0],
    };
  }

  /**
   * Reads out the sums in document order and zeroes them all. Returns how many are candidates (non-zero, sum + rest ≥
   * theta); those whose sum is also ≥ `least()` go to `candidate` (document, sum): the others cannot make the top k
   * when the caller knows k sums at least that (0: every candidate). `least` is asked again before each call into
   * the module, after the candidates before it were handed out, so it may rise as they come.
   */
  collect(rest: number, theta: number, least: () => number, candidate: (doc: number, sum: number) => void): number {
    const counted = new Uint32Array(this.wasm.memory.buffer, this.at.counted, 1);
    counted[0] = 0;
    for (let from = 0, chunk = FIRST_COLLECT_CHUNK; from < this.documents; from += chunk, chunk = Math.min(COLLECT_CHUNK, 2 * chunk)) {
      const to = Math.min(this.documents, from + chunk);
      const n = this.wasm.collect(this.at.sums, from, to, rest, theta, least(), this.at.docs, this.at.partial, this.at.counted);
      const docs = new Uint32Array(this.wasm.memory.buffer, this.at.docs, n);
      const partial = new Float64Array(this.wasm.memory.buffer, this.at.partial, n);
      for (let i = 0; i < n; i++) candidate(docs[i], partial[i]);
    }
    return counted[0];
  }

  /** Zeroes every sum: after a search that stopped before collect read them all out. */
  clear(): void {
    this.wasm.clear(this.at.sums, this.documents);
  }
}
