// src/eval/metrics.ts on hand-built runs and qrels. Every expected value is derived in the comments from trec_eval's
// definitions (src/eval/metrics.ts names the source files); the same cases were run through trec_eval 10.0 and 9.0.8
// built from usnistgov/trec_eval, which printed these numbers (to its 4 decimals).
import { describe, expect, it } from "vitest";
import { EvaluationError } from "../../src/eval/errors.ts";
import { compareCodePoints, evaluate, ndcgAt, rankEntries, recallAt, reciprocalRank, type Qrels, type Run, type RunEntry } from "../../src/eval/metrics.ts";

/** A run from `qid → [docno, score][]` (file order). */
function run(spec: Record<string, Array<[string, number]>>): Run {
  return new Map(Object.entries(spec).map(([qid, docs]) => [qid, docs.map(([docno, score]): RunEntry => ({ docno, score }))]));
}

function qrels(spec: Record<string, Record<string, number>>): Qrels {
  return new Map(Object.entries(spec).map(([qid, judged]) => [qid, new Map(Object.entries(judged))]));
}

const log2 = Math.log2;

describe("ranking (form_res_rels.c)", () => {
  it("sorts by score descending, ties by docno descending, whatever the file order or rank column", () => {
    const ranked = rankEntries("q", [
      { docno: "a", score: 1 },
      { docno: "c", score: 1 },
      { docno: "z", score: 0.5 },
      { docno: "b", score: 1 },
      { docno: "y", score: 2 },
    ]);
    // y (2) first; a, b, c tie at 1 → c, b, a (strcmp(p2, p1): descending); z last.
    expect(ranked.map((e) => e.docno)).toEqual(["y", "c", "b", "a", "z"]);
  });

  it("orders docnos by their UTF-8 bytes (code points), not UTF-16 units", () => {
    // U+FF5E is EF BD 9E in UTF-8, U+1F600 is F0 9F 98 80: the emoji is greater. In UTF-16 it is D83D DE00 < FF5E.
    expect(compareCodePoints("\u{1F600}", "\uFF5E")).toBeGreaterThan(0);
    expect(compareCodePoints("\uFF5E", "\u{1F600}")).toBeLessThan(0);
    expect(compareCodePoints("ab", "abc")).toBeLessThan(0);
    expect(compareCodePoints("B", "a")).toBeLessThan(0);
    expect(compareCodePoints("10", "9")).toBeLessThan(0); // strings, not numbers
    // Tie at one score: descending code points puts the emoji first.
    expect(
      rankEntries("q", [
        { docno: "\uFF5E", score: 1 },
        { docno: "\u{1F600}", score: 1 },
      ]).map((e) => e.docno),
    ).toEqual(["\u{1F600}", "\uFF5E"]);
  });

  it("ties scores equal in float32 only with scorePrecision float32 (trec_eval 9.0.x stored a C float)", () => {
    const entries = [
      { docno: "a", score: 1.0000000001 },
      { docno: "b", score: 1 },
    ];
    // double: 1.0000000001 > 1 → a first. float32: both round to 1 → tie → docno descending → b first.
    expect(rankEntries("q", entries).map((e) => e.docno)).toEqual(["a", "b"]);
    expect(rankEntries("q", entries, "float32").map((e) => e.docno)).toEqual(["b", "a"]);
  });

  it('refuses a docno listed twice for one query, as trec_eval does ("duplicate docs")', () => {
    const entries = [
      { docno: "a", score: 3 },
      { docno: "b", score: 2 },
      { docno: "a", score: 1 },
    ];
    expect(() => rankEntries("q7", entries)).toThrow(expect.objectContaining({ kind: "duplicate_document" }));
    expect(() => rankEntries("q7", entries)).toThrow(/query "q7" lists document "a" twice/);
    expect(() => rankEntries("q7", entries)).toThrow(EvaluationError);
    expect(() =>
      evaluate(
        run({
          q7: [
            ["a", 3],
            ["b", 2],
            ["a", 1],
          ],
        }),
        qrels({ q7: { a: 1 } }),
      ),
    ).toThrow(expect.objectContaining({ kind: "duplicate_document" }));
  });
});

