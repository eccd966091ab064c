// Both sides of every engine format that cannot run here (Elasticsearch, OpenSearch, Qdrant, Pinecone, Vespa, Milvus,
// and the Anserini / PISA / pgvector text shapes), on a fixed hand-made corpus:
//
//   1. golden files: every document rendered with renderDocument, and the two queries rendered as one batch with
//      renderQueries, equal test/fixtures/formats/<golden> byte for byte;
//   2. the engine's documented shape, field by field (each describe names the documentation page it follows);
//   3. every output read back into {id → indices, values} by test/support/engine-parsers.ts (names → ids through the
//      vocabulary, the engine's term rule undone, pgvector's +1 undone, Qdrant's payload doc_id) equals the `ids`
//      format's output for the same items (quantized like the format: `ids` with {quantize: 100} for Anserini/PISA).
//
// Regenerating the golden files: `UPDATE_GOLDEN=1 npx vitest run --config test/vitest.config.ts
// test/encoder/engine-formats.test.ts` writes them instead of comparing. Read every changed file by hand against the
// engine's documented shape (the checks below say which) before committing it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { v5 as uuidV5 } from "uuid";
import { describe, expect, it } from "vitest";
import type { EncodedText } from "../../src/encoder/encoder.ts";
import {
  DOCUMENT_FORMAT_NAMES,
  FORMATS,
  FormatError,
  idProblem,
  optionProblems,
  QUERY_FORMAT_NAMES,
  renderDocument,
  renderQueries,
  type FormatContext,
  type FormatItem,
  type FormatName,
  type FormatOptions,
} from "../../src/encoder/formats/index.ts";
import { POINT_ID_NAMESPACE } from "../../src/encoder/formats/qdrant.ts";
import {
  comparable,
  copyTextValue,
  elasticsearchTermIds,
  fileLines,
  pairs,
  parseAnseriniDocuments,
  parseAnseriniQueries,
  parseBulkDocuments,
  parseElasticsearchQueries,
  parseIdsDocuments,
  parseIdsQueries,
  parseJsonlDocuments,
  parseMilvusDocuments,
  parseMilvusQueries,
  parseOpensearchQueries,
  parsePgvectorDocuments,
  parsePgvectorQueries,
  parsePineconeDocuments,
  parsePineconeQueries,
  parsePisaQueries,
  parsePretokenizedDocuments,
  parseQdrantDocuments,
  parseQdrantQueries,
  parseSparsevec,
  parseTermsQueries,
  parseVespaDocuments,
  parseVespaQueries,
  ShapeError,
  vocabularyIds,
  type ParsedVector,
  type Sparse,
} from "../support/engine-parsers.ts";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/formats");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const DIMENSIONS = 30522;

// bert-base-uncased ids: the three entries that hold a dot, an integer-like term (JSON.stringify would hoist it), a
// "##" continuation, the first and last ids (pgvector's 1 and 30522), and naver/splade's empty-vector filler.
const VOCAB = new Map<number, string>([
  [0, "[PAD]"],
  [998, "[unused993]"],
  [1012, "."],
  [2015, "##s"],
  [2075, "##ing"],
  [2133, "..."],
  [2417, "red"],
  [4153, "ocean"],
  [4774, "planet"],
  [7733, "mars"],
  [10476, "2019"],
  [11691, "venus"],
  [29625, "##."],
  [30521, "##～"],
]);
const termIds = vocabularyIds(new Map([...VOCAB].map(([id, term]) => [term, id])));
const esTermIds = elasticsearchTermIds(termIds);
const ctx: FormatContext = {
  model: "splade-test",
  vocabSize: DIMENSIONS,
  token(id) {
    const term = VOCAB.get(id);
    if (term === undefined) throw new Error(`token ${id} is not in the test vocabulary`);
    return term;
  },
};

/** A vector as the encoder gives it: float32 weights, heaviest first. */
function vec(entries: Array<[number, number]>, tokens = 12, truncated = false): EncodedText {
  return { indices: entries.map(([id]) => id), values: entries.map(([, w]) => Math.fround(w)), tokens, truncated };
}

const SPACE_ID = "doc 2 — café ☕";
const UUID_ID = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";
const LONG_ID = "urn:msmarco:passage:8841823/section-0003/paragraph-0017/sentence-0042::revision-2";

const DOCS: FormatItem[] = [
  {
    id: "7",
    text: "Mars is the red planet... In 2019.",
    // 62.5 ties to 62; float32(0.025) × 100 is 2.5 in float32, ties to 2; 0.4 quantizes away.
    vector: vec([
      [2417, 2.83],
      [1012, 1.5],
      [10476, 0.625],
      [2133, 0.4],
      [29625, 0.025],
      [2075, 0.004],
    ]),
  },
  {
    id: SPACE_ID,
    text: "Planets, a café and the ocean",
    vector: vec([
      [4774, 1.75],
      [0, 0.5],
      [30521, 0.3125],
      [2075, 0.125],
    ]),
  },
  {
    id: UUID_ID,
    text: "Mars and Venus.",
    vector: vec([
      [7733, 3.5],
      [29625, 1.125],
      [1012, 0.75],
      [11691, 0.0625],
    ]),
  },
  {
    id: LONG_ID,
    text: "Oceans in 2019 ...",
    vector: vec(
      [
        [4153, 2.25],
        [10476, 1],
        [2133, 0.875],
        [2015, 0.05],
      ],
      256,
      true,
    ),
  },
  { id: "empty", text: "", vector: vec([], 2) },
];

