// Reads every engine format back into token ids and weights, the way each engine reads it: names → ids through the
// vocabulary (undoing the engine's term rule), pgvector's 1-based indices, Qdrant's payload doc_id, COPY escapes,
// impacts written as repeated terms. Shared by test/encoder/engine-formats.test.ts (hand-made vectors) and
// test/cli/engine-formats.test.ts (the real CLI), which both compare the result with the `ids` format's output.
//
// The parsers are strict about shape: an unexpected key, a missing one, a key out of its documented order, a
// non-finite weight or an index out of range throws a ShapeError naming the line, so a parse that succeeds is
// already a check of the shape.

export interface Sparse {
  indices: number[];
  values: number[];
}

export interface ParsedVector {
  id: string;
  vector: Sparse;
}

/** A term as the format wrote it → its token id; throws on a name that is not in the vocabulary. */
export type TermIds = (term: string) => number;

export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShapeError";
  }
}

function fail(where: string, message: string): never {
  throw new ShapeError(`${where}: ${message}`);
}

/** A TermIds over a vocabulary map (term → id). */
export function vocabularyIds(vocabulary: ReadonlyMap<string, number>): TermIds {
  return (term) => {
    const id = vocabulary.get(term);
    if (id === undefined) throw new ShapeError(`${JSON.stringify(term)} is not a vocabulary term`);
    return id;
  };
}

/**
 * Undoes Elasticsearch's term rule ("." → "__"): a name with a dot was not written by it. Exact as long as no
 * vocabulary entry holds "__" itself (the tests check that for the vocabularies they use).
 */
export function elasticsearchTermIds(termIds: TermIds): TermIds {
  return (name) => {
    if (name.includes(".")) throw new ShapeError(`${JSON.stringify(name)}: Elasticsearch names hold no "." (it is written "__")`);
    return termIds(name.replaceAll("__", "."));
  };
}

/** The lines of a file the CLI wrote: each ends with "\n" (an empty file has none). */
export function fileLines(text: string): string[] {
  if (text === "") return [];
  if (!text.endsWith("\n")) fail("file", "does not end with a newline");
  return text.slice(0, -1).split("\n");
}

function json(line: string, where: string): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    return fail(where, `not JSON (${(error as Error).message})`);
  }
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(where, `expected an object, got ${JSON.stringify(value)}`);
  return value as Record<string, unknown>;
}

/** An object with exactly these keys, in this order (JSON.parse keeps the order of non-integer keys). */
function exact(value: unknown, keys: readonly string[], where: string): Record<string, unknown> {
  const o = object(value, where);
  const got = Object.keys(o);
  if (got.length !== keys.length || got.some((k, i) => k !== keys[i])) fail(where, `expected keys ${JSON.stringify(keys)}, got ${JSON.stringify(got)}`);
  return o;
}

