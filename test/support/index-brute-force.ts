// The brute force a search index is checked against, written from docs/search.md ("Quantization and what exact
// means") and not from src/index: the `encode-corpus --format ids` files read directly, every document weight quantized
// with the index's one scale, the query's weights quantized to 16 bits, and every document scored by the definition —
// the integer sum of q_int × impact over the terms it shares with the query, divided by factor × scale — ranked best
// first, equal scores by document number (input order). Documents that share no term with the query are never
// returned.
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

export interface IntegerQuery {
  /** Token id → its integer weight, 1…65535 (weights that round to 0 are not terms). */
  weights: Map<number, number>;
  /** The power of two the float32 weights were multiplied by. */
  factor: number;
}

/**
 * docs/search.md: q ↦ round(float32(q) × factor), factor the power of two that puts the largest weight, rounded, in
 * [2^15, 2^16); a weight that rounds to 0 is dropped.
 */
export function quantizeQueryWeights(query: { indices: readonly number[]; values: readonly number[] }): IntegerQuery {
  const largest = query.values.reduce((max, w) => Math.max(max, Math.fround(w)), 0);
  let factor = 1;
  if (largest > 0) {
    while (Math.round(largest * factor) >= 2 ** 16) factor /= 2;
    while (Math.round(largest * factor) < 2 ** 15) factor *= 2;
  }
  const weights = new Map<number, number>();
  query.indices.forEach((term, i) => {
    if (weights.has(term)) throw new RangeError(`query has token id ${term} twice`);
    const q = Math.round(Math.fround(query.values[i]) * factor);
    if (q > 0) weights.set(term, q);
  });
  return { weights, factor };
}

/** Every document that shares a term with `query`, scored by the definition, best first, equal scores by number. */
export function bruteForceRanking(corpus: QuantizedCorpus, query: { indices: readonly number[]; values: readonly number[] }): RankedDocument[] {
  const { weights, factor } = quantizeQueryWeights(query);
  const ranked: RankedDocument[] = [];
  corpus.docs.forEach((d, doc) => {
    // Integers below 2^53: exact in any order.
    let sum = 0;
    for (let i = 0; i < d.terms.length; i++) sum += (weights.get(d.terms[i]) ?? 0) * d.impacts[i];
    if (sum > 0) ranked.push({ doc, id: d.id, score: sum / (factor * corpus.scale) });
  });
  return ranked.sort((a, b) => b.score - a.score || a.doc - b.doc);
}

/** The corpus as `ids` JSONL with the impacts as weights: what another engine loads to rank the same vectors. */
export function impactsIdsJsonl(corpus: QuantizedCorpus): string {
  return corpus.docs.map((d) => `${JSON.stringify({ id: d.id, indices: [...d.terms], values: [...d.impacts] })}\n`).join("");
}
