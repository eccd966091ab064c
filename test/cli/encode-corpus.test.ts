// `encode-corpus` as users run it: the real CLI process on temp corpora with the generated doc model, checked
// against the float64 reference forward pass, across formats, compression, stdin, shards, kill -9 and bad input.
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roundHalfEven } from "../../src/encoder/formats/index.ts";
import { SpladeTokenizer } from "../../src/encoder/tokenizer.ts";
import { loadEncoder, parseConfig, type MlmEncoder } from "../../src/model/architectures.ts";
import { openCheckpoint } from "../../src/model/checkpoint/index.ts";
import { referenceSplade } from "../../src/model/reference.ts";
import { BASE, CLI, corpus, encode, expectOk, HF, MAX_LENGTH, MIN_WEIGHT, MODEL, tsv } from "./corpus-support.ts";
import { ROOT, runScript, startScript, type CliResult } from "./run-script.ts";

const QUANTIZE = 100;
const FLOAT_TOLERANCE = 1e-4;
// Where the reference sits this close to a rounding boundary (or to the min-weight cut), float32 may land either side.
const AMBIGUOUS = 1e-5;

const tmp = mkdtempSync(join(tmpdir(), "splade-encode-corpus-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const path = (name: string) => join(tmp, name);

function lines(file: string): string[] {
  const bytes = readFileSync(file);
  return (file.endsWith(".gz") ? gunzipSync(bytes) : bytes)
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "");
}

const records = <T>(file: string): T[] => lines(file).map((l) => JSON.parse(l) as T);

const SMALL = corpus(20, 7);
const FORMATS = ["jsonl", "anserini", "ids", "pretokenized"] as const;
/** The small corpus in each format: started first, so the CLI runs overlap with computing the reference. */
const outputs = Object.fromEntries(FORMATS.map((f) => [f, path(`small.${f}.jsonl`)])) as Record<(typeof FORMATS)[number], string>;
let formatRuns: Promise<CliResult[]>;
let tokenizer: SpladeTokenizer;
let reference: Float64Array[];
let vocabIds: Map<string, number>;

beforeAll(async () => {
  writeFileSync(path("small.tsv"), tsv(SMALL));
  formatRuns = Promise.all(FORMATS.map((format) => encode([path("small.tsv"), "--output", outputs[format], "--format", format])));
  const [tokenizerJson, tokenizerConfig] = ["tokenizer.json", "tokenizer_config.json"].map((f) => JSON.parse(readFileSync(join(MODEL, f), "utf8")) as object);
  tokenizer = new SpladeTokenizer(tokenizerJson, tokenizerConfig, MAX_LENGTH);
  const model: MlmEncoder = loadEncoder(
    parseConfig(JSON.parse(readFileSync(join(HF, "config.json"), "utf8")), "config.json"),
    openCheckpoint(join(HF, "model.safetensors")),
  );
  reference = SMALL.map((d) => referenceSplade(model, tokenizer.encode(d.text).ids));
  const vocab = Array.from({ length: tokenizer.vocabSize }, (_, i) => tokenizer.token(i));
  vocabIds = new Map(vocab.map((t, i) => [t, i]));
});

interface JsonlDoc {
  id: string;
  vector: Record<string, number>;
}
interface AnseriniDoc {
  id: string;
  contents: string;
  vector: Record<string, number>;
}
interface IdsDoc {
  id: string;
  indices: number[];
  values: number[];
}
interface PretokenizedDoc {
  id: string;
  contents: string;
  title: string;
  content: string;
}

/**
 * Checks one document's float weights against the reference, and that the min-weight cut kept the right terms
 * (all mismatches collected into one assertion: an expect per vocabulary term would take seconds).
 */
function expectMatchesReference(ref: Float64Array, weights: Map<number, number>, ambiguous = AMBIGUOUS): void {
  const wrong: string[] = [];
  for (const [id, w] of weights) if (!(Math.abs(w - ref[id]) <= FLOAT_TOLERANCE)) wrong.push(`${tokenizer.token(id)}: ${w} vs ${ref[id]}`);
  ref.forEach((w, id) => {
    if (Math.abs(w - MIN_WEIGHT) > ambiguous && weights.has(id) !== w >= MIN_WEIGHT)
      wrong.push(`${tokenizer.token(id)} (${w}) ${weights.has(id) ? "kept" : "cut"}`);
  });
  expect(wrong).toEqual([]);
}

/** A jsonl document's vector by token id (jsonl writes the vocabulary's terms unchanged, dots included). */
function jsonlWeights(doc: JsonlDoc): Map<number, number> {
  const terms = Object.keys(doc.vector);
  expect(terms.filter((t) => !vocabIds.has(t))).toEqual([]);
  return new Map(terms.map((t) => [vocabIds.get(t) as number, doc.vector[t]]));
}

describe("encode-corpus output", () => {
  beforeAll(async () => (await formatRuns).forEach(expectOk));

  it("writes every document, in input order, with float weights equal to the reference forward pass (jsonl)", () => {
    const docs = records<JsonlDoc>(outputs.jsonl);
    expect(docs.map((d) => d.id)).toEqual(SMALL.map((d) => d.id));
    docs.forEach((doc, i) => expectMatchesReference(reference[i], jsonlWeights(doc)));
  });

  it("quantizes exactly: anserini integers are round-half-even(reference × 100) wherever the reference is not on a boundary", () => {
    const docs = records<AnseriniDoc>(outputs.anserini);
    expect(docs.map((d) => [d.id, d.contents])).toEqual(SMALL.map((d) => [d.id, d.text]));
    let compared = 0;
    const wrong: string[] = [];
    docs.forEach((doc, i) => {
      const ref = reference[i];
      wrong.push(
        ...Object.keys(doc.vector)
          .filter((t) => !vocabIds.has(t))
          .map((t) => `${doc.id}: ${t} is not a vocabulary term`),
      );
      const impacts = new Map(Object.entries(doc.vector).map(([term, q]) => [vocabIds.get(term) as number, q]));
      for (const [id, q] of impacts) if (!(Number.isInteger(q) && q > 0)) wrong.push(`${doc.id} ${tokenizer.token(id)}: ${q}`);
      ref.forEach((w, id) => {
        const scaled = w * QUANTIZE;
        if (Math.abs(w - MIN_WEIGHT) <= AMBIGUOUS || Math.abs(Math.abs(scaled % 1) - 0.5) <= AMBIGUOUS * QUANTIZE) return;
        compared++;
        const expected = w >= MIN_WEIGHT ? roundHalfEven(scaled) : undefined;
        if (impacts.get(id) !== expected) wrong.push(`${doc.id} ${tokenizer.token(id)} (${w}): ${impacts.get(id)} ≠ ${expected}`);
      });
    });
    expect(wrong).toEqual([]);
    expect(compared).toBeGreaterThan(SMALL.length * 30000);
  });

  it("writes the same vector in every format: ids = jsonl, anserini = jsonl quantized, pretokenized = anserini repeated", () => {
    const jsonl = records<JsonlDoc>(outputs.jsonl);
    const anserini = records<AnseriniDoc>(outputs.anserini);
    const ids = records<IdsDoc>(outputs.ids);
    const pretokenized = records<PretokenizedDoc>(outputs.pretokenized);
    jsonl.forEach((doc, i) => {
      const floats = jsonlWeights(doc);
      expect(ids[i].id).toBe(doc.id);
      expect(new Map(ids[i].indices.map((id, k) => [id, ids[i].values[k]]))).toEqual(floats);
      const quantized = new Map<string, number>();
      for (const [id, w] of floats) {
        const q = roundHalfEven(Math.fround(Math.fround(w) * QUANTIZE));
        if (q > 0) quantized.set(tokenizer.token(id), q);
      }
      expect(new Map(Object.entries(anserini[i].vector))).toEqual(quantized);
      const p = pretokenized[i];
      expect([p.id, p.title, p.content]).toEqual([doc.id, doc.id, p.contents]);
      const counts = new Map<string, number>();
      for (const term of p.contents.split(" ")) counts.set(term, (counts.get(term) ?? 0) + 1);
      expect(counts).toEqual(quantized);
    });
  });

  it("reads and writes gzip, and reads stdin (plain or gzip), with the same bytes out", async () => {
    const gz = gzipSync(readFileSync(path("small.tsv")));
    writeFileSync(path("small.tsv.gz"), gz);
    const [fromGz, fromStdin, fromGzStdin] = await Promise.all([
      encode([path("small.tsv.gz"), "--output", path("gz-out.jsonl.gz"), "--format", "anserini"]),
      encode(["-", "--output", path("stdin-out.jsonl"), "--format", "anserini"], readFileSync(path("small.tsv"))),
      encode(["-", "--output", path("stdin-gz-out.jsonl"), "--format", "anserini"], gz),
    ]);
    [fromGz, fromStdin, fromGzStdin].forEach(expectOk);
    const expected = readFileSync(outputs.anserini, "utf8");
    expect(gunzipSync(readFileSync(path("gz-out.jsonl.gz"))).toString("utf8")).toBe(expected);
    expect(readFileSync(path("stdin-out.jsonl"), "utf8")).toBe(expected);
    expect(readFileSync(path("stdin-gz-out.jsonl"), "utf8")).toBe(expected);
  });

  it("gives the same weights within 1e-4 with --engine web (onnxruntime-web)", async () => {
    expectOk(await encode([path("small.tsv"), "--output", path("web.jsonl"), "--format", "jsonl", "--engine", "web"]));
    const node = records<JsonlDoc>(outputs.jsonl);
    records<JsonlDoc>(path("web.jsonl")).forEach((doc, i) => {
      expect(doc.id).toBe(node[i].id);
      expectMatchesReference(reference[i], jsonlWeights(doc), FLOAT_TOLERANCE);
    });
  });

  it("splits into --split-size files that concatenate to the single file", async () => {
    const r = await encode([path("small.tsv"), "--output", path("parts/vectors.jsonl.gz"), "--format", "anserini", "--split-size", "7", "--json"]);
    expect(r.code).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: string[] }).files;
    expect(files).toEqual([0, 1, 2].map((n) => path(`parts/vectors-0000${n}.jsonl.gz`)));
    expect(files.map((f) => lines(f).length)).toEqual([7, 7, 6]);
    expect(`${files.flatMap(lines).join("\n")}\n`).toBe(readFileSync(outputs.anserini, "utf8"));
  });
});

