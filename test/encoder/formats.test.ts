// Every output format's exact wire shape for one small hand-made vector, plus the rounding, batching and option
// checks the Worker and the encode-corpus CLI rely on.
import { describe, expect, it } from "vitest";
import type { EncodedText } from "../../src/encoder/encoder.ts";
import {
  DOCUMENT_FORMAT_NAMES,
  elasticsearchTerm,
  FORMATS,
  idProblem,
  isDocumentFormatName,
  isQueryFormatName,
  optionProblems,
  QUERY_FORMAT_NAMES,
  quantize,
  renderQueries,
  roundHalfEven,
  teiSparse,
  type FormatContext,
  type FormatItem,
  type FormatName,
  type FormatOptions,
} from "../../src/encoder/formats/index.ts";

const VOCAB = new Map([
  [2417, "red"],
  [4774, "planet"],
  [10476, "2019"],
  [2075, "##ing"],
  [1012, "."],
]);
const ctx: FormatContext = { model: "splade-test", token: (id) => VOCAB.get(id) ?? `[${id}]`, vocabSize: 30522 };

// Weight-descending, as the encoder produces it. "2019" is integer-like: JSON.stringify would hoist it to the front.
const vector: EncodedText = {
  indices: [2417, 4774, 10476, 2075, 1012],
  values: [2.83, 1.5, 0.625, 0.015, 0.004],
  tokens: 9,
  truncated: false,
};
const item: FormatItem = { vector, id: "q1" };
const empty: FormatItem = { vector: { indices: [], values: [], tokens: 2, truncated: false }, id: "q2" };

function render(name: FormatName, options: FormatOptions = {}, items: FormatItem[] = [item], single = true) {
  return renderQueries(FORMATS[name], items, ctx, options, single);
}

const WEIGHTS = { red: 2.83, planet: 1.5, "2019": 0.625, "##ing": 0.015, ".": 0.004 };

describe("single item, exact output per format", () => {
  it("terms: model, token count, truncation and terms in weight order", () => {
    const { contentType, body } = render("terms");
    expect(contentType).toBe("application/json");
    expect(body).toBe('{"model":"splade-test","tokens":9,"truncated":false,' + '"terms":{"red":2.83,"planet":1.5,"2019":0.625,"##ing":0.015,".":0.004}}');
  });

  it("ids: token ids and weights", () => {
    expect(JSON.parse(render("ids").body)).toEqual({
      model: "splade-test",
      tokens: 9,
      truncated: false,
      indices: [2417, 4774, 10476, 2075, 1012],
      values: [2.83, 1.5, 0.625, 0.015, 0.004],
    });
  });

  it("elasticsearch: sparse_vector query, dots rewritten as ELSER does", () => {
    const { body } = render("elasticsearch", { field: "ml.tokens" });
    expect(JSON.parse(body)).toEqual({
      query: {
        sparse_vector: { field: "ml.tokens", query_vector: { red: 2.83, planet: 1.5, "2019": 0.625, "##ing": 0.015, __: 0.004 }, prune: false },
      },
    });
    expect(body).toContain('{"red":2.83,"planet":1.5,"2019":0.625,');
  });

  it("opensearch: neural_sparse query_tokens under the field", () => {
    expect(JSON.parse(render("opensearch", { field: "passage_embedding" }).body)).toEqual({
      query: { neural_sparse: { passage_embedding: { query_tokens: WEIGHTS } } },
    });
  });

  it("qdrant: query API sparse vector with using", () => {
    expect(JSON.parse(render("qdrant", { field: "text-sparse" }).body)).toEqual({
      query: { indices: [2417, 4774, 10476, 2075, 1012], values: [2.83, 1.5, 0.625, 0.015, 0.004] },
      using: "text-sparse",
    });
  });

  it("pinecone: REST / TypeScript SDK sparseVector", () => {
    expect(JSON.parse(render("pinecone").body)).toEqual({
      sparseVector: { indices: [2417, 4774, 10476, 2075, 1012], values: [2.83, 1.5, 0.625, 0.015, 0.004] },
    });
  });

  it("vespa: mapped-tensor short form under input.query(q), or the named input", () => {
    expect(JSON.parse(render("vespa").body)).toEqual({ "input.query(q)": WEIGHTS });
    expect(JSON.parse(render("vespa", { field: "q_tokens" }).body)).toEqual({ "input.query(q_tokens)": WEIGHTS });
  });

  it("anserini: qid<TAB> then each term repeated round-half-even(w × quantize) times", () => {
    const { contentType, body } = render("anserini", { quantize: 2 });
    expect(contentType).toBe("text/plain; charset=utf-8");
    // 5.66 → 6, 3 → 3, 1.25 → 1, 0.03 → 0, 0.008 → 0
    expect(body).toBe("q1\tred red red red red red planet planet planet 2019\n");
  });

  it("anserini: default factor 100, like naver/splade's exports", () => {
    const [qid, terms] = render("anserini").body.trimEnd().split("\t");
    expect(qid).toBe("q1");
    const counts = new Map<string, number>();
    for (const t of terms.split(" ")) counts.set(t, (counts.get(t) ?? 0) + 1);
    // 62.5 → 62 and 1.5 → 2 (ties to even); "." at 0.4 is dropped.
    expect([...counts]).toEqual([
      ["red", 283],
      ["planet", 150],
      ["2019", 62],
      ["##ing", 2],
    ]);
  });

  it("pisa: qid:terms with the same repetition", () => {
    expect(render("pisa", { quantize: 2 }).body).toBe("q1:red red red red red red planet planet planet 2019\n");
  });
});

