// The inference-free query side: the weight table's binary format round-trips and refuses what it cannot read, and
// the encoder core on the table's backend (staticWeightsBackend, what an inference-free query model encodes with) gives
// exactly what a plain loop over the query's tokens and the model's idf.json gives.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as rust from "tokenizers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EncodedText } from "../../src/encoder/encoder.ts";
import { SpladeEncoder } from "../../src/encoder/encoder.ts";
import type { SparsifyOptions } from "../../src/encoder/sparse.ts";
import {
  readStaticWeights,
  STATIC_WEIGHTS_HEADER_BYTES,
  StaticWeightsError,
  type StaticWeightTable,
  staticWeightsBackend,
  writeStaticWeights,
} from "../../src/encoder/static-weights.ts";
import { SpladeTokenizer, type TokenizedText } from "../../src/encoder/tokenizer.ts";
import { writeStaticHub, type StaticHub } from "../support/static-weights-hub.ts";

const QUERIES = [
  "What's the weather in ny now?",
  "new new new york york",
  "Café Müller naïve résumé",
  "東京タワーの高さは？",
  "emoji 🚀 and ZWJ 👩‍👩‍👧",
  "supercalifragilisticexpialidocious",
  "a query that spells [SEP] and [CLS]",
  "",
];

let root: string;
let hub: StaticHub;
let table: StaticWeightTable;
let tokenizer: SpladeTokenizer;

function tokenizerOf(maxLength: number, addSpecialTokens: boolean): SpladeTokenizer {
  const dir = join(hub.dir, hub.moduleFolder);
  const json = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
  const config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
  return new SpladeTokenizer(json, config, maxLength, { addSpecialTokens });
}

/** One tokenized query through the encoder core on the table, as an inference-free query model encodes it. */
async function encodeStatic(tokenized: TokenizedText, weights: StaticWeightTable, options?: SparsifyOptions): Promise<EncodedText> {
  const [vector] = await new SpladeEncoder(tokenizer, staticWeightsBackend(weights), weights.weights.length).encodeTokenized([tokenized], options);
  return vector;
}

/** The query vector by hand: each distinct token once, its idf.json weight (float32, as the tensor holds it), zeros dropped. */
function reference(ids: readonly number[]): { indices: number[]; values: number[] } {
  const weighted: [number, number][] = [];
  for (const id of ids) {
    if (weighted.some(([seen]) => seen === id)) continue;
    const w = Math.fround(hub.idf[hub.vocab[id]] ?? 0);
    if (w > 0) weighted.push([id, w]);
  }
  weighted.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return { indices: weighted.map(([id]) => id), values: weighted.map(([, w]) => w) };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "static-weights-"));
  hub = writeStaticHub(join(root, "hub"), { seed: 7 });
  const weights = new Float32Array(hub.vocab.length);
  hub.vocab.forEach((t, id) => (weights[id] = hub.idf[t] ?? 0));
  table = { weights };
  tokenizer = tokenizerOf(512, false);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("static weight table format", () => {
  it("round-trips a 30522-token table exactly, in 12 + 4 × 30522 bytes", () => {
    const bytes = writeStaticWeights(table);
    expect(bytes.length).toBe(122_100);
    expect(readStaticWeights(bytes, "weights.bin").weights).toEqual(table.weights);
  });

  it("refuses a truncated table, another magic or version, and a weight that is not finite and ≥ 0, naming the asset", () => {
    const bytes = writeStaticWeights(table);
    const with_ = (edit: (b: Uint8Array, v: DataView) => void) => {
      const b = bytes.slice();
      edit(b, new DataView(b.buffer));
      return b;
    };
    const cases: [Uint8Array, RegExp][] = [
      [bytes.subarray(0, bytes.length - 4), /weights\.bin holds 122096 bytes, but 30522 weights need 122100/],
      [bytes.subarray(0, 8), /weights\.bin is 8 bytes/],
      [with_((b) => (b[0] = 0x58)), /weights\.bin starts with "XPSW"/],
      [with_((_, v) => v.setUint32(4, 2, true)), /weights\.bin is static weight table version 2; this code reads 1/],
      [with_((_, v) => v.setFloat32(STATIC_WEIGHTS_HEADER_BYTES + 4 * 7, Number.NaN, true)), /weights\.bin: token id 7 has weight NaN/],
      [with_((_, v) => v.setFloat32(STATIC_WEIGHTS_HEADER_BYTES + 4 * 9, -1, true)), /weights\.bin: token id 9 has weight -1/],
    ];
    for (const [b, message] of cases) {
      expect(() => readStaticWeights(b, "weights.bin")).toThrow(StaticWeightsError);
      expect(() => readStaticWeights(b, "weights.bin")).toThrow(message);
    }
  });

  it("will not write a weight the reader would refuse", () => {
    expect(() => writeStaticWeights({ weights: new Float32Array([1, Number.POSITIVE_INFINITY]) })).toThrow(/token id 1 has weight Infinity/);
  });
});

