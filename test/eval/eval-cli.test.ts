// `npm run eval` end to end on a generated BEIR-layout dataset: 300 generated passages and 22 queries, the real CLI
// (child process) with the generated doc and query models. The first run judges a placeholder; the qrels are then
// made from the brute-force ranking over the documents it encoded (graded, some relevant documents outside the
// top k, a query with only non-relevant judgments, a judged query with no text), and the second run — which must
// resume: documents and index reused — is checked: the run file on disk (format, top-k per query, scores
// non-increasing, ties by docno descending, equal to a float64 brute force over the encoded documents), and its
// metrics equal to src/eval/metrics.ts on that file. Then `--run/--qrels`, `--encoded` (a pgvector COPY file, MS
// MARCO-style TSV queries and TREC qrels), and the usage and data errors.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tokenizer } from "tokenizers";
import { generatePassages } from "../support/passages.ts";
import { writeStaticHub, type StaticHub } from "../support/static-weights-hub.ts";
import { convertFolder } from "../../src/model/convert.ts";
import { sparsevecLiteral } from "../../src/encoder/formats/pgvector.ts";
import { compareCodePoints, evaluate } from "../../src/eval/metrics.ts";
import { queryEncoder } from "../../src/eval/query-encoder.ts";
import { readQrels, readRun } from "../../src/eval/trec.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { runScript, type CliResult } from "../cli/run-script.ts";

const DOC_MODEL = resolve(FIXTURE_ROOT, "model", "doc");
const QUERY_MODEL = resolve(FIXTURE_ROOT, "model", "query-sparse");
const DOCS = 300;
const QUERIES = 22;
/** Judged queries: the last two of the file are not in the qrels (never encoded, never in the run). */
const JUDGED = 20;
const HITS = 20;
/** The generated doc model makes ~30k terms non-zero; a trained one keeps ~100–200. */
const DOC_TOP_K = 128;
const SCORE_TOLERANCE = 1e-9;

const tmp = mkdtempSync(join(tmpdir(), "splade-eval-"));
const beir = join(tmp, "beir");
const work = join(tmp, "work");
const qrelsFile = join(beir, "qrels", "test.tsv");
const runFile = join(work, "run.trec");

/** Ids with the byte-order cases a run's ties must respect: "10" < "9", an accented one, an upper-case one. */
const docId = (i: number) => (i === 0 ? "café-0" : i === 1 ? "Doc-1" : String(i));

const baseArgs = [
  "--beir",
  beir,
  "--work",
  work,
  "--doc-model",
  DOC_MODEL,
  "--query-model",
  QUERY_MODEL,
  "--doc-top-k",
  String(DOC_TOP_K),
  "--threads",
  "1",
  "--quiet",
];
const evalCli = (args: string[]) => runScript("src/cli/eval.ts", args);

interface Ranked {
  id: string;
  score: number;
}
let docs: Map<string, Map<number, number>>;
let exact: Map<string, Ranked[]>;
let first: CliResult;
let second: CliResult;
let secondJson: Record<string, unknown>;

function parseIds(file: string): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    const r = JSON.parse(line) as { id: string; indices: number[]; values: number[] };
    out.set(r.id, new Map(r.indices.map((t, k) => [t, Math.fround(r.values[k])])));
  }
  return out;
}

/** Every document scoring > 0, float64 sums of float32 weights, in trec_eval's order (score desc, id desc). */
function bruteForce(query: { indices: number[]; values: number[] }): Ranked[] {
  const ranked: Ranked[] = [];
  for (const [id, weights] of docs) {
    let s = 0;
    query.indices.forEach((t, k) => (s += Math.fround(query.values[k]) * (weights.get(t) ?? 0)));
    if (s > 0) ranked.push({ id, score: s });
  }
  return ranked.sort((a, b) => b.score - a.score || compareCodePoints(b.id, a.id));
}

function expectOk(r: CliResult): void {
  const other = r.stderr.split("\n").filter((l) => l !== "" && !/random weights/.test(l) && !/^(eval|documents|index|queries|retrieval):/.test(l));
  expect(other, r.stderr).toEqual([]);
  expect(r.code, r.stderr).toBe(0);
}

