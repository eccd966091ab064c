// Generates the fixture models (real BERT-tiny architecture and vocabulary, random weights), then the reference
// vectors every worker test compares the Worker's answers with. Runs in Node, before the tests start in workerd.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { SpladeTokenizer } from "../../src/encoder/tokenizer.ts";
import { loadEncoder, parseConfig } from "../../src/model/architectures.ts";
import { openCheckpoint } from "../../src/model/checkpoint/index.ts";
import { ensureFixtureModels } from "../../src/model/fixture.ts";
import type { ModelManifest } from "../../src/model/manifest-format.ts";
import { referenceSplade } from "../../src/model/reference.ts";
import type { Golden } from "./golden";

const QUERIES = [
  // 10 tokens with [CLS] and [SEP]: the query the latency figures are measured with.
  "what is the capital of france and germany",
  "red planet",
  "Which planet is known as the Red Planet?",
  "Café Müller naïve résumé — ÀÉÎÕÜ",
  "東京タワーの高さは？北京大学",
  "a",
  "how do learned sparse retrieval models such as SPLADE expand a query with terms that never appear in it, and why does that help recall",
  // Far over 256 tokens: truncated to 254 word pieces plus [CLS] and [SEP].
  "the quick brown fox jumps over the lazy dog while sparse encoders count every word ".repeat(20).trim(),
];

const BATCHES = [
  [0, 1, 7, 4],
  [2, 3, 5, 6, 0],
];

function readJson(dir: string, file: string): object {
  return JSON.parse(readFileSync(join(dir, file), "utf8")) as object;
}

export default async function setup(project: TestProject): Promise<void> {
  const { hf, models } = await ensureFixtureModels();
  const manifest = readJson(models.query, "manifest.json") as ModelManifest;
  const tokenizer = new SpladeTokenizer(readJson(models.query, "tokenizer.json"), readJson(models.query, "tokenizer_config.json"), manifest.max_length);
  const config = parseConfig(readJson(hf.query, "config.json"), join(hf.query, "config.json"));
  const model = loadEncoder(config, openCheckpoint(join(hf.query, "model.safetensors")));
  const golden: Golden = {
    queries: QUERIES.map((text) => {
      const { ids, truncated, length } = tokenizer.encode(text);
      const weights: Array<[number, number]> = [];
      referenceSplade(model, ids).forEach((w, id) => w > 0 && weights.push([id, w]));
      return { text, ids, truncated, length, weights };
    }),
    batches: BATCHES,
  };
  // As one string: vitest serializes provided values structurally, which takes seconds for ~230k weight pairs.
  project.provide("goldenJson", JSON.stringify(golden));
}
