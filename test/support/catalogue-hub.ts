// Every catalogue entry's Hub repositories, generated: each repo in the layout docs/model-sources.md records for it,
// with small seeded weights in place of the real ones (their output means nothing: config.json carries
// FIXTURE_MARKER), and a local stand-in for the Hub (HF_ENDPOINT) that serves them as huggingface.co does — the
// listing API with sizes and LFS sha256, `resolve/{sha}/{path}`, X-Error-Code answers, gated repos behind a token.
//
// Where the stored sources do not show a file, the layout says so (LAYOUT_NOTES) rather than guess silently:
// - naver/efficient-splade-VI-BT-large-query: main's root weights are pytorch_model.bin (§1); splade-edge has no
//   pickle writer, so the root holds model.safetensors, the file name of its refs/pr/1. The repo's modules.json and
//   router_config.json were not listed in the stored tree; none is written.
// - the OpenSearch repos' root sentence_bert_config.json is verified only for doc-v1 (§2.0); none is written.
// - doc-v2-mini at its pinned commit: whether the static module is query_0_IDF or query_0_SparseStaticEmbedding was
//   not read (the catalogue says so); it is written as query_0_IDF, the older name, so both names are fetched.
// - naver/splade-v3-doc is gated and its file list unread (§4): a plain BERT repo (its Hub tags say bert, fill-mask).
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";
import type { EncoderConfig } from "../../src/model/architectures.ts";
import { CATALOGUE, type ModelDescription } from "../../src/model/catalogue.ts";
import { FIXTURE_MARKER } from "../../src/model/convert.ts";
import { DOC_FIXTURE_CONFIG, QUERY_CONFIG, writeFixture } from "../../src/model/fixture.ts";
import { GTE_FIXTURE_CONFIG, writeGteFixture } from "../../src/model/fixture-gte.ts";
import { writeStaticHub } from "./static-weights-hub.ts";

/** One generated repo: its folder and the commit the test Hub says it is at (the catalogue's pin, when it has one). */
export interface TestRepo {
  dir: string;
  sha: string;
  gated: boolean;
}

/** A BERT document encoder at a test size (OpenSearch doc-v2-mini is 6 × 384, splade-v3-doc BERT-base). */
const BERT_DOC_CONFIG: EncoderConfig = { ...DOC_FIXTURE_CONFIG, architecture: "BertForMaskedLM", typeVocabSize: 2 };

const ROUTER_MODULES = [{ idx: 0, name: "0", path: "", type: "sentence_transformers.models.Router" }];

function writeJson(file: string, value: unknown): void {
  // sentence-transformers writes its configs with json.dump(indent=4) (Router.save, docs/model-sources.md §2.0).
  writeFileSync(file, `${JSON.stringify(value, null, 4)}\n`);
}

function sha(seed: string): string {
  return createHash("sha1").update(seed).digest("hex");
}

/** The document transformer of `entry` at `dir`'s root, with its tokenizer files. */
async function writeDocTransformer(dir: string, entry: ModelDescription, seed: number): Promise<void> {
  const architecture = entry.document.architecture.value;
  if (architecture === "NewForMaskedLM") {
    // doc-v3-gte's root: the transformer and its tokenizer; the Router files are the repo's, written beside it.
    await writeGteFixture(dir, { config: GTE_FIXTURE_CONFIG, seed, std: 0.05, activation: null });
    return;
  }
  const config = architecture === "BertForMaskedLM" ? BERT_DOC_CONFIG : DOC_FIXTURE_CONFIG;
  await writeFixture(dir, { name: entry.name, config, seed, std: 0.05 });
}

/** An OpenSearch doc-* Router repo (§2.0): the document transformer at the root, the static query module, idf files. */
async function writeOpenSearch(dir: string, entry: ModelDescription, seed: number): Promise<void> {
  await writeDocTransformer(dir, entry, seed);
  const moduleFolder = entry.query.hub.revision === "4af867a426867dfdd744097531046f4289a32fdd" ? "query_0_IDF" : "query_0_SparseStaticEmbedding";
  writeStaticHub(dir, { seed, moduleFolder });
  // The static module's table is generated too: its config.json says so, as the converter reads it (convert-static.ts
  // isGenerated), for `fetch --only query` downloads the module and not the root's marked config.json.
  writeJson(join(dir, moduleFolder, "config.json"), { frozen: true, [FIXTURE_MARKER]: { seed } });
  writeJson(join(dir, "document_1_SpladePooling", "config.json"), {
    pooling_strategy: "max",
    activation_function: entry.document.activation.value,
    word_embedding_dimension: null,
  });
  writeJson(join(dir, "config_sentence_transformers.json"), { model_type: "SparseEncoder", similarity_fn_name: "dot" });
  writeFileSync(join(dir, "README.md"), `---\nlicense: apache-2.0\n---\n# ${entry.name} (generated)\n`);
}