beforeAll(async () => {
  mkdirSync(join(beir, "qrels"), { recursive: true });
  const vocab = (JSON.parse(readFileSync(join(DOC_MODEL, "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number> } }).model.vocab;
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(vocab)) tokens[id] = token;
  const passages = generatePassages(tokens, DOCS, 20261202);
  writeFileSync(
    join(beir, "corpus.jsonl"),
    passages.map((text, i) => `${JSON.stringify({ _id: docId(i), title: i % 4 === 0 ? "A title" : "", text })}\n`).join(""),
  );
  const queries = generatePassages(tokens, QUERIES, 20261203).map((p) => p.split(" ").slice(0, 10).join(" "));
  writeFileSync(join(beir, "queries.jsonl"), queries.map((text, i) => `${JSON.stringify({ _id: `q${i}`, text, metadata: {} })}\n`).join(""));
  // A placeholder judgment per query, so that the first run encodes and indexes everything.
  writeFileSync(
    qrelsFile,
    `query-id\tcorpus-id\tscore\n${queries
      .slice(0, JUDGED)
      .map((_, i) => `q${i}\t${docId(i)}\t1\n`)
      .join("")}`,
  );
  first = await evalCli([...baseArgs, "--hits", String(HITS)]);
  expectOk(first);

  docs = parseIds(join(work, "docs.ids.jsonl"));
  const encoder = await queryEncoder(QUERY_MODEL);
  exact = new Map();
  for (const [i, text] of queries.slice(0, JUDGED).entries()) exact.set(`q${i}`, bruteForce(await encoder.encode(text)));

  // The qrels: per query, by brute-force rank (0-based, clamped to the documents that score): rank 0 judged
  // non-relevant, 1 → rel 1, 4 → rel 2, 12 → rel 1, and a document outside the top HITS (or scoring 0) → rel 1;
  // q18 only non-relevant judgments; "q-untexted" judged but absent from queries.jsonl (missing from the run).
  const lines = ["query-id\tcorpus-id\tscore"];
  for (const [qid, ranked] of exact) {
    const at = (r: number) => ranked[Math.min(r, ranked.length - 1)].id;
    if (qid === "q18") {
      lines.push(`${qid}\t${at(0)}\t0`, `${qid}\t${at(3)}\t0`);
      continue;
    }
    const judged = new Map<string, number>([[at(0), 0]]);
    for (const [r, rel] of [
      [1, 1],
      [4, 2],
      [12, 1],
    ] as const)
      if (!judged.has(at(r))) judged.set(at(r), rel);
    const outside = ranked[HITS + 5]?.id ?? [...docs.keys()].find((id) => !ranked.some((h) => h.id === id))!;
    if (!judged.has(outside)) judged.set(outside, 1);
    for (const [doc, rel] of judged) lines.push(`${qid}\t${doc}\t${rel}`);
  }
  lines.push("q-untexted\t5\t1");
  writeFileSync(qrelsFile, `${lines.join("\n")}\n`);
  second = await evalCli([...baseArgs, "--hits", String(HITS), "--json"]);
  expect(second.code, second.stderr).toBe(0);
  secondJson = JSON.parse(second.stdout) as Record<string, unknown>;
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("npm run eval on a BEIR folder", () => {
  it("runs, warns that random weights make the numbers meaningless, and resumes on a second run", () => {
    expect(first.stdout).toMatch(/^MRR@10 +\d\.\d{4}/m);
    expect(first.stdout).toMatch(/^nDCG@10 +\d\.\d{4}/m);
    expect(first.stdout).toContain("(random weights: these numbers mean nothing)");
    expect(first.stderr).toMatch(/random weights \(a generated test model\): these numbers mean nothing/);
    expect(first.stderr).toMatch(/documents: encoded 300 /);
    expect(secondJson).toMatchObject({ ok: true, documents: DOCS, hits: HITS, random_weights: true, documents_encoded: 0, model_card: null, complete: true });
    expect(String(secondJson.notice)).toMatch(/mean nothing/);
    // The second run reused the encoded documents and the index.
    expect(secondJson).toMatchObject({ documents_encoded_before: true, index_reused: true });
    expect(second.stderr).toBe("");
  });

  it("writes a TREC run: six columns, at most k per query, ranks 1…n, scores non-increasing, ties by docno descending", () => {
    const lines = readFileSync(runFile, "utf8").split("\n").filter(Boolean);
    const perQuery = new Map<string, Array<{ docno: string; rank: number; score: number }>>();
    for (const line of lines) {
      const f = line.split(" ");
      expect(f, line).toHaveLength(6);
      expect(f[1]).toBe("Q0");
      expect(f[5]).toBe("splade-edge");
      const entries = perQuery.get(f[0]) ?? [];
      entries.push({ docno: f[2], rank: Number(f[3]), score: Number(f[4]) });
      perQuery.set(f[0], entries);
    }
    expect([...perQuery.keys()].sort()).toEqual([...exact.keys()].sort());
    for (const [qid, entries] of perQuery) {
      expect(entries.length).toBe(Math.min(HITS, exact.get(qid)!.length));
      entries.forEach((e, r) => {
        expect(e.rank).toBe(r + 1);
        if (r > 0) {
          const prev = entries[r - 1];
          expect(e.score).toBeLessThanOrEqual(prev.score);
          if (e.score === prev.score) expect(compareCodePoints(prev.docno, e.docno)).toBeGreaterThan(0);
        }
      });
    }
  });

  it("retrieves exactly the brute-force top k over the encoded documents (equal scores may swap)", () => {
    const { run } = parseRunFile();
    const problems: string[] = [];
    for (const [qid, ranked] of exact) {
      const truth = new Map(ranked.map((h) => [h.id, h.score]));
      run.get(qid)!.forEach((hit, r) => {
        const score = truth.get(hit.docno);
        if (score === undefined || Math.abs(score - hit.score) > SCORE_TOLERANCE)
          problems.push(`${qid} rank ${r + 1}: ${hit.docno} scored ${hit.score}, brute force ${score}`);
        else if (Math.abs(score - ranked[r].score) > SCORE_TOLERANCE)
          problems.push(`${qid} rank ${r + 1}: ${hit.docno} (${score}) where brute force has ${ranked[r].id} (${ranked[r].score})`);
      });
    }
    expect(problems).toEqual([]);
  });

  it("prints the metrics src/eval/metrics.ts computes on that run file, and they are not trivial", async () => {
    const [{ run }, { qrels }] = await Promise.all([readRun(runFile), readQrels(qrelsFile)]);
    const e = evaluate(run, qrels);
    const metrics = secondJson.metrics as Record<string, number>;
    for (const name of ["mrr10", "recall100", "recall1000", "ndcg10"] as const) expect(metrics[name]).toBeCloseTo(e[name], 6);
    // Rank 1 judged non-relevant, rank 2 relevant → MRR@10 close to 1/2 (less for q18 and the untexted query, 0).
    expect(e.mrr10).toBeGreaterThan(0.3);
    expect(e.mrr10).toBeLessThan(0.6);
    expect(e.recall100).toBeGreaterThan(0.3);
    expect(e.recall100).toBeLessThan(1);
    expect(e.ndcg10).toBeGreaterThan(0.2);
    expect(e.ndcg10).toBeLessThan(1);
    expect(e.queries).toBe(JUDGED + 1);
    expect(e.missingFromRun).toEqual(["q-untexted"]);
    expect(e.withoutRelevant).toEqual(["q18"]);
    expect(secondJson).toMatchObject({ queries: JUDGED + 1, missing_from_run: 1 });
  });

  it("--run RUN --qrels QRELS scores a run file the same way (and a hand-written one, tab-separated)", async () => {
    const r = await evalCli(["--run", runFile, "--qrels", qrelsFile, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { metrics: Record<string, number>; queries: number; run_format: string };
    expect(json.metrics).toEqual(secondJson.metrics);
    expect(json).toMatchObject({ queries: JUDGED + 1, run_format: "trec" });
    // Anserini writes `qid Q0 docid rank score tag` with spaces; PISA with tabs; the rank column is not read.
    const hand = join(tmp, "hand.run");
    writeFileSync(hand, "# a comment\nq0\tQ0\tx\t9\t1.5\tpisa\nq0\tQ0\ty\t1\t1.5\tpisa\n");
    writeFileSync(join(tmp, "hand.qrels"), "q0 0 x 1\nq0 0 y 0\n");
    const h = await evalCli(["--run", hand, "--qrels", join(tmp, "hand.qrels")]);
    expect(h.code, h.stderr).toBe(0);
    // Tie at 1.5 → y before x (docno descending): x at rank 2 → MRR@10 0.5.
    expect(h.stdout).toMatch(/^MRR@10 +0\.5000/m);
    expect(h.stdout).toMatch(/^R@100 +1\.0000/m);
  });

  it("--encoded takes a pgvector COPY file, with MS MARCO-style TSV queries and TREC qrels, to the same numbers", async () => {
    const copy = join(tmp, "docs.copy");
    writeFileSync(
      copy,
      [...readFileSync(join(work, "docs.ids.jsonl"), "utf8").split("\n").filter(Boolean)]
        .map((line) => {
          const r = JSON.parse(line) as { id: string; indices: number[]; values: number[] };
          return `${r.id}\t${sparsevecLiteral(r, 30522)}\n`;
        })
        .join(""),
    );
    const queries = readFileSync(join(beir, "queries.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { _id: string; text: string });
    writeFileSync(join(tmp, "queries.tsv"), queries.map((q) => `${q._id}\t${q.text}\n`).join(""));
    const { qrels } = await readQrels(qrelsFile);
    writeFileSync(join(tmp, "qrels.tsv"), [...qrels].flatMap(([qid, judged]) => [...judged].map(([doc, rel]) => `${qid}\t0\t${doc}\t${rel}\n`)).join(""));
    const r = await evalCli([
      "--encoded",
      copy,
      "--queries",
      join(tmp, "queries.tsv"),
      "--qrels",
      join(tmp, "qrels.tsv"),
      "--work",
      join(tmp, "work-encoded"),
      "--query-model",
      QUERY_MODEL,
      "--hits",
      String(HITS),
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { metrics: unknown }).metrics).toEqual(secondJson.metrics);
  });

  it("usage errors exit 2, naming the problem (JSON with --json)", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--beir", beir, "--work", work, "--top-k", "5"], /unknown option --top-k/],
      [["--run", runFile], /--run needs --qrels/],
      [["--run", runFile, "--qrels", qrelsFile, "--work", work], /--work does not apply/],
      [["--queries", join(tmp, "queries.tsv"), "--qrels", qrelsFile, "--work", work], /give the documents/],
      [["--beir", beir], /give --work DIR/],
      [["--beir", beir, "--collection", "x.tsv", "--work", work], /drop --collection/],
      [["--beir", join(tmp, "nowhere"), "--work", work], /no such folder/],
      [["--beir", beir, "--split", "dev", "--work", work], /qrels\/dev\.tsv not found/],
      [["--beir", beir, "--work", work, "--hits", "0"], /--hits must be a positive integer/],
      [["--run", join(tmp, "missing.run"), "--qrels", qrelsFile], /missing\.run: no such file/],
    ];
    for (const [args, message] of cases) {
      const r = await evalCli(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const j = await evalCli(["--run", runFile, "--json"]);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, exit_code: 2, error: expect.stringMatching(/--qrels/) });
  });

  it("names the option that points at a missing model folder: --query-model, --doc-model (exit 1)", async () => {
    const missing = join(tmp, "no-model");
    for (const option of ["--query-model", "--doc-model"]) {
      const models = { "--doc-model": DOC_MODEL, "--query-model": QUERY_MODEL, [option]: missing };
      const r = await evalCli(["--beir", beir, "--work", join(tmp, `work-${option.slice(2)}`), ...Object.entries(models).flat(), "--quiet"]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`${join(missing, "manifest.json")} not found`);
      expect(r.stderr).toContain(`or point ${option} at a converted model folder`);
    }
  });

  it("refuses bad data with exit 65: a document twice in a run, a malformed qrels line", async () => {
    const dup = join(tmp, "dup.run");
    writeFileSync(dup, "q0 Q0 a 1 2 t\nq0 Q0 a 2 1 t\n");
    const r = await evalCli(["--run", dup, "--qrels", qrelsFile]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/query "q0" lists document "a" twice/);
    const bad = join(tmp, "bad.qrels");
    writeFileSync(bad, "q0 0 a 1\nq0 a 1\n");
    const b = await evalCli(["--run", runFile, "--qrels", bad]);
    expect(b.code).toBe(65);
    expect(b.stderr).toMatch(/bad\.qrels:2: expected 4 columns/);
  });
});

describe("npm run eval with an inference-free query model", () => {
  let staticModel: string;
  let hub: StaticHub;
  const queriesTsv = join(tmp, "static-queries.tsv");
  beforeAll(async () => {
    hub = writeStaticHub(join(tmp, "static-hub"), { seed: 41 });
    staticModel = join(tmp, "static-query");
    const queries = readFileSync(join(beir, "queries.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { _id: string; text: string });
    writeFileSync(queriesTsv, queries.map((q) => `${q._id}\t${q.text}\n`).join(""));
    await convertFolder(hub.dir, staticModel, { role: "query", model: "opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill" });
  });

  it("ranks the encoded documents by the table's weights: exactly the brute-force top k of each query's distinct tokens × idf.json", async () => {
    const run = join(tmp, "work-static", "run.trec");
    const r = await evalCli([
      "--encoded",
      join(work, "docs.ids.jsonl"),
      "--queries",
      queriesTsv,
      "--qrels",
      qrelsFile,
      "--work",
      join(tmp, "work-static"),
      "--query-model",
      staticModel,
      "--hits",
      String(HITS),
      "--quiet",
    ]);
    expect(r.code, r.stderr).toBe(0);
    // The reference query vector: Hugging Face's Rust tokenizers on the repo's tokenizer.json, no special tokens
    // (sentence-transformers' SparseStaticEmbedding), each distinct id once, weighted by idf.json as float32.
    const tokenizer = Tokenizer.fromFile(join(hub.dir, "tokenizer.json"));
    const { run: ranked } = await readRun(run);
    const texts = new Map(
      readFileSync(queriesTsv, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split("\t") as [string, string]),
    );
    const { qrels } = await readQrels(qrelsFile);
    let compared = 0;
    for (const qid of qrels.keys()) {
      const text = texts.get(qid);
      if (text === undefined) continue;
      const [encoding] = await tokenizer.encodeBatch([text], { addSpecialTokens: false });
      const ids = [...new Set(encoding.getIds())];
      const weighted = ids.filter((id) => (hub.idf[hub.vocab[id]] ?? 0) > 0);
      const truth = bruteForce({ indices: weighted, values: weighted.map((id) => Math.fround(hub.idf[hub.vocab[id]])) });
      // A query no document shares a weighted token with has no run lines, as trec_eval expects.
      expect(
        (ranked.get(qid) ?? []).map((h) => h.docno),
        qid,
      ).toEqual(truth.slice(0, HITS).map((h) => h.id));
      compared++;
    }
    expect(compared).toBe(JUDGED);
  });

  it("refuses a query half and documents of two catalogue models before encoding anything (exit 1)", async () => {
    const doc = join(tmp, "doc-of-another-model");
    await convertFolder(resolve(FIXTURE_ROOT, "hf", "doc"), doc, { role: "doc", model: "naver/efficient-splade-VI-BT-large", maxLength: 256 });
    const r = await evalCli(["--beir", beir, "--work", join(tmp, "work-mixed"), "--query-model", staticModel, "--doc-model", doc, "--quiet"]);
    expect(r.stderr).toContain("is opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill's query half but");
    expect(r.stderr).toContain("is naver/efficient-splade-VI-BT-large's documents: not one model");
    expect(r.code).toBe(1);
    expect(existsSync(join(tmp, "work-mixed", "docs.ids.jsonl"))).toBe(false);
  });
});

describe("the splade-eval bin", () => {
  it("runs the same CLI as npm run eval (the committed shim, through tsx)", async () => {
    const { spawnSync } = await import("node:child_process");
    const viaBin = spawnSync(process.execPath, [resolve("src/cli/bin/splade-eval.mjs"), "--run", runFile, "--qrels", qrelsFile, "--json"], {
      encoding: "utf8",
    });
    const viaScript = await evalCli(["--run", runFile, "--qrels", qrelsFile, "--json"]);
    expect(viaBin.status).toBe(0);
    expect(JSON.parse(viaBin.stdout)).toEqual(JSON.parse(viaScript.stdout));
  });
});

function parseRunFile(): { run: Map<string, Array<{ docno: string; score: number }>> } {
  const run = new Map<string, Array<{ docno: string; score: number }>>();
  for (const line of readFileSync(runFile, "utf8").split("\n").filter(Boolean)) {
    const f = line.split(" ");
    const entries = run.get(f[0]) ?? [];
    entries.push({ docno: f[2], score: Number(f[4]) });
    run.set(f[0], entries);
  }
  return { run };
}