describe("encode-corpus --shard", () => {
  it("cuts contiguous shards whose outputs, concatenated in order, equal the unsharded output byte for byte", async () => {
    const docs = corpus(40, 11);
    writeFileSync(path("shards.tsv"), tsv(docs));
    const shards = [0, 1, 2].map((i) => path(`shard-${i}.jsonl.gz`));
    const runs = await Promise.all([
      encode([path("shards.tsv"), "--output", path("unsharded.jsonl"), "--json"]),
      ...shards.map((out, i) => encode([path("shards.tsv"), "--output", out, "--shard", `${i}/3`, "--json"])),
    ]);
    runs.forEach((r) => expect(r.code).toBe(0));
    const counts = runs.slice(1).map((r) => (JSON.parse(r.stdout) as { documents: number }).documents);
    expect(counts.reduce((a, b) => a + b)).toBe(docs.length);
    expect(counts.every((n) => n > 0)).toBe(true);
    // gzip members concatenate into one valid stream, so the shard files themselves can be concatenated.
    const joined = gunzipSync(Buffer.concat(shards.map((f) => readFileSync(f)))).toString("utf8");
    expect(joined).toBe(readFileSync(path("unsharded.jsonl"), "utf8"));
  });

  it("refuses to shard stdin (exit 2)", async () => {
    const r = await encode(["-", "--output", path("x.jsonl"), "--shard", "0/2"], "a\tb\n");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--shard needs a file");
  });
});