const QUERIES: FormatItem[] = [
  {
    id: "1048585",
    vector: vec(
      [
        [2417, 2.1],
        [1012, 0.9],
        [10476, 0.35],
        [29625, 0.015],
      ],
      7,
    ),
  },
  {
    id: "2",
    vector: vec(
      [
        [2133, 1.25],
        [4774, 1],
        [2075, 0.045],
        [30521, 0.0049],
      ],
      32,
      true,
    ),
  },
];

interface Case {
  golden: string;
  format: FormatName;
  options: FormatOptions;
}

/** Document sides; `refused`: the ids this engine cannot take (the rest are written). */
const DOCUMENT_CASES: Array<Case & { refused: string[] }> = [
  { golden: "ids.documents.jsonl", format: "ids", options: {}, refused: [] },
  { golden: "jsonl.documents.jsonl", format: "jsonl", options: {}, refused: [] },
  { golden: "elasticsearch.documents.ndjson", format: "elasticsearch", options: { field: "splade" }, refused: [] },
  { golden: "elasticsearch.index.documents.ndjson", format: "elasticsearch", options: { field: "splade", index: "passages" }, refused: [] },
  { golden: "opensearch.documents.ndjson", format: "opensearch", options: { field: "splade" }, refused: [] },
  { golden: "opensearch.index.documents.ndjson", format: "opensearch", options: { field: "splade", index: "passages" }, refused: [] },
  { golden: "qdrant.documents.jsonl", format: "qdrant", options: { field: "splade" }, refused: [] },
  { golden: "pinecone.documents.jsonl", format: "pinecone", options: {}, refused: [SPACE_ID, "empty"] },
  { golden: "vespa.documents.jsonl", format: "vespa", options: { field: "splade", doctype: "passage" }, refused: [] },
  { golden: "vespa.namespace.documents.jsonl", format: "vespa", options: { field: "splade", doctype: "passage", namespace: "msmarco" }, refused: [] },
  { golden: "pgvector.documents.tsv", format: "pgvector", options: {}, refused: [] },
  { golden: "milvus.documents.jsonl", format: "milvus", options: { field: "sparse" }, refused: ["empty"] },
  { golden: "anserini.documents.jsonl", format: "anserini", options: {}, refused: [SPACE_ID] },
  { golden: "pisa.documents.jsonl", format: "pisa", options: {}, refused: [SPACE_ID] },
  { golden: "pretokenized.documents.jsonl", format: "pretokenized", options: {}, refused: [SPACE_ID] },
];

const QUERY_CASES: Case[] = [
  { golden: "terms.queries.json", format: "terms", options: {} },
  { golden: "ids.queries.json", format: "ids", options: {} },
  { golden: "elasticsearch.queries.json", format: "elasticsearch", options: { field: "splade" } },
  { golden: "opensearch.queries.json", format: "opensearch", options: { field: "splade" } },
  { golden: "qdrant.queries.json", format: "qdrant", options: { field: "splade" } },
  { golden: "pinecone.queries.json", format: "pinecone", options: {} },
  { golden: "vespa.queries.json", format: "vespa", options: {} },
  { golden: "vespa.field.queries.json", format: "vespa", options: { field: "q_tokens" } },
  { golden: "pgvector.queries.txt", format: "pgvector", options: {} },
  { golden: "milvus.queries.json", format: "milvus", options: { field: "sparse" } },
  { golden: "anserini.queries.tsv", format: "anserini", options: {} },
  { golden: "pisa.queries.txt", format: "pisa", options: {} },
];

const DOCUMENT_PARSERS: Record<string, (text: string, options: FormatOptions) => ParsedVector[]> = {
  ids: (t) => parseIdsDocuments(t),
  jsonl: (t) => parseJsonlDocuments(t, termIds),
  elasticsearch: (t, o) => parseBulkDocuments(t, { field: o.field as string, termIds: esTermIds }),
  opensearch: (t, o) => parseBulkDocuments(t, { field: o.field as string, termIds }),
  qdrant: (t, o) => parseQdrantDocuments(t, { field: o.field as string }),
  pinecone: (t) => parsePineconeDocuments(t),
  vespa: (t, o) => parseVespaDocuments(t, { field: o.field as string, termIds }),
  pgvector: (t) => parsePgvectorDocuments(t, { dimensions: DIMENSIONS }),
  milvus: (t, o) => parseMilvusDocuments(t, { field: o.field as string }),
  anserini: (t) => parseAnseriniDocuments(t, termIds),
  pisa: (t) => parsePretokenizedDocuments(t, termIds),
  pretokenized: (t) => parsePretokenizedDocuments(t, termIds),
};

