// The search index the worker project serves (test/.generated/model/index, beside the query model): built by the real
// builder from generated document vectors and a corpus of titles and urls, before the tests start in workerd. The
// vectors are generated, not encoded (the equality of /search with the reference is all the worker tests assert;
// test/engines/search.test.ts encodes real passages with the real CLIs).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildIndex } from "../../src/index/build.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { seededUniform } from "../../src/model/random.ts";

const DOCUMENTS = 3000;
const FIRST_TERM = 1000;
const VOCAB = 30522;

export default async function setup(): Promise<void> {
  const work = join(FIXTURE_ROOT, "search");
  mkdirSync(work, { recursive: true });
  const u = seededUniform(20);
  const vectors: string[] = [];
  const corpus: string[] = [];
  for (let d = 0; d < DOCUMENTS; d++) {
    const terms = new Map<number, number>();
    const count = 20 + Math.floor(u() * 100);
    // Zipf-like over the ordinary vocabulary: a few terms in most documents, most in few.
    while (terms.size < count) terms.set(FIRST_TERM + Math.floor((VOCAB - FIRST_TERM) ** u()) - 1, Math.round((0.05 + u() * 2.5) * 1000) / 1000);
    vectors.push(JSON.stringify({ id: `doc-${d}`, indices: [...terms.keys()], values: [...terms.values()] }));
    corpus.push(JSON.stringify({ id: `doc-${d}`, title: `Document ${d}`, url: `https://example.org/${d}`, text: `passage ${d}` }));
  }
  writeFileSync(join(work, "vectors.jsonl"), `${vectors.join("\n")}\n`);
  writeFileSync(join(work, "corpus.jsonl"), `${corpus.join("\n")}\n`);
  await buildIndex({
    inputs: [join(work, "vectors.jsonl")],
    output: join(FIXTURE_ROOT, "model", "index"),
    model: join(FIXTURE_ROOT, "model", "doc"),
    force: true,
    store: ["title", "url"],
    corpus: [join(work, "corpus.jsonl")],
    builder: { name: "splade-index", version: "test" },
  });
}