describe("encode-corpus --resume after kill -9", () => {
  const KILL_DOCS = corpus(60, 5, 12);
  const args = (out: string) => ["--output", out];

  async function checkpointRecords(out: string): Promise<number> {
    try {
      return (JSON.parse(readFileSync(`${out}.checkpoint`, "utf8")) as { records: number }).records;
    } catch {
      return 0;
    }
  }

  async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Starts a --resume run on stdin, feeds it the first `feed` records (keeping stdin open), kills it at `killAt`. */
  async function killed(out: string, feed: number, killAt: (out: string) => Promise<boolean> | boolean): Promise<CliResult> {
    const { child, done } = startScript(CLI, ["-", ...args(out), "--resume", ...BASE]);
    child.stdin.write(tsv(KILL_DOCS.slice(0, feed)));
    await until(() => killAt(out), "the kill point");
    child.kill("SIGKILL");
    return done;
  }

  it("writes every document exactly once after kills, a torn tail and Ctrl-C, identical to an uninterrupted run (gzip, stdin)", async () => {
    const out = path("killed.jsonl.gz");
    const uninterrupted = await encode(["-", ...args(path("whole.jsonl.gz"))], tsv(KILL_DOCS));
    expectOk(uninterrupted);

    // 1. As soon as the process is up: nothing or a partial first window on disk, no checkpoint yet.
    let r = await killed(out, 0, () => existsSync(out));
    expect(r.signal).toBe("SIGKILL");
    // 2. After the first checkpoint (windows of 6 records), with the next windows in flight.
    r = await killed(out, 30, async () => (await checkpointRecords(out)) >= 6);
    expect(r.signal).toBe("SIGKILL");
    // 3. Further on; then a torn tail as a kill between write and checkpoint leaves it.
    r = await killed(out, 40, async () => (await checkpointRecords(out)) >= 24);
    expect(r.signal).toBe("SIGKILL");
    const before = await checkpointRecords(out);
    expect(before).toBeGreaterThanOrEqual(24);
    expect(before).toBeLessThan(KILL_DOCS.length);
    appendFileSync(out, gzipSync('{"id":"torn"'));
    // 4. Ctrl-C: the run stops cleanly (exit 130) and says how to go on.
    const { child, done } = startScript(CLI, ["-", ...args(out), "--resume", ...BASE]);
    child.stdin.write(tsv(KILL_DOCS.slice(0, 56)));
    await until(async () => (await checkpointRecords(out)) >= before + 12, "a checkpoint after the torn tail");
    child.kill("SIGINT");
    r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("run the same command with --resume to continue from the last checkpoint (Ctrl-C again quits at once)");
    const interrupted = await checkpointRecords(out);

    const finished = await runScript(CLI, ["-", ...args(out), "--resume", ...BASE, "--json"], { input: tsv(KILL_DOCS) });
    expect(finished.code).toBe(0);
    const summary = JSON.parse(finished.stdout) as { documents: number; encoded: number; resumed_at: number };
    expect(summary.resumed_at).toBe(interrupted);
    expect(summary.documents).toBe(KILL_DOCS.length);
    expect(summary.encoded).toBe(KILL_DOCS.length - interrupted);
    expect(gunzipSync(readFileSync(out)).toString("utf8")).toBe(gunzipSync(readFileSync(path("whole.jsonl.gz"))).toString("utf8"));

    // Resuming a finished run does nothing and says so.
    const again = await runScript(CLI, ["-", ...args(out), "--resume", ...BASE, "--json"], { input: tsv(KILL_DOCS) });
    expect(JSON.parse(again.stdout)).toMatchObject({ already_done: true, documents: KILL_DOCS.length, encoded: 0 });
  });

  it("stops at Ctrl-C within the batches at the model, says a second one quits, and resumes to an identical file", async () => {
    // Long enough (seconds on the generated model at batches of 3) that Ctrl-C comes mid-run.
    const docs = corpus(800, 9, 20);
    writeFileSync(path("long.tsv"), tsv(docs));
    const whole = path("long-whole.jsonl");
    expectOk(await encode([path("long.tsv"), "--output", whole]));
    const out = path("long-interrupted.jsonl");
    const { child, done } = startScript(CLI, [path("long.tsv"), ...args(out), ...BASE]);
    await until(async () => (await checkpointRecords(out)) >= 60, "a checkpoint mid-run");
    child.kill("SIGINT");
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("✖ interrupted — finishing the batches in progress, then stopping;");
    expect(r.stderr).toContain("(Ctrl-C again quits at once)");
    const stopped = /✖ interrupted: (\d+) documents are written and checkpointed in \S+(?:; the (\d+) encoded while stopping)?/.exec(r.stderr);
    expect(stopped, r.stderr).not.toBeNull();
    // What was sent to the model after Ctrl-C: at most the two batches (of 3) the core lets wait there.
    expect(Number(stopped?.[2] ?? 0)).toBeLessThanOrEqual(2 * 3);
    const written = Number(stopped?.[1]);
    expect(await checkpointRecords(out)).toBe(written);
    expect(written).toBeLessThan(docs.length);
    expect(r.stderr).not.toMatch(/\n\s+at /);

    const resumed = await runScript(CLI, [path("long.tsv"), ...args(out), "--resume", ...BASE, "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed_at: written, documents: docs.length, encoded: docs.length - written });
    expect(readFileSync(out).equals(readFileSync(whole))).toBe(true);
  });

  it("resumes split files from a file input: the parts equal an uninterrupted run's", async () => {
    writeFileSync(path("kill.tsv"), tsv(KILL_DOCS));
    const split = ["--split-size", "9"];
    expectOk(await encode([path("kill.tsv"), ...args(path("whole-parts/")), ...split]));
    const out = path("killed-parts/");
    const { child, done } = startScript(CLI, [path("kill.tsv"), ...args(out), ...split, ...BASE]);
    await until(async () => (await checkpointRecords(join(out, "part.jsonl"))) >= 6, "a checkpoint");
    child.kill("SIGKILL");
    const r = await done;
    const finished = await encode([path("kill.tsv"), ...args(out), ...split, "--resume"]);
    expectOk(finished);
    const names = readdirSync(path("whole-parts")).filter((f) => f.endsWith(".jsonl"));
    expect(names.length).toBe(Math.ceil(KILL_DOCS.length / 9));
    expect(readdirSync(out).filter((f) => f.endsWith(".jsonl"))).toEqual(names);
    for (const name of names) expect(readFileSync(join(out, name), "utf8"), name).toBe(readFileSync(path(`whole-parts/${name}`), "utf8"));
    // The kill may come after the run finished on a fast machine; the equality above holds either way.
    expect(r.signal === "SIGKILL" || r.code === 0).toBe(true);
  });

  it("will not resume with other settings, nor overwrite an unfinished run without --resume (exit 2)", async () => {
    const out = path("unfinished.jsonl");
    expectOk(await encode([path("small.tsv"), "--output", out]));
    writeFileSync(`${out}.checkpoint`, readFileSync(`${out}.checkpoint`, "utf8").replace('"done": true', '"done": false'));
    const fresh = await encode([path("small.tsv"), "--output", out]);
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toContain("holds an unfinished run");
    expect(fresh.stderr).toContain("--resume");
    const other = await encode([path("small.tsv"), "--output", out, "--resume", "--format", "jsonl"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('belongs to a run with other settings (format: "anserini" → "jsonl")');
  });
});

describe.concurrent("encode-corpus input", () => {
  it("reads JSONL with _id/id, text/contents and a title joined before the text as BEIR does", async () => {
    const jsonl = [
      { _id: "b1", title: "Mars", text: "the red planet" },
      { id: 7, contents: "numeric id, contents field" },
      { _id: "b3", title: "", text: "  empty title  " },
    ];
    writeFileSync(path("beir.jsonl"), `${jsonl.map((d) => JSON.stringify(d)).join("\n")}\n\n`);
    const r = await encode([path("beir.jsonl"), "--output", path("beir.out.jsonl")]);
    expectOk(r);
    expect(records<AnseriniDoc>(path("beir.out.jsonl")).map((d) => [d.id, d.contents])).toEqual([
      ["b1", "Mars the red planet"],
      ["7", "numeric id, contents field"],
      ["b3", "empty title"],
    ]);
  });

  it("stops at a malformed line with file:line and exit 65, keeping the whole windows before it", async () => {
    const good = tsv(SMALL.slice(0, 13));
    writeFileSync(path("bad.tsv"), `${good}no tab on this line\n${tsv(SMALL.slice(13))}`);
    const r = await encode([path("bad.tsv"), "--output", path("bad.out.jsonl")]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`${path("bad.tsv")}:14: expected 2 tab-separated columns (id, text), found 1`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // Windows of 6 records: the two before line 14 are complete and written; a resume would continue from there.
    expect(records<AnseriniDoc>(path("bad.out.jsonl")).map((d) => d.id)).toEqual(SMALL.slice(0, 12).map((d) => d.id));

    writeFileSync(path("bad.jsonl"), '{"_id":"a","text":"fine"}\n{"_id":"b","text":\n');
    const j = await encode([path("bad.jsonl"), "--output", path("bad.jsonl.out")]);
    expect(j.code).toBe(65);
    expect(j.stderr).toContain(`${path("bad.jsonl")}:2: invalid JSON`);
  });

  it("--on-error skip records and counts malformed lines and goes on", async () => {
    writeFileSync(path("skip.tsv"), `${tsv(SMALL.slice(0, 4))}three\tcolumns\there\n\n${tsv(SMALL.slice(4, 8))}\tempty id\n`);
    const r = await encode([path("skip.tsv"), "--output", path("skip.out.jsonl"), "--on-error", "skip", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      documents: 8,
      skipped: 2,
      skipped_lines: [
        { line: 5, reason: "expected 2 tab-separated columns (id, text), found 3" },
        { line: 11, reason: "empty id" },
      ],
    });
    expect(records<AnseriniDoc>(path("skip.out.jsonl")).map((d) => d.id)).toEqual(SMALL.slice(0, 8).map((d) => d.id));
  });

  it("encodes empty texts, and gives a document that quantizes to nothing naver/splade's [unused993]: 1", async () => {
    writeFileSync(path("empty.tsv"), "e1\t\ne2\t   \ne3\tsome words\n");
    const [normal, allCut, pretokenized] = await Promise.all([
      encode([path("empty.tsv"), "--output", path("empty.out.jsonl")]),
      runScript(CLI, [path("empty.tsv"), "--output", path("empty-cut.jsonl"), "--model", MODEL, "--min-weight", "1000", "--quiet"]),
      runScript(CLI, [
        path("empty.tsv"),
        "--output",
        path("empty-cut.pretok.jsonl"),
        "--format",
        "pretokenized",
        "--model",
        MODEL,
        "--min-weight",
        "1000",
        "--quiet",
      ]),
    ]);
    [normal, allCut, pretokenized].forEach(expectOk);
    const docs = records<AnseriniDoc>(path("empty.out.jsonl"));
    expect(docs.map((d) => d.id)).toEqual(["e1", "e2", "e3"]);
    // [CLS] [SEP] alone still has SPLADE weights.
    expect(Object.keys(docs[0].vector).length).toBeGreaterThan(0);
    expect(records<AnseriniDoc>(path("empty-cut.jsonl")).map((d) => d.vector)).toEqual([{ "[unused993]": 1 }, { "[unused993]": 1 }, { "[unused993]": 1 }]);
    expect(records<PretokenizedDoc>(path("empty-cut.pretok.jsonl")).map((d) => d.contents)).toEqual(["[unused993]", "[unused993]", "[unused993]"]);
  });

  it("counts and warns about duplicate ids, and writes both documents", async () => {
    writeFileSync(path("dups.tsv"), "x\tone\ny\ttwo\nx\tthree\n");
    const r = await runScript(CLI, [path("dups.tsv"), "--output", path("dups.out.jsonl"), "--model", MODEL, "--min-weight", String(MIN_WEIGHT), "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${path("dups.tsv")}:3: duplicate id "x"`);
    expect(JSON.parse(r.stdout)).toMatchObject({ documents: 3, duplicates: 1 });
    expect(records<AnseriniDoc>(path("dups.out.jsonl")).map((d) => d.contents)).toEqual(["one", "two", "three"]);
  });
});

describe.concurrent("encode-corpus usage", () => {
  it("names the command that fetches a missing model (exit 1)", async () => {
    const r = await runScript(CLI, [path("small.tsv"), "--output", path("nomodel.jsonl"), "--model", path("no-model")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(path("no-model"), "manifest.json")} not found`);
    expect(r.stderr).toContain("npm run model -- fetch --only doc");
    expect(existsSync(path("nomodel.jsonl"))).toBe(false);
  });

  it("rejects bad options with exit 2, and a missing input with its path", async () => {
    const format = await encode([path("small.tsv"), "--output", path("u.jsonl"), "--format", "csv"]);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain(
      "--format must be one of ids, jsonl, elasticsearch, opensearch, qdrant, pinecone, vespa, pgvector, milvus, anserini, pisa, pretokenized, got csv",
    );
    const shard = await encode([path("small.tsv"), "--output", path("u.jsonl"), "--shard", "2/2"]);
    expect(shard.code).toBe(2);
    expect(shard.stderr).toContain("--shard must be i/n with 0 ≤ i < n, got 2/2");
    const missing = await encode([path("nope.tsv"), "--output", path("u.jsonl")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${path("nope.tsv")}: no such file`);
  });
});

describe("encode-corpus bundle", () => {
  it("builds into one file (npm run build:cli) that `npx encode-corpus` runs, with the same output as the sources", async () => {
    execFileSync("npm", ["run", "-s", "build:cli"], { cwd: ROOT });
    const bundle = join(ROOT, "dist", "encode-corpus.mjs");
    expect(readFileSync(bundle, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const out = path("bundle.jsonl");
    execFileSync(process.execPath, [bundle, path("small.tsv"), "--output", out, "--format", "anserini", ...BASE], { cwd: ROOT });
    expect(readFileSync(out, "utf8")).toBe(readFileSync(path("small.anserini.jsonl"), "utf8"));
    const help = execFileSync("npx", ["--no", "encode-corpus", "--", "--help"], { cwd: ROOT, encoding: "utf8" });
    expect(help).toContain("encode-corpus");
    expect(help).toContain("--shard");
  });
});
