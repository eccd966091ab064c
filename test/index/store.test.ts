// splade-index build --store NAMES --corpus FILES end to end, through real processes: a generated JSONL corpus with
// titles, urls and other fields is encoded by the real encode-corpus (ids format, two shards, a malformed line skipped,
// a duplicated id), indexed with --store, and every document's fields read back with the runtime-agnostic reader. The
// expected fields are taken from the corpus objects directly, in corpus order; the build must not depend on how the
// input is split or on --memory. Generated (random) weights: only ids and fields matter here, not scores.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PART_BYTES } from "../../src/index/format.ts";
import { corpus, encode, RANDOM_WEIGHTS_WARNING, tsv } from "../cli/corpus-support.ts";
import { expectBuilt, index, open } from "./index-support.ts";

const DOCUMENTS = 360;
const NAMES = ["title", "url", "tags", "snippet"];
const tmp = mkdtempSync(join(tmpdir(), "splade-store-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const path = (name: string) => join(tmp, name);

const idsOf = (file: string): string[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id);

/** encode-corpus, expecting only its random-weights line and the warnings it gives for this corpus. */
async function encodeOk(args: string[]): Promise<void> {
  const r = await encode(args);
  expect(r.stderr).toMatch(RANDOM_WEIGHTS_WARNING);
  expect(r.code).toBe(0);
}

// The corpus: `_id` or `id` (one a number), a title most have (some lack it, some hold null), a url, tags (an array,
// stored as such) on some, a snippet that makes the fields outgrow one part, one snippet larger than a part alone,
// an id twice (the join is by order, not by id), and one line encode-corpus cannot encode (skipped).
const LARGE = 200;
const objects: Array<Record<string, unknown>> = corpus(DOCUMENTS, 5).map(({ text }, i) => {
  const object: Record<string, unknown> = i % 2 === 0 ? { _id: `doc-${i}` } : { id: i === 7 ? 7007 : `doc-${i}` };
  if (i === 100 || i === 101) object[i % 2 === 0 ? "_id" : "id"] = "twice";
  if (i % 9 === 0) object.title = null;
  else if (i % 7 !== 0) object.title = `Title ${i}: café ${"日本"[i % 2]} 🚀`;
  object.text = text;
  object.url = `https://example.com/${i}?q=a&b="c"`;
  if (i % 5 === 0) object.tags = ["help", i, { nested: true }];
  object.snippet = i === LARGE ? "L".repeat(PART_BYTES + 1000) : `${i} `.repeat(2000);
  return object;
});
const MALFORMED = '{"_id": "bad", "text": 5, "title": "never indexed"}';
const lines = objects.map((o) => JSON.stringify(o));
lines.splice(50, 0, MALFORMED);

/** What the index must hold for the i-th corpus object: the names it has, in --store order, null as absent. */
function expected(i: number, names = NAMES): Record<string, unknown> {
  const o = objects[i];
  return Object.fromEntries(names.filter((n) => o[n] !== undefined && o[n] !== null).map((n) => [n, o[n]]));
}

const storeArgs = ["--store", NAMES.join(","), "--corpus", path("corpus.jsonl")];

beforeAll(async () => {
  writeFileSync(path("corpus.jsonl"), `${lines.join("\n")}\n`);
  for (const shard of [0, 1]) {
    await encodeOk([path("corpus.jsonl"), "--format", "ids", "--on-error", "skip", "--shard", `${shard}/2`, "--output", path(`part-${shard}.jsonl`)]);
  }
  writeFileSync(path("part-1.jsonl.gz"), gzipSync(readFileSync(path("part-1.jsonl"))));
  writeFileSync(path("all.jsonl"), readFileSync(path("part-0.jsonl")).toString() + readFileSync(path("part-1.jsonl")).toString());
  expect(idsOf(path("all.jsonl"))).toEqual(objects.map((o) => String(o._id ?? o.id)));
  // The corpus gzipped as well: --corpus reads it as encode-corpus does.
  writeFileSync(path("corpus.jsonl.gz"), gzipSync(readFileSync(path("corpus.jsonl"))));
  const [sharded, whole] = await Promise.all([
    index([
      path("part-0.jsonl"),
      path("part-1.jsonl.gz"),
      "--output",
      path("sharded"),
      "--memory",
      "1",
      "--store",
      NAMES.join(","),
      "--corpus",
      path("corpus.jsonl.gz"),
    ]),
    index([path("all.jsonl"), "--output", path("whole"), ...storeArgs]),
  ]);
  expectBuilt(sharded);
  expectBuilt(whole);
}, 240_000);

describe("splade-index build --store", () => {
  it("holds every document's fields exactly as the corpus has them, in corpus order", async () => {
    const reader = await open(path("whole"));
    expect(reader.manifest.stored).toEqual(NAMES);
    for (let doc = 0; doc < DOCUMENTS; doc++) expect(await reader.documentFields(doc), `document ${doc}`).toEqual(expected(doc));
    // The duplicated id: each line took its own record's fields.
    expect([(await reader.documentFields(100)).title, (await reader.documentFields(101)).title]).toEqual(["Title 100: café 日 🚀", "Title 101: café 本 🚀"]);
    await expect(reader.documentFields(DOCUMENTS)).rejects.toThrow(RangeError);
  });

  it("cuts parts at PART_BYTES by consecutive documents, a document larger than a part alone in its own", () => {
    const m = JSON.parse(readFileSync(path("whole/index.json"), "utf8")) as {
      fields: Array<{ file: string; first: number; count: number }>;
      files: Record<string, { bytes: number }>;
    };
    expect(m.fields.length).toBeGreaterThan(3);
    let next = 0;
    for (const part of m.fields) {
      expect(part.first).toBe(next);
      next += part.count;
      const bytes = readFileSync(path(`whole/${part.file}`)).length;
      expect(m.files[part.file].bytes).toBe(bytes);
      if (part.first === LARGE) expect(part.count).toBe(1);
      else expect(bytes).toBeLessThanOrEqual(PART_BYTES);
    }
    expect(next).toBe(DOCUMENTS);
    expect(m.fields.map((p) => p.file)).toEqual(m.fields.map((_, i) => `fields-${String(i).padStart(5, "0")}.bin`));
  });

  it("is the same index, file for file, from shards, a gzipped corpus and several runs as from one file in one run", () => {
    const files = readdirSync(path("whole")).sort();
    expect(files.filter((f) => f.startsWith("fields-")).length).toBeGreaterThan(3);
    expect(readdirSync(path("sharded")).sort()).toEqual(files);
    // Buffer.equals: a deep toEqual walks megabytes of stored fields byte by byte.
    for (const file of files) expect(readFileSync(path(`sharded/${file}`)).equals(readFileSync(path(`whole/${file}`))), file).toBe(true);
  });

  it("indexes one shard against the whole corpus, passing over the other shard's records", async () => {
    expectBuilt(await index([path("part-1.jsonl"), "--output", path("second"), "--store", "title,url", "--corpus", path("corpus.jsonl")]));
    const reader = await open(path("second"));
    const first = idsOf(path("part-0.jsonl")).length;
    for (let doc = 0; doc < reader.manifest.documents; doc++) expect(await reader.documentFields(doc)).toEqual(expected(first + doc, ["title", "url"]));
  });

  it("stores a TSV corpus's text; a field no document has is a warning, stored nowhere", async () => {
    const docs = corpus(40, 9);
    writeFileSync(path("small.tsv"), tsv(docs));
    await encodeOk([path("small.tsv"), "--format", "ids", "--output", path("small.jsonl")]);
    const r = await index([path("small.jsonl"), "--output", path("small-index"), "--store", "text,title", "--corpus", path("small.tsv")]);
    expectBuilt(r, [`no document of --corpus ${path("small.tsv")} has a "title" field: none is stored (a TSV line has only an id and a text)`]);
    const reader = await open(path("small-index"));
    expect(reader.manifest.stored).toEqual(["text", "title"]);
    expect(await Promise.all(docs.map((_, doc) => reader.documentFields(doc)))).toEqual(docs.map((d) => ({ text: d.text })));
  });

  it("an index without --store answers {} for every document", async () => {
    expectBuilt(await index([path("small.jsonl"), "--output", path("plain")]));
    const reader = await open(path("plain"));
    expect(reader.manifest.stored).toEqual([]);
    expect(reader.manifest.fields).toEqual([]);
    expect(await reader.documentFields(0)).toEqual({});
    await expect(reader.documentFields(40)).rejects.toThrow(RangeError);
  });
});

describe("splade-index build --store refuses, writing nothing", () => {
  it.each([
    ["--store without --corpus", ["--store", "title"], "--store needs --corpus"],
    ["--corpus without --store", ["--corpus", "CORPUS"], "--corpus is read only for --store"],
    ["an empty field name", ["--store", "title,,url", "--corpus", "CORPUS"], "--store title,,url: a field name is empty"],
    ["--corpus twice (citty would keep the last)", ["--store", "title", "--corpus", "CORPUS", "--corpus", "CORPUS"], "--corpus is given more than once"],
    ["a corpus that cannot be opened", ["--store", "title", "--corpus", "MISSING"], "MISSING: no such file"],
  ])("%s (exit 2)", async (_, args, message) => {
    const resolved = args.map((a) => a.replace("CORPUS", path("corpus.jsonl")).replace("MISSING", path("nope.jsonl")));
    const r = await index([path("all.jsonl"), "--output", path("refused"), ...resolved]);
    expect(r.stderr).toContain(message.replace("MISSING", path("nope.jsonl")));
    expect(r.code).toBe(2);
    expect(existsSync(path("refused"))).toBe(false);
  });

  it("a corpus inside the output, even with --force (exit 2)", async () => {
    const inside = path("whole/corpus.jsonl");
    writeFileSync(inside, readFileSync(path("corpus.jsonl")));
    const r = await index([path("all.jsonl"), "--output", path("whole"), "--force", "--store", "title", "--corpus", inside]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${inside} is inside the output`);
    rmSync(inside);
  });

  it("a corpus that does not match the input names the ids line whose id it lacks (exit 65)", async () => {
    const half = DOCUMENTS / 2;
    writeFileSync(
      path("first-half.jsonl"),
      objects
        .slice(0, half)
        .map((o) => `${JSON.stringify(o)}\n`)
        .join(""),
    );
    writeFileSync(
      path("second-half.jsonl"),
      objects
        .slice(half)
        .map((o) => `${JSON.stringify(o)}\n`)
        .join(""),
    );
    const missing = await index([path("all.jsonl"), "--output", path("refused"), "--store", "title", "--corpus", path("second-half.jsonl")]);
    expect(missing.stderr).toContain(
      `✖ ${path("all.jsonl")}:1: id "doc-0" is not anywhere in --corpus ${path("second-half.jsonl")}: give the files encode-corpus read for this input, in the same order`,
    );
    expect(missing.code).toBe(65);
    // The halves swapped: the first id is found after the whole second half, the first half's ids follow it, and then
    // the second half's first id is not after them.
    const corpora = `${path("second-half.jsonl")},${path("first-half.jsonl")}`;
    const swapped = await index([path("all.jsonl"), "--output", path("refused"), "--store", "title", "--corpus", corpora]);
    expect(swapped.stderr).toContain(
      `✖ ${path("all.jsonl")}:${half + 1}: id "doc-${half}" is not after ${path("first-half.jsonl")}:${half} in --corpus ${corpora}`,
    );
    expect(swapped.code).toBe(65);
    expect(existsSync(path("refused"))).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes("staging"))).toEqual([]);
  });
});
