// The binary parts of splade-edge/index@1 decode to exactly what was encoded, at the edges of the layout: blocks of
// exactly BLOCK_SIZE and one more, gaps that take 1 to 5 varint bytes, impacts 1 and 255, ids of any UTF-8, stored
// fields of any JSON value.
import { describe, expect, it } from "vitest";
import {
  BLOCK_SIZE,
  blockTable,
  decodeStoredFields,
  decodeTerm,
  decodeTermDirectory,
  encodeStrings,
  encodeTermDirectory,
  encodeTermRecord,
  IndexFormatError,
  parseManifest,
  pickStoredFields,
  stringAt,
  type TermEntry,
} from "../../src/index/format.ts";
import { seededUniform } from "../../src/model/random.ts";

function postings(count: number, seed: number): { docs: number[]; impacts: number[] } {
  const u = seededUniform(seed);
  const docs: number[] = [];
  const impacts: number[] = [];
  let doc = -1;
  for (let i = 0; i < count; i++) {
    // Gaps from 1 to 2^31: every LEB128 length from one byte to five.
    doc += 1 + Math.floor(u() ** 6 * (i % 97 === 5 ? 2 ** 31 : 200));
    docs.push(doc);
    impacts.push(i % 50 === 0 ? 255 : 1 + Math.floor(u() * 255));
  }
  return { docs, impacts };
}

const entryFor = (term: number, docs: number[], impacts: number[], record: Uint8Array): TermEntry => ({
  term,
  postings: docs.length,
  file: 0,
  offset: 0,
  bytes: record.length,
  maxImpact: Math.max(...impacts),
  blocks: Math.ceil(docs.length / BLOCK_SIZE),
});

describe("term records", () => {
  for (const count of [1, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1, 3 * BLOCK_SIZE + 17]) {
    it(`round-trips ${count} postings, with each block's last document and maximum impact`, () => {
      const { docs, impacts } = postings(count, count);
      const record = encodeTermRecord(docs, impacts);
      const entry = entryFor(7, docs, impacts, record);
      const decoded = decodeTerm(record, entry);
      expect([...decoded.docs]).toEqual(docs);
      expect([...decoded.impacts]).toEqual(impacts);
      const table = blockTable(record, entry);
      expect(table.map((b) => b.lastDoc)).toEqual(table.map((_, b) => docs[Math.min(docs.length, (b + 1) * BLOCK_SIZE) - 1]));
      expect(table.map((b) => b.maxImpact)).toEqual(table.map((_, b) => Math.max(...impacts.slice(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE))));
      expect(table.at(-1)?.end).toBe(record.length);
    });
  }

  it("refuses documents out of order and impacts outside 1…255", () => {
    expect(() => encodeTermRecord([3, 3], [1, 1])).toThrow(/ascending/);
    expect(() => encodeTermRecord([1], [0])).toThrow(/impact 0/);
    expect(() => encodeTermRecord([1], [256])).toThrow(/impact 256/);
  });
});

describe("the term directory and the id table", () => {
  it("round-trip", () => {
    const entries: TermEntry[] = [
      { term: 0, postings: 1, file: 0, offset: 0, bytes: 11, maxImpact: 3, blocks: 1 },
      { term: 30521, postings: 129, file: 65535, offset: 2 ** 32 - 1, bytes: 300, maxImpact: 255, blocks: 2 },
    ];
    expect([...decodeTermDirectory(encodeTermDirectory(entries)).values()]).toEqual(entries);
    // One to four UTF-8 bytes a character, and a lone surrogate (written as U+FFFD).
    const ids = ["d0", "", "café naïve", "🚀 x\ty", "日本語", "a".repeat(1000), "x\ud800y"];
    const part = encodeStrings(ids);
    expect(ids.map((_, i) => stringAt(part, i))).toEqual(ids.map((id) => id.replace("\ud800", "\ufffd")));
  });

  it("refuses a file that is not a term directory, and a manifest of another format, saying what to do", () => {
    expect(() => decodeTermDirectory(new Uint8Array(16))).toThrow(IndexFormatError);
    expect(() => parseManifest('{"format":"splade-edge/index@0"}')).toThrow(/build the index again/);
  });
});

describe("stored fields", () => {
  it("keep the names a record has, in --store order, any JSON value but null; a part decodes one document at a time", () => {
    const names = ["title", "url", "tags", "__proto__"];
    const records: Array<Record<string, unknown>> = [
      { url: 'https://x/?a=1&b="2"', extra: 1, title: "T" },
      { url: "only", title: null },
      {},
      { tags: ["a", 2, { b: null }], title: "日本 🚀" },
      JSON.parse('{"__proto__": "kept"}'),
    ];
    const part = encodeStrings(records.map((r) => JSON.stringify(pickStoredFields(r, names))));
    expect(records.map((_, i) => JSON.stringify(decodeStoredFields(part, i)))).toEqual([
      '{"title":"T","url":"https://x/?a=1&b=\\"2\\""}',
      '{"url":"only"}',
      "{}",
      '{"title":"日本 🚀","tags":["a",2,{"b":null}]}',
      '{"__proto__":"kept"}',
    ]);
    expect(() => stringAt(part, records.length)).toThrow(RangeError);
  });
});
