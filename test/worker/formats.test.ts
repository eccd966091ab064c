// Every output format through HTTP, checked against the shape its engine documents (docs/facts.md, "The engines' wire formats"), and
// TEI's /embed_sparse request and response.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { roundHalfEven } from "../../src/encoder/formats/index.ts";
import type { Golden } from "./golden";
import { errorBody, get, post, postJson } from "./http";

const golden = JSON.parse(inject("goldenJson")) as Golden;
const QUERY = golden.queries[0].text;
const OTHER = golden.queries[1].text;
const TOP_K = 12;

interface TermsBody {
  model: string;
  tokens: number;
  truncated: boolean;
  terms: Record<string, number>;
}

interface IdsBody {
  indices: number[];
  values: number[];
}

async function encode(body: Record<string, unknown>): Promise<Response> {
  const response = await postJson("/encode", { top_k: TOP_K, ...body });
  expect(response.status).toBe(200);
  return response;
}

async function encodeJson<T>(body: Record<string, unknown>): Promise<T> {
  const response = await encode(body);
  expect(response.headers.get("content-type")).toBe("application/json");
  return response.json<T>();
}

/** The terms format's weights as [term, weight] in order (JSON.parse hoists integer-like keys, so read the raw text). */
function termWeights(text: string): Array<[string, number]> {
  const inner = /"terms":(\{.*\})\}$/.exec(text)?.[1] ?? "";
  return [...inner.matchAll(/"((?:[^"\\]|\\.)*)":([^,}]+)/g)].map((m) => [JSON.parse(`"${m[1]}"`) as string, Number(m[2])]);
}

