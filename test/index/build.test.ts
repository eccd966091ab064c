// splade-index build end to end, through real processes: generated passages encoded by the real encode-corpus (ids
// format, two shards, one gzipped), indexed by the real builder, read back with the runtime-agnostic reader. The
// index must hold every document's quantized vector exactly, the reference scorer must equal a brute force over those
// vectors computed from the ids files directly, and the build must not depend on how the input is split or on how
// many sorted runs the memory budget makes. Generated (random) weights: the scores mean nothing, only their equality.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quantize } from "../../src/index/format.ts";
import { exactTopK, quantizeQuery, scoreOf, type Query, type ScoredDocument } from "../../src/index/score.ts";
import { seededUniform } from "../../src/model/random.ts";
import { corpus, encode, expectOk, MODEL, tsv } from "../cli/corpus-support.ts";
import { runScript, startScript } from "../cli/run-script.ts";
import { CLI, expectBuilt, index, open } from "./index-support.ts";

const PASSAGES = 2400;
const tmp = mkdtempSync(join(tmpdir(), "splade-index-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const path = (name: string) => join(tmp, name);

interface IdsRecord {
  id: string;
  indices: number[];
  values: number[];
}

const readIds = (file: string): IdsRecord[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as IdsRecord);

let records: IdsRecord[];

beforeAll(async () => {
  writeFileSync(path("corpus.tsv"), tsv(corpus(PASSAGES, 20)));
  for (const shard of [0, 1]) {
    expectOk(await encode([path("corpus.tsv"), "--format", "ids", "--shard", `${shard}/2`, "--output", path(`part-${shard}.jsonl`)]));
  }
  writeFileSync(path("part-1.jsonl.gz"), gzipSync(readFileSync(path("part-1.jsonl"))));
  writeFileSync(path("all.jsonl"), readFileSync(path("part-0.jsonl")).toString() + readFileSync(path("part-1.jsonl")).toString());
  records = readIds(path("all.jsonl"));
  expect(records).toHaveLength(PASSAGES);
  // Shards in order, the second gzipped; a 1 MiB budget (~44,000 postings) spills several runs.
  const sharded = await index([path("part-0.jsonl"), path("part-1.jsonl.gz"), "--output", path("sharded"), "--memory", "1", "--json"]);
  expectBuilt(sharded);
  expect(JSON.parse(sharded.stdout).runs).toBeGreaterThan(2);
  expectBuilt(await index([path("all.jsonl"), "--output", path("whole")]));
}, 240_000);

describe("splade-index build", () => {
  it("holds every document's quantized vector exactly, ids in input order", async () => {
    const reader = await open(path("whole"));
    const m = reader.manifest;
    const maxWeight = records.reduce((max, r) => r.values.reduce((m, w) => Math.max(m, Math.fround(w)), max), 0);
    expect(m.quantization.max_weight).toBe(maxWeight);
    expect(m.quantization.scale).toBe(255 / maxWeight);
    expect(m.documents).toBe(PASSAGES);
    const fromIndex = records.map(() => new Map<number, number>());
    for (const term of reader.directory.keys()) {
      const { docs, impacts } = await reader.postings(term);
      docs.forEach((doc, i) => fromIndex[doc].set(term, impacts[i]));
    }
    let postings = 0;
    records.forEach((r, doc) => {
      const expected = new Map(r.indices.map((t, i) => [t, quantize(Math.fround(r.values[i]), m.quantization.scale)] as const).filter(([, w]) => w > 0));
      expect(fromIndex[doc]).toEqual(expected);
      postings += expected.size;
    });
    expect(m.postings).toBe(postings);
    expect(await Promise.all(records.map((_, doc) => reader.documentId(doc)))).toEqual(records.map((r) => r.id));
    expect(m.document_model.manifest_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.document_model.random_weights).toBe(true);
  });

  it("is the same index, file for file, from shards and several runs as from their concatenation in one run", () => {
    const files = readdirSync(path("whole")).sort();
    expect(readdirSync(path("sharded")).sort()).toEqual(files);
    for (const file of files) expect(readFileSync(path(`sharded/${file}`)), file).toEqual(readFileSync(path(`whole/${file}`)));
  });

  it("answers exactly the brute-force top k over the same quantized vectors, ties by document number", async () => {
    const reader = await open(path("sharded"));
    const { scale } = reader.manifest.quantization;
    const vectors = records.map((r) => new Map(r.indices.map((t, i) => [t, quantize(Math.fround(r.values[i]), scale)])));
    const u = seededUniform(7);
    for (let q = 0; q < 20; q++) {
      // Terms of a random document (so they have postings) and a few that may not; weights float32-rounded or tied.
      const source = records[Math.floor(u() * records.length)];
      const indices = [...new Set([...source.indices.slice(0, 1 + Math.floor(u() * 12)), Math.floor(u() * 30522)])];
      const query: Query = { indices, values: indices.map(() => (q % 4 === 0 ? 1 : u() * 2)) };
      const quantized = quantizeQuery(query);
      const brute: ScoredDocument[] = [];
      vectors.forEach((v, doc) => {
        let sum = 0;
        let hit = false;
        for (const { term, weight } of quantized.terms) {
          const impact = v.get(term);
          if (impact !== undefined) {
            sum += weight * impact;
            hit = true;
          }
        }
        if (hit) brute.push({ doc, score: scoreOf(sum, quantized, scale) });
      });
      brute.sort((a, b) => b.score - a.score || a.doc - b.doc);
      for (const k of [1, 10, 1000]) expect(await exactTopK(reader, query, k)).toEqual(brute.slice(0, k));
    }
  });
});

describe("splade-index build refuses, leaving everything as it was", () => {
  it("a finished index without --force (exit 2); --force replaces it", async () => {
    const before = readFileSync(path("whole/index.json"));
    const r = await index([path("part-0.jsonl"), "--output", path("whole")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path("whole")} holds a finished index: refusing to write over it — give --force`);
    expect(readFileSync(path("whole/index.json"))).toEqual(before);
    expectBuilt(await index([path("part-0.jsonl"), "--output", path("replaced"), "--force"]));
    expect((await open(path("replaced"))).manifest.documents).toBe(PASSAGES / 2);
  });

  it("an input inside the output, even with --force (exit 2)", async () => {
    writeFileSync(path("whole/copy.jsonl"), readFileSync(path("part-0.jsonl")));
    const r = await index([path("whole/copy.jsonl"), "--output", path("whole"), "--force"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is inside the output");
    expect(readFileSync(path("whole/copy.jsonl"))).toEqual(readFileSync(path("part-0.jsonl")));
    rmSync(path("whole/copy.jsonl"));
  });

  it("an input that cannot be opened, before reading any other (exit 2), and inputs with no documents (exit 65)", async () => {
    // The first input's malformed line would stop the build (exit 65) if it were read before the second was opened.
    writeFileSync(path("malformed.jsonl"), "{not json\n");
    const missing = await index([path("malformed.jsonl"), path("nope.jsonl"), "--output", path("missing-index")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`✖ ${path("nope.jsonl")}: no such file`);
    writeFileSync(path("empty.jsonl"), "\n");
    const empty = await index([path("empty.jsonl"), "--output", path("empty-index")]);
    expect(empty.code).toBe(65);
    expect(empty.stderr).toContain(`✖ ${path("empty.jsonl")}: no documents — nothing to index`);
    expect(existsSync(path("missing-index")) || existsSync(path("empty-index"))).toBe(false);
  });

  it("a query model as --model (exit 2): the index records the doc model it pairs with", async () => {
    const r = await runScript(CLI, ["build", path("part-0.jsonl"), "--output", path("query-index"), "--model", MODEL.replace(/doc$/, "query")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is a query model: --model names the doc model the input was encoded with");
    expect(existsSync(path("query-index"))).toBe(false);
  });

  it("Ctrl-C: stops, removes its staging folder, writes no output (exit 130)", async () => {
    writeFileSync(path("big.jsonl"), readFileSync(path("all.jsonl"), "utf8").repeat(20));
    const { child, done } = startScript(CLI, ["build", path("big.jsonl"), "--output", path("big-index"), "--model", MODEL, "--quiet"]);
    child.stdin.end();
    // The staging folder is made before the first line is read; the build then takes seconds.
    while (!readdirSync(tmp).some((f) => f.startsWith(".big-index.staging-"))) await new Promise((r) => setTimeout(r, 5));
    child.kill("SIGINT");
    const r = await done;
    expect(r.stderr).toContain("✖ interrupted: nothing was written");
    expect(r.code).toBe(130);
    expect(readdirSync(tmp).filter((f) => f.includes("big-index"))).toEqual([]);
  });

  it.each([
    ["invalid JSON", "{not json", /:2: invalid JSON/],
    ["a token id twice", '{"id":"x","indices":[5,5],"values":[1,2]}', /:2: token id 5 appears twice/],
    ["a token id outside the vocabulary", '{"id":"x","indices":[30522],"values":[1]}', /:2: token id 30522 outside the model's vocabulary 0…30521/],
    ["a negative weight", '{"id":"x","indices":[5],"values":[-1]}', /:2: weight -1 of token 5 is not a finite number ≥ 0/],
    ["another format", '{"id":"x","vector":{"a":1}}', /:2: no "indices" and "values" arrays: splade-index reads encode-corpus --format ids output/],
  ])("a malformed line: %s names file:line (exit 65) and writes nothing", async (_, line, message) => {
    const bad = path("bad.jsonl");
    writeFileSync(bad, `${readFileSync(path("part-0.jsonl"), "utf8").split("\n")[0]}\n${line}\n`);
    const r = await index([bad, "--output", path("bad-index")]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(new RegExp(`^✖ ${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}${message.source}`, "m"));
    expect(existsSync(path("bad-index"))).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes("staging"))).toEqual([]);
  });
});