describe("quantize on JSON formats", () => {
  it("replaces weights with integers and drops zeros", () => {
    expect(render("terms", { quantize: 100 }).body).toBe(
      '{"model":"splade-test","tokens":9,"truncated":false,"terms":{"red":283,"planet":150,"2019":62,"##ing":2}}',
    );
    expect(JSON.parse(render("qdrant", { field: "s", quantize: 10 }).body)).toEqual({
      query: { indices: [2417, 4774, 10476], values: [28, 15, 6] },
      using: "s",
    });
    expect(JSON.parse(render("elasticsearch", { field: "f", quantize: 1 }).body)).toEqual({
      query: { sparse_vector: { field: "f", query_vector: { red: 3, planet: 2, "2019": 1 }, prune: false } },
    });
  });
});

describe("a vector with no terms left", () => {
  it("text formats write naver/splade's filler term, never an empty query (Anserini's TSV reader throws on it)", () => {
    expect(render("anserini", {}, [empty]).body).toBe("q2\t[unused993]\n");
    expect(render("pisa", {}, [empty]).body).toBe("q2:[unused993]\n");
    // quantizing everything away counts as empty too
    expect(render("anserini", { quantize: 1 }, [{ ...item, vector: { ...vector, values: [0.4, 0.3, 0.2, 0.1, 0.004] } }]).body).toBe("q1\t[unused993]\n");
  });

  it("JSON formats render the engine's own empty query", () => {
    expect(JSON.parse(render("elasticsearch", { field: "f" }, [empty]).body)).toEqual({
      query: { sparse_vector: { field: "f", query_vector: {}, prune: false } },
    });
    expect(JSON.parse(render("qdrant", { field: "s" }, [empty]).body)).toEqual({ query: { indices: [], values: [] }, using: "s" });
    expect(JSON.parse(render("terms", {}, [empty]).body)).toEqual({ model: "splade-test", tokens: 2, truncated: false, terms: {} });
  });
});

describe("batches", () => {
  it("JSON formats return an array in item order", () => {
    const { body } = render("qdrant", { field: "s" }, [item, empty], false);
    expect(JSON.parse(body)).toEqual([
      { query: { indices: [2417, 4774, 10476, 2075, 1012], values: [2.83, 1.5, 0.625, 0.015, 0.004] }, using: "s" },
      { query: { indices: [], values: [] }, using: "s" },
    ]);
  });

  it("a batch of one is still an array", () => {
    expect(JSON.parse(render("ids", {}, [item], false).body)).toHaveLength(1);
  });

  it("text formats return one newline-terminated line per item", () => {
    expect(render("pisa", { quantize: 1 }, [item, empty], false).body).toBe("q1:red red red planet planet 2019\nq2:[unused993]\n");
  });
});