function string(value: unknown, where: string): string {
  if (typeof value !== "string") fail(where, `expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function weight(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(where, `expected a finite number, got ${JSON.stringify(value)}`);
  return value;
}

function tokenId(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffffffff)
    fail(where, `expected a u32 index, got ${JSON.stringify(value)}`);
  return value;
}

function uniqueIndices(v: Sparse, where: string): Sparse {
  if (new Set(v.indices).size !== v.indices.length) fail(where, "repeated index");
  return v;
}

/** {term: weight} → ids, in the object's order. */
function termObject(value: unknown, termIds: TermIds, where: string): Sparse {
  const o = object(value, where);
  const v: Sparse = { indices: [], values: [] };
  for (const [term, w] of Object.entries(o)) {
    v.indices.push(termIds(term));
    v.values.push(weight(w, `${where} ${JSON.stringify(term)}`));
  }
  return uniqueIndices(v, where);
}

/** {"indices": [...], "values": [...]} (Qdrant, Pinecone). */
function arrays(value: unknown, where: string): Sparse {
  const o = exact(value, ["indices", "values"], where);
  if (!Array.isArray(o.indices) || !Array.isArray(o.values) || o.indices.length !== o.values.length)
    fail(where, "indices and values must be arrays of one length");
  return uniqueIndices(
    { indices: o.indices.map((i, k) => tokenId(i, `${where} indices[${k}]`)), values: o.values.map((w, k) => weight(w, `${where} values[${k}]`)) },
    where,
  );
}

/** Milvus's {"token_id": weight}: keys are canonical decimal strings. */
function idObject(value: unknown, where: string): Sparse {
  const o = object(value, where);
  const v: Sparse = { indices: [], values: [] };
  for (const [key, w] of Object.entries(o)) {
    if (!/^(0|[1-9][0-9]*)$/.test(key)) fail(where, `key ${JSON.stringify(key)} is not a token id`);
    v.indices.push(tokenId(Number(key), where));
    v.values.push(weight(w, `${where} ${key}`));
  }
  return uniqueIndices(v, where);
}

/** Terms repeated by their integer impact ("a a a b") → {id: count}, in first-seen order. */
function repeatedTerms(text: string, termIds: TermIds, where: string): Sparse {
  if (text === "" || text.split(" ").some((t) => t === "")) fail(where, `malformed term list ${JSON.stringify(text)}`);
  const counts = new Map<number, number>();
  for (const term of text.split(" ")) {
    const id = termIds(term);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return { indices: [...counts.keys()], values: [...counts.values()] };
}

function jsonLines(text: string): Array<{ value: unknown; where: string }> {
  return fileLines(text).map((line, i) => ({ value: json(line, `line ${i + 1}`), where: `line ${i + 1}` }));
}

function jsonArray(body: string): Array<{ value: unknown; where: string }> {
  const value = json(body, "body");
  if (!Array.isArray(value)) fail("body", "a batch is a JSON array");
  return value.map((v, i) => ({ value: v, where: `query ${i}` }));
}

// --- document sides ---------------------------------------------------------------------------------------------

/** ids: {"id","indices","values"}. */
export function parseIdsDocuments(text: string): ParsedVector[] {
  return jsonLines(text).map(({ value, where }) => {
    const o = exact(value, ["id", "indices", "values"], where);
    return { id: string(o.id, `${where} id`), vector: arrays({ indices: o.indices, values: o.values }, where) };
  });
}

/** jsonl: {"id","vector":{term: weight}}, the vocabulary's own spelling. */
export function parseJsonlDocuments(text: string, termIds: TermIds): ParsedVector[] {
  return jsonLines(text).map(({ value, where }) => {
    const o = exact(value, ["id", "vector"], where);
    return { id: string(o.id, `${where} id`), vector: termObject(o.vector, termIds, `${where} vector`) };
  });
}

/**
 * Elasticsearch / OpenSearch _bulk NDJSON: {"index":{"_id"}} (or {"index":{"_index","_id"}}) then {FIELD:{term: w}}.
 * Pass elasticsearchTermIds(…) for Elasticsearch, the plain vocabulary for OpenSearch.
 */
export function parseBulkDocuments(text: string, options: { field: string; termIds: TermIds }): Array<ParsedVector & { index?: string }> {
  const lines = fileLines(text);
  if (lines.length % 2 !== 0) fail("file", `a _bulk body is pairs of lines, got ${lines.length} lines`);
  const docs: Array<ParsedVector & { index?: string }> = [];
  for (let i = 0; i < lines.length; i += 2) {
    const where = `line ${i + 1}`;
    const action = object(json(lines[i], where), where);
    const meta = exact(action, ["index"], where).index;
    const keys = Object.keys(object(meta, where));
    const m = exact(meta, keys[0] === "_index" ? ["_index", "_id"] : ["_id"], `${where} index`);
    const source = exact(json(lines[i + 1], `line ${i + 2}`), [options.field], `line ${i + 2}`);
    docs.push({
      id: string(m._id, `${where} _id`),
      ...(m._index === undefined ? {} : { index: string(m._index, `${where} _index`) }),
      vector: termObject(source[options.field], options.termIds, `line ${i + 2} ${options.field}`),
    });
  }
  return docs;
}

/** Qdrant points: {"id","vector":{FIELD:{"indices","values"}},"payload":{"doc_id"}}; the id is the payload's. */
export function parseQdrantDocuments(text: string, options: { field: string }): Array<ParsedVector & { pointId: number | string }> {
  return jsonLines(text).map(({ value, where }) => {
    const o = exact(value, ["id", "vector", "payload"], where);
    if (typeof o.id !== "number" && typeof o.id !== "string") fail(`${where} id`, `a point id is an integer or a UUID, got ${JSON.stringify(o.id)}`);
    const vector = exact(o.vector, [options.field], `${where} vector`)[options.field];
    const payload = exact(o.payload, ["doc_id"], `${where} payload`);
    return { id: string(payload.doc_id, `${where} doc_id`), pointId: o.id, vector: arrays(vector, `${where} vector.${options.field}`) };
  });
}

/** Pinecone upsert records: {"id","sparseValues":{"indices","values"}}. */
export function parsePineconeDocuments(text: string): ParsedVector[] {
  return jsonLines(text).map(({ value, where }) => {
    const o = exact(value, ["id", "sparseValues"], where);
    return { id: string(o.id, `${where} id`), vector: arrays(o.sparseValues, `${where} sparseValues`) };
  });
}

const VESPA_ID = /^id:([^:]+):([^:]+)::(.+)$/s;

/** Vespa feed: {"put":"id:NS:TYPE::ID","fields":{FIELD:{term: weight}}}. */
export function parseVespaDocuments(text: string, options: { field: string; termIds: TermIds }): Array<ParsedVector & { namespace: string; doctype: string }> {
  return jsonLines(text).map(({ value, where }) => {
    const o = exact(value, ["put", "fields"], where);
    const put = VESPA_ID.exec(string(o.put, `${where} put`)) ?? fail(`${where} put`, `not id:NAMESPACE:DOCTYPE::ID: ${JSON.stringify(o.put)}`);
    const fields = exact(o.fields, [options.field], `${where} fields`);
    return { id: put[3], namespace: put[1], doctype: put[2], vector: termObject(fields[options.field], options.termIds, `${where} fields.${options.field}`) };
  });
}

/** A COPY text-format column back to its value (PostgreSQL 17, COPY, "Text Format"). */
export function copyTextValue(field: string, where = "field"): string {
  if (field === "\\N") fail(where, "\\N is NULL");
  const escapes: Record<string, string> = { "\\": "\\", t: "\t", n: "\n", r: "\r", b: "\b", f: "\f", v: "\v" };
  return field.replace(/\\(.?)/g, (_, c: string) => escapes[c] ?? fail(where, `unexpected escape \\${c}`));
}

/** pgvector's sparsevec literal {i:w,…}/N → 0-based ids; indices must be 1..N, ascending, unique. */
export function parseSparsevec(literal: string, dimensions: number, where = "literal"): Sparse {
  const m = /^\{(.*)\}\/([0-9]+)$/.exec(literal) ?? fail(where, `not a sparsevec literal: ${JSON.stringify(literal)}`);
  if (Number(m[2]) !== dimensions) fail(where, `dimensions ${m[2]}, expected ${dimensions}`);
  const v: Sparse = { indices: [], values: [] };
  if (m[1] === "") return v;
  let previous = 0;
  for (const pair of m[1].split(",")) {
    const p = /^([1-9][0-9]*):(.+)$/.exec(pair) ?? fail(where, `malformed element ${JSON.stringify(pair)}`);
    const index = Number(p[1]);
    if (index > dimensions) fail(where, `index ${index} > ${dimensions}`);
    if (index <= previous) fail(where, `indices must ascend (${previous} then ${index})`);
    previous = index;
    v.indices.push(index - 1);
    v.values.push(weight(Number(p[2]), `${where} ${pair}`));
  }
  return v;
}

/** pgvector COPY rows: ID<TAB>sparsevec. */
export function parsePgvectorDocuments(text: string, options: { dimensions: number }): ParsedVector[] {
  return fileLines(text).map((line, i) => {
    const where = `line ${i + 1}`;
    const columns = line.split("\t");
    if (columns.length !== 2) fail(where, `expected 2 tab-separated columns, got ${columns.length}`);
    return { id: copyTextValue(columns[0], `${where} id`), vector: parseSparsevec(columns[1], options.dimensions, where) };
  });
}

/** Milvus insert rows: {"id":ID, FIELD:{"token_id": weight}}. */
export function parseMilvusDocuments(text: string, options: { field: string }): ParsedVector[] {
  return jsonLines(text).map(({ value, where }) => {
    const o = exact(value, ["id", options.field], where);
    return { id: string(o.id, `${where} id`), vector: idObject(o[options.field], `${where} ${options.field}`) };
  });
}

/** Anserini JsonVectorCollection: {"id","contents","vector":{term: int}}. */
export function parseAnseriniDocuments(text: string, termIds: TermIds): Array<ParsedVector & { contents: string }> {
  return jsonLines(text).map(({ value, where }) => {
    const o = exact(value, ["id", "contents", "vector"], where);
    const vector = termObject(o.vector, termIds, `${where} vector`);
    if (vector.values.some((q) => !Number.isInteger(q) || q < 1)) fail(`${where} vector`, "impacts are positive integers");
    return { id: string(o.id, `${where} id`), contents: string(o.contents, `${where} contents`), vector };
  });
}

/** pisa / pretokenized: {"id","contents","title","content"}, terms repeated by impact; title = id, content = contents. */
export function parsePretokenizedDocuments(text: string, termIds: TermIds): Array<ParsedVector & { title: string; content: string }> {
  return jsonLines(text).map(({ value, where }) => {
    const o = exact(value, ["id", "contents", "title", "content"], where);
    const contents = string(o.contents, `${where} contents`);
    return {
      id: string(o.id, `${where} id`),
      title: string(o.title, `${where} title`),
      content: string(o.content, `${where} content`),
      vector: repeatedTerms(contents, termIds, `${where} contents`),
    };
  });
}

// --- query sides (a batch: a JSON array, or one line per query) -------------------------------------------------

/** ids: [{"model","tokens","truncated","indices","values"}]. */
export function parseIdsQueries(body: string): Sparse[] {
  return jsonArray(body).map(({ value, where }) => {
    const o = exact(value, ["model", "tokens", "truncated", "indices", "values"], where);
    return arrays({ indices: o.indices, values: o.values }, where);
  });
}

/** terms: [{"model","tokens","truncated","terms":{term: weight}}]. */
export function parseTermsQueries(body: string, termIds: TermIds): Sparse[] {
  return jsonArray(body).map(({ value, where }) => termObject(exact(value, ["model", "tokens", "truncated", "terms"], where).terms, termIds, `${where} terms`));
}

/** Elasticsearch: {"query":{"sparse_vector":{"field":F,"query_vector":{term: w},"prune":false}}}. Pass elasticsearchTermIds(…). */
export function parseElasticsearchQueries(body: string, options: { field: string; termIds: TermIds }): Sparse[] {
  return jsonArray(body).map(({ value, where }) => {
    const q = exact(exact(exact(value, ["query"], where).query, ["sparse_vector"], where).sparse_vector, ["field", "query_vector", "prune"], where);
    if (q.field !== options.field) fail(where, `field ${JSON.stringify(q.field)}, expected ${JSON.stringify(options.field)}`);
    if (q.prune !== false) fail(where, `prune must be false (exact dot product), got ${JSON.stringify(q.prune)}`);
    return termObject(q.query_vector, options.termIds, `${where} query_vector`);
  });
}

/** OpenSearch: {"query":{"neural_sparse":{F:{"query_tokens":{term: w}}}}}. */
export function parseOpensearchQueries(body: string, options: { field: string; termIds: TermIds }): Sparse[] {
  return jsonArray(body).map(({ value, where }) => {
    const f = exact(exact(exact(value, ["query"], where).query, ["neural_sparse"], where).neural_sparse, [options.field], where)[options.field];
    return termObject(exact(f, ["query_tokens"], where).query_tokens, options.termIds, `${where} query_tokens`);
  });
}

/** Qdrant Query API: {"query":{"indices","values"},"using":F}. */
export function parseQdrantQueries(body: string, options: { field: string }): Sparse[] {
  return jsonArray(body).map(({ value, where }) => {
    const o = exact(value, ["query", "using"], where);
    if (o.using !== options.field) fail(where, `using ${JSON.stringify(o.using)}, expected ${JSON.stringify(options.field)}`);
    return arrays(o.query, `${where} query`);
  });
}

/** Pinecone query: {"sparseVector":{"indices","values"}}. */
export function parsePineconeQueries(body: string): Sparse[] {
  return jsonArray(body).map(({ value, where }) => arrays(exact(value, ["sparseVector"], where).sparseVector, `${where} sparseVector`));
}

/** Vespa: {"input.query(F)":{term: weight}}, F defaulting to "q". */
export function parseVespaQueries(body: string, options: { field?: string; termIds: TermIds }): Sparse[] {
  const key = `input.query(${options.field ?? "q"})`;
  return jsonArray(body).map(({ value, where }) => termObject(exact(value, [key], where)[key], options.termIds, `${where} ${key}`));
}

/** pgvector: one sparsevec literal per line. */
export function parsePgvectorQueries(body: string, options: { dimensions: number }): Sparse[] {
  return fileLines(body).map((line, i) => parseSparsevec(line, options.dimensions, `line ${i + 1}`));
}

/** Milvus search body part: {"data":[{"token_id": w}],"annsField":F}. */
export function parseMilvusQueries(body: string, options: { field: string }): Sparse[] {
  return jsonArray(body).map(({ value, where }) => {
    const o = exact(value, ["data", "annsField"], where);
    if (o.annsField !== options.field) fail(where, `annsField ${JSON.stringify(o.annsField)}, expected ${JSON.stringify(options.field)}`);
    if (!Array.isArray(o.data) || o.data.length !== 1) fail(where, "data holds exactly one sparse vector");
    return idObject(o.data[0], `${where} data[0]`);
  });
}

/** Anserini topics: qid<TAB>term term …, impacts as repetitions. */
export function parseAnseriniQueries(body: string, termIds: TermIds): ParsedVector[] {
  return fileLines(body).map((line, i) => {
    const m = /^([^\t]+)\t(.*)$/s.exec(line) ?? fail(`line ${i + 1}`, "expected qid<TAB>terms");
    return { id: m[1], vector: repeatedTerms(m[2], termIds, `line ${i + 1}`) };
  });
}

/** PISA queries: qid:term term … (the id ends at the first ":"). */
export function parsePisaQueries(body: string, termIds: TermIds): ParsedVector[] {
  return fileLines(body).map((line, i) => {
    const m = /^([^:]+):(.*)$/s.exec(line) ?? fail(`line ${i + 1}`, "expected qid:terms");
    return { id: m[1], vector: repeatedTerms(m[2], termIds, `line ${i + 1}`) };
  });
}

// --- comparing ----------------------------------------------------------------------------------------------------

/** A vector as [id, weight] pairs by id ascending: the order-free form two formats are compared in. */
export function pairs(v: Sparse): Array<[number, number]> {
  return v.indices.map((id, k): [number, number] => [id, v.values[k]]).sort((a, b) => a[0] - b[0]);
}

/** Parsed documents as [id, pairs] in file order. */
export function comparable(docs: readonly ParsedVector[]): Array<[string, Array<[number, number]>]> {
  return docs.map((d) => [d.id, pairs(d.vector)]);
}
