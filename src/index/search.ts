// Exact top-k over an index@1 by dynamic pruning: document-at-a-time MaxScore (H. Turtle and J. Flood, "Query
// evaluation: strategies and optimizations", Information Processing & Management 31(6), 1995) with the block-max
// refinement of its non-essential lists (K. Chakrabarti, S. Chaudhuri and V. Ganti, "Interval-based pruning for top-k
// processing over compressed lists", ICDE 2011; S. Ding and T. Suel, "Faster top-k document retrieval using block-max
// indexes", SIGIR 2011), as PISA's block_max_maxscore_query runs it.
//
// Exact means equal to the reference (score.ts exactTopK) bit for bit: the same documents, the same scores, equal
// scores by document number. So a document that survives pruning is scored by summing its products in ascending
// token id (the definition's order), never in the order pruning visits the lists; and a bound prunes only when it
// is below the threshold by more than float64 rounding could account for (SLACK), so rounding never drops a document
// the reference keeps. Documents are visited in ascending number, so a later document with a score equal to the
// k-th best never enters: a bound equal to the threshold prunes.
import { BLOCK_SIZE, type TermEntry } from "./format.ts";
import type { IndexReader } from "./reader.ts";
import { byScore, canonicalQuery, type Query, type ScoredDocument } from "./score.ts";

/** What a search did, for Server-Timing and the benchmark: how much pruning spared. */
export interface SearchStats {
  /** Query terms with postings in the index. */
  terms: number;
  /** Postings of those terms: what an exhaustive scorer would read. */
  postings: number;
  /** Blocks decoded (BLOCK_SIZE postings each): what this scorer read. */
  blocksDecoded: number;
  /** Documents scored in full. */
  documentsScored: number;
}

export interface SearchResult {
  hits: ScoredDocument[];
  stats: SearchStats;
}

const END = 0xffffffff;
const BLOCK_ENTRY = 9;
/**
 * A bound prunes only when bound × SLACK still cannot beat the threshold. Bounds are float64 sums of at most a few
 * thousand exact products in another order than the score's, so they differ from any score they bound by a relative
 * ~1e-13 at most; 2^-30 (~1e-9) is far above that and far below any gap between impacts that matters.
 */
const SLACK = 1 + 2 ** -30;

/** One query term's postings, decoded a block at a time as the scorer moves through them. */
class TermCursor {
  readonly upperBound: number;
  doc = 0;
  private readonly lastDocs: Uint32Array;
  private readonly blockEnds: Uint32Array;
  private readonly blockMaxima: Uint8Array;
  private readonly docs = new Uint32Array(BLOCK_SIZE);
  private readonly impacts = new Uint8Array(BLOCK_SIZE);
  private block = -1;
  private count = 0;
  private position = 0;
  decoded = 0;

  constructor(
    /** The term's place in ascending token id: where its product goes in the score's sum. */
    readonly slot: number,
    readonly weight: number,
    private readonly entry: TermEntry,
    private readonly record: Uint8Array,
  ) {
    this.upperBound = weight * entry.maxImpact;
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    const blocks = entry.blocks;
    this.lastDocs = new Uint32Array(blocks);
    this.blockEnds = new Uint32Array(blocks);
    this.blockMaxima = new Uint8Array(blocks);
    for (let b = 0; b < blocks; b++) {
      this.lastDocs[b] = view.getUint32(b * BLOCK_ENTRY, true);
      this.blockEnds[b] = view.getUint32(b * BLOCK_ENTRY + 4, true);
      this.blockMaxima[b] = record[b * BLOCK_ENTRY + 8];
    }
    this.decode(0);
  }

  /** The current posting's product q × impact (exact in float64: 24-bit × 8-bit). */
  product(): number {
    return this.weight * this.impacts[this.position];
  }

  next(): void {
    if (++this.position < this.count) this.doc = this.docs[this.position];
    else if (this.block + 1 < this.entry.blocks) this.decode(this.block + 1);
    else this.doc = END;
  }

  /** Moves to the first posting at or after `target`. */
  nextGeq(target: number): void {
    if (this.doc >= target) return;
    if (target > this.lastDocs[this.block]) {
      const b = this.blockOf(target);
      if (b === this.entry.blocks) {
        this.doc = END;
        return;
      }
      this.decode(b);
    }
    let p = this.position;
    while (this.docs[p] < target) p++;
    this.position = p;
    this.doc = this.docs[p];
  }

  /** The largest product this term can give `target` (its block's maximum), decoding nothing; 0 past the last block. */
  blockBound(target: number): number {
    const b = target > this.lastDocs[this.block] ? this.blockOf(target) : this.block;
    return b === this.entry.blocks ? 0 : this.weight * this.blockMaxima[b];
  }