describe("formats", () => {
  let terms: Array<[string, number]>;
  let ids: IdsBody;

  beforeAll(async () => {
    terms = termWeights(await (await encode({ query: QUERY })).text());
    ids = await encodeJson<IdsBody>({ query: QUERY, format: "ids" });
    expect(terms).toHaveLength(TOP_K);
  });

  it("terms: {model, tokens, truncated, terms}, heaviest first", async () => {
    const body = await encodeJson<TermsBody>({ query: QUERY, format: "terms" });
    expect(Object.keys(body)).toEqual(["model", "tokens", "truncated", "terms"]);
    expect(body).toMatchObject({ model: "query", tokens: 10, truncated: false });
    expect(terms.map(([, w]) => w)).toEqual(ids.values);
  });

  it("ids: {model, tokens, truncated, indices, values}", async () => {
    const body = await encodeJson<Record<string, unknown>>({ query: QUERY, format: "ids" });
    expect(Object.keys(body)).toEqual(["model", "tokens", "truncated", "indices", "values"]);
    expect(new Set(ids.indices).size).toBe(TOP_K);
  });

  it('elasticsearch: {"query":{"sparse_vector":{"field":F,"query_vector":{term: weight},"prune":false}}}', async () => {
    const body = await encodeJson<{ query: { sparse_vector: { field: string; query_vector: Record<string, number>; prune: boolean } } }>({
      query: QUERY,
      format: "elasticsearch",
      field: "ml.tokens",
    });
    expect(Object.keys(body)).toEqual(["query"]);
    expect(Object.keys(body.query)).toEqual(["sparse_vector"]);
    expect(Object.keys(body.query.sparse_vector)).toEqual(["field", "query_vector", "prune"]);
    expect(body.query.sparse_vector.field).toBe("ml.tokens");
    // Since 8.19 / 9.1 new sparse_vector fields prune query tokens by default: exact dot products need prune: false.
    expect(body.query.sparse_vector.prune).toBe(false);
    // rank_features rejects "." in names: written as "__", as ELSER does.
    expect(body.query.sparse_vector.query_vector).toEqual(Object.fromEntries(terms.map(([t, w]) => [t.replaceAll(".", "__"), w])));
    expect(Object.values(body.query.sparse_vector.query_vector).every((w) => w > 0)).toBe(true);
  });

  it('opensearch: {"query":{"neural_sparse":{F:{"query_tokens":{term: weight}}}}}', async () => {
    const body = await encodeJson<{ query: { neural_sparse: Record<string, { query_tokens: Record<string, number> }> } }>({
      query: QUERY,
      format: "opensearch",
      field: "passage_embedding",
    });
    expect(Object.keys(body)).toEqual(["query"]);
    expect(Object.keys(body.query)).toEqual(["neural_sparse"]);
    expect(Object.keys(body.query.neural_sparse)).toEqual(["passage_embedding"]);
    expect(Object.keys(body.query.neural_sparse.passage_embedding)).toEqual(["query_tokens"]);
    expect(body.query.neural_sparse.passage_embedding.query_tokens).toEqual(Object.fromEntries(terms));
  });

  it('qdrant: {"query":{"indices":[…],"values":[…]},"using":F}', async () => {
    const body = await encodeJson<{ query: IdsBody; using: string }>({ query: QUERY, format: "qdrant", field: "splade" });
    expect(Object.keys(body)).toEqual(["query", "using"]);
    expect(Object.keys(body.query)).toEqual(["indices", "values"]);
    expect(body).toEqual({ query: { indices: ids.indices, values: ids.values }, using: "splade" });
  });

  it('pinecone: {"sparseVector":{"indices":[…],"values":[…]}}', async () => {
    const body = await encodeJson<{ sparseVector: IdsBody }>({ query: QUERY, format: "pinecone" });
    expect(body).toEqual({ sparseVector: { indices: ids.indices, values: ids.values } });
  });

  it('vespa: {"input.query(q)":{term: weight}}, the tensor name from field', async () => {
    expect(await encodeJson({ query: QUERY, format: "vespa" })).toEqual({ "input.query(q)": Object.fromEntries(terms) });
    expect(Object.keys(await encodeJson<object>({ query: QUERY, format: "vespa", field: "qt" }))).toEqual(["input.query(qt)"]);
  });

  it("pgvector: one text line, the sparsevec literal {token_id+1:weight,…}/30522, indices ascending", async () => {
    const response = await encode({ query: QUERY, format: "pgvector" });
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const match = /^\{([^}]*)\}\/30522\n$/.exec(await response.text());
    expect(match).not.toBeNull();
    const pairs = (match?.[1] ?? "").split(",").map((pair) => pair.split(":").map(Number));
    const expected = ids.indices.map((id, k) => [id + 1, ids.values[k]]).sort((a, b) => a[0] - b[0]);
    expect(pairs).toEqual(expected);
  });

  it('milvus: {"data":[{token_id: weight}],"annsField":F}', async () => {
    const body = await encodeJson<{ data: Array<Record<string, number>>; annsField: string }>({ query: QUERY, format: "milvus", field: "sparse" });
    expect(Object.keys(body)).toEqual(["data", "annsField"]);
    expect(body.annsField).toBe("sparse");
    expect(body.data).toEqual([Object.fromEntries(ids.indices.map((id, k) => [String(id), ids.values[k]]))]);
  });

  it.each([
    { format: "anserini", separator: "\t" },
    { format: "pisa", separator: ":" },
  ])("$format: one text line, qid then each term repeated round(w × 100) times", async ({ format, separator }) => {
    const response = await encode({ query: QUERY, format });
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const text = await response.text();
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(2);
    const [qid, rest] = [text.slice(0, text.indexOf(separator)), text.slice(text.indexOf(separator) + 1, -1)];
    expect(qid).toBe("0");
    const counts = new Map<string, number>();
    for (const t of rest.split(" ")) counts.set(t, (counts.get(t) ?? 0) + 1);
    const expected = terms.map(([t, w]) => [t, roundHalfEven(Math.fround(w * 100))] as const).filter(([, n]) => n > 0);
    expect([...counts]).toEqual(expected);
  });

  it("anserini and pisa take a quantize factor and query ids, one line per query in order", async () => {
    const response = await encode({ queries: [QUERY, OTHER], ids: ["q1", 1048585], format: "anserini", quantize: 10, top_k: 3 });
    const lines = (await response.text()).split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(lines[0].split("\t")[0]).toBe("q1");
    expect(lines[1].split("\t")[0]).toBe("1048585");
    const pisa = await (await encode({ query: QUERY, id: "7", format: "pisa", quantize: 10, top_k: 3 })).text();
    expect(pisa.startsWith("7:")).toBe(true);
    expect(pisa.slice(2)).toBe(`${lines[0].split("\t")[1]}\n`);
  });

  it("writes integers in any format when quantize is given", async () => {
    const body = await encodeJson<{ query: IdsBody }>({ query: QUERY, format: "qdrant", field: "splade", quantize: 100 });
    expect(body.query.values).toEqual(ids.values.map((w) => roundHalfEven(Math.fround(w * 100))).filter((n) => n > 0));
  });

  it.each([
    { format: "terms" },
    { format: "ids" },
    { format: "elasticsearch", field: "f" },
    { format: "opensearch", field: "f" },
    { format: "qdrant", field: "f" },
    { format: "pinecone", top_k: TOP_K },
    { format: "vespa", field: "f" },
    { format: "milvus", field: "f" },
  ])("$format: a batch is a JSON array of the single answers, in order", async (options) => {
    const batch = await encodeJson<unknown[]>({ queries: [QUERY, OTHER], ...options });
    expect(batch).toEqual([await encodeJson({ query: QUERY, ...options }), await encodeJson({ query: OTHER, ...options })]);
  });
});