describe("the table as the encoder core's backend", () => {
  it("weights each distinct query token by its idf.json weight, exactly as a plain loop does", async () => {
    for (const q of QUERIES) {
      const tokenized = tokenizer.encode(q);
      const got = await encodeStatic(tokenized, table);
      expect({ indices: got.indices, values: got.values }, q).toEqual(reference(tokenized.ids));
      expect(got.tokens).toBe(tokenized.ids.length);
    }
  });

  it("counts a repeated token once (presence, not frequency)", async () => {
    const [neu, york] = ["new", "york"].map((t) => hub.vocab.indexOf(t));
    const got = await encodeStatic(tokenizer.encode("new new new york york"), table);
    expect(new Map(got.indices.map((id, k) => [id, got.values[k]]))).toEqual(
      new Map([
        [neu, table.weights[neu]],
        [york, table.weights[york]],
      ]),
    );
  });

  it("adds no [CLS]/[SEP], which carry weights in this table, and truncates to the first maxLength tokens", async () => {
    const [cls, sep] = ["[CLS]", "[SEP]"].map((t) => hub.vocab.indexOf(t));
    expect(table.weights[cls] > 0 || table.weights[sep] > 0).toBe(true);
    const q = "the quick brown fox jumps over the lazy dog";
    expect((await encodeStatic(tokenizer.encode(q), table)).indices).not.toContain(cls);
    // A special token the text spells is a token of the text, as in Hugging Face's tokenizers.
    expect(tokenizer.encode("spells [SEP]").ids.at(-1)).toBe(sep);
    expect(tokenizerOf(512, true).encode(q).ids.slice(1, -1)).toEqual(tokenizer.encode(q).ids);
    const cut = tokenizerOf(4, false).encode(q);
    expect(cut).toEqual({ ids: tokenizer.encode(q).ids.slice(0, 4), truncated: true, length: 9 });
    expect(await encodeStatic(cut, table)).toMatchObject({ ...reference(cut.ids), tokens: 4, truncated: true });
  });

  it("tokenizes as Hugging Face's Rust tokenizers does with add_special_tokens=False and truncation to model_max_length", async () => {
    const json = readFileSync(join(hub.dir, hub.moduleFolder, "tokenizer.json"), "utf8");
    for (const maxLength of [512, 6]) {
      const hf = rust.Tokenizer.fromString(json);
      hf.setTruncation(maxLength);
      const ours = tokenizerOf(maxLength, false);
      for (const q of [...QUERIES, "the quick brown fox jumps over the lazy dog"]) {
        const ids = (await hf.encode(q, null, { addSpecialTokens: false })).getIds();
        expect(ours.encode(q).ids, `${maxLength}: ${q}`).toEqual(ids);
      }
    }
  });

  it("applies top_k and min_weight as the transformer kind does", async () => {
    const tokenized = tokenizer.encode("What's the weather in ny now? Currently New York is rainy.");
    const all = reference(tokenized.ids);
    const top = await encodeStatic(tokenized, table, { topK: 3 });
    expect({ indices: top.indices, values: top.values }).toEqual({ indices: all.indices.slice(0, 3), values: all.values.slice(0, 3) });
    const min = all.values[4];
    expect((await encodeStatic(tokenized, table, { minWeight: min })).values).toEqual(all.values.filter((w) => w >= min));
  });

  it("refuses a token id the table does not have", async () => {
    await expect(encodeStatic({ ids: [5, 40000], truncated: false, length: 2 }, table)).rejects.toThrow(
      /token id 40000 is outside the weight table's 30522 ids/,
    );
  });
});
