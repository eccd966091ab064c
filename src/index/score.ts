// What a document's score is, and the reference scorer: exact top-k by term-at-a-time accumulation over every posting
// of the query's terms. Tests compare against it, and a pruning method (src/index/search.ts) must equal it bit for bit.
//
// Both sides are integers: impacts are u8 (docs/search.md), and the query's weights are quantized here to integers
// below 2^16 (16 bits against the documents' 8, so the query adds no error that matters). A score's sum is then an
// integer below 2^16 × 255 × terms < 2^53: float64 holds it exactly in any order of summation, so a method that
// visits lists in its own order (by upper bound, block by block, document by document) gets the reference's bits,
// and so does any engine that sums the same integers (DuckDB, test/engines). Without this, a float sum would depend
// on its order and "exact" would have to fix one order for every method.
import type { IndexReader } from "./reader.ts";

export interface Query {
  indices: readonly number[];
  values: readonly number[];
}

export interface ScoredDocument {
  doc: number;
  score: number;
}

/** A query as scorers use it: each term's integer weight, and the factor that turns an integer sum back into a score. */
export interface QuantizedQuery {
  /** Ascending token id; every weight an integer in 1…65535. */
  terms: Array<{ term: number; weight: number }>;
  /** 2^e: a weight w became round(w × factor). */
  factor: number;
}

/** Largest integer query weight: 16 bits. */
const QUERY_WEIGHT_BITS = 16;

/**
 * The query's weights as integers: w ↦ round(float32(w) × 2^e), with e the power of two that puts the largest weight, rounded,
 * in [2^15, 2^16). A weight that rounds to 0 (below 2^-16 of the largest) is dropped, as a zero weight is.
 */
export function quantizeQuery(query: Query): QuantizedQuery {
  if (query.indices.length !== query.values.length) throw new RangeError(`query has ${query.indices.length} indices and ${query.values.length} values`);
  // As float32, the weights' type: a weight sent as the shortest decimal of a float32 (what /encode answers) quantizes
  // as the float32 it names, not as the decimal's nearest float64.
  const terms = query.indices.map((term, i) => ({ term, weight: Math.fround(query.values[i]) }));
  terms.sort((a, b) => a.term - b.term);
  for (let i = 1; i < terms.length; i++) if (terms[i].term === terms[i - 1].term) throw new RangeError(`query has token id ${terms[i].term} twice`);
  for (const { term, weight } of terms) {
    if (!(weight >= 0) || !Number.isFinite(weight)) throw new RangeError(`query weight of token id ${term} is ${weight}: weights must be ≥ 0 and finite`);
  }
  const largest = terms.reduce((max, t) => Math.max(max, t.weight), 0);
  if (largest === 0) return { terms: [], factor: 1 };
  // 2^(QUERY_WEIGHT_BITS - 1 - floor(log2(largest))), corrected where log2 rounds across a power of two, and where the
  // largest weight would round up to 2^16 (1 − 2^-24 does).
  let factor = 2 ** (QUERY_WEIGHT_BITS - 1 - Math.floor(Math.log2(largest)));
  while (Math.round(largest * factor) >= 2 ** QUERY_WEIGHT_BITS) factor /= 2;
  // Doubling a rounded weight below 2^15 keeps it below 2^16.
  while (Math.round(largest * factor) < 2 ** (QUERY_WEIGHT_BITS - 1)) factor *= 2;
  return {
    terms: terms.map(({ term, weight }) => ({ term, weight: Math.round(weight * factor) })).filter((t) => t.weight > 0),
    factor,
  };
}

/** A document's score from its integer sum Σ weight × impact. */
export const scoreOf = (sum: number, query: QuantizedQuery, scale: number): number => sum / (query.factor * scale);

/** Best first, equal scores by document number. */
export function byScore(a: ScoredDocument, b: ScoredDocument): number {
  return b.score - a.score || a.doc - b.doc;
}

/** The exact top `k` documents of `query` (documents with none of the query's terms score nothing and are never returned). */
export async function exactTopK(index: IndexReader, query: Query, k: number): Promise<ScoredDocument[]> {
  const quantized = quantizeQuery(query);
  const sums = new Float64Array(index.manifest.documents);
  for (const { term, weight } of quantized.terms) {
    const { docs, impacts } = await index.postings(term);
    for (let i = 0; i < docs.length; i++) sums[docs[i]] += weight * impacts[i];
  }
  const scale = index.manifest.quantization.scale;
  const hits: ScoredDocument[] = [];
  // Every posting adds at least 1: a document has a query term exactly when its sum is positive.
  for (let doc = 0; doc < sums.length; doc++) if (sums[doc] > 0) hits.push({ doc, score: scoreOf(sums[doc], quantized, scale) });
  return hits.sort(byScore).slice(0, k);
}
