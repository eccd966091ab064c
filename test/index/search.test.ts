// The pruning scorer (src/index/search.ts) against the reference (score.ts exactTopK) on indexes built by the real
// builder: the same documents and the same scores, bit for bit, for every k — on weights drawn from a handful of values
// (so quantized scores tie often and the order among equals decides) and on continuous ones — and it must prune:
// decodes fewer blocks than the query's lists hold. Generated vectors, no model: only equality is asserted.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIndex } from "../../src/index/build.ts";
import { BLOCK_SIZE } from "../../src/index/format.ts";
import { IndexReader } from "../../src/index/reader.ts";
import { exactTopK, quantizeQuery, type Query } from "../../src/index/score.ts";
import { searchTopK } from "../../src/index/search.ts";
import { seededUniform } from "../../src/model/random.ts";
import { MODEL } from "../cli/corpus-support.ts";

const DOCUMENTS = 20_000;
const FIRST_TERM = 1000;
const TERMS = 600;
const tmp = mkdtempSync(join(tmpdir(), "splade-search-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A Zipf-ish term: a few in most documents, most in few. */
const zipfTerm = (u: () => number) => FIRST_TERM + Math.floor(TERMS ** u()) - 1;

/** `ids` lines of generated documents; `weight` draws each weight. */
function documents(seed: number, weight: (u: () => number) => number): string {
  const u = seededUniform(seed);
  const lines: string[] = [];
  for (let d = 0; d < DOCUMENTS; d++) {
    const terms = new Map<number, number>();
    const count = 3 + Math.floor(u() * 40);
    while (terms.size < count) terms.set(zipfTerm(u), weight(u));
    lines.push(JSON.stringify({ id: `d${d}`, indices: [...terms.keys()], values: [...terms.values()] }));
  }
  return `${lines.join("\n")}\n`;
}

function queries(seed: number, count: number, weight: (u: () => number) => number): Query[] {
  const u = seededUniform(seed);
  return Array.from({ length: count }, () => {
    const terms = new Map<number, number>();
    const size = 1 + Math.floor(u() * 30);
    while (terms.size < size) terms.set(zipfTerm(u), weight(u));
    return { indices: [...terms.keys()], values: [...terms.values()] };
  });
}

async function built(name: string, ids: string): Promise<IndexReader> {
  const input = join(tmp, `${name}.jsonl`);
  writeFileSync(input, ids);
  const output = join(tmp, name);
  await buildIndex({ inputs: [input], output, model: MODEL, force: false, builder: { name: "test", version: "0" } });
  return IndexReader.open((file) => readFile(join(output, file)));
}

const fewValues = (u: () => number) => [0.25, 0.5, 1, 2][Math.floor(u() * 4)];
const continuous = (u: () => number) => 0.05 + u() * 3;

describe.each([
  { name: "few weight values (many ties)", docWeight: fewValues, queryWeight: fewValues },
  { name: "continuous weights", docWeight: continuous, queryWeight: continuous },
])("searchTopK on $name", ({ name, docWeight, queryWeight }) => {
  let index: IndexReader;
  beforeAll(async () => {
    index = await built(name.replace(/\W+/g, "-"), documents(7, docWeight));
  });

  it("equals the reference for every k", async () => {
    for (const query of queries(11, 40, queryWeight)) {
      for (const k of [1, 3, 10, 100, 1000, DOCUMENTS]) {
        const { hits } = await searchTopK(index, query, k);
        expect(hits).toEqual(await exactTopK(index, query, k));
      }
    }
  });

  it("prunes: top-10 decodes fewer blocks than the query's lists hold", async () => {
    let decoded = 0;
    let blocks = 0;
    for (const query of queries(13, 40, queryWeight)) {
      const { stats } = await searchTopK(index, query, 10);
      decoded += stats.blocksDecoded;
      blocks += query.indices.reduce((sum, term) => sum + Math.ceil((index.directory.get(term)?.postings ?? 0) / BLOCK_SIZE), 0);
    }
    expect(decoded).toBeLessThan(blocks);
  });
});

describe("searchTopK refuses", () => {
  let index: IndexReader;
  beforeAll(async () => {
    index = await built("refusals", documents(3, continuous).split("\n").slice(0, 50).join("\n"));
  });
  it("a k below 1 and a negative query weight", async () => {
    await expect(searchTopK(index, { indices: [FIRST_TERM], values: [1] }, 0)).rejects.toThrow("k must be a positive integer, got 0");
    await expect(searchTopK(index, { indices: [FIRST_TERM, 1001], values: [1, -0.5] }, 5)).rejects.toThrow(
      "query weight of token id 1001 is -0.5: weights must be ≥ 0 and finite",
    );
  });
  it("nothing for a query whose terms no document has", async () => {
    expect((await searchTopK(index, { indices: [30000], values: [1] }, 5)).hits).toEqual([]);
  });
});

describe("quantizeQuery", () => {
  it("puts the largest weight in [2^15, 2^16) by a power of two, at every exponent, and drops what rounds to 0", () => {
    for (const largest of [1, 0.5, 2, 3.999, 4, 2 ** -20, 1 - 2 ** -24, 65535, 1e-30]) {
      const { terms, factor } = quantizeQuery({ indices: [5, 9, 7], values: [largest, largest / 3, largest * 2 ** -18] });
      expect(Math.log2(factor) % 1).toBe(0);
      expect(terms.map((t) => t.term)).toEqual([5, 9]);
      expect(terms[0].weight).toBeGreaterThanOrEqual(2 ** 15);
      expect(terms[0].weight).toBeLessThan(2 ** 16);
      expect(terms[1].weight).toBe(Math.round((largest / 3) * factor));
    }
    expect(quantizeQuery({ indices: [1], values: [0] })).toEqual({ terms: [], factor: 1 });
  });
});
