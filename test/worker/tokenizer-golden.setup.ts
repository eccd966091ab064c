// The expected side of the tokenizer parity test: Hugging Face's Rust tokenizers (npm `tokenizers`, a native addon
// that workerd cannot load) encodes every case here in Node, and the workerd test receives the ids via provide/inject.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "tokenizers";
import type { TestProject } from "vitest/node";
import { ensureFixtureModels } from "../../src/model/fixture.ts";
import { textHash, tokenizerCases } from "./tokenizer-cases";

export default async function setup(project: TestProject): Promise<void> {
  const dir = (await ensureFixtureModels()).models.query;
  const [tokenizerJson, tokenizerConfig, manifest] = await Promise.all(
    ["tokenizer.json", "tokenizer_config.json", "manifest.json"].map((f) => readFile(join(dir, f), "utf8")),
  );
  const rust = Tokenizer.fromFile(join(dir, "tokenizer.json"));
  const cases = tokenizerCases();
  const encodings = await rust.encodeBatch(
    cases.map((c) => c.text),
    { addSpecialTokens: true },
  );
  project.provide("tokenizerGolden", {
    tokenizerJson,
    tokenizerConfig,
    maxLength: JSON.parse(manifest).max_length,
    cases: cases.map((c, i) => ({ hash: textHash(c.text), ids: encodings[i].getIds() })),
  });
}
