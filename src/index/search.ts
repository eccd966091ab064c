// Exact top-k over an index@1 by MaxScore (H. Turtle and J. Flood, "Query evaluation: strategies and
// optimizations", Information Processing & Management 31(6), 1995), term at a time as they first described it, with
// block-max bounds (S. Ding and T. Suel, "Faster top-k document retrieval using block-max indexes", SIGIR 2011) for
// the lists it does not traverse:
// 1. The query's lists are accumulated whole, largest upper bound first, into one integer sum per document; between
//    lists, a histogram of the sums gives θ, a lower bound of the k-th best score.
// 2. Once the lists left could not lift a document that none of the traversed lists holds to θ (their bounds sum below
//    θ), they are not traversed — when the lookups below cost less than reading them: only the documents whose sum so
//    far plus those bounds reaches θ (the candidates) are looked up in them, block by block, skipping a candidate as
//    soon as its block-max bounds fall short.
// Term at a time suits learned-sparse queries, whose frequent expansion terms keep document-at-a-time MaxScore from
// skipping much (docs/search.md: a document-at-a-time version took 55 ms a query where one pass took 4.5), and its
// inner loop is one tight pass over a list. That pass, the histogram and the read-out of the candidates run in
// WebAssembly (src/kernel/search-scorer.c, one instance per index); the lookups in the lists left stay here.
//
// Exact means equal to the reference (score.ts exactTopK) bit for bit: sums are integers (score.ts quantizeQuery), so
// the order of accumulation changes nothing. Equal scores go by document number; a bound that only ties θ keeps its
// documents, which may win a tie.
import { SearchScorer } from "../kernel/search-scorer.ts";
import { BLOCK_SIZE, blockTable, decodeBlock, IndexFormatError, type BlockInfo, type TermEntry } from "./format.ts";
import type { IndexReader } from "./reader.ts";
import { byScore, quantizeQuery, scoreOf, type Query, type ScoredDocument } from "./score.ts";

/** What a search did, for Server-Timing and the benchmark: how much pruning spared. */
export interface SearchStats {
  /** Query terms with postings in the index. */
  terms: number;
  /** Of those, the lists traversed whole (the rest were only looked up for candidates). */
  traversed: number;
  /** Postings of the query's terms: what an exhaustive scorer would read. */
  postings: number;
  /** Blocks decoded (BLOCK_SIZE postings each): what this scorer read. */
  blocksDecoded: number;
  /** Documents looked up in the lists not traversed. */
  candidates: number;
}

export interface SearchResult {
  hits: ScoredDocument[];
  stats: SearchStats;
}

const END = 0xffffffff;

/** One query term's postings, decoded a block at a time (format.ts's decoder) as candidates are looked up in it. */
class TermCursor {
  doc = 0;
  decoded = 0;
  private readonly table: BlockInfo[];
  private readonly docs = new Uint32Array(BLOCK_SIZE);
  private readonly impacts = new Uint8Array(BLOCK_SIZE);
  private block = -1;
  private position = 0;

  constructor(
    readonly weight: number,
    private readonly entry: TermEntry,
    private readonly record: Uint8Array,
  ) {
    this.table = blockTable(record, entry);
    this.decode(0);
  }

  /** The current posting's product: weight × impact, an integer. */
  product(): number {
    return this.weight * this.impacts[this.position];
  }

