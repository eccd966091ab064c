// Our tokenizer, running in workerd, must give the ids Hugging Face's Rust tokenizers gives (computed in Node by
// tokenizer-golden.setup.ts) for every generated case, truncation included.
import { describe, expect, inject, it } from "vitest";
import { SpladeTokenizer, type TokenizedText } from "../../src/encoder/tokenizer";
import { textHash, tokenizerCases } from "./tokenizer-cases";

const golden = inject("tokenizerGolden");
const cases = tokenizerCases();

/**
 * The rule the Worker follows, applied to Rust's untruncated ids: [CLS], the first maxLength − 2 content ids, [SEP].
 * The final [SEP] always stays (castorini/anserini#2928).
 */
function truncate(ids: number[], maxLength: number): TokenizedText {
  const content = ids.slice(1, -1);
  if (content.length <= maxLength - 2) return { ids, truncated: false, length: ids.length };
  return { ids: [ids[0], ...content.slice(0, maxLength - 2), ids[ids.length - 1]], truncated: true, length: ids.length };
}

/** The text with every invisible, combining or otherwise ambiguous code unit written as an escape. */
function escapeInvisible(text: string): string {
  const out = Array.from(text, (ch) => {
    const c = ch.codePointAt(0)!;
    const plain = (ch === " " || /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(ch)) && ch !== "\\" && ch !== '"' && !(c >= 0xd800 && c <= 0xdfff);
    return plain ? ch : c > 0xffff ? `\\u{${c.toString(16)}}` : `\\u${c.toString(16).padStart(4, "0")}`;
  });
  // Cut long texts by code point: a lone surrogate in the report would break the pool's WebSocket (invalid UTF-8).
  if (out.length <= 600) return `"${out.join("")}"`;
  return `"${out.slice(0, 400).join("")}" …(${out.length - 500} more)… "${out.slice(-100).join("")}"`;
}

function firstDifference(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

describe("tokenizer parity with Hugging Face's Rust tokenizers, inside workerd", () => {
  const tokenizer = new SpladeTokenizer(JSON.parse(golden.tokenizerJson), JSON.parse(golden.tokenizerConfig), golden.maxLength);

  it("runs on the texts the Rust side encoded, at the fixture's max length of 256", () => {
    expect(golden.maxLength).toBe(256);
    expect(golden.cases).toHaveLength(cases.length);
    const differing = cases.filter((c, i) => textHash(c.text) !== golden.cases[i].hash).map((c) => `${c.category}: ${escapeInvisible(c.text)}`);
    expect(differing).toEqual([]);
  });

  it("has truncation cases at 254, 255, 256 and 257 content tokens, and cuts inside a multi-piece word", () => {
    const lengths = new Set<number>();
    let cutInsideWord = 0;
    cases.forEach((c, i) => {
      const ids = golden.cases[i].ids;
      if (c.category !== "truncation") return;
      lengths.add(ids.length - 2);
      if (ids.length - 2 > 254 && tokenizer.token(ids[255]).startsWith("##")) cutInsideWord++;
    });
    expect([254, 255, 256, 257].filter((n) => !lengths.has(n))).toEqual([]);
    expect(cutInsideWord).toBeGreaterThan(0);
  });

  it("gives Rust's ids and truncation for every case", () => {
    const failures: string[] = [];
    const failuresByCategory = new Map<string, number>();
    cases.forEach((c, i) => {
      const expected = truncate(golden.cases[i].ids, golden.maxLength);
      const actual = tokenizer.encode(c.text);
      if (actual.truncated === expected.truncated && actual.length === expected.length && actual.ids.join() === expected.ids.join()) return;
      failuresByCategory.set(c.category, (failuresByCategory.get(c.category) ?? 0) + 1);
      failures.push(
        [
          `[${c.category} #${i}] ${escapeInvisible(c.text)}`,
          `  first difference at id ${firstDifference(expected.ids, actual.ids)}; truncated: rust ${expected.truncated}, ours ${actual.truncated}; length: rust ${expected.length}, ours ${actual.length}`,
          `  rust (${expected.ids.length}): [${expected.ids.join(", ")}]`,
          `  ours (${actual.ids.length}): [${actual.ids.join(", ")}]`,
        ].join("\n"),
      );
    });
    if (failures.length > 0) {
      const summary = [...failuresByCategory].map(([category, n]) => `${category}: ${n}`).join(", ");
      expect.fail(`${failures.length} of ${cases.length} cases differ from Rust (${summary}):\n${failures.join("\n")}`);
    }
  });
});
