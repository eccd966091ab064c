// `npm run model -- convert … --role query` on inference-free repos, as users run it (a real process, files on disk, exit
// codes): each Hub layout of the query weights (the sentence-transformers module in query_0_SparseStaticEmbedding/ or
// the older query_0_IDF/, root idf.json, query_token_weights.txt) and the uniform weighting of naver/splade-v3-doc
// give exactly the table the repo's weights say, beside the Worker's tokenizer and a manifest of kind inference-free;
// the folder encodes (Node's query-model assembly, what `npm run eval` runs) exactly as an independent reference:
// Hugging Face's Rust tokenizers on the repo's own tokenizer.json × the repo's idf.json.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer } from "tokenizers";
import { afterAll, describe, expect, it } from "vitest";
import { readStaticWeights } from "../../src/encoder/static-weights.ts";
import { queryEncoder } from "../../src/eval/query-encoder.ts";
import { CONVERTER_LAYOUT } from "../../src/model/convert.ts";
import { type InferenceFreeManifest, sha256 } from "../../src/model/manifest.ts";
import { writeStaticHub, type StaticHub, type StaticHubOptions } from "../support/static-weights-hub.ts";
import { runScript } from "./run-script.ts";

const tmp = mkdtempSync(join(tmpdir(), "splade-convert-static-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MAX_LENGTH = 16;
const QUERIES = ["what is the capital of france and germany", "new new new york york", "a query that spells [SEP] and [MASK]", "sparse ".repeat(40)];

/** A generated repo without the files (or folders) `remove` names. */
function repo(name: string, options: Partial<StaticHubOptions>, remove: string[]): StaticHub {
  const hub = writeStaticHub(join(tmp, name), { seed: 5, maxLength: MAX_LENGTH, ...options });
  for (const file of remove) rmSync(join(hub.dir, file), { recursive: true, force: true });
  return hub;
}

async function convert(hub: StaticHub, ...flags: string[]): Promise<{ out: string; manifest: InferenceFreeManifest; stdout: string }> {
  const out = join(tmp, `${readdirSync(tmp).length}-out`);
  const r = await runScript("src/cli/model.ts", ["convert", hub.dir, out, "--quiet", ...flags]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return { out, manifest: JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")), stdout: r.stdout };
}

/** idf.json's weights as the float32 table over the vocabulary: what every per-token layout of the repo holds. */
function idfTable(hub: StaticHub): Float32Array {
  return Float32Array.from(hub.vocab, (token) => hub.idf[token] ?? 0);
}

function tableOf(out: string): Float32Array {
  return readStaticWeights(readFileSync(join(out, "static-weights.bin")), "static-weights.bin").weights;
}

/**
 * The reference vectors: Rust tokenizers on `tokenizerFile`, with [CLS]/[SEP] (uniform, NAVER's SpladeDoc) or without
 * (sentence-transformers), cut to MAX_LENGTH; each distinct id weighted by `weight`, zeros dropped; id ascending.
 */
async function reference(tokenizerFile: string, withSpecialTokens: boolean, weight: (id: number) => number): Promise<Array<Array<[number, number]>>> {
  const rust = Tokenizer.fromFile(tokenizerFile);
  const encodings = await rust.encodeBatch(QUERIES, { addSpecialTokens: withSpecialTokens });
  return encodings.map((e) => {
    const all = e.getIds();
    const ids = withSpecialTokens ? [all[0], ...all.slice(1, -1).slice(0, MAX_LENGTH - 2), all.at(-1)!] : all.slice(0, MAX_LENGTH);
    return [...new Set(ids)]
      .map((id): [number, number] => [id, weight(id)])
      .filter(([, w]) => w > 0)
      .sort((a, b) => a[0] - b[0]);
  });
}

/** What the converted folder encodes, as `npm run eval` encodes queries: [id, weight], id ascending. */
async function encoded(out: string): Promise<Array<Array<[number, number]>>> {
  const encoder = await queryEncoder(out);
  expect(encoder.build).toBe("static-weights");
  const vectors = await Promise.all(QUERIES.map((q) => encoder.encode(q)));
  return vectors.map((v) => v.indices.map((id, k): [number, number] => [id, v.values[k]]).sort((a, b) => a[0] - b[0]));
}

function expectInferenceFree(manifest: InferenceFreeManifest, out: string): void {
  expect(manifest).toMatchObject({ format: "splade-edge/model@1", kind: "inference-free", role: "query", max_length: MAX_LENGTH, vocab_size: 30522 });
  expect(manifest.converter.layout).toBe(CONVERTER_LAYOUT);
  expect(readdirSync(out).sort()).toEqual(["manifest.json", "static-weights.bin", "tokenizer_config.json", "worker-tokenizer.json"]);
  for (const [name, { sha256: sum, bytes }] of Object.entries(manifest.files)) {
    const body = readFileSync(join(out, name));
    expect([name, body.byteLength, sha256(body)]).toEqual([name, bytes, sum]);
  }
  expect(manifest.static_weights).toMatchObject({ file: "static-weights.bin", format: "splade-edge/static-weights@1", bytes: 12 + 30522 * 4 });
}

describe("convert --role query on an inference-free repo", () => {
  it("OpenSearch's layout (document transformer at the root): the sentence-transformers query module alone, never the transformer", async () => {
    const hub = repo("opensearch", { docTransformer: true }, []);
    const { out, manifest, stdout } = await convert(hub, "--role", "query");
    expect(stdout).toMatch(/: opensearch, inference-free \(per-token weights from sentence-transformers, \d+ tokens weighted\), vocab 30522, max length 16, /);
    expectInferenceFree(manifest, out);
    const module = readFileSync(join(hub.dir, "query_0_SparseStaticEmbedding", "model.safetensors"));
    expect(manifest.source).toMatchObject({
      repo: "opensearch",
      weights_file: "query_0_SparseStaticEmbedding/model.safetensors",
      weights_sha256: sha256(module),
    });
    expect(manifest.static_weights).toMatchObject({ weighting: "per-token", origin: "sentence-transformers", dropped_tokens: [] });
    expect(manifest.tokenizer.add_special_tokens).toBe(false);
    // The root config.json carries the generated checkpoint's marker.
    expect(manifest.random_weights).toBe(true);
    expect(tableOf(out)).toEqual(idfTable(hub));
    const tokenizerFile = join(hub.dir, "query_0_SparseStaticEmbedding", "tokenizer.json");
    expect(await encoded(out)).toEqual(await reference(tokenizerFile, false, (id) => Math.fround(hub.idf[hub.vocab[id]] ?? 0)));
  });

  it("refuses to guess without --role when the repo holds both halves, naming both", async () => {
    const hub = repo("both", { docTransformer: true }, []);
    const out = join(tmp, "both-out");
    const r = await runScript("src/cli/model.ts", ["convert", hub.dir, out, "--quiet"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `✖ ${hub.dir}: holds inference-free query weights (sentence-transformers, idf.json, query_token_weights.txt) and a transformer (config.json) — say which with --role query|doc`,
    );
    expect(readdirSync(tmp)).not.toContain("both-out");
  });

  it.each([
    [
      "query_0_IDF (sentence-transformers before v5.0.0)",
      { moduleFolder: "query_0_IDF" as const },
      ["idf.json", "query_token_weights.txt"],
      "sentence-transformers",
    ],
    ["root idf.json", {}, ["modules.json", "router_config.json", "query_0_SparseStaticEmbedding", "query_token_weights.txt"], "idf.json"],
    ["query_token_weights.txt", {}, ["modules.json", "router_config.json", "query_0_SparseStaticEmbedding", "idf.json"], "query_token_weights.txt"],
  ])("%s: the same table, from that file alone", async (name, options, remove, origin) => {
    const hub = repo(name.split(" ")[0], options, remove);
    const { out, manifest } = await convert(hub, "--role", "query");
    expectInferenceFree(manifest, out);
    expect(manifest.static_weights).toMatchObject({ weighting: "per-token", origin });
    expect(tableOf(out)).toEqual(idfTable(hub));
    expect(await encoded(out)).toEqual(await reference(join(hub.dir, "tokenizer.json"), false, (id) => Math.fround(hub.idf[hub.vocab[id]] ?? 0)));
  });

  it("uniform (naver/splade-v3-doc): every token 1 but [CLS], [SEP], [MASK]; queries keep [CLS]/[SEP] in the count, not in the vector", async () => {
    const hub = repo("uniform", {}, ["modules.json", "router_config.json", "query_0_SparseStaticEmbedding", "idf.json", "query_token_weights.txt"]);
    const { out, manifest } = await convert(hub, "--role", "query", "--query-weights", "uniform");
    expectInferenceFree(manifest, out);
    expect(manifest.source).toMatchObject({ weights_file: null, weights_sha256: null });
    expect(manifest.static_weights).toMatchObject({
      weighting: "uniform",
      origin: "uniform",
      dropped_tokens: ["[CLS]", "[SEP]", "[MASK]"],
      weighted_tokens: 30519,
    });
    expect(manifest.tokenizer.add_special_tokens).toBe(true);
    const dropped = new Set(["[CLS]", "[SEP]", "[MASK]"].map((t) => hub.vocab.indexOf(t)));
    expect(tableOf(out)).toEqual(Float32Array.from(hub.vocab, (_, id) => (dropped.has(id) ? 0 : 1)));
    expect(await encoded(out)).toEqual(await reference(join(hub.dir, "tokenizer.json"), true, (id) => (dropped.has(id) ? 0 : 1)));
    // "what is the capital of france and germany": 8 word pieces, [CLS] and [SEP].
    expect((await (await queryEncoder(out)).encode(QUERIES[0])).tokens).toBe(10);
  });

  it("refuses --query-weights with --role doc", async () => {
    const hub = repo("doc-uniform", {}, []);
    const r = await runScript("src/cli/model.ts", ["convert", hub.dir, join(tmp, "doc-uniform-out"), "--quiet", "--role", "doc", "--query-weights", "uniform"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('✖ query weights ("uniform") make a query model: they do not go with --role doc');
  });
});