describe("TEI POST /embed_sparse", () => {
  type Sparse = Array<Array<{ index: number; value: number }>>;

  async function embed(body: unknown): Promise<Sparse> {
    const response = await postJson("/embed_sparse", body);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    return response.json<Sparse>();
  }

  function asPairs(body: IdsBody): Array<{ index: number; value: number }> {
    return body.indices.map((index, k) => ({ index, value: body.values[k] })).sort((a, b) => a.index - b.index);
  }

  it("answers a string with a list holding one vector of {index, value}, index ascending", async () => {
    const [vector, ...rest] = await embed({ inputs: OTHER });
    expect(rest).toEqual([]);
    expect(Object.keys(vector[0])).toEqual(["index", "value"]);
    const all = await (await postJson("/encode", { query: OTHER, format: "ids" })).json<IdsBody>();
    expect(vector).toEqual(asPairs(all));
  });

  it("answers a list with one vector per input, in order", async () => {
    const vectors = await embed({ inputs: [QUERY, OTHER], truncate: false });
    expect(vectors).toHaveLength(2);
    expect(vectors[1]).toEqual((await embed({ inputs: OTHER }))[0]);
    expect(vectors[0]).toEqual((await embed({ inputs: [QUERY] }))[0]);
  });

  it("truncates a long input when truncate is true, keeping [SEP], as /encode does", async () => {
    const long = golden.queries[7];
    const response = await postJson("/embed_sparse", { inputs: [long.text], truncate: true, truncation_direction: "Right" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-splade-tokens")).toBe("256");
    expect(response.headers.get("x-splade-truncated")).toBe("true");
    const all = await (await postJson("/encode", { query: long.text, format: "ids" })).json<IdsBody>();
    expect((await response.json<Sparse>())[0]).toEqual(asPairs(all));
  });

  it("refuses a long input without truncate with TEI v1.9.3's 422 Validation", async () => {
    for (const body of [{ inputs: golden.queries[7].text }, { inputs: [OTHER, golden.queries[7].text], truncate: false }]) {
      const response = await postJson("/embed_sparse", body);
      expect(response.status).toBe(422);
      expect(await errorBody(response)).toEqual({
        error: `Input validation error: \`inputs\` must have less than 256 tokens. Given: ${golden.queries[7].length}`,
        error_type: "Validation",
      });
    }
  });

  it("refuses an empty list with TEI v1.9.3's 400 Empty, an empty input and too many inputs with its 422 Validation", async () => {
    const cases: Array<[unknown, number, string, string]> = [
      [{ inputs: [] }, 400, "Empty", "`inputs` cannot be empty"],
      [{ inputs: "" }, 422, "Validation", "Input validation error: `inputs` cannot be empty"],
      [{ inputs: Array(65).fill("q") }, 422, "Validation", "batch size 65 > maximum allowed batch size 64"],
    ];
    for (const [body, status, type, error] of cases) {
      const response = await postJson("/embed_sparse", body);
      expect(response.status).toBe(status);
      expect(await errorBody(response)).toEqual({ error, error_type: type });
    }
  });

  it("answers malformed requests with 422 validation, 400 and 415 like /encode", async () => {
    const cases: Array<[Promise<Response>, number, string, RegExp]> = [
      [postJson("/embed_sparse", { inputs: 5 }), 422, "validation", /^inputs must be a string or a list of strings$/],
      [postJson("/embed_sparse", { inputs: "q", truncate: "yes" }), 422, "validation", /^truncate must be true or false$/],
      [postJson("/embed_sparse", { inputs: "q", truncation_direction: "Left" }), 422, "validation", /^truncation_direction "Left" is not supported/],
      [post("/embed_sparse", "{"), 400, "invalid_json", /not valid JSON/],
      [post("/embed_sparse", "inputs=q", "application/x-www-form-urlencoded"), 415, "unsupported_media_type", /application\/json/],
    ];
    for (const [request, status, type, message] of cases) {
      const response = await request;
      expect(response.status).toBe(status);
      const body = await errorBody(response);
      expect(body.error_type).toBe(type);
      expect(body.error).toMatch(message);
    }
  });

  it("is POST only", async () => {
    const response = await get("/embed_sparse");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });
});
