// Generates the fixture models (real BERT-tiny architecture and vocabulary, random weights), then the reference
// vectors every worker test compares the Worker's answers with. Runs in Node, before the tests start in workerd.
import type { TestProject } from "vitest/node";
import { ensureFixtureModels } from "../../src/model/fixture.ts";
import { referenceQueries } from "../support/reference.ts";
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

export default async function setup(project: TestProject): Promise<void> {
  const { hf, models } = await ensureFixtureModels();
  const golden: Golden = { queries: referenceQueries(models.query, hf.query, QUERIES), batches: BATCHES };
  // As one string: vitest serializes provided values structurally, which takes seconds for ~230k weight pairs.
  project.provide("goldenJson", JSON.stringify(golden));
}
