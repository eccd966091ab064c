// Every Hub layout of an inference-free model's query weights reads to the same table, the table idf.json holds;
// anything malformed is refused with the file named.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeSafetensors } from "../../src/model/checkpoint/safetensors.ts";
import { ModelError } from "../../src/model/errors.ts";
import { readStaticWeightsSource, type StaticWeightsLayout, staticWeightLayouts } from "../../src/model/static-weights-source.ts";
import { writeStaticHub, type StaticHub } from "../support/static-weights-hub.ts";

let root: string;
let hub: StaticHub;
let expected: Float32Array;
let n = 0;

/** A fresh generated repo (same seed as `hub`), for a test to spoil. */
function freshHub(moduleFolder?: "query_0_IDF"): StaticHub {
  return writeStaticHub(join(root, `hub-${n++}`), { seed: 11, moduleFolder });
}

function refusal(dir: string, layout?: StaticWeightsLayout): ModelError {
  try {
    readStaticWeightsSource(dir, layout);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  throw new Error("not refused");
}

/** Writes `contents` over `file` of a fresh repo and expects the reader to refuse the repo with `message`, naming that file. */
function expectRefused(file: string, contents: string | Uint8Array, message: RegExp, layout?: StaticWeightsLayout): void {
  const h = freshHub();
  writeFileSync(join(h.dir, file), contents);
  const e = refusal(h.dir, layout);
  expect(e.message).toContain(join(h.dir, file));
  expect(e.message).toMatch(message);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "static-source-"));
  hub = freshHub();
  // Independent of the reader: idf.json's float64 weights, rounded to float32, at the ids of vocab.txt's lines.
  expected = Float32Array.from(hub.vocab, (t) => hub.idf[t] ?? 0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("readStaticWeightsSource", () => {
  it("reads the same table from each layout, sentence-transformers' first", () => {
    expect(staticWeightLayouts(hub.dir)).toEqual(["sentence-transformers", "idf.json", "query_token_weights.txt"]);
    const auto = readStaticWeightsSource(hub.dir);
    expect(auto).toMatchObject({ layout: "sentence-transformers", file: join(hub.dir, "query_0_SparseStaticEmbedding", "model.safetensors") });
    expect(auto.tokenizerDir).toBe(join(hub.dir, "query_0_SparseStaticEmbedding"));
    for (const layout of ["sentence-transformers", "idf.json", "query_token_weights.txt"] as const) {
      expect(readStaticWeightsSource(hub.dir, layout).table.weights, layout).toEqual(expected);
    }
    expect(expected.filter((w) => w === 0).length).toBeGreaterThan(1000);
  });

  it("reads the older query_0_IDF module folder", () => {
    const old = freshHub("query_0_IDF");
    const source = readStaticWeightsSource(old.dir);
    expect(source.file).toBe(join(old.dir, "query_0_IDF", "model.safetensors"));
    expect(source.table.weights).toEqual(expected);
  });

  it("reads a module tensor shorter than the vocabulary (sentence-transformers' from_json sizes it max id + 1): the ids past it weigh 0", () => {
    const h = freshHub();
    const cut = expected.subarray(0, expected.length - 10);
    writeFileSync(
      join(h.dir, "query_0_SparseStaticEmbedding", "model.safetensors"),
      encodeSafetensors(new Map([["weight", { shape: [cut.length], data: cut }]])),
    );
    const padded = new Float32Array(expected.length);
    padded.set(cut);
    expect(readStaticWeightsSource(h.dir).table.weights).toEqual(padded);
  });

  it("refuses a folder with no query weights", () => {
    const empty = mkdtempSync(join(root, "empty-"));
    expect(refusal(empty)).toMatchObject({ kind: "layout", message: expect.stringContaining("no query weights") });
  });

  it("refuses idf.json with an unknown token, a non-number, a negative weight, or no object, naming it", () => {
    const spoiled: [string, RegExp][] = [
      [JSON.stringify({ hello: 1, "not-a-token-xyz": 2 }), /token "not-a-token-xyz" is not in .*tokenizer\.json/],
      [JSON.stringify({ hello: "NaN" }), /token "hello" has weight "NaN"/],
      [JSON.stringify({ hello: null }), /token "hello" has weight null/],
      [JSON.stringify({ hello: -0.5 }), /token "hello" has weight -0\.5/],
      ["[1, 2]", /is not a JSON object/],
      ["{", /not valid JSON/],
    ];
    for (const [text, message] of spoiled) expectRefused("idf.json", text, message, "idf.json");
  });

  it("refuses query_token_weights.txt lines that are not token<TAB>weight, repeats, and bad weights, naming file and line", () => {
    const spoiled: [string, RegExp][] = [
      ["hello\t1.5\nworld 2\n", /line 2: "world 2" is not token<TAB>weight/],
      ["hello\t1.5\nhello\t2\n", /line 2: token "hello" repeats line 1/],
      ["hello\tabc\n", /line 1: token "hello" has weight null/],
      ["hello\t\n", /line 1: "hello\\t" is not token<TAB>weight/],
      ["hello\t-1\n", /line 1: token "hello" has weight -1/],
      ["zzz-unknown\t1\n", /line 1: token "zzz-unknown" is not in/],
    ];
    for (const [text, message] of spoiled) expectRefused("query_token_weights.txt", text, message, "query_token_weights.txt");
  });

  it("refuses a module weight tensor that does not match its tokenizer or holds a negative or NaN weight, naming the file", () => {
    const cases: [Float32Array, RegExp][] = [
      [Float32Array.of(...expected, 1), /tensor "weight": is \[30523\], but .*query_0_SparseStaticEmbedding\/tokenizer\.json has 30522 tokens/],
      [Float32Array.from(expected, (w, i) => (i === 3 ? -2 : w)), /token id 3 has weight -2/],
      [Float32Array.from(expected, (w, i) => (i === 5 ? Number.NaN : w)), /token id 5 has weight NaN/],
    ];
    for (const [weights, message] of cases) {
      const tensor = encodeSafetensors(new Map([["weight", { shape: [weights.length], data: weights }]]));
      expectRefused(join("query_0_SparseStaticEmbedding", "model.safetensors"), tensor, message);
    }
  });

  it("refuses a router that sends queries to a missing folder, or to a static module beside others, naming router_config.json", () => {
    const types = {
      query_0_SparseStaticEmbedding: "sentence_transformers.sparse_encoder.models.SparseStaticEmbedding.SparseStaticEmbedding",
      query_1_Other: "x.Other",
    };
    const cases: [unknown, RegExp][] = [
      [
        { types: { query_9_X: types.query_0_SparseStaticEmbedding }, structure: { query: ["query_9_X"] } },
        /routes queries to "query_9_X", but .* does not exist/,
      ],
      [{ types, structure: { query: ["query_0_SparseStaticEmbedding", "query_1_Other"] } }, /a static embedding is expected alone/],
      [{ structure: {} }, /has no `types` object/],
    ];
    for (const [config, message] of cases) expectRefused("router_config.json", JSON.stringify(config), message);
  });
});