const QUERY_PARSERS: Record<string, (body: string, options: FormatOptions) => Sparse[]> = {
  terms: (b) => parseTermsQueries(b, termIds),
  ids: (b) => parseIdsQueries(b),
  elasticsearch: (b, o) => parseElasticsearchQueries(b, { field: o.field as string, termIds: esTermIds }),
  opensearch: (b, o) => parseOpensearchQueries(b, { field: o.field as string, termIds }),
  qdrant: (b, o) => parseQdrantQueries(b, { field: o.field as string }),
  pinecone: (b) => parsePineconeQueries(b),
  vespa: (b, o) => parseVespaQueries(b, { field: o.field, termIds }),
  pgvector: (b) => parsePgvectorQueries(b, { dimensions: DIMENSIONS }),
  milvus: (b, o) => parseMilvusQueries(b, { field: o.field as string }),
  anserini: (b) => parseAnseriniQueries(b, termIds).map((q) => q.vector),
  pisa: (b) => parsePisaQueries(b, termIds).map((q) => q.vector),
};

/** The documents a case writes (as encode-corpus writes them: one newline after each) and those it refuses, with why. */
function renderCorpus(c: Case, items: readonly FormatItem[] = DOCS): { text: string; refused: Map<string, string> } {
  const format = FORMATS[c.format];
  expect(optionProblems(format, "document", c.options)).toEqual([]);
  const refused = new Map<string, string>();
  let text = "";
  for (const item of items) {
    const problem = idProblem(format, "document", item.id);
    if (problem !== undefined) {
      refused.set(item.id, problem);
      continue;
    }
    try {
      text += `${renderDocument(format, item, ctx, c.options).text}\n`;
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      refused.set(item.id, error.message);
    }
  }
  return { text, refused };
}

function renderQueryBatch(c: Case, items: readonly FormatItem[] = QUERIES): string {
  return renderQueries(FORMATS[c.format], items, ctx, c.options, false).body;
}

function golden(name: string, actual: string): void {
  const file = join(FIXTURES, name);
  if (UPDATE) {
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`${file} is missing: UPDATE_GOLDEN=1 writes it (then read it before committing)`);
  expect(readFileSync(file, "utf8"), name).toBe(actual);
}

const FILLER: Sparse = { indices: [998], values: [1] };

/** What a format must hold for these items: `ids` (quantized as the format quantizes), the filler for an empty one. */
function expectedFromIds(format: FormatName, vectors: Sparse[]): Sparse[] {
  return vectors.map((v) => (v.indices.length === 0 && FORMATS[format].empty === "filler" ? FILLER : v));
}

function idsDocuments(items: readonly FormatItem[], quantize?: number): ParsedVector[] {
  return parseIdsDocuments(items.map((item) => `${renderDocument(FORMATS.ids, item, ctx, quantize === undefined ? {} : { quantize }).text}\n`).join(""));
}

function idsQueries(items: readonly FormatItem[], quantize?: number): Sparse[] {
  return parseIdsQueries(renderQueries(FORMATS.ids, items, ctx, quantize === undefined ? {} : { quantize }, false).body);
}

function documentsOf(c: Case): ParsedVector[] {
  return DOCUMENT_PARSERS[c.format](renderCorpus(c).text, c.options);
}

function caseOf<T extends Case>(cases: readonly T[], golden: string): T {
  return cases.find((c) => c.golden === golden) as T;
}

const byId = (docs: readonly ParsedVector[]) => new Map(docs.map((d) => [d.id, d]));

describe("golden files", () => {
  it("cover every document side and every query side", () => {
    expect([...new Set(DOCUMENT_CASES.map((c) => c.format))].sort()).toEqual([...DOCUMENT_FORMAT_NAMES].sort());
    expect([...new Set(QUERY_CASES.map((c) => c.format))].sort()).toEqual([...QUERY_FORMAT_NAMES].sort());
  });

  it.each(DOCUMENT_CASES)("documents: $golden", (c) => {
    const { text, refused } = renderCorpus(c);
    expect([...refused.keys()]).toEqual(c.refused);
    golden(c.golden, text);
  });

  it.each(QUERY_CASES)("queries: $golden", (c) => {
    golden(c.golden, renderQueryBatch(c));
  });
});

describe("every format reads back as the ids format's vectors", () => {
  it('the test vocabulary holds no "__", so Elasticsearch\'s rule is undone exactly', () => {
    expect([...VOCAB.values()].filter((t) => t.includes("__"))).toEqual([]);
  });

  it.each(DOCUMENT_CASES)("documents: $golden", (c) => {
    const format = FORMATS[c.format];
    const kept = DOCS.filter((d) => !c.refused.includes(d.id));
    const ids = idsDocuments(kept, format.defaultQuantize);
    const expected = ids.map((d) => ({ id: d.id, vector: expectedFromIds(c.format, [d.vector])[0] }));
    expect(comparable(documentsOf(c))).toEqual(comparable(expected));
  });

  it.each(QUERY_CASES)("queries: $golden", (c) => {
    const format = FORMATS[c.format];
    const expected = expectedFromIds(c.format, idsQueries(QUERIES, format.defaultQuantize));
    expect(QUERY_PARSERS[c.format](renderQueryBatch(c), c.options).map(pairs)).toEqual(expected.map(pairs));
  });

  it("quantized formats really are quantized: Anserini holds ids × 100 rounded half-even, not the floats", () => {
    expect(pairs(byId(documentsOf(caseOf(DOCUMENT_CASES, "anserini.documents.jsonl"))).get("7")!.vector)).toEqual([
      [1012, 150],
      [2133, 40],
      [2417, 283],
      [10476, 62],
      [29625, 2],
    ]);
  });
});