describe("option and id checks", () => {
  it("optionProblems names the required options not given, per side", () => {
    for (const name of ["elasticsearch", "opensearch", "qdrant", "milvus"] as const) {
      for (const role of ["query", "document"] as const) {
        expect(optionProblems(FORMATS[name], role, {})).toEqual([
          `format "${name}" requires the "field" option for ${role === "query" ? "queries" : "documents"}`,
        ]);
        expect(optionProblems(FORMATS[name], role, { field: "" })).toHaveLength(1);
        expect(optionProblems(FORMATS[name], role, { field: "f" })).toEqual([]);
      }
    }
    for (const name of ["terms", "ids", "pinecone", "vespa", "anserini", "pisa", "pgvector"] as const) {
      expect(optionProblems(FORMATS[name], "query", {})).toEqual([]);
    }
    expect(optionProblems(FORMATS.vespa, "document", { field: "splade" })).toEqual(['format "vespa" requires the "doctype" option for documents']);
    expect(optionProblems(FORMATS.elasticsearch, "document", {}, (n) => `--${n}`)).toEqual([
      'format "elasticsearch" requires the --field option for documents',
    ]);
  });

  it("optionProblems refuses an option the side would ignore, and a side the format lacks", () => {
    expect(optionProblems(FORMATS.terms, "query", { field: "f" })).toEqual(['format "terms" takes no "field" option for queries']);
    expect(optionProblems(FORMATS.elasticsearch, "query", { field: "f", index: "i" })).toEqual([
      'format "elasticsearch" takes no "index" option for queries (it takes "field")',
    ]);
    expect(optionProblems(FORMATS.jsonl, "query", {})).toEqual(['format "jsonl" has no query side']);
    expect(optionProblems(FORMATS.terms, "document", {})).toEqual(['format "terms" has no document side']);
    expect(optionProblems(FORMATS.ids, "query", { quantize: 10 })).toEqual([]);
  });

  it("idProblem refuses ids that would break a query line, naming the item", () => {
    expect(idProblem(FORMATS.anserini, "query", "1048585")).toBeUndefined();
    expect(idProblem(FORMATS.anserini, "query", "q:1")).toBeUndefined();
    expect(idProblem(FORMATS.anserini, "query", "q\t1")).toMatch(/^query "q\\t1": .*whitespace/);
    expect(idProblem(FORMATS.anserini, "query", "q 1")).toMatch(/whitespace/);
    expect(idProblem(FORMATS.pisa, "query", "q\n1")).toMatch(/whitespace/);
    expect(idProblem(FORMATS.pisa, "query", "q:1")).toMatch(/":"/);
    expect(idProblem(FORMATS.anserini, "query", "")).toMatch(/empty/);
    expect(idProblem(FORMATS.terms, "query", "any id\tat all")).toBeUndefined();
    // documents too: run files list document ids
    expect(idProblem(FORMATS.anserini, "document", "doc 1")).toMatch(/^document "doc 1": .*whitespace/);
    expect(idProblem(FORMATS.pretokenized, "document", "doc\t1")).toMatch(/whitespace/);
  });

  it("option values the engine would refuse", () => {
    expect(optionProblems(FORMATS.vespa, "query", { field: "q_tokens" })).toEqual([]);
    expect(optionProblems(FORMATS.vespa, "query", { field: "q)" })[0]).toMatch(/identifier/);
    expect(optionProblems(FORMATS.elasticsearch, "query", { field: "ml.tokens" })).toEqual([]);
    expect(optionProblems(FORMATS.elasticsearch, "document", { field: "f", index: "Passages" })[0]).toMatch(/not a valid index name/);
    expect(optionProblems(FORMATS.opensearch, "document", { field: "f", index: "_x" })[0]).toMatch(/not a valid index name/);
    expect(optionProblems(FORMATS.milvus, "document", { field: "id" })[0]).toMatch(/primary key/);
    expect(optionProblems(FORMATS.milvus, "query", { field: "sparse-vec" })[0]).toMatch(/letters, digits and _/);
    expect(optionProblems(FORMATS.vespa, "document", { field: "splade", doctype: "pass age" })[0]).toMatch(/document type/);
    expect(optionProblems(FORMATS.vespa, "document", { field: "splade", doctype: "passage", namespace: "a:b" })[0]).toMatch(/namespace/);
  });

  it("engine limits that only the vector shows: OpenSearch query weights ≤ 64, Milvus and Pinecone refuse empty vectors", () => {
    expect(JSON.parse(render("opensearch", { field: "f", quantize: 22 }).body).query.neural_sparse.f.query_tokens.red).toBe(62);
    expect(() => render("opensearch", { field: "f", quantize: 23 })).toThrow(
      'query "q1" has a weight of 65; OpenSearch\'s neural_sparse takes query weights up to 64 — use a smaller quantize factor',
    );
    expect(() => render("milvus", { field: "f" }, [empty])).toThrow(/^query "q2" has no terms left .* refuses an empty sparse vector/);
    expect(() => render("pinecone", {}, [empty])).toThrow(/^query "q2" has no terms left/);
  });

  it("Vespa document ids hold only text characters", () => {
    expect(idProblem(FORMATS.vespa, "document", "doc 1: ü/中")).toBeUndefined();
    expect(idProblem(FORMATS.vespa, "document", "a\u0001b")).toMatch(/text characters/);
    expect(idProblem(FORMATS.vespa, "document", "x\ud83d")).toMatch(/text characters/);
    expect(idProblem(FORMATS.vespa, "document", "")).toMatch(/non-empty/);
  });

  it("renderQueries throws on what the caller should have refused", () => {
    expect(() => render("elasticsearch")).toThrow('format "elasticsearch" requires the "field" option for queries');
    expect(() => render("vespa", { field: "a b" })).toThrow(/identifier/);
    expect(() => render("anserini", {}, [{ ...item, id: "q 1" }])).toThrow(/whitespace/);
    expect(() => render("terms", {}, [item, item], true)).toThrow(/exactly one item/);
    expect(() => render("jsonl")).toThrow(/no query side/);
  });

  it("names", () => {
    expect(QUERY_FORMAT_NAMES).toEqual([
      "terms",
      "ids",
      "elasticsearch",
      "opensearch",
      "qdrant",
      "pinecone",
      "vespa",
      "pgvector",
      "milvus",
      "anserini",
      "pisa",
    ]);
    expect(DOCUMENT_FORMAT_NAMES).toEqual([
      "ids",
      "jsonl",
      "elasticsearch",
      "opensearch",
      "qdrant",
      "pinecone",
      "vespa",
      "pgvector",
      "milvus",
      "anserini",
      "pisa",
      "pretokenized",
    ]);
    for (const name of Object.keys(FORMATS) as FormatName[]) expect(FORMATS[name].name).toBe(name);
    expect(isQueryFormatName("vespa")).toBe(true);
    expect(isQueryFormatName("jsonl")).toBe(false);
    expect(isDocumentFormatName("jsonl")).toBe(true);
    expect(isDocumentFormatName("terms")).toBe(false);
    expect(isQueryFormatName("toString")).toBe(false);
    expect(isQueryFormatName("tei")).toBe(false);
  });
});

