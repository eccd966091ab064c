// Generates an inference-free repo in OpenSearch's doc-* layout (the document transformer at the root, the query
// weights in query_0_SparseStaticEmbedding/, idf.json and query_token_weights.txt beside it), converts its query half
// as `npm run model -- convert --role query` does, and computes the reference vectors independently of the converter
// and the Worker: Hugging Face's Rust tokenizers (npm `tokenizers`) on the query module's own tokenizer.json with
// add_special_tokens false, truncated to its model_max_length, and each distinct id weighted by idf.json's float as
// float32 (sentence-transformers stores the weights in a float32 tensor). Runs in Node, before the tests in workerd.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "tokenizers";
import type { TestProject } from "vitest/node";
import { convertFolder } from "../../../src/model/convert.ts";
import { writeStaticHub } from "../../support/static-weights-hub.ts";
import { INFERENCE_FREE_MODEL, type StaticGoldenQuery } from "./fixture.ts";

const STATIC_QUERIES = [
  "what is the capital of france and germany",
  "new new new york york",
  "Café Müller naïve résumé — ÀÉÎÕÜ",
  "東京タワーの高さは？",
  "a query that spells [SEP] and [CLS]",
  // Over the 24-token max length: cut, keeping the first 24 tokens.
  "the quick brown fox jumps over the lazy dog while sparse encoders count every word ".repeat(3).trim(),
];

export default async function setup(project: TestProject): Promise<void> {
  const { hf, model, seed, maxLength, name, license } = INFERENCE_FREE_MODEL;
  rmSync(hf, { recursive: true, force: true });
  const hub = writeStaticHub(hf, { seed, maxLength, docTransformer: true });
  await convertFolder(hf, model, { role: "query", name, license });
  const rust = Tokenizer.fromFile(join(hf, hub.moduleFolder, "tokenizer.json"));
  const encodings = await rust.encodeBatch(STATIC_QUERIES, { addSpecialTokens: false });
  const golden: StaticGoldenQuery[] = STATIC_QUERIES.map((text, i) => {
    const all = encodings[i].getIds();
    const ids = all.slice(0, maxLength);
    const weights = [...new Set(ids)]
      .map((id): [number, number] => [id, Math.fround(hub.idf[hub.vocab[id]] ?? 0)])
      .filter(([, w]) => w > 0)
      .sort((a, b) => a[0] - b[0]);
    return { text, ids, truncated: all.length > maxLength, weights };
  });
  project.provide("staticGoldenJson", JSON.stringify(golden));
}