  /** The first block from the current one whose last document is ≥ target (binary search), or the block count. */
  private blockOf(target: number): number {
    let lo = this.block + 1;
    let hi = this.entry.blocks;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lastDocs[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private decode(b: number): void {
    const record = this.record;
    const dataStart = this.entry.blocks * BLOCK_ENTRY;
    const count = b === this.entry.blocks - 1 ? this.entry.postings - b * BLOCK_SIZE : BLOCK_SIZE;
    let at = dataStart + (b === 0 ? 0 : this.blockEnds[b - 1]);
    let doc = b === 0 ? -1 : this.lastDocs[b - 1];
    for (let i = 0; i < count; i++) {
      let byte = record[at++];
      let gap = byte & 0x7f;
      for (let shift = 7; byte & 0x80; shift += 7) {
        byte = record[at++];
        gap |= (byte & 0x7f) << shift;
      }
      doc += gap >>> 0;
      this.docs[i] = doc;
    }
    this.impacts.set(record.subarray(at, at + count));
    this.block = b;
    this.count = count;
    this.position = 0;
    this.doc = this.docs[0];
    this.decoded++;
  }
}

/** The k best seen so far, worst on top: a binary heap on (score ascending, then document number descending). */
class TopK {
  private readonly scores: Float64Array;
  private readonly docs: Uint32Array;
  size = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(k);
    this.docs = new Uint32Array(k);
  }

  get full(): boolean {
    return this.size === this.k;
  }

  /** The score to beat once full (−∞ before). */
  get threshold(): number {
    return this.full ? this.scores[0] : Number.NEGATIVE_INFINITY;
  }

  private worse(i: number, j: number): boolean {
    return this.scores[i] < this.scores[j] || (this.scores[i] === this.scores[j] && this.docs[i] > this.docs[j]);
  }

  private swap(i: number, j: number): void {
    const s = this.scores[i];
    this.scores[i] = this.scores[j];
    this.scores[j] = s;
    const d = this.docs[i];
    this.docs[i] = this.docs[j];
    this.docs[j] = d;
  }

  /** Keeps `doc` if it beats the worst kept (documents arrive in ascending number, so an equal score never does). */
  offer(doc: number, score: number): void {
    if (this.full) {
      if (!(score > this.scores[0])) return;
      this.scores[0] = score;
      this.docs[0] = doc;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let worst = i;
        if (l < this.size && this.worse(l, worst)) worst = l;
        if (r < this.size && this.worse(r, worst)) worst = r;
        if (worst === i) break;
        this.swap(i, worst);
        i = worst;
      }
      return;
    }
    let i = this.size++;
    this.scores[i] = score;
    this.docs[i] = doc;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  sorted(): ScoredDocument[] {
    const hits: ScoredDocument[] = [];
    for (let i = 0; i < this.size; i++) hits.push({ doc: this.docs[i], score: this.scores[i] });
    return hits.sort(byScore);
  }
}

/**
 * The exact top `k` documents of `query` (token ids → weights ≥ 0), equal to exactTopK's, fetching only the records
 * of the query's terms. Documents with none of the query's terms are never returned.
 */
export async function searchTopK(index: IndexReader, query: Query, k: number): Promise<SearchResult> {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const terms = canonicalQuery(query);
  for (const { term, weight } of terms) {
    if (!(weight > 0)) throw new RangeError(`query weight of token id ${term} is ${weight}: weights must be positive`);
  }
  const records = await Promise.all(terms.map(({ term }) => index.record(term)));
  const cursors: TermCursor[] = [];
  records.forEach((found, slot) => {
    if (found) cursors.push(new TermCursor(slot, terms[slot].weight, found.entry, found.bytes));
  });
  const stats: SearchStats = {
    terms: cursors.length,
    postings: cursors.reduce((sum, c) => sum + (records[c.slot]?.entry.postings ?? 0), 0),
    blocksDecoded: 0,
    documentsScored: 0,
  };
  const top = new TopK(k);
  const scale = index.manifest.quantization.scale;
  // A sum `bound` of products can give a score above the threshold (scores are sums / scale).
  const canBeat = (bound: number) => !top.full || (bound * SLACK) / scale > top.threshold;

  // MaxScore's order: lists by upper bound ascending; below[i] bounds what lists 0…i can add together.
  cursors.sort((a, b) => a.upperBound - b.upperBound);
  const below = new Float64Array(cursors.length);
  cursors.reduce((sum, c, i) => (below[i] = sum + c.upperBound), 0);
  // Lists before `essential` cannot lift a document above the threshold on their own: a document is only a candidate
  // if an essential list holds it.
  let essential = 0;
  // Each candidate's products by slot, summed in slot (token id) order when it is scored in full.
  const products = new Float64Array(terms.length);
  const present = new Uint8Array(terms.length);

  let doc = END;
  for (const c of cursors) if (c.doc < doc) doc = c.doc;
  while (doc !== END && essential < cursors.length) {
    let partial = 0;
    let next = END;
    for (let i = essential; i < cursors.length; i++) {
      const c = cursors[i];
      if (c.doc === doc) {
        const p = c.product();
        products[c.slot] = p;
        present[c.slot] = 1;
        partial += p;
        c.next();
      }
      if (c.doc < next) next = c.doc;
    }
    let candidate = true;
    for (let i = essential - 1; i >= 0; i--) {
      const rest = i > 0 ? below[i - 1] : 0;
      if (!canBeat(partial + below[i])) {
        candidate = false;
        break;
      }
      const c = cursors[i];
      // Block-max: this list's block at `doc` may promise less than its whole-list bound.
      const blockBound = c.blockBound(doc);
      if (!canBeat(partial + blockBound + rest)) {
        candidate = false;
        break;
      }
      if (blockBound === 0) continue;
      c.nextGeq(doc);
      if (c.doc === doc) {
        const p = c.product();
        products[c.slot] = p;
        present[c.slot] = 1;
        partial += p;
      }
    }
    if (candidate) {
      let sum = 0;
      for (let slot = 0; slot < terms.length; slot++) if (present[slot]) sum += products[slot];
      stats.documentsScored++;
      top.offer(doc, sum / scale);
      if (top.full) while (essential < cursors.length && !canBeat(below[essential])) essential++;
    }
    present.fill(0);
    doc = next;
  }
  stats.blocksDecoded = cursors.reduce((sum, c) => sum + c.decoded, 0);
  return { hits: top.sorted(), stats };
}
