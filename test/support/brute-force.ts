// The exact ranking engines are checked against: a float64 inner product of every document with the query over the
// very vectors an engine loaded, and the rule that says whether an engine's top k is that ranking (ties may swap).
// Shared by test/engines/retrieval.test.ts and test/engines/catalogue-retrieval.test.ts.
import type { Hit } from "../../src/engines/pgvector.ts";

/** Engine score vs the float64 brute force of the same id: pgvector sums in float32. */
export const SCORE_TOLERANCE = 1e-4;
/** Exact scores this close are a tie: either order is right (pgvector's float32 sums may swap them). */
export const TIE = 1e-5;

/** How far an engine's scores may stray: `score` from the brute force's, `tie` between exact scores that may swap. */
export interface Tolerance {
  score: number;
  tie: number;
  /** Both as a share of the larger score's magnitude, rather than absolute. */
  relative?: boolean;
}

const ABSOLUTE: Tolerance = { score: SCORE_TOLERANCE, tie: TIE };

function near(a: number, b: number, tolerance: number, relative: boolean | undefined): boolean {
  return Math.abs(a - b) <= (relative ? tolerance * Math.max(Math.abs(a), Math.abs(b)) : tolerance);
}

export interface Vector {
  /** Token id (0-based) → weight. */
  weights: Map<number, number>;
}

export interface Exact {
  /** Every document's float64 inner product with the query. */
  scores: Map<string, number>;
  /** All documents, best first, equal scores by id. */
  ranked: Hit[];
}

export function bruteForce(query: Vector, docs: Map<string, Vector>): Exact {
  const scores = new Map<string, number>();
  for (const [id, doc] of docs) {
    let s = 0;
    for (const [t, w] of doc.weights) {
      const q = query.weights.get(t);
      if (q !== undefined) s += q * w;
    }
    scores.set(id, s);
  }
  const ranked = [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { scores, ranked };
}

/**
 * What is wrong with `hits` as an exact top-`length` (empty: nothing). Each hit must be a known, distinct document
 * whose returned score is its brute-force score (±SCORE_TOLERANCE), in non-increasing order, and at every rank r its
 * brute-force score must equal the brute-force r-th best score within TIE. So a hit may differ from the brute-force
 * id at rank r only when the two score the same (a tie, or a near-tie float32 may order either way); a document
 * from outside the top, a swap of distinct scores, a missing or doubled hit all fail. `tolerance` replaces
 * SCORE_TOLERANCE and TIE.
 */
export function exactProblems(hits: Hit[], exact: Exact, length: number, tolerance: Tolerance = ABSOLUTE): string[] {
  const problems: string[] = [];
  if (hits.length !== length) problems.push(`${hits.length} hits, expected ${length}`);
  const seen = new Set<string>();
  hits.forEach((hit, r) => {
    const truth = exact.scores.get(hit.id);
    if (truth === undefined) return problems.push(`rank ${r + 1}: unknown id ${JSON.stringify(hit.id)}`);
    if (seen.has(hit.id)) problems.push(`rank ${r + 1}: ${JSON.stringify(hit.id)} again`);
    seen.add(hit.id);
    if (!near(hit.score, truth, tolerance.score, tolerance.relative))
      problems.push(`rank ${r + 1}: ${JSON.stringify(hit.id)} scored ${hit.score}, brute force ${truth}`);
    if (r > 0 && hit.score > hits[r - 1].score) problems.push(`rank ${r + 1}: score ${hit.score} above rank ${r}'s ${hits[r - 1].score}`);
    const expected = exact.ranked[r];
    if (expected && !near(truth, expected.score, tolerance.tie, tolerance.relative)) {
      problems.push(`rank ${r + 1}: ${JSON.stringify(hit.id)} (brute force ${truth}) where brute force has ${JSON.stringify(expected.id)} (${expected.score})`);
    }
  });
  return problems;
}

/** Hits whose brute-force score reaches the k-th best (within TIE): recall@k that does not punish ties at the cut. */
export function recallAtK(hits: Hit[], exact: Exact, k: number): number {
  const cut = exact.ranked[k - 1].score - TIE;
  return hits.slice(0, k).filter((h) => (exact.scores.get(h.id) ?? -Infinity) >= cut).length / k;
}

/** Hits that are not the brute-force id of their rank: how many only passed through the tie rule. */
export function tieSwaps(hits: Hit[], exact: Exact): number {
  return hits.filter((h, r) => exact.ranked[r]?.id !== h.id).length;
}