  /** Moves to the first posting at or after `target`. */
  nextGeq(target: number): void {
    if (this.doc >= target) return;
    if (target > this.table[this.block].lastDoc) {
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
    const b = target > this.table[this.block].lastDoc ? this.blockOf(target) : this.block;
    return b === this.entry.blocks ? 0 : this.weight * this.table[b].maxImpact;
  }

  /** The first block from the current one whose last document is ≥ target (binary search), or the block count. */
  private blockOf(target: number): number {
    let lo = this.block + 1;
    let hi = this.entry.blocks;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.table[mid].lastDoc < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private decode(b: number): void {
    decodeBlock(this.record, this.entry, this.table, b, this.docs, this.impacts);
    this.block = b;
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

/** What scoring needs of its one sum per document: SearchScorer's loops (a benchmark may pass its own, bench/search-scorer.ts). */
export type Scorer = Pick<SearchScorer, "documents" | "buckets" | "accumulate" | "histogram" | "countAtLeast" | "collect" | "clear">;

const scorers = new WeakMap<IndexReader, SearchScorer>();

/**
 * What one candidate's lookup in one list costs, in postings read: a block-max check, and often a block decoded
 * (BLOCK_SIZE postings). An order of magnitude (bench/search.ts), only for deciding when to stop traversing.
 */
const LOOKUP_COST = 32;
const HISTOGRAM_BUCKETS = 4096;
const MAX_CHECKS = 3;
/**
 * Sums a histogram pass reads in the time the top k takes one candidate (a heap step in JavaScript), an order of
 * magnitude (bench/search-scorer.ts): only for choosing how the final read-out finds the sums worth handing back.
 */
const SUMS_PER_OFFER = 40;

/**
 * Whether a θ check before lists[at] could stop traversal, from comparisons of the sums with two values (a fraction
 * of a histogram's cost): false when the histogram's θ and candidates cannot satisfy scoreLists' condition, true when
 * they might. It only spares histograms whose answer is already known to be "go on": θ is still taken from the full
 * histogram, so the lists traversed, the candidates and the hits are what they would be without it.
 * - rest < θ needs k sums ≥ rest: θ is the lower edge of a bucket holding the k best sums, above the least of them
 *   by a rounding of at most a few ulps (< 1 below 2^51), and sums and rest are integers.
 * - θ ≤ ceiling (the same rounding), so every sum ≥ ceiling − rest + 1 is ≥ θ − rest: a candidate the estimate counts.
 * The same pass rules out the next `later` checks (before lists[at + 1], …) into `ruledOut` when even the largest sum
 * plus the bounds of the lists read before them stays below their rest: none of them has a sum ≥ rest then.
 */
function mayStop(
  scorer: Scorer,
  k: number,
  lists: List[],
  at: number,
  ceiling: number,
  rest: number,
  restPostings: number,
  later: number,
  ruledOut: Set<number>,
): boolean {
  const reach = scorer.countAtLeast(rest, ceiling - rest + 1);
  // The largest sum before lists[j], at most, and their rest.
  let largest = reach.largest;
  let restThen = rest;
  for (let j = at; j < at + later && j + 1 < lists.length; j++) {
    largest += lists[j].upperBound;
    restThen -= lists[j].upperBound;
    if (largest < restThen) ruledOut.add(j + 1);
  }
  return reach.low >= k && reach.high * (lists.length - at) * LOOKUP_COST < restPostings;
}

/**
 * θ, a lower bound of the k-th best sum so far, from one pass over the sums: a histogram of the positive sums over
 * [0, ceiling], read from the top until k documents are counted (those k have sums at least the bucket's lower
 * edge). Also how many documents have a sum at least θ − rest: the candidates if traversal stopped now (an estimate
 * to the bucket, for the decision only).
 */
function threshold(scorer: Scorer, k: number, ceiling: number, rest: number): { theta: number; candidates: number } {
  const buckets = scorer.buckets;
  const width = (ceiling + 1) / buckets;
  const counts = scorer.histogram(width);
  let seen = 0;
  let b = buckets - 1;
  for (; b > 0; b--) {
    seen += counts[b];
    if (seen >= k) break;
  }
  const theta = seen >= k ? b * width : 0;
  let candidates = 0;
  for (let c = Math.max(0, Math.floor((theta - rest) / width)); c < buckets; c++) candidates += counts[c];
  return { theta, candidates };
}

/** The index's scorer: one per index, made on its first search, its sums reused query after query. */
export function scorerOf(index: IndexReader): SearchScorer {
  let scorer = scorers.get(index);
  if (!scorer) {
    scorer = new SearchScorer(index.manifest.documents, HISTOGRAM_BUCKETS);
    scorers.set(index, scorer);
  }
  return scorer;
}

/**
 * The exact top `k` documents of `query` (token ids → weights ≥ 0), equal to exactTopK's, fetching only the records
 * of the query's terms. Documents with none of the query's terms are never returned. `scorer` is the index's own (scorerOf)
 * unless a benchmark passes its baseline (bench/search-scorer.ts).
 */
export async function searchTopK(index: IndexReader, query: Query, k: number, scorer: Scorer = scorerOf(index)): Promise<SearchResult> {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const quantized = quantizeQuery(query);
  const found = await Promise.all(quantized.terms.map(async ({ term, weight }) => ({ weight, record: await index.record(term) })));
  // Nothing below awaits: the isolate's other requests cannot touch the scorer's sums while this one uses them.
  const lists = found.flatMap(({ weight, record }) => (record ? [{ weight, ...record, upperBound: weight * record.entry.maxImpact }] : []));
  lists.sort((a, b) => b.upperBound - a.upperBound);
  const stats: SearchStats = { terms: lists.length, traversed: 0, postings: 0, blocksDecoded: 0, candidates: 0 };
  for (const list of lists) stats.postings += list.entry.postings;

  try {
    const scale = index.manifest.quantization.scale;
    const hits = scoreLists(scorer, lists, k, stats).map(({ doc, score }) => ({ doc, score: scoreOf(score, quantized, scale) }));
    return { hits, stats };
  } catch (error) {
    // A malformed record or block stopped the search with sums still held: the next search starts from zeros.
    scorer.clear();
    throw error;
  }
}

type List = { weight: number; entry: TermEntry; bytes: Uint8Array; upperBound: number };

/** MaxScore over `lists` (largest upper bound first) on the scorer's sums, which it leaves zeroed: the best k sums. */
function scoreLists(scorer: Scorer, lists: List[], k: number, stats: SearchStats): ScoredDocument[] {
  // What the lists not yet traversed can add to a document, together; what the traversed ones can have added.
  let rest = lists.reduce((sum, l) => sum + l.upperBound, 0);
  let ceiling = 0;
  let restPostings = stats.postings;
  let theta = 0;
  let traversed = 0;
  let checks = 0;
  /** Lists before which a θ check was already found unable to stop traversal (mayStop). */
  const ruledOut = new Set<number>();
  while (traversed < lists.length) {
    // MaxScore's condition, rest < θ: a document no traversed list holds cannot reach θ. θ ≤ ceiling, so it is only
    // worth computing once rest < ceiling. Stopping is worth it only if the candidates' lookups cost less than reading
    // the rest: with frequent expansion terms a document's sum so far plus the bounds left often still reaches θ. A
    // check reads every sum, so there are at most MAX_CHECKS.
    if (
      rest < ceiling &&
      checks++ < MAX_CHECKS &&
      !ruledOut.has(traversed) &&
      mayStop(scorer, k, lists, traversed, ceiling, rest, restPostings, MAX_CHECKS - checks, ruledOut)
    ) {
      const estimate = threshold(scorer, k, ceiling, rest);
      if (rest < estimate.theta && estimate.candidates * (lists.length - traversed) * LOOKUP_COST < restPostings) {
        theta = estimate.theta;
        break;
      }
    }
    const list = lists[traversed++];
    const bad = scorer.accumulate(list.bytes, list.entry.blocks, list.entry.postings, list.weight);
    if (bad !== undefined) throw new IndexFormatError(`term ${list.entry.term}: block ${bad} is malformed`);
    stats.blocksDecoded += list.entry.blocks;
    rest -= list.upperBound;
    ceiling += list.upperBound;
    restPostings -= list.entry.postings;
  }
  stats.traversed = traversed;

  const cursors = lists.slice(traversed).map((l) => new TermCursor(l.weight, l.entry, l.bytes));
  const best = new TopK(k);
  // θ may tie (and win on document number); the final top's own threshold, of smaller documents, may not.
  const beaten = (bound: number) => bound < theta || (best.full && bound <= best.threshold);
  // With every list traversed the sums are final, and only a sum that can still enter the top k need come back to
  // JavaScript: one at or above a sum k documents reach (at it, one may win a tie). Either one more histogram gives
  // such a sum, or the top k's own threshold does as it fills (documents come in ascending order, so a later one equal
  // to it cannot win), with fewer and fewer documents above it — about k(1 + ln(documents / k)) in all when the sums
  // come in no particular order: cheaper than a histogram pass unless k is a large part of the documents.
  let least = () => 0;
  if (cursors.length === 0 && lists.length > 0) {
    if (k * (1 + Math.log(scorer.documents / k)) * SUMS_PER_OFFER > scorer.documents) {
      const floor = threshold(scorer, k, ceiling, 0).theta;
      least = () => floor;
    } else least = () => (best.full ? best.threshold : 0);
  }
  // Candidates: documents some traversed list holds whose sum could still reach θ (every one when all lists were
  // traversed: θ = 0), in document order, each looked up in the lists left.
  stats.candidates = scorer.collect(rest, theta, least, (doc, partial) => {
    let sum = partial;
    if (cursors.length > 0) {
      let bound = sum;
      for (const cursor of cursors) bound += cursor.blockBound(doc);
      if (beaten(bound)) return;
      for (const cursor of cursors) {
        cursor.nextGeq(doc);
        if (cursor.doc === doc) sum += cursor.product();
      }
    }
    best.offer(doc, sum);
  });
  for (const cursor of cursors) stats.blocksDecoded += cursor.decoded;
  return best.sorted();
}
