// The reference scorer: exact top-k by term-at-a-time accumulation over every posting of the query's terms. It is
// what tests compare against and the baseline a pruning method (MaxScore, block-max WAND, BMP) must equal bit for
// bit, so its arithmetic is the definition in docs/search.md: float64 sums over the query's terms in ascending token
// id of q × impact, divided by the index's scale, equal scores by document number.
import type { IndexReader } from "./reader.ts";

export interface Query {
  indices: readonly number[];
  values: readonly number[];
}

export interface ScoredDocument {
  doc: number;
  score: number;
}

/** The query's terms in the order scores are summed in (ascending token id), each weight as float32. */
export function canonicalQuery(query: Query): Array<{ term: number; weight: number }> {
  if (query.indices.length !== query.values.length) throw new RangeError(`query has ${query.indices.length} indices and ${query.values.length} values`);
  const terms = query.indices.map((term, i) => ({ term, weight: Math.fround(query.values[i]) }));
  terms.sort((a, b) => a.term - b.term);
  for (let i = 1; i < terms.length; i++) if (terms[i].term === terms[i - 1].term) throw new RangeError(`query has token id ${terms[i].term} twice`);
  return terms.filter((t) => t.weight !== 0);
}

/** Best first, equal scores by document number. */
export function byScore(a: ScoredDocument, b: ScoredDocument): number {
  return b.score - a.score || a.doc - b.doc;
}

/** The exact top `k` documents of `query` (documents with no query term score nothing and are never returned). */
export async function exactTopK(index: IndexReader, query: Query, k: number): Promise<ScoredDocument[]> {
  const sums = new Float64Array(index.manifest.documents);
  const touched = new Uint8Array(index.manifest.documents);
  for (const { term, weight } of canonicalQuery(query)) {
    const { docs, impacts } = await index.postings(term);
    for (let i = 0; i < docs.length; i++) {
      sums[docs[i]] += weight * impacts[i];
      touched[docs[i]] = 1;
    }
  }
  const scale = index.manifest.quantization.scale;
  const hits: ScoredDocument[] = [];
  for (let doc = 0; doc < sums.length; doc++) if (touched[doc]) hits.push({ doc, score: sums[doc] / scale });
  return hits.sort(byScore).slice(0, k);
}
