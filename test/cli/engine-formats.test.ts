// `encode-corpus --format NAME` for the engines that cannot run here, as users run it: the real CLI process on a
// small TSV corpus with the generated doc model. Each engine's file is read back with test/support/engine-parsers.ts
// (the same parsers the unit test test/encoder/engine-formats.test.ts uses) and must hold exactly the `ids` run's
// vectors: the same ids in the same order, the same token ids, the same float32 weights as printed. Then the refusals:
// options a format cannot do without or would ignore (exit 2), and Pinecone's 1,000 non-zero limit (exit 65, or
// skipped and counted with --on-error skip).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { v5 as uuidV5 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POINT_ID_NAMESPACE } from "../../src/encoder/formats/qdrant.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import {
  comparable,
  elasticsearchTermIds,
  fileLines,
  parseBulkDocuments,
  parseIdsDocuments,
  parseMilvusDocuments,
  parsePgvectorDocuments,
  parsePineconeDocuments,
  parseQdrantDocuments,
  parseVespaDocuments,
  vocabularyIds,
  type ParsedVector,
} from "../support/engine-parsers.ts";
import { runScript, type CliResult } from "./run-script.ts";

const CLI = "src/cli/encode-corpus.ts";
const MODEL = resolve(FIXTURE_ROOT, "model", "doc");
const DIMENSIONS = 30522;
/** As test/cli/encode-corpus.test.ts: the generated model keeps ~70 terms per document at this cut. */
const CUT = ["--min-weight", "0.9"];
const BASE = ["--model", MODEL, "--max-length", "32", "--batch-size", "3", "--sort-window", "6", "--threads", "1", "--quiet"];
const PINECONE_TOP_K = 64;

