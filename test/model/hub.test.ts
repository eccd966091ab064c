import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type DownloadProgress,
  type HubFile,
  type RepoListing,
  downloadFile,
  fetchModel,
  listRepoFiles,
  selectModelFiles,
  selectStaticQueryFiles,
} from "../../src/model/hub.ts";
import { ModelError } from "../../src/model/errors.ts";

// A Hub double: /api/models/{repo}/revision/{rev}?blobs=true, /{repo}/resolve/{rev}/{path} with X-Error-Code
// answers like huggingface.co, LFS files redirected (302) to a CDN on another origin that honours Range.

const TOKEN = "hf_valid_token";
const SHA_MAIN = "a".repeat(40);
const SHA_PR = "b".repeat(40);

interface MockFile {
  path: string;
  bytes: Buffer;
  lfs: boolean;
  /** what the CDN serves instead of `bytes` (same size, so only the sha256 check can catch it) */
  served?: Buffer;
}
interface MockRepo {
  refs: Record<string, string>;
  commits: Record<string, MockFile[]>;
  access?: "private" | "gated";
}
interface Seen {
  server: "hub" | "cdn";
  path: string;
  range?: string;
  authorization?: string;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const text = (s: string) => Buffer.from(s);
const weights = (n: number) => randomBytes(n);
const mockFile = (path: string, bytes: Buffer): MockFile => ({ path, bytes, lfs: /\.(safetensors|bin)$/.test(path) });

function bertFiles(prefix: string, w: Record<string, Buffer>): MockFile[] {
  return [
    mockFile(`${prefix}config.json`, text(`{"architectures":["BertForMaskedLM"],"folder":"${prefix}"}`)),
    mockFile(`${prefix}vocab.txt`, text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nred\nplanet\n")),
    mockFile(`${prefix}tokenizer_config.json`, text('{"do_lower_case":true}')),
    mockFile(`${prefix}special_tokens_map.json`, text('{"unk_token":"[UNK]"}')),
    ...Object.entries(w).map(([name, bytes]) => mockFile(`${prefix}${name}`, bytes)),
  ];
}

const rootSafetensors = weights(300_000);
const rootBin = weights(310_000);
const prSafetensors = weights(120_000);
const queryWeights = weights(150_000);
const docWeights = weights(250_000);

const repos = new Map<string, MockRepo>();
const seen: Seen[] = [];
const dropAfter = new Map<string, number>(); // resolve path or CDN blob → bytes served before the socket is destroyed (once)
const ignoreRange = new Set<string>();
const failApiOnce = new Set<string>();
let hub: Server;
let cdn: Server;
let endpoint: string;
let cdnBase: string;
let deadEndpoint: string;
let dir: string;
const savedEnv = { ...process.env };

function resetRepos(): void {
  repos.clear();
  repos.set("naver/root-model", {
    refs: { main: SHA_MAIN, "refs/pr/1": SHA_PR },
    commits: {
      [SHA_MAIN]: [
        mockFile(".gitattributes", text("*.bin filter=lfs\n")),
        mockFile("README.md", text("---\nlicense: cc-by-nc-sa-4.0\n---\n")),
        ...bertFiles("", { "model.safetensors": rootSafetensors, "pytorch_model.bin": rootBin }),
      ],
      [SHA_PR]: bertFiles("", { "model.safetensors": prSafetensors }),
    },
  });
  repos.set("naver/bin-only", { refs: { main: SHA_MAIN }, commits: { [SHA_MAIN]: bertFiles("", { "pytorch_model.bin": rootBin }) } });
  repos.set("naver/st-model", {
    refs: { main: SHA_MAIN },
    commits: {
      [SHA_MAIN]: [
        mockFile("README.md", text("# SPLADE")),
        mockFile("modules.json", text('[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Router"}]')),
        mockFile("router_config.json", text('{"default_route":"document"}')),
        mockFile("config_sentence_transformers.json", text('{"model_type":"SparseEncoder"}')),
        ...bertFiles("query_0_MLMTransformer/", { "model.safetensors": queryWeights }),
        mockFile("query_1_SpladePooling/config.json", text('{"pooling_strategy":"max"}')),
        ...bertFiles("document_0_MLMTransformer/", { "model.safetensors": docWeights }),
        mockFile("document_1_SpladePooling/config.json", text('{"pooling_strategy":"max"}')),
      ],
    },
  });
  repos.set("naver/private", {
    access: "private",
    refs: { main: SHA_MAIN },
    commits: { [SHA_MAIN]: bertFiles("", { "model.safetensors": rootSafetensors }) },
  });
  repos.set("naver/gated", {
    access: "gated",
    refs: { main: SHA_MAIN },
    commits: { [SHA_MAIN]: bertFiles("", { "model.safetensors": rootSafetensors }) },
  });
  const corrupt = bertFiles("", { "model.safetensors": rootSafetensors });
  corrupt[corrupt.length - 1].served = weights(rootSafetensors.length);
  repos.set("naver/corrupt", { refs: { main: SHA_MAIN }, commits: { [SHA_MAIN]: corrupt } });
}

function fail(res: ServerResponse, status: number, code?: string, message?: string): void {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (code) headers["x-error-code"] = code;
  if (message) headers["x-error-message"] = message;
  res.writeHead(status, headers).end(JSON.stringify({ error: message ?? "error" }));
}

function serveBytes(req: IncomingMessage, res: ServerResponse, key: string, bytes: Buffer, headers: Record<string, string>): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  let body = bytes;
  if (m && !ignoreRange.has(key)) {
    const start = Number(m[1]);
    if (start >= bytes.length) {
      res.writeHead(416, { ...headers, "content-range": `bytes */${bytes.length}` }).end();
      return;
    }
    body = bytes.subarray(start);
    res.writeHead(206, {
      ...headers,
      "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}`,
      "content-length": String(body.length),
    });
  } else {
    res.writeHead(200, { ...headers, "content-length": String(bytes.length), "accept-ranges": "bytes" });
  }
  const drop = dropAfter.get(key);
  if (drop !== undefined) {
    dropAfter.delete(key);
    // Give the client time to consume what was sent: an erroring web stream drops the chunks still queued.
    res.write(body.subarray(0, drop), () => setTimeout(() => res.socket?.destroy(), 200));
    return;
  }
  res.end(body);
}

/** Returns the repo, or answers the way huggingface.co does (401 to anonymous callers, 404 with a token). */
function access(req: IncomingMessage, res: ServerResponse, id: string, resolving: boolean): MockRepo | undefined {
  const repo = repos.get(id);
  const auth = req.headers.authorization;
  if (!repo || (repo.access === "private" && auth !== `Bearer ${TOKEN}`)) {
    fail(res, auth ? 404 : 401, "RepoNotFound", "Repository not found");
    return undefined;
  }
  if (repo.access === "gated" && resolving && auth !== `Bearer ${TOKEN}`) {
    if (auth) fail(res, 403, "GatedRepo", `Access to model ${id} is restricted and you are not in the authorized list.`);
    else fail(res, 401, "GatedRepo", `Access to model ${id} is restricted. You must be authenticated to access it.`);
    return undefined;
  }
  return repo;
}

function resolveRev(res: ServerResponse, repo: MockRepo, rev: string): MockFile[] | undefined {
  const files = repo.commits[repo.refs[rev] ?? rev];
  if (!files) fail(res, 404, "RevisionNotFound", `Invalid rev id: ${rev}`);
  return files;
}

function hubHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://hub");
  const parts = url.pathname.split("/").slice(1).map(decodeURIComponent);
  seen.push({ server: "hub", path: url.pathname + url.search, range: req.headers.range, authorization: req.headers.authorization });
  if (parts[0] === "api" && parts[1] === "models" && parts[4] === "revision" && parts.length === 6) {
    const id = `${parts[2]}/${parts[3]}`;
    if (failApiOnce.delete(id)) {
      fail(res, 503, undefined, "Service Unavailable");
      return;
    }
    const repo = access(req, res, id, false);
    const files = repo && resolveRev(res, repo, parts[5]);
    if (!repo || !files) return;
    const blobs = url.searchParams.get("blobs") === "true";
    const siblings = files.map((f) => ({
      rfilename: f.path,
      ...(blobs && { size: f.bytes.length, blobId: createHash("sha1").update(f.bytes).digest("hex") }),
      ...(blobs && f.lfs && { lfs: { sha256: sha256(f.bytes), size: f.bytes.length, pointerSize: 134 } }),
    }));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id, modelId: id, sha: repo.refs[parts[5]] ?? parts[5], siblings }));
    return;
  }
  if (parts[2] === "resolve" && parts.length >= 5) {
    const id = `${parts[0]}/${parts[1]}`;
    const repo = access(req, res, id, true);
    const files = repo && resolveRev(res, repo, parts[3]);
    if (!repo || !files) return;
    const path = parts.slice(4).join("/");
    const file = files.find((f) => f.path === path);
    if (!file) {
      fail(res, 404, "EntryNotFound", `${path} does not exist on "${parts[3]}"`);
      return;
    }
    const commit = repo.refs[parts[3]] ?? parts[3];
    if (file.lfs) {
      res.writeHead(302, {
        location: `${cdnBase}/blobs/${sha256(file.bytes)}?id=${encodeURIComponent(id)}&commit=${commit}`,
        "x-repo-commit": commit,
        "x-linked-etag": `"${sha256(file.bytes)}"`,
        "x-linked-size": String(file.bytes.length),
        etag: `"${createHash("sha1").update(file.bytes).digest("hex")}"`,
      });
      res.end();
      return;
    }
    serveBytes(req, res, url.pathname, file.bytes, { "x-repo-commit": commit, etag: `"${createHash("sha1").update(file.bytes).digest("hex")}"` });
    return;
  }
  fail(res, 404);
}

function cdnHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://cdn");
  seen.push({ server: "cdn", path: url.pathname + url.search, range: req.headers.range, authorization: req.headers.authorization });
  const key = url.pathname.slice("/blobs/".length);
  const repo = repos.get(url.searchParams.get("id") ?? "");
  const file = repo?.commits[url.searchParams.get("commit") ?? ""]?.find((f) => f.lfs && sha256(f.bytes) === key);
  if (!file) {
    fail(res, 404);
    return;
  }
  serveBytes(req, res, url.pathname, file.served ?? file.bytes, { etag: `"${key}"` });
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return server;
}
const base = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

beforeAll(async () => {
  hub = await listen(hubHandler);
  cdn = await listen(cdnHandler);
  endpoint = base(hub);
  cdnBase = base(cdn);
  const closed = await listen(() => {});
  deadEndpoint = base(closed);
  await new Promise((ok) => closed.close(ok));
});

afterAll(async () => {
  hub.closeAllConnections();
  cdn.closeAllConnections();
  await Promise.all([new Promise((ok) => hub.close(ok)), new Promise((ok) => cdn.close(ok))]);
});

beforeEach(async () => {
  delete process.env.HF_TOKEN;
  delete process.env.HUGGING_FACE_HUB_TOKEN;
  delete process.env.HF_ENDPOINT;
  resetRepos();
  seen.length = 0;
  dropAfter.clear();
  ignoreRange.clear();
  failApiOnce.clear();
  dir = await mkdtemp(join(tmpdir(), "splade-hub-"));
});