/** naver/efficient-splade-VI-BT-large's two repos at main (§1): each holds the other half in a sentence-transformers folder. */
async function writeNaverPair(query: string, doc: string): Promise<void> {
  await writeFixture(query, { name: "query", config: QUERY_CONFIG, seed: 11, std: 0.05 });
  await writeFixture(join(query, "document_0_MLMTransformer"), { name: "doc", config: DOC_FIXTURE_CONFIG, seed: 12, std: 0.05 });
  writeJson(join(query, "document_0_MLMTransformer", "sentence_bert_config.json"), { max_seq_length: 256, do_lower_case: false });
  mkdirSync(join(query, "query_1_SpladePooling"), { recursive: true });
  writeJson(join(query, "query_1_SpladePooling", "config.json"), { pooling_strategy: "max", activation_function: "relu", word_embedding_dimension: null });
  await writeFixture(doc, { name: "doc", config: DOC_FIXTURE_CONFIG, seed: 12, std: 0.05 });
  await writeFixture(join(doc, "query_0_MLMTransformer"), { name: "query", config: QUERY_CONFIG, seed: 11, std: 0.05 });
  writeJson(join(doc, "modules.json"), ROUTER_MODULES);
  for (const d of [query, doc]) writeFileSync(join(d, "README.md"), "---\nlicense: cc-by-nc-sa-4.0\n---\n");
}

/** Writes every catalogue entry's repos under `root`; the map is keyed by Hub repo id. */
export async function writeCatalogueHub(root: string): Promise<Record<string, TestRepo>> {
  const repos: Record<string, TestRepo> = {};
  for (const [i, entry] of CATALOGUE.entries()) {
    const seed = 100 + i;
    const { query, document } = entry;
    const at = (repo: string) => join(root, repo.replace("/", "--"));
    const record = (hub: ModelDescription["document"]["hub"]) => {
      repos[hub.repo] = { dir: at(hub.repo), sha: hub.pinned ? hub.revision : sha(hub.repo), gated: entry.gated.value };
    };
    record(query.hub);
    record(document.hub);
    if (query.kind === "transformer") {
      await writeNaverPair(at(query.hub.repo), at(document.hub.repo));
    } else if (query.weights.value.weighting === "uniform") {
      await writeDocTransformer(at(document.hub.repo), entry, seed);
    } else {
      await writeOpenSearch(at(document.hub.repo), entry, seed);
    }
  }
  return repos;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)).split("\\").join("/"))
    .sort();
}

export interface TestHub {
  endpoint: string;
  /** Every file request answered, in order, with the revision it named. */
  resolved: Array<{ repo: string; revision: string; path: string }>;
  close(): Promise<void>;
}

/** The repos served as huggingface.co serves them: a gated repo answers 401 GatedRepo without `Authorization: Bearer`. */
export async function serveTestHub(repos: Record<string, TestRepo>): Promise<TestHub> {
  const resolved: TestHub["resolved"] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://hub");
    const fail = (status: number, code: string) => res.writeHead(status, { "x-error-code": code, "content-type": "application/json" }).end('{"error":"error"}');
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(url.pathname);
    const file = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const name = api?.[1] ?? file?.[1];
    const repo = name === undefined ? undefined : repos[name];
    if (!repo) return fail(404, "RepoNotFound");
    if (repo.gated && !req.headers.authorization?.startsWith("Bearer ")) return fail(401, "GatedRepo");
    const revision = decodeURIComponent((api ?? file)?.[2] ?? "");
    if (revision !== "main" && revision !== repo.sha) return fail(404, "RevisionNotFound");
    if (api) {
      const siblings = listFiles(repo.dir).map((rfilename) => {
        const bytes = readFileSync(join(repo.dir, rfilename));
        const lfs = /\.(safetensors|bin)$/.test(rfilename) ? { lfs: { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length } } : {};
        return { rfilename, size: bytes.length, ...lfs };
      });
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: name, sha: repo.sha, siblings }));
    }
    const path = decodeURIComponent((file as RegExpExecArray)[3]);
    if (!listFiles(repo.dir).includes(path)) return fail(404, "EntryNotFound");
    const body = readFileSync(join(repo.dir, path));
    resolved.push({ repo: name as string, revision, path });
    res.writeHead(200, { "content-length": body.length, "x-repo-commit": repo.sha }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    resolved,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