describe("single-query measures", () => {
  it("recip_rank, -M cut", () => {
    // rels by rank: -1 (unjudged), 0, 1 → first relevant at rank 3 → 1/3.
    expect(reciprocalRank([-1, 0, 1], 1)).toBeCloseTo(1 / 3, 15);
    // -M 2 keeps ranks 1–2: no relevant → 0.
    expect(reciprocalRank([-1, 0, 1], 1, 2)).toBe(0);
    // -l 2: a rel-1 document is not relevant; the rel-2 one at rank 2 → 1/2.
    expect(reciprocalRank([1, 2], 2)).toBe(0.5);
  });

  it("recall.k pads short runs and scores 0 without relevant documents", () => {
    // 3 relevant, 1 retrieved in the top 2 → 1/3; the whole (short) run holds 2 → 2/3 at k = 1000.
    expect(recallAt([1, 0, 1], 3, 1, 2)).toBeCloseTo(1 / 3, 15);
    expect(recallAt([1, 0, 1], 3, 1, 1000)).toBeCloseTo(2 / 3, 15);
    expect(recallAt([0, 0], 0, 1, 10)).toBe(0);
  });

  it("ndcg_cut.k: gain = rel, log2(rank + 1), ideal from every positive judgment", () => {
    // Ranked rels [2, -1, 1]; judged values {2, 1, 3, 0, -2}.
    // DCG@10 = 2/log2(2) + 1/log2(4) = 2 + 0.5 = 2.5; IDCG@10 = 3/log2(2) + 2/log2(3) + 1/log2(4) = 3 + 1.2618595 + 0.5.
    const expected = 2.5 / (3 + 2 / log2(3) + 0.5);
    expect(ndcgAt([2, -1, 1], [2, 1, 3, 0, -2], 10)).toBeCloseTo(expected, 15);
    expect(expected).toBeCloseTo(0.525, 3);
    // Cut at 1: DCG@1 = 2, IDCG@1 = 3 → 2/3.
    expect(ndcgAt([2, -1, 1], [2, 1, 3, 0, -2], 1)).toBeCloseTo(2 / 3, 15);
    // No positive judgment: IDCG 0 → 0.
    expect(ndcgAt([0, -1], [0, -2], 10)).toBe(0);
  });
});