const tmp = mkdtempSync(join(tmpdir(), "splade-engine-formats-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const path = (name: string) => join(tmp, name);

const UUID_ID = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";
/** Ids that exercise the engines' rules: integers (Qdrant keeps "7" and "0"), a UUID, spaces and unicode, a backslash (COPY escapes it), colons (Vespa's id separator), a long one. */
const IDS = [
  "7",
  UUID_ID,
  "doc with space — ü",
  "back\\slash",
  "urn:x::y",
  `msmarco-passage-${"0123456789".repeat(10)}`,
  "0",
  "007",
  ...Array.from({ length: 12 }, (_, i) => `d${i + 8}`),
];

const WORDS = "the of and a to in is was for on that with as by at from river planet mars red venus u.s. dr. café zürich 1997 42 e-mail well-known".split(" ");

/** Pinecone takes only ASCII record ids: its runs read the same texts under these ids. */
const ASCII_IDS = IDS.map((id) => id.replace(" — ü", " - u"));

function corpusTsv(ids: readonly string[]): string {
  let state = 3;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return ids.map((id) => `${id}\t${Array.from({ length: 1 + Math.floor(next() * 30) }, () => WORDS[Math.floor(next() * WORDS.length)]).join(" ")}\n`).join("");
}

/** The one line the generated (random-weights) model makes every run print, even with --quiet. */
const RANDOM_WEIGHTS = /^⚠ .* holds random weights .*\n/m;

function expectOk(r: CliResult): void {
  expect(r.stderr.replace(RANDOM_WEIGHTS, "")).toBe("");
  expect(r.code).toBe(0);
}

const RUNS = {
  ids: ["--format", "ids", ...CUT],
  elasticsearch: ["--format", "elasticsearch", "--field", "splade", ...CUT],
  elasticsearchIndex: ["--format", "elasticsearch", "--field", "splade", "--index", "passages", ...CUT],
  opensearch: ["--format", "opensearch", "--field", "splade", ...CUT],
  qdrant: ["--format", "qdrant", "--field", "splade", ...CUT],
  pinecone: ["--format", "pinecone", "--top-k", String(PINECONE_TOP_K), ...CUT],
  pineconeUnicode: ["--format", "pinecone", "--top-k", String(PINECONE_TOP_K), "--on-error", "skip", ...CUT],
  vespa: ["--format", "vespa", "--field", "splade", "--doctype", "passage", ...CUT],
  pgvector: ["--format", "pgvector", ...CUT],
  milvus: ["--format", "milvus", "--field", "sparse", ...CUT],
} as const;
type Run = keyof typeof RUNS;

const input = path("corpus.tsv");
const asciiInput = path("corpus-ascii.tsv");
const output = (run: string) => path(`out.${run}`);
let results: Record<Run, CliResult>;
let refusals: Record<"noField" | "pineconeIndex" | "pineconeDense" | "pineconeSkip", CliResult>;
let termIds: (term: string) => number;
let ids: ParsedVector[];

const encode = (args: string[], from = input) => runScript(CLI, [from, ...args, ...BASE]);
const inputOf = (run: Run) => (run === "pinecone" ? asciiInput : input);
const read = (run: string) => readFileSync(output(run), "utf8");

beforeAll(async () => {
  writeFileSync(input, corpusTsv(IDS));
  writeFileSync(asciiInput, corpusTsv(ASCII_IDS));
  const vocab = (JSON.parse(readFileSync(join(MODEL, "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number> } }).model.vocab;
  // Elasticsearch's "." → "__" is undone by "__" → ".", exact while no vocabulary entry holds "__" itself.
  expect(Object.keys(vocab).filter((t) => t.includes("__"))).toEqual([]);
  termIds = vocabularyIds(new Map(Object.entries(vocab)));
  // Every run at once: they are processes, so they overlap.
  const [formatRuns, refused] = await Promise.all([
    Promise.all((Object.keys(RUNS) as Run[]).map((run) => encode(["--output", output(run), ...RUNS[run]], inputOf(run)))),
    Promise.all([
      encode(["--output", output("no-field"), "--format", "elasticsearch"]),
      encode(["--output", output("pinecone-index"), "--format", "pinecone", "--index", "x"]),
      // No --top-k and no --min-weight: the generated model leaves ~30,000 non-zero terms per document.
      encode(["--output", output("pinecone-dense"), "--format", "pinecone"], asciiInput),
      encode(["--output", output("pinecone-skip"), "--format", "pinecone", "--on-error", "skip", "--json"], asciiInput),
    ]),
  ]);
  results = Object.fromEntries((Object.keys(RUNS) as Run[]).map((run, i) => [run, formatRuns[i]])) as Record<Run, CliResult>;
  refusals = { noField: refused[0], pineconeIndex: refused[1], pineconeDense: refused[2], pineconeSkip: refused[3] };
  ids = parseIdsDocuments(read("ids"));
});

describe("encode-corpus engine formats read back as the ids run", () => {
  it("every run succeeds, and the ids run holds every document in input order", () => {
    for (const run of Object.keys(RUNS) as Run[]) expectOk(results[run]);
    expect(ids.map((d) => d.id)).toEqual(IDS);
    expect(ids.every((d) => d.vector.indices.length > 0)).toBe(true);
  });

  it('elasticsearch: _bulk pairs, "." as "__", the same vectors; --index puts _index first on every action line', () => {
    const plain = parseBulkDocuments(read("elasticsearch"), { field: "splade", termIds: elasticsearchTermIds(termIds) });
    expect(comparable(plain)).toEqual(comparable(ids));
    expect(plain.every((d) => d.index === undefined)).toBe(true);
    const indexed = parseBulkDocuments(read("elasticsearchIndex"), { field: "splade", termIds: elasticsearchTermIds(termIds) });
    expect(comparable(indexed)).toEqual(comparable(ids));
    expect(fileLines(read("elasticsearchIndex")).filter((_, i) => i % 2 === 0)).toEqual(
      IDS.map((id) => JSON.stringify({ index: { _index: "passages", _id: id } })),
    );
    expect(read("elasticsearch").includes('"."')).toBe(false);
  });

  it("opensearch: _bulk pairs in the vocabulary's spelling, the same vectors", () => {
    expect(comparable(parseBulkDocuments(read("opensearch"), { field: "splade", termIds }))).toEqual(comparable(ids));
  });

  it("qdrant: points whose payload doc_id is the id; integer, UUID or UUID v5 point ids", () => {
    const points = parseQdrantDocuments(read("qdrant"), { field: "splade" });
    expect(comparable(points)).toEqual(comparable(ids));
    // An uppercase UUID is not kept as it is: Qdrant would store it lowercased, where it could meet its twin.
    const expected = (id: string) => (id === "7" ? 7 : id === "0" ? 0 : uuidV5(id, POINT_ID_NAMESPACE));
    expect(points.map((p) => p.pointId)).toEqual(IDS.map(expected));
  });

  it(`pinecone --top-k ${PINECONE_TOP_K}: records holding the ids run's ${PINECONE_TOP_K} heaviest terms`, () => {
    const records = parsePineconeDocuments(read("pinecone"));
    // The ids run is weight-descending with ties by token id, the order --top-k cuts in.
    const heaviest = ids.map((d, i) => ({
      id: ASCII_IDS[i],
      vector: { indices: d.vector.indices.slice(0, PINECONE_TOP_K), values: d.vector.values.slice(0, PINECONE_TOP_K) },
    }));
    expect(comparable(records)).toEqual(comparable(heaviest));
    expect(records.some((r) => r.vector.indices.length === PINECONE_TOP_K)).toBe(true);
  });

  it("pinecone: an id that is not ASCII is a line Pinecone would refuse, skipped with --on-error skip; the rest is written", () => {
    const records = parsePineconeDocuments(read("pineconeUnicode"));
    expect(records.map((r) => r.id)).toEqual(IDS.filter((id) => id !== "doc with space — ü"));
    expect(records.map((r) => r.id)).toEqual(
      parsePineconeDocuments(read("pinecone"))
        .map((r) => r.id)
        .filter((id) => id !== "doc with space - u"),
    );
  });

  it("vespa: puts id:passage:passage::ID (the namespace defaults to the document type), the same vectors", () => {
    const docs = parseVespaDocuments(read("vespa"), { field: "splade", termIds });
    expect(comparable(docs)).toEqual(comparable(ids));
    expect(docs.every((d) => d.namespace === "passage" && d.doctype === "passage")).toBe(true);
  });

  it("pgvector: COPY rows with the backslash escaped and 1-based ascending sparsevec indices, the same vectors", () => {
    expect(comparable(parsePgvectorDocuments(read("pgvector"), { dimensions: DIMENSIONS }))).toEqual(comparable(ids));
    expect(fileLines(read("pgvector"))[3].startsWith("back\\\\slash\t{")).toBe(true);
  });

  it("milvus: insert rows {id, sparse: {token_id: weight}}, the same vectors", () => {
    expect(comparable(parseMilvusDocuments(read("milvus"), { field: "sparse" }))).toEqual(comparable(ids));
  });
});

describe("encode-corpus engine format refusals", () => {
  it("exit 2 naming the option: elasticsearch without --field, pinecone with --index; nothing is written", () => {
    expect(refusals.noField.code).toBe(2);
    expect(refusals.noField.stderr).toContain('format "elasticsearch" requires the --field option for documents');
    expect(existsSync(output("no-field"))).toBe(false);
    expect(refusals.pineconeIndex.code).toBe(2);
    expect(refusals.pineconeIndex.stderr).toContain('format "pinecone" takes no --index option for documents');
    expect(existsSync(output("pinecone-index"))).toBe(false);
  });

  it("pinecone without --top-k on the dense model: exit 65 naming file:line, the document and --top-k 1000", () => {
    const r = refusals.pineconeDense;
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(
      new RegExp(
        `${asciiInput.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1: document "7" has \\d+ non-zero terms; Pinecone takes at most 1000 per sparse vector — keep the heaviest with top_k 1000 \\(encode-corpus: --top-k 1000\\)`,
      ),
    );
    expect(r.stderr).toContain("--on-error skip");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("with --on-error skip: every document is skipped and counted, with its line and reason", () => {
    const r = refusals.pineconeSkip;
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { documents: number; skipped: number; skipped_lines: Array<{ line: number; reason: string }> };
    expect(summary.documents).toBe(0);
    expect(summary.skipped).toBe(IDS.length);
    expect(summary.skipped_lines.map((s) => s.line)).toEqual(IDS.map((_, i) => i + 1));
    summary.skipped_lines.forEach((s, i) =>
      expect(s.reason).toMatch(
        new RegExp(`^document ${JSON.stringify(ASCII_IDS[i]).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} has \\d+ non-zero terms; Pinecone takes at most 1000`),
      ),
    );
    expect(read("pinecone-skip")).toBe("");
  });
});