afterEach(async () => {
  process.env = { ...savedEnv };
  await rm(dir, { recursive: true, force: true });
});

const opts = () => ({ endpoint, retry: { baseDelayMs: 1 } });
const fileOf = (repo: string, path: string, sha = SHA_MAIN) => repos.get(repo)!.commits[sha].find((f) => f.path === path)!;
const hubFile = (repo: string, path: string): HubFile => {
  const f = fileOf(repo, path);
  return { path, size: f.bytes.length, ...(f.lfs && { sha256: sha256(f.bytes) }) };
};
const resolvePath = (repo: string, path: string) => `/${repo}/resolve/${SHA_MAIN}/${path}`;

/** Compares digests: vitest's deep equality walks a Buffer element by element and takes seconds on 300 KB. */
async function expectBytes(path: string, bytes: Buffer): Promise<void> {
  expect(sha256(await readFile(path))).toBe(sha256(bytes));
}

async function hubError(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

describe("listRepoFiles", () => {
  it("returns the commit sha and LFS metadata of every file", async () => {
    const listing = await listRepoFiles("naver/root-model", opts());
    expect(listing.sha).toBe(SHA_MAIN);
    expect(listing.revision).toBe("main");
    expect(listing.files).toContainEqual({ path: "model.safetensors", size: rootSafetensors.length, sha256: sha256(rootSafetensors) });
    expect(listing.files).toContainEqual({ path: "config.json", size: fileOf("naver/root-model", "config.json").bytes.length });
    expect(seen[0].path).toBe("/api/models/naver/root-model/revision/main?blobs=true");
  });

  it("URL-encodes a revision such as refs/pr/1 into one path segment", async () => {
    const listing = await listRepoFiles("naver/root-model", { ...opts(), revision: "refs/pr/1" });
    expect(listing.sha).toBe(SHA_PR);
    expect(seen[0].path).toBe("/api/models/naver/root-model/revision/refs%2Fpr%2F1?blobs=true");
  });

  it("retries a 503 and then succeeds", async () => {
    failApiOnce.add("naver/root-model");
    const listing = await listRepoFiles("naver/root-model", opts());
    expect(listing.sha).toBe(SHA_MAIN);
    expect(seen.filter((s) => s.path.startsWith("/api/"))).toHaveLength(2);
  });

  it("explains a missing repo, with and without a token", async () => {
    const anonymous = await hubError(listRepoFiles("naver/nope", opts()));
    expect(anonymous.kind).toBe("unauthorized");
    expect(anonymous.message).toContain(`Repository "naver/nope" not found on ${endpoint}`);
    expect(anonymous.message).toContain("--query-repo/--doc-repo");
    expect(anonymous.message).toContain("HF_TOKEN");

    const withToken = await hubError(listRepoFiles("naver/nope", { ...opts(), token: "hf_other" }));
    expect(withToken.kind).toBe("not_found");
    expect(withToken.message).toContain(`Repository "naver/nope" not found on ${endpoint}`);
    expect(withToken.message).toContain("check the model id (or pass --query-repo/--doc-repo)");
    expect(withToken.message).not.toContain("hf_other");
  });

  it("explains a missing revision", async () => {
    const error = await hubError(listRepoFiles("naver/root-model", { ...opts(), revision: "v9" }));
    expect(error.kind).toBe("not_found");
    expect(error.message).toContain('Revision "v9" not found in "naver/root-model"');
    expect(error.message).toContain("--revision");
  });

  it("rejects a malformed model id before any request", async () => {
    const error = await hubError(listRepoFiles("../etc/passwd", opts()));
    expect(error.kind).toBe("not_found");
    expect(seen).toHaveLength(0);
  });

  it("fails at once with what to do when the endpoint is unreachable", async () => {
    const error = await hubError(listRepoFiles("naver/root-model", { endpoint: deadEndpoint, retry: { baseDelayMs: 1_000 } }));
    expect(error.kind).toBe("network");
    expect(error.message).toContain(`Could not reach ${deadEndpoint} (ECONNREFUSED)`);
    expect(error.message).toContain("HF_ENDPOINT");
    expect(error.message).toContain("npm run model -- convert <hf-folder> <out>");
  });
});

describe("selectModelFiles", () => {
  const listing = (paths: string[]): RepoListing => ({ repo: "x/y", revision: "main", sha: SHA_MAIN, files: paths.map((path) => ({ path })) });
  const names = (files: HubFile[]) => files.map((f) => f.path);

  it("prefers model.safetensors and takes the tokenizer files at the root", () => {
    const picked = selectModelFiles(
      listing(["config.json", "pytorch_model.bin", "model.safetensors", "vocab.txt", "tokenizer_config.json", "README.md"]),
      "query",
    );
    expect(picked.folder).toBe("");
    expect(picked.weights.path).toBe("model.safetensors");
    expect(names(picked.files)).toEqual(["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"]);
  });

  it("picks the sub-folder named for the role, even when the root holds the other encoder", () => {
    const l = listing([
      "config.json",
      "pytorch_model.bin",
      "tokenizer.json",
      "query_0_MLMTransformer/config.json",
      "query_0_MLMTransformer/model.safetensors",
      "document_0_MLMTransformer/config.json",
      "document_0_MLMTransformer/model.safetensors",
      "document_0_MLMTransformer/vocab.txt",
    ]);
    expect(selectModelFiles(l, "query").folder).toBe("query_0_MLMTransformer");
    const doc = selectModelFiles(l, "doc");
    expect(doc.folder).toBe("document_0_MLMTransformer");
    expect(names(doc.files)).toEqual([
      "document_0_MLMTransformer/config.json",
      "document_0_MLMTransformer/model.safetensors",
      "document_0_MLMTransformer/vocab.txt",
      "tokenizer.json",
    ]);
  });

  it("uses a lone *_MLMTransformer folder for either role, but never the other role's folder", () => {
    const lone = listing(["modules.json", "0_MLMTransformer/config.json", "0_MLMTransformer/pytorch_model.bin"]);
    expect(selectModelFiles(lone, "doc").folder).toBe("0_MLMTransformer");
    expect(selectModelFiles(lone, "query").weights.path).toBe("0_MLMTransformer/pytorch_model.bin");
    const docOnly = listing(["document_0_MLMTransformer/config.json", "document_0_MLMTransformer/model.safetensors"]);
    expect(() => selectModelFiles(docOnly, "query")).toThrow(ModelError);
  });

  // OpenSearch's doc-* repos (docs/model-sources.md §2.0): the document transformer at the root of a Router.
  const openSearch = [
    "README.md",
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "idf.json",
    "query_token_weights.txt",
    "modules.json",
    "router_config.json",
    "config_sentence_transformers.json",
    "sentence_bert_config.json",
    "document_1_SpladePooling/config.json",
    "query_0_SparseStaticEmbedding/config.json",
    "query_0_SparseStaticEmbedding/model.safetensors",
    "query_0_SparseStaticEmbedding/tokenizer.json",
    "query_0_SparseStaticEmbedding/tokenizer_config.json",
    "query_0_SparseStaticEmbedding/special_tokens_map.json",
    "query_0_SparseStaticEmbedding/vocab.txt",
  ];

  it("takes a root transformer's sentence-transformers pooling files, and none of the query module's", () => {
    const doc = selectModelFiles(listing(openSearch), "doc");
    expect(doc.folder).toBe("");
    expect(names(doc.files)).toEqual([
      "config.json",
      "model.safetensors",
      "vocab.txt",
      "tokenizer.json",
      "tokenizer_config.json",
      "special_tokens_map.json",
      "modules.json",
      "router_config.json",
      "sentence_bert_config.json",
      "document_1_SpladePooling/config.json",
    ]);
  });

  it("takes an inference-free query's static module with its own tokenizer and the Router's files, never the document transformer", () => {
    for (const module of ["query_0_SparseStaticEmbedding", "query_0_IDF"]) {
      const picked = selectStaticQueryFiles(listing(openSearch.map((p) => p.replace("query_0_SparseStaticEmbedding", module))), "per-token");
      expect(picked.folder).toBe(module);
      expect(picked.weights?.path).toBe(`${module}/model.safetensors`);
      expect(names(picked.files)).toEqual([
        "modules.json",
        "router_config.json",
        `${module}/config.json`,
        `${module}/model.safetensors`,
        `${module}/vocab.txt`,
        `${module}/tokenizer.json`,
        `${module}/tokenizer_config.json`,
        `${module}/special_tokens_map.json`,
      ]);
    }
  });

  it("falls back to root idf.json, then query_token_weights.txt, each with the root tokenizer; uniform weights take the tokenizer alone", () => {
    const root = ["config.json", "model.safetensors", "vocab.txt", "tokenizer.json", "tokenizer_config.json"];
    const tokenizer = ["vocab.txt", "tokenizer.json", "tokenizer_config.json"];
    // A Router without the module's folder (a partial upload) is no static module.
    const idf = selectStaticQueryFiles(listing([...root, "modules.json", "router_config.json", "query_token_weights.txt", "idf.json"]), "per-token");
    expect([idf.folder, idf.weights?.path, names(idf.files)]).toEqual(["", "idf.json", ["idf.json", ...tokenizer]]);
    const text = selectStaticQueryFiles(listing([...root, "query_token_weights.txt"]), "per-token");
    expect([text.weights?.path, names(text.files)]).toEqual(["query_token_weights.txt", ["query_token_weights.txt", ...tokenizer]]);
    const uniform = selectStaticQueryFiles(listing(root), "uniform");
    expect([uniform.weights, names(uniform.files)]).toEqual([undefined, tokenizer]);
  });

  it("names what an inference-free query needs when the repo lacks it", () => {
    const perToken = () => selectStaticQueryFiles(listing(["config.json", "model.safetensors", "vocab.txt"]), "per-token");
    expect(perToken).toThrow(/no inference-free query weights: expected a query_0_SparseStaticEmbedding\/ .* or idf\.json or query_token_weights\.txt/);
    expect(() => selectStaticQueryFiles(listing(["idf.json", "config.json"]), "per-token")).toThrow(/it contains: idf\.json, config\.json/);
    expect(() => selectStaticQueryFiles(listing(["config.json", "model.safetensors"]), "uniform")).toThrow(/no query tokenizer/);
  });

  it("lists what the repo holds when no encoder is found", () => {
    let error: unknown;
    try {
      selectModelFiles(listing(["README.md", "config.json", "onnx/model.onnx"]), "doc");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).kind).toBe("layout");
    expect((error as ModelError).message).toContain("it contains: README.md, config.json, onnx/model.onnx");
    expect((error as ModelError).message).toContain("--revision");
  });
});