describe("rounding", () => {
  it("roundHalfEven ties to even", () => {
    expect([0.5, 1.5, 2.5, 3.5, 62.5, 2.4, 2.6, -2.5, -1.5].map(roundHalfEven)).toEqual([0, 2, 2, 4, 62, 2, 3, -2, -2]);
  });

  it("quantize keeps order, drops results ≤ 0", () => {
    expect(quantize({ indices: [7, 8, 9, 10], values: [1.234, 0.004, 0.005, 0.006] }, 100)).toEqual({
      indices: [7, 10],
      values: [123, 1],
    });
  });

  it("quantize multiplies in float32 like naver/splade, so float32 weights tie where theirs do", () => {
    // float32(0.025) × 100 is 2.500000037… in double (→ 3) but exactly 2.5 in float32 (→ 2, numpy's answer).
    expect(quantize({ indices: [1], values: [Math.fround(0.025)] }, 100).values).toEqual([2]);
    expect(quantize({ indices: [1], values: [Math.fround(0.015)] }, 100).values).toEqual([2]);
  });

  it("float32 weights print as their shortest float32 decimal", () => {
    const f32 = { ...vector, values: vector.values.map(Math.fround) };
    expect(JSON.parse(render("ids", {}, [{ ...item, vector: f32 }]).body).values).toEqual([2.83, 1.5, 0.625, 0.015, 0.004]);
  });
});

describe("helpers", () => {
  it("elasticsearchTerm rewrites every dot", () => {
    expect(["red", ".", "...", "##.", "##ing"].map(elasticsearchTerm)).toEqual(["red", "__", "______", "##__", "##ing"]);
  });

  it("teiSparse lists {index, value} by index ascending", () => {
    expect(teiSparse({ indices: [4774, 1012, 2417], values: [1.5, 0.004, Math.fround(2.83)] })).toEqual([
      { index: 1012, value: 0.004 },
      { index: 2417, value: 2.83 },
      { index: 4774, value: 1.5 },
    ]);
  });
});
