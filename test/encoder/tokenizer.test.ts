// The tokenizer.json we build from vocab.txt must tokenize exactly as Hugging Face's Rust tokenizers does —
// both the Rust BertWordPiece pipeline assembled from vocab.txt and Rust reading our JSON — and our JS
// tokenizer (what the Worker runs) must match them, truncating with [SEP] kept.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as rust from "tokenizers";
import { beforeAll, describe, expect, it } from "vitest";
import { SpladeTokenizer } from "../../src/encoder/tokenizer.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { bertSettings, buildBertTokenizerJson, parseVocab } from "../../src/model/tokenizer-json.ts";

const hf = join(FIXTURE_ROOT, "hf", "query");
const SAMPLES = [
  "Which planet is known as the Red Planet?",
  "what is the capital of france",
  "Café Müller naïve résumé — ÀÉÎÕÜ",
  "東京タワーの高さは？北京大学",
  "emoji 🚀🔥 and ZWJ 👩‍👩‍👧 family",
  "punctuation!!!??? ... ,,, (((nested))) [brackets] {braces}",
  "tabs\tand\nnewlines\r\n and\u00a0nbsp\u2003em-space",
  "zero\u200bwidth\u200djoiner and \u0000control\u0007chars",
  "supercalifragilisticexpialidocious".repeat(4),
  "x".repeat(101),
  "Mixed Ελληνικά Русский עברית العربية हिन्दी",
  "UPPER lower MiXeD 12345 3.14159 1e-12 $100 50%",
  "",
  "   ",
];

describe("tokenizer.json built from vocab.txt", () => {
  let json: Record<string, unknown>;
  let fromJson: rust.Tokenizer;
  let fromVocab: rust.Tokenizer;
  let js: SpladeTokenizer;

  beforeAll(async () => {
    const vocab = parseVocab(readFileSync(join(hf, "vocab.txt"), "utf8"), "vocab.txt");
    const config = JSON.parse(readFileSync(join(hf, "tokenizer_config.json"), "utf8"));
    json = buildBertTokenizerJson(vocab, bertSettings(config));
    fromJson = rust.Tokenizer.fromString(JSON.stringify(json));
    fromVocab = new rust.Tokenizer(await rust.WordPiece.fromFile(join(hf, "vocab.txt"), { unkToken: "[UNK]" }));
    fromVocab.setNormalizer(rust.bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase: true }));
    fromVocab.setPreTokenizer(rust.bertPreTokenizer());
    fromVocab.setPostProcessor(rust.bertProcessing(["[SEP]", 102], ["[CLS]", 101]));
    js = new SpladeTokenizer(json, config, 256);
  });

  it("has the 30522-entry uncased vocabulary with the BERT special tokens", () => {
    expect(fromJson.getVocabSize(true)).toBe(30522);
    expect(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map((t) => fromJson.tokenToId(t))).toEqual([0, 100, 101, 102, 103]);
  });

  it("gives known ids for a known query", async () => {
    const enc = await fromJson.encode("Which planet is known as the Red Planet?");
    expect(enc.getIds()).toEqual([101, 2029, 4774, 2003, 2124, 2004, 1996, 2417, 4774, 1029, 102]);
  });

  it.each(SAMPLES)("Rust from vocab.txt = Rust from our JSON = our JS tokenizer: %j", async (text) => {
    const a = (await fromVocab.encode(text)).getIds();
    const b = (await fromJson.encode(text)).getIds();
    expect(b).toEqual(a);
    expect(js.encode(text)).toEqual({ ids: a, truncated: false, length: a.length });
  });

  it("truncates to max length keeping the final [SEP]", () => {
    const long = "retrieval ".repeat(300);
    const out = js.encode(long);
    expect(out.truncated).toBe(true);
    expect(out.ids).toHaveLength(256);
    expect(out.ids[0]).toBe(101);
    expect(out.ids.at(-1)).toBe(102);
    expect(out.ids.slice(1, -1).every((id) => id === fromJson.tokenToId("retrieval"))).toBe(true);
    expect(js.encode("retrieval ".repeat(254))).toMatchObject({ truncated: false });
    expect(js.encode("retrieval ".repeat(255)).truncated).toBe(true);
  });

  it("rejects a vocab.txt with a repeated token or no special tokens, naming the line", () => {
    expect(() => parseVocab("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nfoo\nfoo\n", "v.txt")).toThrow(/v\.txt:7: token "foo" repeats line 6/);
    expect(() => parseVocab("a\nb\n", "v.txt")).toThrow(/special token \[PAD\] is missing/);
  });
});