// Elasticsearch 9.1 reference: "Bulk API" (docs-bulk: NDJSON, an action_and_meta_data line then the source line),
// "Sparse vector field type" (sparse-vector: strictly positive values; Lucene FeatureField refuses anything below the
// smallest normal float), "Sparse vector query" (query-dsl-sparse-vector-query: field, query_vector, prune).
// OpenSearch 2.19 documentation: "Bulk", "Rank features" field type, "Neural sparse query" (query_tokens).
describe("elasticsearch / opensearch", () => {
  const FLOAT32_MIN_NORMAL = 2 ** -126;

  it.each([
    ["elasticsearch", "elasticsearch.documents.ndjson", undefined],
    ["elasticsearch", "elasticsearch.index.documents.ndjson", "passages"],
    ["opensearch", "opensearch.documents.ndjson", undefined],
    ["opensearch", "opensearch.index.documents.ndjson", "passages"],
  ] as const)('%s _bulk: an action line exactly {"index":{["_index",]"_id"}} then {FIELD:{term: weight}} (%s)', (_name, file, index) => {
    const c = caseOf(DOCUMENT_CASES, file);
    const lines = fileLines(renderCorpus(c).text);
    expect(lines).toHaveLength(2 * DOCS.length);
    DOCS.forEach((doc, i) => {
      const action = index === undefined ? { index: { _id: doc.id } } : { index: { _index: index, _id: doc.id } };
      expect(lines[2 * i]).toBe(JSON.stringify(action));
      const source = JSON.parse(lines[2 * i + 1]) as Record<string, Record<string, number>>;
      expect(Object.keys(source)).toEqual(["splade"]);
      for (const w of Object.values(source.splade)) {
        expect(Number.isFinite(w) && w >= FLOAT32_MIN_NORMAL).toBe(true);
      }
    });
    expect(JSON.parse(lines[lines.length - 1])).toEqual({ splade: {} });
  });

  /** Every term name a side writes for the dotted vocabulary entries, by token id. */
  function dottedNames(names: string[]): string[] {
    return names.filter((n) => n.includes(".") || n.includes("__")).sort();
  }

  function documentNames(file: string): string[] {
    return fileLines(renderCorpus(caseOf(DOCUMENT_CASES, file)).text)
      .filter((_, i) => i % 2 === 1)
      .flatMap((line) => Object.keys((JSON.parse(line) as { splade: object }).splade));
  }

  it('elasticsearch writes "." as "__" on both sides (., ... and ##. → __, ______, ##__), never a dot', () => {
    expect(new Set(dottedNames(documentNames("elasticsearch.documents.ndjson")))).toEqual(new Set(["__", "______", "##__"]));
    const queries = JSON.parse(renderQueryBatch(caseOf(QUERY_CASES, "elasticsearch.queries.json"))) as Array<{
      query: { sparse_vector: { field: string; query_vector: Record<string, number>; prune: boolean } };
    }>;
    const queryNames = queries.flatMap((q) => Object.keys(q.query.sparse_vector.query_vector));
    expect(new Set(dottedNames(queryNames))).toEqual(new Set(["__", "______", "##__"]));
    expect([...documentNames("elasticsearch.documents.ndjson"), ...queryNames].filter((n) => n.includes("."))).toEqual([]);
  });

  it("elasticsearch queries: sparse_vector with field, query_vector and prune: false (exact dot product)", () => {
    const queries = JSON.parse(renderQueryBatch(caseOf(QUERY_CASES, "elasticsearch.queries.json"))) as Array<Record<string, unknown>>;
    expect(queries).toHaveLength(QUERIES.length);
    for (const q of queries) {
      expect(q).toEqual({ query: { sparse_vector: { field: "splade", query_vector: expect.any(Object), prune: false } } });
      expect(Object.keys((q.query as { sparse_vector: object }).sparse_vector)).toEqual(["field", "query_vector", "prune"]);
    }
  });

  it("opensearch refuses a query weight over 64 (Lucene FeatureField's linear query), so quantized queries need a small factor", () => {
    const c = caseOf(QUERY_CASES, "opensearch.queries.json");
    expect(() => renderQueries(FORMATS.opensearch, QUERIES, ctx, { ...c.options, quantize: 100 }, false)).toThrow(/^query "1048585" has a weight of 210; .*64/);
    expect(JSON.parse(renderQueries(FORMATS.opensearch, QUERIES, ctx, { ...c.options, quantize: 10 }, false).body)).toHaveLength(2);
    // documents are not capped: rank_features stores any positive normal float
    expect(renderCorpus({ ...caseOf(DOCUMENT_CASES, "opensearch.documents.ndjson"), options: { field: "splade", quantize: 100 } }).refused.size).toBe(0);
  });

  it('opensearch keeps the vocabulary\'s spelling on both sides: ".", "...", "##.", no "__"', () => {
    expect(new Set(dottedNames(documentNames("opensearch.documents.ndjson")))).toEqual(new Set([".", "...", "##."]));
    const queries = JSON.parse(renderQueryBatch(caseOf(QUERY_CASES, "opensearch.queries.json"))) as Array<{
      query: { neural_sparse: { splade: { query_tokens: Record<string, number> } } };
    }>;
    expect(new Set(dottedNames(queries.flatMap((q) => Object.keys(q.query.neural_sparse.splade.query_tokens))))).toEqual(new Set([".", "...", "##."]));
    for (const q of queries) expect(Object.keys(q)).toEqual(["query"]);
  });

  it('the integer-like term "2019" stays in weight order, not hoisted to the front as JSON.stringify would', () => {
    const source = fileLines(renderCorpus(caseOf(DOCUMENT_CASES, "elasticsearch.documents.ndjson")).text)[1];
    expect(source).toBe('{"splade":{"red":2.83,"__":1.5,"2019":0.625,"______":0.4,"##__":0.025,"##ing":0.004}}');
  });
});

