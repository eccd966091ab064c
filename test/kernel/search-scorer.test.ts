// The search scorer's module (src/kernel/search-scorer.c through search-scorer.ts) against a plain-JavaScript reading
// of the same term records (format.ts encodeTermRecord writes them, decodeTerm reads them back): the sums it
// accumulates, its histogram and its candidates must be exactly the JavaScript ones — on the records' edge cases
// (an empty list, one posting, document 0, a last partial block, one- to four-byte gaps in one record), at sizes that
// are no multiple of anything, at a million documents — and it must refuse a malformed record rather than write
// outside its sums, leaving no sum behind once cleared; so must searchTopK, whose next search is exact again.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildIndex } from "../../src/index/build.ts";
import { BLOCK_ENTRY, BLOCK_SIZE, decodeTerm, encodeTermRecord, IndexFormatError, type TermEntry } from "../../src/index/format.ts";
import { IndexReader } from "../../src/index/reader.ts";
import { exactTopK } from "../../src/index/score.ts";
import { searchTopK } from "../../src/index/search.ts";
import { SearchScorer } from "../../src/kernel/search-scorer.ts";
import { seededUniform } from "../../src/model/random.ts";
import { MODEL } from "../cli/corpus-support.ts";

const BUCKETS = 4096;

interface Term {
  record: Uint8Array;
  entry: TermEntry;
  weight: number;
}

/** A term's record over `docs` (ascending) with seeded impacts in 1…255, as the builder writes it. */
function term(docs: readonly number[], weight: number, seed: number): Term {
  const u = seededUniform(seed);
  const impacts = docs.map(() => 1 + Math.floor(u() * 255));
  const record = encodeTermRecord(docs, impacts);
  const entry: TermEntry = {
    term: seed,
    postings: docs.length,
    file: 0,
    offset: 0,
    bytes: record.byteLength,
    maxImpact: impacts.reduce((a, b) => Math.max(a, b), 0),
    blocks: Math.ceil(docs.length / BLOCK_SIZE),
  };
  return { record, entry, weight };
}

/** `count` distinct documents below `documents`, ascending, seeded. */
function someDocs(documents: number, count: number, seed: number): number[] {
  const u = seededUniform(seed);
  const docs = new Set<number>();
  while (docs.size < count) docs.add(Math.floor(u() * documents));
  return [...docs].sort((a, b) => a - b);
}

/** The sums in plain JavaScript: every posting decoded by format.ts, added as search.ts's JavaScript loop added them. */
function plainSums(documents: number, terms: readonly Term[]): Float64Array {
  const sums = new Float64Array(documents);
  for (const { record, entry, weight } of terms) {
    const { docs, impacts } = decodeTerm(record, entry);
    for (let i = 0; i < docs.length; i++) sums[docs[i]] += weight * impacts[i];
  }
  return sums;
}

function accumulateAll(scorer: SearchScorer, terms: readonly Term[]): void {
  for (const { record, entry, weight } of terms) expect(scorer.accumulate(record, entry.blocks, entry.postings, weight)).toBeUndefined();
}

/** Every (document, sum) collect hands out, in its order. */
/** What collect hands out, in its order, and how many candidates it counted. */
function collected(scorer: SearchScorer, rest: number, theta: number, least = 0): { out: Array<[number, number]>; count: number } {
  const out: Array<[number, number]> = [];
  const count = scorer.collect(
    rest,
    theta,
    () => least,
    (doc, sum) => out.push([doc, sum]),
  );
  return { out, count };
}

function plainCandidates(sums: Float64Array, rest: number, theta: number, least = 0): { out: Array<[number, number]>; count: number } {
  const out: Array<[number, number]> = [];
  let count = 0;
  sums.forEach((sum, doc) => {
    if (sum === 0 || sum + rest < theta) return;
    count++;
    if (sum >= least) out.push([doc, sum]);
  });
  return { out, count };
}

function plainHistogram(sums: Float64Array, width: number): Uint32Array {
  const counts = new Uint32Array(BUCKETS);
  for (const sum of sums) if (sum > 0) counts[Math.floor(sum / width)]++;
  return counts;
}