describe("evaluate (trec_eval.c, meas_avg.c)", () => {
  it("one query: MRR@10, recall, nDCG@10, unjudged documents non-relevant", () => {
    // Ranking d9 (unjudged), d2 (rel 1), d3 (rel 0), d1 (rel 1).
    // MRR@10 = 1/2. R@100 = R@1000 = 2 relevant retrieved / 2 = 1.
    // nDCG@10: DCG = 1/log2(3) + 1/log2(5) = 0.6309298 + 0.4306766 = 1.0616064; IDCG = 1 + 1/log2(3) = 1.6309298
    //   → 0.6509209.
    const e = evaluate(
      run({
        q1: [
          ["d1", 0.5],
          ["d2", 2],
          ["d3", 1],
          ["d9", 3],
        ],
      }),
      qrels({ q1: { d1: 1, d2: 1, d3: 0 } }),
    );
    expect(e.queries).toBe(1);
    expect(e.mrr10).toBe(0.5);
    expect(e.recall100).toBe(1);
    expect(e.recall1000).toBe(1);
    expect(e.ndcg10).toBeCloseTo((1 / log2(3) + 1 / log2(5)) / (1 + 1 / log2(3)), 15);
    expect(e.ndcg10).toBeCloseTo(0.6509, 4);
    expect(e.perQuery[0]).toMatchObject({ qid: "q1", relevant: 2, retrieved: 4 });
  });

  it("cutoffs: MRR@10 and nDCG@10 see ranks 1–10, R@100 ranks 1–100", () => {
    // 150 documents; relevant r1 at rank 11 and r2 at rank 101 (scores 150 − i for the i-th, 0-based).
    const docs: Array<[string, number]> = Array.from({ length: 150 }, (_, i) => [i === 10 ? "r1" : i === 100 ? "r2" : `n${i}`, 150 - i]);
    const e = evaluate(run({ q: docs }), qrels({ q: { r1: 1, r2: 1 } }));
    // MRR@10: nothing relevant in the top 10 → 0 (recip_rank without -M would be 1/11).
    expect(e.mrr10).toBe(0);
    expect(
      reciprocalRank(
        docs.map(([d]) => (d.startsWith("r") ? 1 : -1)),
        1,
      ),
    ).toBeCloseTo(1 / 11, 15);
    // R@100 = 1/2 (r1 only), R@1000 = 2/2; nDCG@10 = 0.
    expect(e.recall100).toBe(0.5);
    expect(e.recall1000).toBe(1);
    expect(e.ndcg10).toBe(0);
  });

  it("ties decide the ranks the measures see", () => {
    // All three score 1: ranked c, b, a. The relevant "a" is at rank 3 → MRR@10 1/3, nDCG@10 = (1/log2(4)) / 1 = 0.5.
    const e = evaluate(
      run({
        q: [
          ["a", 1],
          ["b", 1],
          ["c", 1],
        ],
      }),
      qrels({ q: { a: 1 } }),
    );
    expect(e.mrr10).toBeCloseTo(1 / 3, 15);
    expect(e.ndcg10).toBe(0.5);
  });

  it("graded relevance for nDCG@10, with an unjudged-in-pool (negative) value", () => {
    // Ranking a (2), x (not in qrels), b (1), u (-2: unjudged in pool); c (3) judged but not retrieved.
    // DCG = 2/1 + 1/log2(4) = 2.5; IDCG over {3, 2, 1} = 3 + 2/log2(3) + 1/2 → 0.5250039.
    // MRR@10 = 1 (a, rel 2 ≥ 1). R@100 = 2 of 3 relevant (a, b; c missed) = 0.6667.
    const e = evaluate(
      run({
        q: [
          ["a", 4],
          ["x", 3],
          ["b", 2],
          ["u", 1],
        ],
      }),
      qrels({ q: { a: 2, b: 1, c: 3, u: -2 } }),
    );
    expect(e.ndcg10).toBeCloseTo(2.5 / (3 + 2 / log2(3) + 0.5), 15);
    expect(e.ndcg10).toBeCloseTo(0.525, 4);
    expect(e.mrr10).toBe(1);
    expect(e.recall100).toBeCloseTo(2 / 3, 15);
  });

  it("relevanceLevel (-l 2): MRR and recall count rel ≥ 2 only; nDCG gains stay rel", () => {
    // Ranking a (1), b (2). -l 2: first relevant is b at rank 2 → 0.5; relevant = {b} → R@100 = 1.
    // nDCG: DCG = 1 + 2/log2(3); IDCG = 2 + 1/log2(3) → (1 + 1.2618595) / (2 + 0.6309298) = 0.8597.
    const e = evaluate(
      run({
        q: [
          ["a", 2],
          ["b", 1],
        ],
      }),
      qrels({ q: { a: 1, b: 2 } }),
      { relevanceLevel: 2 },
    );
    expect(e.mrr10).toBe(0.5);
    expect(e.recall100).toBe(1);
    expect(e.ndcg10).toBeCloseTo((1 + 2 / log2(3)) / (2 + 1 / log2(3)), 15);
  });

  it("a qrels query missing from the run: 0 and counted with complete (-c), left out without", () => {
    // q1 scores 1 on everything (its relevant document first); q2 has no run lines.
    const r = run({ q1: [["a", 1]] });
    const q = qrels({ q1: { a: 1 }, q2: { b: 1 } });
    const complete = evaluate(r, q);
    // -c: (1 + 0) / 2 on every measure.
    expect(complete).toMatchObject({ queries: 2, mrr10: 0.5, recall100: 0.5, recall1000: 0.5, ndcg10: 0.5, missingFromRun: ["q2"] });
    const judgedOnly = evaluate(r, q, { complete: false });
    // Without -c: q1 alone.
    expect(judgedOnly).toMatchObject({ queries: 1, mrr10: 1, recall100: 1, recall1000: 1, ndcg10: 1, missingFromRun: ["q2"] });
  });

  it("a qrels query with no relevant document is evaluated: 0 on every measure, counted in the mean", () => {
    // q1: 1 everywhere; q3 judged only non-relevant (rel 0) → 0 everywhere → means 0.5, with or without -c.
    const r = run({ q1: [["a", 1]], q3: [["x", 1]] });
    const q = qrels({ q1: { a: 1 }, q3: { x: 0 } });
    for (const complete of [true, false]) {
      const e = evaluate(r, q, { complete });
      expect(e).toMatchObject({ queries: 2, mrr10: 0.5, recall100: 0.5, recall1000: 0.5, ndcg10: 0.5, withoutRelevant: ["q3"] });
    }
  });

  it("run queries without qrels are ignored; a run sharing no query with the qrels is an error", () => {
    const e = evaluate(run({ q1: [["a", 1]], extra: [["a", 1]] }), qrels({ q1: { a: 1 } }));
    expect(e).toMatchObject({ queries: 1, mrr10: 1, notInQrels: ["extra"] });
    expect(() => evaluate(run({ other: [["a", 1]] }), qrels({ q1: { a: 1 } }))).toThrow(expect.objectContaining({ kind: "nothing_to_evaluate" }));
    expect(() => evaluate(run({ other: [["a", 1]] }), qrels({ q1: { a: 1 } }), { complete: false })).toThrow(
      expect.objectContaining({ kind: "nothing_to_evaluate" }),
    );
  });

  it("averages per-query values over the queries counted", () => {
    // q1: relevant at rank 1 → MRR 1; q2: relevant at rank 4 → 1/4; q3: none retrieved in 2 → 0. Mean 1.25/3.
    // R@100: q1 1/1, q2 1/2 (one of two relevant), q3 0/1 → 0.5.
    const e = evaluate(
      run({
        q1: [["a", 9]],
        q2: [
          ["w", 4],
          ["x", 3],
          ["y", 2],
          ["b", 1],
        ],
        q3: [
          ["m", 2],
          ["n", 1],
        ],
      }),
      qrels({ q1: { a: 1 }, q2: { b: 1, c: 1 }, q3: { z: 1 } }),
    );
    expect(e.queries).toBe(3);
    expect(e.mrr10).toBeCloseTo(1.25 / 3, 15);
    expect(e.recall100).toBeCloseTo(0.5, 15);
    // nDCG@10: q1 1; q2 DCG = 1/log2(5), IDCG = 1 + 1/log2(3); q3 0.
    expect(e.ndcg10).toBeCloseTo((1 + 1 / log2(5) / (1 + 1 / log2(3))) / 3, 15);
  });
});