describe("fetchModel", () => {
  it("downloads the root layout byte for byte, safetensors only, pinned to the listed commit", async () => {
    const out = join(dir, "query");
    const progress: DownloadProgress[] = [];
    const started: string[] = [];
    const result = await fetchModel("naver/root-model", "query", out, {
      ...opts(),
      token: TOKEN,
      onProgress: (p) => progress.push(p),
      onFile: (f) => started.push(f.path),
    });
    expect(result).toMatchObject({ repo: "naver/root-model", revision: "main", sha: SHA_MAIN, folder: "" });
    expect(started).toEqual(["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]);
    for (const name of started) {
      await expectBytes(join(out, name), fileOf("naver/root-model", name).bytes);
    }
    expect(existsSync(join(out, "pytorch_model.bin"))).toBe(false);
    expect(existsSync(join(out, "model.safetensors.part"))).toBe(false);

    const resolves = seen.filter((s) => s.server === "hub" && s.path.includes("/resolve/"));
    expect(resolves.map((s) => s.path)).toEqual(started.map((name) => resolvePath("naver/root-model", name)));
    expect(resolves.every((s) => s.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const cdnHits = seen.filter((s) => s.server === "cdn");
    expect(cdnHits).toHaveLength(1);
    expect(cdnHits[0].authorization).toBeUndefined();

    const last = progress.filter((p) => p.file === "model.safetensors").at(-1);
    expect(last).toEqual({ file: "model.safetensors", received: rootSafetensors.length, total: rootSafetensors.length });
  });

  it("fetches the revision asked for (refs/pr/1) at its commit sha", async () => {
    const result = await fetchModel("naver/root-model", "query", dir, { ...opts(), revision: "refs/pr/1" });
    expect(result.sha).toBe(SHA_PR);
    await expectBytes(join(dir, "model.safetensors"), prSafetensors);
    expect(seen.some((s) => s.path === `/naver/root-model/resolve/${SHA_PR}/model.safetensors`)).toBe(true);
  });

  it("falls back to pytorch_model.bin", async () => {
    const result = await fetchModel("naver/bin-only", "doc", dir, opts());
    expect(result.files.map((f) => f.path)).toContain("pytorch_model.bin");
    await expectBytes(join(dir, "pytorch_model.bin"), rootBin);
  });

  it("flattens the sentence-transformers sub-folder of each role into outDir", async () => {
    const query = await fetchModel("naver/st-model", "query", join(dir, "q"), opts());
    const doc = await fetchModel("naver/st-model", "doc", join(dir, "d"), opts());
    expect(query.folder).toBe("query_0_MLMTransformer");
    expect(doc.folder).toBe("document_0_MLMTransformer");
    await expectBytes(join(dir, "q", "model.safetensors"), queryWeights);
    await expectBytes(join(dir, "d", "model.safetensors"), docWeights);
    expect(await readFile(join(dir, "d", "config.json"), "utf8")).toContain("document_0_MLMTransformer/");
    expect(existsSync(join(dir, "q", "modules.json"))).toBe(false);
    expect(seen.some((s) => s.path === resolvePath("naver/st-model", "document_0_MLMTransformer/vocab.txt"))).toBe(true);
  });

  it("asks for a token for a private repo and succeeds with one taken from the environment", async () => {
    const error = await hubError(fetchModel("naver/private", "query", dir, opts()));
    expect(error.kind).toBe("unauthorized");
    expect(error.message).toContain("set HF_TOKEN (https://huggingface.co/settings/tokens)");

    process.env.HUGGING_FACE_HUB_TOKEN = TOKEN;
    seen.length = 0;
    await fetchModel("naver/private", "query", dir, opts());
    await expectBytes(join(dir, "model.safetensors"), rootSafetensors);
    expect(seen.filter((s) => s.server === "hub").every((s) => s.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it("points to the licence page for a gated repo, without and with a token lacking access", async () => {
    const anonymous = await hubError(fetchModel("naver/gated", "query", dir, opts()));
    expect(anonymous.kind).toBe("unauthorized");
    expect(anonymous.message).toContain(`accept the licence on ${endpoint}/naver/gated`);
    expect(anonymous.message).toContain("HF_TOKEN");

    const denied = await hubError(fetchModel("naver/gated", "query", dir, { ...opts(), token: "hf_wrong" }));
    expect(denied.kind).toBe("forbidden");
    expect(denied.message).toContain(`accept the licence on ${endpoint}/naver/gated`);
    expect(denied.message).not.toContain("hf_wrong");

    await fetchModel("naver/gated", "query", dir, { ...opts(), token: TOKEN });
    await expectBytes(join(dir, "model.safetensors"), rootSafetensors);
  });
});

describe("downloadFile", () => {
  const weightsFile = () => hubFile("naver/root-model", "model.safetensors");
  const cdnKey = `/blobs/${sha256(rootSafetensors)}`;

  it("resumes with a Range request after the connection drops mid-file", async () => {
    dropAfter.set(cdnKey, 100_000);
    const dest = join(dir, "model.safetensors");
    const result = await downloadFile("naver/root-model", SHA_MAIN, weightsFile(), dest, opts());
    expect(result).toEqual({ skipped: false, bytes: rootSafetensors.length });
    await expectBytes(dest, rootSafetensors);
    const ranges = seen.filter((s) => s.server === "cdn").map((s) => s.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges).toHaveLength(2);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(100_000);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it("continues an existing .part and hashes the resumed prefix too", async () => {
    const dest = join(dir, "model.safetensors");
    await writeFile(`${dest}.part`, rootSafetensors.subarray(0, 123_456));
    await downloadFile("naver/root-model", SHA_MAIN, weightsFile(), dest, opts());
    expect(seen.find((s) => s.server === "cdn")?.range).toBe("bytes=123456-");
    await expectBytes(dest, rootSafetensors);
  });

  it("restarts when the server ignores Range and answers 200", async () => {
    ignoreRange.add(cdnKey);
    const dest = join(dir, "model.safetensors");
    await writeFile(`${dest}.part`, weights(50_000));
    await downloadFile("naver/root-model", SHA_MAIN, weightsFile(), dest, opts());
    expect(seen.find((s) => s.server === "cdn")?.range).toBe("bytes=50000-");
    await expectBytes(dest, rootSafetensors);
  });

  it("finishes a .part that is already complete (416) without downloading again", async () => {
    const dest = join(dir, "model.safetensors");
    await writeFile(`${dest}.part`, rootSafetensors);
    const result = await downloadFile("naver/root-model", SHA_MAIN, weightsFile(), dest, opts());
    expect(result).toEqual({ skipped: false, bytes: rootSafetensors.length });
    expect(seen.find((s) => s.server === "cdn")?.range).toBe(`bytes=${rootSafetensors.length}-`);
    await expectBytes(dest, rootSafetensors);
  });

  it("refuses a file whose sha256 does not match and leaves nothing behind", async () => {
    const dest = join(dir, "model.safetensors");
    const error = await hubError(downloadFile("naver/corrupt", SHA_MAIN, hubFile("naver/corrupt", "model.safetensors"), dest, opts()));
    expect(error.kind).toBe("integrity");
    expect(error.message).toContain(`instead of ${sha256(rootSafetensors)}`);
    expect(error.message).toContain("run the command again");
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it("verifies with the Hub's X-Linked-Etag when the listing gave no sha256", async () => {
    const dest = join(dir, "model.safetensors");
    const { path, size } = hubFile("naver/corrupt", "model.safetensors");
    const error = await hubError(downloadFile("naver/corrupt", SHA_MAIN, { path, size }, dest, opts()));
    expect(error.kind).toBe("integrity");
  });

  it("skips a file already present with the expected size and sha256", async () => {
    const dest = join(dir, "model.safetensors");
    await writeFile(dest, rootSafetensors);
    const result = await downloadFile("naver/root-model", SHA_MAIN, weightsFile(), dest, opts());
    expect(result).toEqual({ skipped: true, bytes: rootSafetensors.length });
    expect(seen).toHaveLength(0);

    await writeFile(dest, weights(rootSafetensors.length));
    expect((await downloadFile("naver/root-model", SHA_MAIN, weightsFile(), dest, opts())).skipped).toBe(false);
    await expectBytes(dest, rootSafetensors);
  });

  it("a second fetchModel downloads nothing", async () => {
    await fetchModel("naver/root-model", "query", dir, opts());
    seen.length = 0;
    await fetchModel("naver/root-model", "query", dir, opts());
    expect(seen.map((s) => s.path)).toEqual(["/api/models/naver/root-model/revision/main?blobs=true"]);
  });

  it("stops on abort without retrying and keeps the .part for the next run", async () => {
    dropAfter.set(cdnKey, 100_000); // holds the socket open long enough to abort mid-file
    const dest = join(dir, "model.safetensors");
    const controller = new AbortController();
    const error = await downloadFile("naver/root-model", SHA_MAIN, weightsFile(), dest, {
      ...opts(),
      signal: controller.signal,
      onProgress: (p) => p.received > 0 && controller.abort(),
    }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
    expect(seen.filter((s) => s.server === "cdn")).toHaveLength(1);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(true);
  });

  it("explains a file missing at the pinned commit", async () => {
    const error = await hubError(downloadFile("naver/root-model", SHA_MAIN, { path: "onnx/model.onnx" }, join(dir, "m.onnx"), opts()));
    expect(error.kind).toBe("not_found");
    expect(error.message).toContain('File "onnx/model.onnx" not found in "naver/root-model"');
  });
});