/** Checks accumulate + histogram + collect against JavaScript on `terms`, then that the sums were left zeroed. */
function expectPlain(documents: number, terms: readonly Term[], scorer = new SearchScorer(documents, BUCKETS)): void {
  accumulateAll(scorer, terms);
  const sums = plainSums(documents, terms);
  const ceiling = terms.reduce((sum, t) => sum + t.weight * t.entry.maxImpact, 0);
  for (const width of [(ceiling + 1) / BUCKETS, (ceiling + 1) / 7]) expect([...scorer.histogram(width)]).toEqual([...plainHistogram(sums, width)]);
  const sorted = [...sums].filter((s) => s > 0).sort((a, b) => b - a);
  // Counts at an existing sum (ties counted), between two, at 0 (every document) and above every sum.
  for (const [low, high] of [
    [sorted[Math.min(3, sorted.length - 1)] ?? 1, (sorted[0] ?? 0) + 0.5],
    [0, ceiling + 1],
  ]) {
    expect(scorer.countAtLeast(low, high)).toEqual({
      low: sums.filter((s) => s >= low).length,
      high: sums.filter((s) => s >= high).length,
      largest: sorted[0] ?? 0,
    });
  }
  // θ at an existing sum, and a rest that lifts the 21st best exactly to it: ties are candidates.
  const theta = sorted[Math.min(9, sorted.length - 1)] ?? 0;
  const rest = theta - (sorted[Math.min(20, sorted.length - 1)] ?? 0);
  // Only the candidates at or above the 6th best sum handed back (ties included), all of them counted.
  const least = sorted[Math.min(5, sorted.length - 1)] ?? 0;
  expect(collected(scorer, rest, theta, least)).toEqual(plainCandidates(sums, rest, theta, least));
  expect(collected(scorer, 0, 0)).toEqual({ out: [], count: 0 });
  expect(scorer.histogram(1).every((c) => c === 0)).toBe(true);
}

describe("the search scorer equals plain JavaScript on the same records", () => {
  it("an empty list, one posting, document 0 and the last document", () => {
    expectPlain(10, [term([], 7, 1)]);
    expectPlain(10, [term([0], 65535, 2)]);
    expectPlain(10, [term([9], 3, 3), term([0, 9], 65535, 4)]);
    expectPlain(1, [term([0], 1, 5)]);
  });

  it("full blocks and a last partial one, one-byte gaps and longer ones in one record", () => {
    // 2 full blocks of one-byte gaps (the fast path), then gaps of 2 and 3 bytes, ending in a partial block.
    const docs = Array.from({ length: 2 * BLOCK_SIZE }, (_, i) => i * 3);
    for (let d = docs.at(-1)! + 200, i = 0; i < 100; i++, d += i % 2 ? 20_000 : 130) docs.push(d);
    const documents = docs.at(-1)! + 17;
    const t = term(docs, 40_000, 6);
    expect(t.entry.blocks).toBe(3);
    expectPlain(documents, [t, term(someDocs(documents, 1000, 7), 65535, 8), term(someDocs(documents, 3, 9), 1, 10)]);
  });

  it("four-byte gaps (documents past 2^21)", () => {
    const documents = 2 ** 21 + 5;
    expectPlain(documents, [term([3, 2 ** 21 + 4], 999, 11), term([2 ** 21 + 4], 65535, 12)]);
  });

  it("a million documents (and one more: no multiple of anything), lists of every length", () => {
    const documents = 1_000_001;
    const terms = [1, 127, 128, 129, 5000, 300_000, 999_000].map((count, i) => term(someDocs(documents, count, 20 + i), 1 + ((i * 9973) % 65535), 30 + i));
    expectPlain(documents, [...terms, term([0, documents - 1], 65535, 40)]);
  });

  it("sums of many lists at full weight, beyond 2^32, stay exact", () => {
    const documents = 4099;
    const docs = Array.from({ length: documents }, (_, d) => d);
    const terms = Array.from({ length: 600 }, (_, i) => term(docs, 65535, 100 + i));
    const sums = plainSums(documents, terms);
    expect(Math.max(...sums)).toBeGreaterThan(2 ** 32);
    expectPlain(documents, terms);
  });

  it("keeps its sums across calls: a scorer serves one query after another", () => {
    const documents = 50_000;
    const scorer = new SearchScorer(documents, BUCKETS);
    for (let q = 0; q < 3; q++)
      expectPlain(documents, [term(someDocs(documents, 9000, 50 + q), 1000 + q, 60 + q), term(someDocs(documents, 20, 70 + q), 65535, 80 + q)], scorer);
  });
});

