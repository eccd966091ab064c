// `encode-corpus` as users run it (the real CLI process) over a GTE NewForMaskedLM document model with the log1p_relu
// activation, as opensearch-neural-sparse-encoding-doc-v3-gte is: every vector equal to the float64 reference.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SpladeTokenizer } from "../../src/encoder/tokenizer.ts";
import { convertFolder } from "../../src/model/convert.ts";
import { GTE_FIXTURE_CONFIG, writeGteFixture } from "../../src/model/fixture-gte.ts";
import { referenceSplade } from "../../src/model/reference.ts";
import { referenceModel } from "../support/reference.ts";
import { BASE, CLI, corpus, expectOk, MAX_LENGTH, tsv } from "./corpus-support.ts";
import { runScript } from "./run-script.ts";

// log(1 + log(1 + relu)) of this generated model: ~200 terms per document at or above 0.6.
const MIN_WEIGHT = 0.6;
const TOLERANCE = 1e-4;
// Where the reference sits this close to the cut, float32 may land either side.
const AMBIGUOUS = 1e-5;
const DOCS = corpus(12, 5);

const tmp = mkdtempSync(join(tmpdir(), "splade-encode-corpus-gte-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let written: Array<{ id: string; indices: number[]; values: number[] }>;
let reference: Float64Array[];

beforeAll(async () => {
  const hf = await writeGteFixture(join(tmp, "hf"), { config: GTE_FIXTURE_CONFIG, seed: 31, std: 0.05, activation: "log1p_relu" });
  const model = join(tmp, "doc");
  await convertFolder(hf, model, { role: "doc" });
  writeFileSync(join(tmp, "docs.tsv"), tsv(DOCS));
  const output = join(tmp, "docs.ids.jsonl");
  // The settings every encode-corpus test runs with (small batches and windows), on this model and its cut.
  const settings = BASE.map((arg, k) => (BASE[k - 1] === "--model" ? model : BASE[k - 1] === "--min-weight" ? String(MIN_WEIGHT) : arg));
  const run = runScript(CLI, [join(tmp, "docs.tsv"), "--output", output, "--format", "ids", ...settings]);
  const [tokenizerJson, tokenizerConfig] = ["tokenizer.json", "tokenizer_config.json"].map((f) => JSON.parse(readFileSync(join(model, f), "utf8")) as object);
  const tokenizer = new SpladeTokenizer(tokenizerJson, tokenizerConfig, MAX_LENGTH);
  const encoder = referenceModel(hf);
  // A vector's dimensions are the tokenizer's 30522 tokens: the GTE vocabulary's rows past them name none.
  reference = DOCS.map((d) =>
    referenceSplade(encoder, tokenizer.encode(d.text).ids, undefined, { activation: "log1p_relu", dropIds: [] }).subarray(0, tokenizer.vocabSize),
  );
  expectOk(await run);
  written = readFileSync(output, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}, 120_000);

it("writes every document with the weights of the float64 reference (log1p_relu), the min-weight cut in the right place", () => {
  expect(written.map((d) => d.id)).toEqual(DOCS.map((d) => d.id));
  const wrong: string[] = [];
  written.forEach((doc, i) => {
    const ref = reference[i];
    const kept = new Map(doc.indices.map((id, k) => [id, doc.values[k]]));
    for (const [id, w] of kept) if (!(Math.abs(w - ref[id]) <= TOLERANCE)) wrong.push(`${doc.id} ${id}: ${w} vs ${ref[id]}`);
    ref.forEach((w, id) => {
      if (Math.abs(w - MIN_WEIGHT) > AMBIGUOUS && kept.has(id) !== w >= MIN_WEIGHT) wrong.push(`${doc.id} ${id} (${w}) ${kept.has(id) ? "kept" : "cut"}`);
    });
  });
  expect(wrong).toEqual([]);
  expect(written.reduce((n, d) => n + d.indices.length, 0)).toBeGreaterThan(DOCS.length * 50);
});
