// The brute force a search index is checked against, written from docs/search.md and not from src/index: the
// `encode-corpus --format ids` files read directly, every weight quantized with the index's one scale, and every
// document scored against the query by the definition — float64 sums, in ascending token id, of float32(q) × impact,
// divided by the scale — ranked best first, equal scores by document number (input order). Documents that share no
// term with the query score nothing and are never returned.
import { readFileSync } from "node:fs";

/** One line of an `ids` file. */
export interface IdsRecord {
  id: string;
  indices: number[];
  values: number[];
}

export interface QuantizedDocument {
  id: string;
  /** Token ids, ascending. */
  terms: Uint32Array;
  /** Their impacts, 1…255. */
  impacts: Uint8Array;
}

export interface QuantizedCorpus {
  /** The largest float32 weight of the whole input. */
  maxWeight: number;
  /** 255 / maxWeight. */
  scale: number;
  /** In input order: the document numbers. */
  docs: QuantizedDocument[];
}

export interface RankedDocument {
  doc: number;
  id: string;
  score: number;
}

const MAX_IMPACT = 255;

/** The records of `files`, in order (the files' order, then their lines'). */
export function readIdsFiles(files: readonly string[]): IdsRecord[] {
  return files.flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as IdsRecord),
  );
}

/** docs/search.md "Quantization": impact = min(255, max(1, round(w × scale))) for w > 0, scale = 255 / the largest w. */
export function quantizeCorpus(records: readonly IdsRecord[]): QuantizedCorpus {
  let maxWeight = 0;
  for (const r of records) for (const w of r.values) maxWeight = Math.max(maxWeight, Math.fround(w));
  const scale = MAX_IMPACT / maxWeight;
  const docs = records.map((r) => {
    const postings = r.indices
      .map((term, i) => ({ term, weight: Math.fround(r.values[i]) }))
      .filter((p) => p.weight > 0)
      .sort((a, b) => a.term - b.term);
    return {
      id: r.id,
      terms: Uint32Array.from(postings, (p) => p.term),
      impacts: Uint8Array.from(postings, (p) => Math.min(MAX_IMPACT, Math.max(1, Math.round(p.weight * scale)))),
    };
  });
  return { maxWeight, scale, docs };
}

/** Every document that shares a term with `query`, scored by the definition, best first, equal scores by number. */
export function bruteForceRanking(corpus: QuantizedCorpus, query: { indices: readonly number[]; values: readonly number[] }): RankedDocument[] {
  const weights = new Map<number, number>();
  query.indices.forEach((term, i) => {
    const w = Math.fround(query.values[i]);
    if (weights.has(term)) throw new RangeError(`query has token id ${term} twice`);
    if (w !== 0) weights.set(term, w);
  });
  const ranked: RankedDocument[] = [];
  corpus.docs.forEach((d, doc) => {
    // A document's terms are ascending, so the products are summed in ascending token id.
    let sum = 0;
    let shared = false;
    for (let i = 0; i < d.terms.length; i++) {
      const q = weights.get(d.terms[i]);
      if (q === undefined) continue;
      sum += q * d.impacts[i];
      shared = true;
    }
    if (shared) ranked.push({ doc, id: d.id, score: sum / corpus.scale });
  });
  return ranked.sort((a, b) => b.score - a.score || a.doc - b.doc);
}

/** The corpus as `ids` JSONL with the impacts as weights: what another engine loads to rank the same vectors. */
export function impactsIdsJsonl(corpus: QuantizedCorpus): string {
  return corpus.docs.map((d) => `${JSON.stringify({ id: d.id, indices: [...d.terms], values: [...d.impacts] })}\n`).join("");
}