describe("collect with a least sum that rises as the candidates come", () => {
  it("asks it before each call into the module, hands back only sums at or above it, and the top k stays exact", () => {
    const documents = 300_001;
    const terms = [term(someDocs(documents, 200_000, 300), 3, 301), term(someDocs(documents, 50_000, 302), 700, 303)];
    const scorer = new SearchScorer(documents, BUCKETS);
    accumulateAll(scorer, terms);
    const sums = plainSums(documents, terms);
    const k = 10;
    // The k best so far, kept sorted, best first: its k-th is the least sum a later document must beat.
    const top: Array<[number, number]> = [];
    let asked = 0;
    let least = 0;
    let handed = 0;
    const count = scorer.collect(
      0,
      0,
      () => {
        asked++;
        least = top.length === k ? top[k - 1][1] : 0;
        return least;
      },
      (doc, sum) => {
        handed++;
        expect(sum).toBeGreaterThanOrEqual(least);
        expect(sum).toBe(sums[doc]);
        if (top.length === k && sum <= top[k - 1][1]) return;
        top.push([doc, sum]);
        top.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
        top.length = Math.min(top.length, k);
      },
    );
    const nonZero = sums.filter((s) => s > 0).length;
    expect(count).toBe(nonZero);
    const plain = [...sums.entries()].filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    expect(top).toEqual(plain.slice(0, k));
    expect(asked).toBeGreaterThan(1);
    // Without a rising least every non-zero sum would come back.
    expect(handed).toBeLessThan(nonZero / 10);
    expect(scorer.histogram(1).every((c) => c === 0)).toBe(true);
  });
});

describe("the search scorer refuses a malformed record", () => {
  const documents = 1000;
  const good = () => term(someDocs(documents, 300, 90), 5, 91);

  it("a document past the index's last: its block, and no write outside the sums", () => {
    const t = term([...someDocs(500, 200, 92), 600, 700], 5, 93);
    const scorer = new SearchScorer(650, BUCKETS);
    expect(scorer.accumulate(t.record, t.entry.blocks, t.entry.postings, t.weight)).toBe(1);
    scorer.clear();
    expect(collected(scorer, 0, 0)).toEqual({ out: [], count: 0 });
    expectPlain(650, [term(someDocs(650, 100, 94), 7, 95)], scorer);
  });

  it("a block table whose end is off, or outside the record; a block count that does not match the postings", () => {
    const scorer = new SearchScorer(documents, BUCKETS);
    const { record, entry } = good();
    const view = new DataView(record.buffer, record.byteOffset);
    const off = record.slice();
    new DataView(off.buffer).setUint32(BLOCK_ENTRY + 4, view.getUint32(BLOCK_ENTRY + 4, true) + 1, true);
    expect(scorer.accumulate(off, entry.blocks, entry.postings, 1)).toBe(1);
    const outside = record.slice();
    new DataView(outside.buffer).setUint32(2 * BLOCK_ENTRY + 4, record.byteLength, true);
    expect(scorer.accumulate(outside, entry.blocks, entry.postings, 1)).toBe(2);
    expect(scorer.accumulate(record, entry.blocks + 1, entry.postings, 1)).toBe(0);
    expect(scorer.accumulate(record.subarray(0, 5), entry.blocks, entry.postings, 1)).toBe(0);
    scorer.clear();
    expectPlain(documents, [good()], scorer);
  });
});

describe("searchTopK on a malformed record", () => {
  const tmp = mkdtempSync(join(tmpdir(), "splade-scorer-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("refuses the search, naming the term, and the next search is exact (no sum left behind)", async () => {
    const u = seededUniform(200);
    const lines = Array.from({ length: 3000 }, (_, d) => {
      const terms = [...new Set(Array.from({ length: 20 }, () => 1000 + Math.floor(u() * 50)))];
      return JSON.stringify({ id: `d${d}`, indices: terms, values: terms.map(() => 0.1 + u()) });
    });
    writeFileSync(join(tmp, "ids.jsonl"), `${lines.join("\n")}\n`);
    const output = join(tmp, "index");
    await buildIndex({ inputs: [join(tmp, "ids.jsonl")], output, model: MODEL, force: false, builder: { name: "test", version: "0" } });
    const good = await IndexReader.open((file) => readFile(join(output, file)));
    const [, bad] = [...good.directory.values()];
    // The second term's first block ends past its record: read in memory only, the files stay as built.
    const index = await IndexReader.open(async (file) => {
      const bytes = new Uint8Array(await readFile(join(output, file)));
      if (file === good.manifest.postings_files[bad.file]) new DataView(bytes.buffer).setUint32(bad.offset + 4, bad.bytes, true);
      return bytes;
    });
    const first = [...good.directory.keys()][0];
    // The sound term first (largest bound), so its sums are held when the malformed one is read.
    const query = { indices: [first, bad.term], values: [1, 0.5] };
    await expect(searchTopK(index, query, 10)).rejects.toThrow(new IndexFormatError(`term ${bad.term}: block 0 is malformed`));
    const sound = { indices: [first], values: [1] };
    expect((await searchTopK(index, sound, 10)).hits).toEqual(await exactTopK(index, sound, 10));
  });
});