// Qdrant documentation (v1.13): "Points" (point ids: 64-bit unsigned integers or UUIDs; upsert PUT
// /collections/{name}/points with {"points":[{"id","vector":{NAME: …},"payload"}]}), "Vectors" → "Sparse vectors"
// ({"indices","values"}, indices unique u32), "Query API" ({"query": sparse vector, "using": NAME}).
describe("qdrant", () => {
  const c = caseOf(DOCUMENT_CASES, "qdrant.documents.jsonl");
  const V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it("POINT_ID_NAMESPACE is uuid v5 of the project URL in the URL namespace, as qdrant.ts says", () => {
    expect(uuidV5.URL).toBe("6ba7b811-9dad-11d1-80b4-00c04fd430c8");
    expect(POINT_ID_NAMESPACE).toBe(uuidV5("https://github.com/splade-edge/splade-edge#qdrant-point-id", uuidV5.URL));
  });

  it('point ids: an unsigned integer for "7", a UUID v5 of the id otherwise (an uppercase UUID too: Qdrant would lowercase it); doc_id keeps the id', () => {
    const points = parseQdrantDocuments(renderCorpus(c).text, { field: "splade" });
    expect(points.map((p) => p.id)).toEqual(DOCS.map((d) => d.id));
    expect(points.map((p) => p.pointId)).toEqual([
      7,
      uuidV5(SPACE_ID, POINT_ID_NAMESPACE),
      uuidV5(UUID_ID, POINT_ID_NAMESPACE),
      uuidV5(LONG_ID, POINT_ID_NAMESPACE),
      uuidV5("empty", POINT_ID_NAMESPACE),
    ]);
    for (const p of points.slice(1)) expect(p.pointId).toMatch(V5);
    expect(fileLines(renderCorpus(c).text)[0]).toMatch(/^\{"id":7,"vector":\{"splade":\{"indices":\[/);
  });

  it("integers only where every JSON reader keeps them exact; everything else becomes a UUID v5", () => {
    const one = (id: string) => parseQdrantDocuments(renderCorpus(c, [{ id, vector: vec([[2417, 1]]) }]).text, { field: "splade" })[0].pointId;
    expect(one("0")).toBe(0);
    expect(one("9007199254740991")).toBe(9007199254740991);
    for (const id of ["007", "-1", "+7", "7 ", "1.0", "1e3", "9007199254740992", "18446744073709551615", "3f2504e04f8911d39a0c0305e82c3301"]) {
      expect(one(id), id).toBe(uuidV5(id, POINT_ID_NAMESPACE));
    }
    expect(one("3f2504e0-4f89-11d3-9a0c-0305e82c3301")).toBe("3f2504e0-4f89-11d3-9a0c-0305e82c3301");
  });

  it("is deterministic: two renders are the same bytes", () => {
    expect(renderCorpus(c).text).toBe(renderCorpus(c).text);
  });

  it("indices are unique u32 token ids with one value each; the empty vector is {indices: [], values: []}", () => {
    const points = parseQdrantDocuments(renderCorpus(c).text, { field: "splade" });
    for (const p of points) {
      expect(new Set(p.vector.indices).size).toBe(p.vector.indices.length);
      expect(p.vector.indices.every((i) => Number.isInteger(i) && i >= 0 && i < DIMENSIONS)).toBe(true);
    }
    expect(points[4].vector).toEqual({ indices: [], values: [] });
  });

  it("queries: {query: {indices, values}, using: FIELD}", () => {
    for (const q of JSON.parse(renderQueryBatch(caseOf(QUERY_CASES, "qdrant.queries.json"))) as object[]) {
      expect(Object.keys(q)).toEqual(["query", "using"]);
      expect(q).toMatchObject({ using: "splade" });
    }
  });
});

// Pinecone documentation (API 2025-04): "Upsert vectors" (REST: {"vectors":[{"id","sparseValues":{"indices","values"}}]}),
// "Query" (sparseVector), "Database limits" / sparse indexes: at most 1,000 non-zero values per sparse vector.
describe("pinecone", () => {
  const c = caseOf(DOCUMENT_CASES, "pinecone.documents.jsonl");
  const lenient: FormatContext = { ...ctx, token: (id) => VOCAB.get(id) ?? `[unused${id}]` };
  const wide = (n: number): EncodedText => vec(Array.from({ length: n }, (_, k): [number, number] => [1000 + k, 2 - k / 1024]));

  it("records: {id, sparseValues: {indices, values}}, no dense values", () => {
    for (const line of fileLines(renderCorpus(c).text)) {
      const record = JSON.parse(line) as object;
      expect(Object.keys(record)).toEqual(["id", "sparseValues"]);
    }
  });

  it("refuses an empty vector with a FormatError naming the document", () => {
    const empty = DOCS[4];
    expect(() => renderDocument(FORMATS.pinecone, empty, ctx, {})).toThrow(FormatError);
    expect(() => renderDocument(FORMATS.pinecone, empty, ctx, {})).toThrow(/^document "empty" has no terms left .*Pinecone.* refuses an empty sparse vector/);
    expect(() => renderQueries(FORMATS.pinecone, [{ id: "q0", vector: vec([]) }], ctx, {}, true)).toThrow(/^query "q0" has no terms left/);
  });

  it("takes 1000 non-zero terms and refuses 1001, naming the document and --top-k 1000", () => {
    const ok = renderDocument(FORMATS.pinecone, { id: "big", vector: wide(1000) }, lenient, {});
    expect(ok.terms).toBe(1000);
    expect(parsePineconeDocuments(`${ok.text}\n`)[0].vector.indices).toHaveLength(1000);
    const over = () => renderDocument(FORMATS.pinecone, { id: "big", vector: wide(1001) }, lenient, {});
    expect(over).toThrow(FormatError);
    expect(over).toThrow(
      'document "big" has 1001 non-zero terms; Pinecone takes at most 1000 per sparse vector — keep the heaviest with top_k 1000 (encode-corpus: --top-k 1000)',
    );
    expect(() => renderQueries(FORMATS.pinecone, [{ id: "q-big", vector: wide(1001) }], lenient, {}, true)).toThrow(/^query "q-big" has 1001 non-zero terms/);
    expect(JSON.parse(renderQueries(FORMATS.pinecone, [{ id: "q", vector: wide(1000) }], lenient, {}, true).body).sparseVector.indices).toHaveLength(1000);
  });

  it("queries: {sparseVector: {indices, values}}", () => {
    for (const q of JSON.parse(renderQueryBatch(caseOf(QUERY_CASES, "pinecone.queries.json"))) as object[]) expect(Object.keys(q)).toEqual(["sparseVector"]);
  });

  // Pinecone answers "Vector ID must be ASCII" for ids like "café" (pinecone-python-client
  // tests/integration/data/seed.py weird_invalid_ids, and its "must not contain null character" test).
  it("refuses ids Pinecone's upsert rejects: non-ASCII, NUL, over 512 characters", () => {
    expect(idProblem(FORMATS.pinecone, "document", SPACE_ID)).toMatch(/must be ASCII/);
    expect(idProblem(FORMATS.pinecone, "document", "a\u0000b")).toMatch(/must be ASCII \(and hold no NUL\)/);
    expect(idProblem(FORMATS.pinecone, "document", "x".repeat(513))).toMatch(/at most 512 characters/);
    expect(idProblem(FORMATS.pinecone, "document", "x".repeat(512))).toBeUndefined();
    expect(idProblem(FORMATS.pinecone, "document", "doc-1 ~!@#")).toBeUndefined();
  });
});

// Vespa documentation (Vespa 8): "Document JSON format" (put: {"put": ID, "fields": {…}}; a tensor with one mapped
// dimension in short form {label: value}), "Documents" → document ids (id:<namespace>:<document-type>::<user-specified>),
// "Query API reference" (input.query(NAME) with a tensor in short form).
describe("vespa", () => {
  it("put ids id:NS:TYPE::ID, the namespace defaulting to the document type; fields hold only the tensor field", () => {
    const plain = parseVespaDocuments(renderCorpus(caseOf(DOCUMENT_CASES, "vespa.documents.jsonl")).text, { field: "splade", termIds });
    expect(plain.map((d) => [d.namespace, d.doctype, d.id])).toEqual(DOCS.map((d) => ["passage", "passage", d.id]));
    const named = fileLines(renderCorpus(caseOf(DOCUMENT_CASES, "vespa.namespace.documents.jsonl")).text).map(
      (l) => JSON.parse(l) as { put: string; fields: object },
    );
    expect(named.map((d) => d.put)).toEqual(DOCS.map((d) => `id:msmarco:passage::${d.id}`));
    for (const d of named) expect(Object.keys(d)).toEqual(["put", "fields"]);
  });

  it("terms keep the vocabulary's spelling (a mapped tensor label takes any string)", () => {
    const line = fileLines(renderCorpus(caseOf(DOCUMENT_CASES, "vespa.documents.jsonl")).text)[0];
    expect(line).toBe('{"put":"id:passage:passage::7","fields":{"splade":{"red":2.83,".":1.5,"2019":0.625,"...":0.4,"##.":0.025,"##ing":0.004}}}');
  });

  it('document ids: any text character (spaces, unicode, "::", tab, newline), no other control character', () => {
    for (const id of [SPACE_ID, LONG_ID, "a\tb\nc"]) expect(idProblem(FORMATS.vespa, "document", id)).toBeUndefined();
    expect(idProblem(FORMATS.vespa, "document", "a\u0001b")).toMatch(/text characters/);
    expect(idProblem(FORMATS.vespa, "document", "")).toMatch(/non-empty/);
  });

  it('queries: {"input.query(q)": {term: weight}}, or the named input', () => {
    for (const q of JSON.parse(renderQueryBatch(caseOf(QUERY_CASES, "vespa.queries.json"))) as object[]) expect(Object.keys(q)).toEqual(["input.query(q)"]);
    for (const q of JSON.parse(renderQueryBatch(caseOf(QUERY_CASES, "vespa.field.queries.json"))) as object[])
      expect(Object.keys(q)).toEqual(["input.query(q_tokens)"]);
  });
});

// pgvector 0.8.1 README, "Sparse vectors": the text form {index:value,…}/dimensions with 1-based indices;
// PostgreSQL 17 documentation, COPY → "Text Format": backslash, tab, newline, carriage return escaped in a column.
describe("pgvector", () => {
  const c = caseOf(DOCUMENT_CASES, "pgvector.documents.tsv");

  it("rows ID<TAB>{i:w,…}/30522: 1-based, ascending, unique; token 0 is 1 and token 30521 is 30522", () => {
    const lines = fileLines(renderCorpus(c).text);
    for (const line of lines) expect(line).toMatch(/^[^\t]+\t\{([1-9][0-9]*:[^,{}:]+(,[1-9][0-9]*:[^,{}:]+)*)?\}\/30522$/);
    expect(lines[1]).toBe(`${SPACE_ID}\t{1:0.5,2076:0.125,4775:1.75,30522:0.3125}/30522`);
    expect(lines[4]).toBe("empty\t{}/30522");
    for (const d of parsePgvectorDocuments(renderCorpus(c).text, { dimensions: DIMENSIONS })) {
      expect(d.vector.indices).toEqual([...d.vector.indices].sort((a, b) => a - b));
    }
  });

  it("escapes a tab, newline, carriage return and backslash in an id as COPY text format needs", () => {
    const id = "tab\there\nnewline\rcr\\backslash \\N";
    const line = renderDocument(FORMATS.pgvector, { id, vector: vec([[2417, 1]]) }, ctx, {}).text;
    expect(line).toBe("tab\\there\\nnewline\\rcr\\\\backslash \\\\N\t{2418:1}/30522");
    expect(line.split("\t")).toHaveLength(2);
    expect(copyTextValue(line.split("\t")[0])).toBe(id);
  });

  it("queries are the bare literal, the same one the document side writes for that vector", () => {
    const lines = fileLines(renderQueryBatch(caseOf(QUERY_CASES, "pgvector.queries.txt")));
    expect(lines).toHaveLength(QUERIES.length);
    QUERIES.forEach((q, i) => {
      expect(lines[i]).not.toContain("\t");
      expect(renderDocument(FORMATS.pgvector, q, ctx, {}).text).toBe(`${q.id}\t${lines[i]}`);
      expect(parseSparsevec(lines[i], DIMENSIONS).indices.length).toBe(q.vector.indices.length);
    });
  });

  it("refuses more than sparsevec's 16,000 non-zeros", () => {
    const lenient: FormatContext = { ...ctx, token: () => "x" };
    const wide = (n: number) => vec(Array.from({ length: n }, (_, k): [number, number] => [k, 1]));
    expect(renderDocument(FORMATS.pgvector, { id: "w", vector: wide(16000) }, lenient, {}).terms).toBe(16000);
    expect(() => renderDocument(FORMATS.pgvector, { id: "w", vector: wide(16001) }, lenient, {})).toThrow(
      /^document "w" has 16001 non-zero terms; pgvector's sparsevec takes at most 16000/,
    );
  });
});

// Milvus 2.5 documentation: "Sparse Vector" (SPARSE_FLOAT_VECTOR rows as {dimension_index: value}), RESTful API v2
// "Insert" ({"data":[row, …]}, string keys accepted since milvus-io/milvus#33231) and "Search" ({"data":[vector],
// "annsField"}).
describe("milvus", () => {
  it('rows {"id": ID, FIELD: {"token_id": weight}} with the id a string (VARCHAR key) and decimal string keys', () => {
    const lines = fileLines(renderCorpus(caseOf(DOCUMENT_CASES, "milvus.documents.jsonl")).text);
    expect(lines[0]).toBe('{"id":"7","sparse":{"2417":2.83,"1012":1.5,"10476":0.625,"2133":0.4,"29625":0.025,"2075":0.004}}');
    for (const line of lines) {
      const row = JSON.parse(line) as { id: unknown; sparse: Record<string, number> };
      expect(Object.keys(row)).toEqual(["id", "sparse"]);
      expect(typeof row.id).toBe("string");
      for (const key of Object.keys(row.sparse)) expect(key).toMatch(/^(0|[1-9][0-9]*)$/);
    }
  });

  it("refuses an empty sparse vector on both sides, naming the item", () => {
    expect(renderCorpus(caseOf(DOCUMENT_CASES, "milvus.documents.jsonl")).refused.get("empty")).toMatch(
      /^document "empty" has no terms left .*Milvus.* refuses an empty sparse vector/,
    );
    expect(() => renderQueries(FORMATS.milvus, [{ id: "q0", vector: vec([]) }], ctx, { field: "sparse" }, true)).toThrow(/^query "q0" has no terms left/);
  });

  it("queries: {data: [{token_id: weight}], annsField: FIELD}", () => {
    const body = renderQueryBatch(caseOf(QUERY_CASES, "milvus.queries.json"));
    expect(body.startsWith('[{"data":[{"2417":2.1,"1012":0.9,')).toBe(true);
    for (const q of JSON.parse(body) as Array<{ data: object[] }>) {
      expect(Object.keys(q)).toEqual(["data", "annsField"]);
      expect(q.data).toHaveLength(1);
    }
  });
});

// Anserini docs/experiments-msmarco-passage-splade-pp.md (JsonVectorCollection, -impact -pretokenized), PISA docs
// "Parsing" / "Querying": what test/encoder/formats.test.ts does not check already, on this corpus.
describe("anserini / pisa / pretokenized", () => {
  it("refuse the id with a space on every side (it would split a TREC run line), and only that one", () => {
    for (const name of ["anserini", "pisa", "pretokenized"] as const) {
      expect(renderCorpus({ golden: "", format: name, options: {} }).refused.get(SPACE_ID)).toMatch(/^document "doc 2 — café ☕": .*whitespace/);
    }
  });

  it("JsonVectorCollection keeps the text as contents and gives the empty document the filler", () => {
    const docs = parseAnseriniDocuments(renderCorpus(caseOf(DOCUMENT_CASES, "anserini.documents.jsonl")).text, termIds);
    expect(docs.map((d) => [d.id, d.contents])).toEqual(DOCS.filter((d) => d.id !== SPACE_ID).map((d) => [d.id, d.text]));
    expect(docs.at(-1)?.vector).toEqual(FILLER);
  });

  it("pisa and pretokenized write the same lines: title = id, content = contents", () => {
    const pisa = renderCorpus(caseOf(DOCUMENT_CASES, "pisa.documents.jsonl")).text;
    expect(renderCorpus(caseOf(DOCUMENT_CASES, "pretokenized.documents.jsonl")).text).toBe(pisa);
    for (const d of parsePretokenizedDocuments(pisa, termIds)) {
      expect([d.title, d.content]).toEqual([d.id, JSON.parse(fileLines(pisa).find((l) => JSON.parse(l).id === d.id) as string).contents]);
    }
  });

  it("query lines carry the query ids: qid<TAB>… for Anserini, qid:… for PISA", () => {
    expect(parseAnseriniQueries(renderQueryBatch(caseOf(QUERY_CASES, "anserini.queries.tsv")), termIds).map((q) => q.id)).toEqual(["1048585", "2"]);
    expect(parsePisaQueries(renderQueryBatch(caseOf(QUERY_CASES, "pisa.queries.txt")), termIds).map((q) => q.id)).toEqual(["1048585", "2"]);
  });
});

describe("the read-back parsers are strict, so a parse that succeeds is a shape check", () => {
  it.each([
    ["a bulk action with another key", () => parseBulkDocuments('{"index":{"_id":"a","routing":"x"}}\n{"splade":{}}\n', { field: "splade", termIds })],
    ["_id before _index", () => parseBulkDocuments('{"index":{"_id":"a","_index":"p"}}\n{"splade":{}}\n', { field: "splade", termIds })],
    ["an action line without its source line", () => parseBulkDocuments('{"index":{"_id":"a"}}\n', { field: "splade", termIds })],
    ["a dot in an Elasticsearch name", () => parseBulkDocuments('{"index":{"_id":"a"}}\n{"splade":{".":1}}\n', { field: "splade", termIds: esTermIds })],
    ["a term outside the vocabulary", () => parseJsonlDocuments('{"id":"a","vector":{"zebra":1}}\n', termIds)],
    ["a point without its payload", () => parseQdrantDocuments('{"id":1,"vector":{"splade":{"indices":[1],"values":[1]}}}\n', { field: "splade" })],
    ["a repeated index", () => parsePineconeDocuments('{"id":"a","sparseValues":{"indices":[1,1],"values":[1,2]}}\n')],
    ["a negative index", () => parsePineconeDocuments('{"id":"a","sparseValues":{"indices":[-1],"values":[1]}}\n')],
    ["sparsevec indices out of order", () => parseSparsevec("{5:1,3:1}/30522", DIMENSIONS)],
    ["a 0-based sparsevec index", () => parseSparsevec("{0:1}/30522", DIMENSIONS)],
    ["a sparsevec index past the dimensions", () => parseSparsevec("{30523:1}/30522", DIMENSIONS)],
    ["other sparsevec dimensions", () => parseSparsevec("{1:1}/30000", DIMENSIONS)],
    ["a COPY row with a raw tab in the id", () => parsePgvectorDocuments("a\tb\t{1:1}/30522\n", { dimensions: DIMENSIONS })],
    ["a Milvus key that is not a canonical token id", () => parseMilvusDocuments('{"id":"a","sparse":{"01":1}}\n', { field: "sparse" })],
    ["a Vespa put that is not id:NS:TYPE::ID", () => parseVespaDocuments('{"put":"id:passage::7","fields":{"splade":{}}}\n', { field: "splade", termIds })],
    [
      "an Elasticsearch query that prunes",
      () =>
        parseElasticsearchQueries('[{"query":{"sparse_vector":{"field":"splade","query_vector":{},"prune":true}}}]', { field: "splade", termIds: esTermIds }),
    ],
    ["a file without its final newline", () => parseIdsDocuments('{"id":"a","indices":[],"values":[]}')],
  ])("refuses %s", (_what, parse) => {
    expect(parse).toThrow(ShapeError);
  });

  it("undoes COPY text escapes", () => {
    expect(copyTextValue("a\\tb\\\\c")).toBe("a\tb\\c");
    expect(() => copyTextValue("\\N")).toThrow(ShapeError);
  });
});
