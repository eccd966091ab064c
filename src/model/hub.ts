/**
 * Hugging Face Hub downloads (Node only): list a repo at one commit, pick one encoder's files, stream them to disk
 * with resume and integrity checks. Draws nothing; progress goes through callbacks.
 *
 * Why it is built this way:
 * - One listing call, `GET /api/models/{repo}/revision/{rev}?blobs=true` (huggingface_hub `model_info(files_metadata=True)`),
 *   returns the commit sha and every file's size and LFS sha256. Every file is then resolved at that sha, so a push to
 *   `main` during a download cannot mix two revisions.
 * - Redirects are followed by hand: only the Hub's own hop carries X-Repo-Commit / X-Linked-Size / X-Linked-Etag
 *   (the CDN's answer does not), and the token is sent to the endpoint's origin only, never to the CDN.
 * - `Accept-Encoding: identity`, as huggingface_hub does, so Range offsets and sizes count file bytes, not gzip bytes.
 * - The Hub answers 401, not 404, when an anonymous caller asks for a missing or private repo (huggingface_hub
 *   `hf_raise_for_status`), so that message names both fixes.
 * - ECONNREFUSED / ENOTFOUND / EAI_AGAIN fail at once: on an offline machine retrying only delays the hint. Resets,
 *   timeouts, 408/429/5xx are retried with exponential backoff like huggingface_hub's `http_backoff`, resuming from
 *   the `.part` file each time.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULT_MODEL } from "./catalogue.ts";
import { ModelError } from "./errors.ts";
import type { ModelRole } from "./manifest.ts";

export type { ModelRole };

/** Where and how to reach the Hub. Defaults: `HF_ENDPOINT` or https://huggingface.co, `HF_TOKEN` or `HUGGING_FACE_HUB_TOKEN`, revision `main`. */
export interface HubOptions {
  endpoint?: string;
  token?: string;
  revision?: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Transient failures are tried `attempts` times in all (default 5), waiting baseDelayMs × 2^n between tries (default 1000, capped at 8 s). */
  retry?: { attempts?: number; baseDelayMs?: number };
}

/** One file of a repo; `size` and `sha256` come from the listing (sha256 only for LFS files). */
export interface HubFile {
  path: string;
  size?: number;
  sha256?: string;
}

/** A repo's files at the commit `sha` that `revision` pointed to when listed. */
export interface RepoListing {
  repo: string;
  revision: string;
  sha: string;
  files: HubFile[];
}

/** Progress of one file; `received` counts bytes on disk, including a resumed prefix. */
export interface DownloadProgress {
  file: string;
  received: number;
  total?: number;
}

const DEFAULT_ENDPOINT = "https://huggingface.co";
const TOKEN_PAGE = "https://huggingface.co/settings/tokens";
const OFFLINE_HINT = "set HF_ENDPOINT for a mirror, or convert a local folder with `npm run model -- convert <hf-folder> <out>`";
const MAX_REDIRECTS = 10;
const MAX_DELAY_MS = 8_000;
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const SHA256_RE = /^[0-9a-f]{64}$/;
const COMMIT_RE = /^[0-9a-f]{40}$/;
const REPO_RE = /^[\w.-]+(\/[\w.-]+)?$/;
const WEIGHTS = ["model.safetensors", "pytorch_model.bin"];
const TOKENIZER_FILES = ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];
const ROLE_PREFIXES: Record<ModelRole, string[]> = { query: ["query_"], doc: ["document_", "doc_"] };
const ENCODER_FOLDER_RE = /^([^/]+_MLMTransformer)\/[^/]+$/;

interface Client {
  endpoint: string;
  token?: string;
  fetch: typeof fetch;
  signal?: AbortSignal;
  attempts: number;
  baseDelayMs: number;
}

interface Target {
  repo: string;
  revision: string;
  path?: string;
}

interface Expected {
  size?: number;
  sha256?: string;
}

const transient = new WeakSet<object>();

function retryable(error: ModelError): ModelError {
  transient.add(error);
  return error;
}

function client(opts: HubOptions): Client {
  const token = opts.token ?? (process.env.HF_TOKEN || process.env.HUGGING_FACE_HUB_TOKEN);
  return {
    endpoint: (opts.endpoint ?? (process.env.HF_ENDPOINT || DEFAULT_ENDPOINT)).replace(/\/+$/, ""),
    token: token || undefined,
    fetch: opts.fetch ?? globalThis.fetch,
    signal: opts.signal,
    attempts: Math.max(1, opts.retry?.attempts ?? 5),
    baseDelayMs: opts.retry?.baseDelayMs ?? 1_000,
  };
}

function checkRepoId(repo: string): void {
  if (!REPO_RE.test(repo) || repo.split("/").some((part) => part === "." || part === "..")) {
    throw new ModelError("not_found", `"${repo}" is not a model id — expected owner/name, e.g. ${DEFAULT_MODEL.query.hub.repo} (pass --query-repo/--doc-repo)`);
  }
}

function describe(t: Target): string {
  return t.path ? `"${t.path}" from "${t.repo}"` : `the file list of "${t.repo}" at revision "${t.revision}"`;
}

async function retrying<T>(c: Client, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= c.attempts || !(error instanceof Object) || !transient.has(error)) throw error;
      await sleep(Math.min(MAX_DELAY_MS, c.baseDelayMs * 2 ** (tries - 1)), undefined, { signal: c.signal });
    }
  }
}

function errorCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== "object" || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string") return code;
  return errorCode(cause, depth + 1) ?? (Array.isArray(errors) ? errorCode(errors[0], depth + 1) : undefined);
}

function connectionError(c: Client, error: unknown, t: Target): unknown {
  if (c.signal?.aborted) return error;
  const code = errorCode(error);
  if (code && UNREACHABLE.has(code)) {
    return new ModelError("network", `Could not reach ${c.endpoint} (${code}) — check the network connection; ${OFFLINE_HINT}`, {
      cause: error,
    });
  }
  const failure = new ModelError(
    "network",
    `Connection to ${c.endpoint} failed while fetching ${describe(t)} (${code ?? String(error)}) — run the command again; ${OFFLINE_HINT}`,
    { cause: error },
  );
  return code && TRANSIENT_CODES.has(code) ? retryable(failure) : failure;
}

/** Follows redirects itself so the Hub hop's headers stay readable and the token never leaves the endpoint's origin. */
async function send(c: Client, url: string, headers: Record<string, string>, t: Target): Promise<{ res: Response; hub: Headers }> {
  const origin = new URL(c.endpoint).origin;
  let hub: Headers | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const sent: Record<string, string> = { ...headers };
    if (c.token && new URL(url).origin === origin) sent.authorization = `Bearer ${c.token}`;
    let res: Response;
    try {
      res = await c.fetch(url, { headers: sent, redirect: "manual", signal: c.signal });
    } catch (error) {
      throw connectionError(c, error, t);
    }
    hub ??= res.headers;
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !location) return { res, hub };
    await res.body?.cancel();
    url = new URL(location, url).href;
  }
  throw new ModelError("network", `Too many redirects while fetching ${describe(t)} from ${c.endpoint} — ${OFFLINE_HINT}`);
}

async function serverMessage(res: Response): Promise<string | undefined> {
  const header = res.headers.get("x-error-message");
  if (header) {
    await res.body?.cancel();
    return header;
  }
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === "string" ? body.error : undefined;
  } catch {
    return undefined;
  }
}

/** One table from Hub answers to errors (huggingface_hub `hf_raise_for_status` order: X-Error-Code first, then status). */
async function failure(c: Client, res: Response, t: Target): Promise<ModelError> {
  const code = res.headers.get("x-error-code");
  const server = await serverMessage(res);
  const detail = server ? ` (Hub: ${server})` : "";
  const page = `${c.endpoint}/${t.repo}`;
  const checkId = "check the model id (or pass --query-repo/--doc-repo)";
  if (code === "RevisionNotFound") {
    return new ModelError(
      "not_found",
      `Revision "${t.revision}" not found in "${t.repo}" on ${c.endpoint} — check --revision (a branch, tag, full commit sha or refs/pr/N)`,
    );
  }
  if (code === "EntryNotFound" || (res.status === 404 && t.path && code !== "RepoNotFound")) {
    return new ModelError(
      "not_found",
      `File "${t.path}" not found in "${t.repo}" at revision ${t.revision} on ${c.endpoint} — the repository changed; list it again or pick another --revision`,
    );
  }
  if (code === "GatedRepo") {
    return c.token
      ? new ModelError(
          "forbidden",
          `"${t.repo}" is gated and this token has no access — accept the licence on ${page} while logged in to the token's account, then run again${detail}`,
        )
      : new ModelError(
          "unauthorized",
          `"${t.repo}" is gated and requires authentication: accept the licence on ${page}, then set HF_TOKEN (${TOKEN_PAGE})${detail}`,
        );
  }
  if (res.status === 401 && !c.token) {
    return code === "RepoNotFound"
      ? new ModelError(
          "unauthorized",
          `Repository "${t.repo}" not found on ${c.endpoint}, or it is private — ${checkId}; if it is private, set HF_TOKEN (${TOKEN_PAGE})`,
        )
      : new ModelError("unauthorized", `"${t.repo}" on ${c.endpoint} requires authentication: set HF_TOKEN (${TOKEN_PAGE})${detail}`);
  }
  if (code === "RepoNotFound" || res.status === 404) {
    const tokenNote = c.token ? " (or the token in use cannot see it)" : "";
    return new ModelError("not_found", `Repository "${t.repo}" not found on ${c.endpoint}${tokenNote} — ${checkId}`);
  }
  if (res.status === 401) {
    return new ModelError("unauthorized", `The token was rejected by ${c.endpoint} while fetching ${describe(t)} — check HF_TOKEN (${TOKEN_PAGE})${detail}`);
  }
  if (res.status === 403) {
    return new ModelError(
      "forbidden",
      `Access to "${t.repo}" is forbidden — if the model is gated, accept its licence on ${page}; make sure HF_TOKEN has read access${detail}`,
    );
  }
  const unexpected = new ModelError("network", `${c.endpoint} answered HTTP ${res.status} for ${describe(t)}${detail} — try again later; ${OFFLINE_HINT}`);
  return TRANSIENT_STATUSES.has(res.status) ? retryable(unexpected) : unexpected;
}

function nonNegativeInt(value: unknown): number | undefined {
  const n = typeof value === "string" && value !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function toHubFile(sibling: { rfilename: string; size?: unknown; lfs?: { sha256?: unknown; oid?: unknown; size?: unknown } | null }): HubFile {
  const sha256 = sibling.lfs?.sha256 ?? sibling.lfs?.oid;
  const file: HubFile = { path: sibling.rfilename };
  const size = nonNegativeInt(sibling.lfs?.size) ?? nonNegativeInt(sibling.size);
  if (size !== undefined) file.size = size;
  if (typeof sha256 === "string" && SHA256_RE.test(sha256)) file.sha256 = sha256;
  return file;
}

/** Lists every file of `repo` at `opts.revision` (default "main") with sizes and LFS sha256, and the commit sha it resolved to. */
export async function listRepoFiles(repo: string, opts: HubOptions = {}): Promise<RepoListing> {
  checkRepoId(repo);
  const c = client(opts);
  const revision = opts.revision ?? "main";
  const t: Target = { repo, revision };
  const url = `${c.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const body = await retrying(c, async () => {
    const { res } = await send(c, url, { accept: "application/json" }, t);
    if (!res.ok) throw await failure(c, res, t);
    try {
      return (await res.json()) as { sha?: unknown; siblings?: unknown };
    } catch (error) {
      throw retryable(new ModelError("network", `${c.endpoint} sent an unreadable answer for ${describe(t)} — try again later`, { cause: error }));
    }
  });
  if (typeof body.sha !== "string" || !Array.isArray(body.siblings)) {
    throw new ModelError(
      "network",
      `${c.endpoint} answered ${describe(t)} without a commit sha or file list — is HF_ENDPOINT a Hugging Face Hub (or a mirror of its API)?`,
    );
  }
  const files = (body.siblings as unknown[])
    .filter((s): s is { rfilename: string } => typeof (s as { rfilename?: unknown } | null)?.rfilename === "string")
    .map(toHubFile);
  return { repo, revision, sha: body.sha, files };
}

/** What one half of a model needs from its repo: the files, and where they came from. */
export interface Selection {
  /** The sub-folder the half's own files sit in ("" for the root); fetchModel writes that folder's files at outDir's top. */
  folder: string;
  files: HubFile[];
  /** The file that holds the half's weights; none for uniform query weights (a query's tokens, each weighing 1). */
  weights?: HubFile;
}

/** sentence-transformers' files that say how a root transformer is pooled (Router.save, SparseEncoder.save; §2.0, §5). */
const ST_ROOT_FILES = ["modules.json", "router_config.json", "sentence_bert_config.json"];
const POOLING_CONFIG_RE: Record<ModelRole, RegExp> = {
  query: /^query_\d+_SpladePooling\/config\.json$/,
  doc: /^(?:document|doc)_\d+_SpladePooling\/config\.json$/,
};
// sentence-transformers ≥ 5.0.0 names the static query module SparseStaticEmbedding; repos saved before carry IDF
// (docs/model-sources.md §0).
const STATIC_MODULE_RE = /^(query_\d+_(?:SparseStaticEmbedding|IDF))\/[^/]+$/;
/** The root files an inference-free query table may come as, after the sentence-transformers module, in that order (§2.0). */
const STATIC_ROOT_TABLES = ["idf.json", "query_token_weights.txt"];

function layoutError(listing: RepoListing, what: string): ModelError {
  const shown = listing.files.slice(0, 25).map((f) => f.path);
  const more = listing.files.length > shown.length ? ` and ${listing.files.length - shown.length} more` : "";
  return new ModelError(
    "layout",
    `"${listing.repo}" at ${listing.sha.slice(0, 12)} (revision "${listing.revision}") has no ${what}; ` +
      `it contains: ${shown.join(", ") || "nothing"}${more} — pick another --revision or --query-repo/--doc-repo`,
  );
}

/**
 * Picks the files of one transformer encoder. Looks, in order, for a `*_MLMTransformer/` folder named for the role
 * (`query_…` for query, `document_…` for doc: the sentence-transformers layout of later revisions), then the root
 * layout (config.json + weights at the root), then the only `*_MLMTransformer/` folder not named for the other role.
 * Weights: model.safetensors, else pytorch_model.bin. Adds config.json and the tokenizer files present (from the
 * folder, else from the root). A transformer at the root of a sentence-transformers repo (OpenSearch's Routers: the
 * document transformer at the root, `document_1_SpladePooling/` beside it) brings the files that say how it is
 * pooled: modules.json, router_config.json, sentence_bert_config.json and the role's `*_SpladePooling/config.json`.
 * Throws a `layout` ModelError listing what the repo holds when nothing fits.
 */
export function selectModelFiles(listing: RepoListing, role: ModelRole): Selection & { weights: HubFile } {
  const byPath = new Map(listing.files.map((f) => [f.path, f]));
  const at = (folder: string, name: string) => byPath.get(folder ? `${folder}/${name}` : name);
  const complete = (folder: string) => at(folder, "config.json") !== undefined && WEIGHTS.some((w) => at(folder, w));
  const named = (folder: string, r: ModelRole) => ROLE_PREFIXES[r].some((p) => folder.startsWith(p));
  const other: ModelRole = role === "query" ? "doc" : "query";
  const encoders = [...new Set(listing.files.map((f) => ENCODER_FOLDER_RE.exec(f.path)?.[1]))].filter((f): f is string => f !== undefined && complete(f));
  const unnamed = encoders.filter((f) => !named(f, other));
  const folder = encoders.find((f) => named(f, role)) ?? (complete("") ? "" : unnamed.length === 1 ? unnamed[0] : undefined);
  if (folder === undefined) {
    throw layoutError(
      listing,
      `${role} encoder: expected config.json with model.safetensors or pytorch_model.bin at the root or in a ${ROLE_PREFIXES[role][0]}0_MLMTransformer/ folder`,
    );
  }
  const weights = WEIGHTS.map((w) => at(folder, w)).find((f) => f !== undefined) as HubFile;
  const tokenizer = TOKENIZER_FILES.map((name) => at(folder, name) ?? at("", name)).filter((f) => f !== undefined);
  // A flattened sub-folder leaves the Router's files pointing at folders that are not there: only a root transformer takes them.
  const pooling = folder === "" ? listing.files.filter((f) => ST_ROOT_FILES.includes(f.path) || POOLING_CONFIG_RE[role].test(f.path)) : [];
  return { folder, files: [at(folder, "config.json") as HubFile, weights, ...tokenizer, ...pooling], weights };
}

/**
 * Picks the files of an inference-free query half (docs/model-sources.md §2.0, §4, §5), never the document
 * transformer beside it. Per-token weights: the sentence-transformers static module (modules.json, router_config.json
 * and its `query_N_SparseStaticEmbedding/` or `query_N_IDF/` folder: config, weights, its own tokenizer), else root
 * `idf.json`, else root `query_token_weights.txt`, each of the root tables with the root tokenizer. Uniform weights
 * (every query token weighs 1): the root tokenizer alone. The files keep their paths: the converter finds the module
 * through router_config.json. Throws a `layout` ModelError listing what the repo holds when nothing fits.
 */
export function selectStaticQueryFiles(listing: RepoListing, weighting: "per-token" | "uniform"): Selection {
  const byPath = new Map(listing.files.map((f) => [f.path, f]));
  const tokenizerIn = (folder: string) => TOKENIZER_FILES.map((name) => byPath.get(folder ? `${folder}/${name}` : name)).filter((f) => f !== undefined);
  const rootTokenizer = tokenizerIn("");
  const tokenizerWord = "a tokenizer (tokenizer.json or vocab.txt) at the root";
  const hasVocabulary = (files: HubFile[]) => files.some((f) => /(^|\/)(tokenizer\.json|vocab\.txt)$/.test(f.path));
  if (weighting === "uniform") {
    if (!hasVocabulary(rootTokenizer)) throw layoutError(listing, `query tokenizer: expected ${tokenizerWord}`);
    return { folder: "", files: rootTokenizer };
  }
  const modules = [...new Set(listing.files.map((f) => STATIC_MODULE_RE.exec(f.path)?.[1]))].filter((f): f is string => f !== undefined);
  for (const folder of modules) {
    const weights = WEIGHTS.map((w) => byPath.get(`${folder}/${w}`)).find((f) => f !== undefined);
    const router = ["modules.json", "router_config.json"].map((name) => byPath.get(name));
    if (!weights || router.some((f) => f === undefined)) continue;
    const own = tokenizerIn(folder);
    const config = byPath.get(`${folder}/config.json`);
    const files = [...(router as HubFile[]), ...(config ? [config] : []), weights, ...(hasVocabulary(own) ? own : rootTokenizer)];
    return { folder, files, weights };
  }
  const table = STATIC_ROOT_TABLES.map((name) => byPath.get(name)).find((f) => f !== undefined);
  if (table && hasVocabulary(rootTokenizer)) return { folder: "", files: [table, ...rootTokenizer], weights: table };
  throw layoutError(
    listing,
    "inference-free query weights: expected a query_0_SparseStaticEmbedding/ (or query_0_IDF/) module with modules.json and " +
      `router_config.json, or ${STATIC_ROOT_TABLES.join(" or ")} with ${tokenizerWord}`,
  );
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

async function alreadyThere(path: string, expected: Expected): Promise<number | undefined> {
  const size = await sizeOf(path);
  if (size === undefined || (expected.size === undefined && expected.sha256 === undefined)) return undefined;
  if (expected.size !== undefined && size !== expected.size) return undefined;
  if (expected.sha256 !== undefined && (await sha256File(path)) !== expected.sha256) return undefined;
  return size;
}

function contentRange(header: string | null): { start?: number; total?: number } {
  const m = /^bytes (?:(\d+)-\d+|\*)\/(\d+|\*)$/.exec(header?.trim() ?? "");
  return m ? { start: nonNegativeInt(m[1]), total: nonNegativeInt(m[2]) } : {};
}

function linkedSha256(hub: Headers): string | undefined {
  const etag = (hub.get("x-linked-etag") ?? hub.get("etag") ?? "").replace(/^W\//, "").replace(/"/g, "");
  return SHA256_RE.test(etag) ? etag : undefined;
}

/** One attempt: request from the .part's current size, append (206) or restart (200), return what the file must be. */
async function fetchInto(c: Client, url: string, part: string, file: HubFile, t: Target, onProgress?: (p: DownloadProgress) => void): Promise<Expected> {
  let offset = (await sizeOf(part)) ?? 0;
  if (file.size !== undefined && offset > file.size) {
    await rm(part, { force: true });
    offset = 0;
  }
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  const { res, hub } = await send(c, url, headers, t);
  const commit = hub.get("x-repo-commit");
  if (commit && COMMIT_RE.test(t.revision) && commit !== t.revision) {
    await res.body?.cancel();
    throw new ModelError(
      "integrity",
      `${c.endpoint} served ${describe(t)} from commit ${commit} instead of the pinned ${t.revision} — is HF_ENDPOINT a faithful mirror?`,
    );
  }
  const expected: Expected = { size: file.size ?? nonNegativeInt(hub.get("x-linked-size")), sha256: file.sha256 ?? linkedSha256(hub) };
  const range = contentRange(res.headers.get("content-range"));
  if (res.status === 416) {
    await res.body?.cancel();
    if (offset > 0 && (range.total ?? expected.size) === offset) return { ...expected, size: expected.size ?? offset };
    await rm(part, { force: true });
    throw retryable(new ModelError("network", `${c.endpoint} refused to resume ${describe(t)} (HTTP 416) — restarting it`));
  }
  if (!res.ok) throw await failure(c, res, t);
  if (res.status === 206 && range.start !== offset) {
    await res.body?.cancel();
    await rm(part, { force: true });
    throw retryable(new ModelError("network", `${c.endpoint} resumed ${describe(t)} at the wrong offset — restarting it`));
  }
  if (res.status === 206) {
    expected.size ??= range.total;
  } else {
    // A 200 to a Range request means the server ignored Range and sends the whole file: start over.
    offset = 0;
    expected.size ??= nonNegativeInt(res.headers.get("content-length"));
  }
  let received = offset;
  onProgress?.({ file: file.path, received, total: expected.size });
  try {
    const body = res.body ? Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>) : Readable.from([]);
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          received += chunk.length;
          onProgress?.({ file: file.path, received, total: expected.size });
          yield chunk;
        }
      },
      createWriteStream(part, { flags: offset > 0 ? "a" : "w" }),
    );
  } catch (error) {
    const code = errorCode(error);
    if (c.signal?.aborted || !code || !TRANSIENT_CODES.has(code)) throw error;
    throw retryable(
      new ModelError(
        "network",
        `Connection lost while downloading ${describe(t)} (${code}) at byte ${received}; the partial file ${part} is kept — run the command again to resume`,
        { cause: error },
      ),
    );
  }
  if (expected.size !== undefined && received < expected.size) {
    throw retryable(
      new ModelError(
        "network",
        `Download of ${describe(t)} ended at byte ${received} of ${expected.size}; the partial file ${part} is kept — run the command again to resume`,
      ),
    );
  }
  return expected;
}

/**
 * Streams one file of `repo` at commit `sha` to `dest` through `dest + ".part"`: resumes an existing .part with a
 * Range request, restarts when the server ignores Range, retries transient failures, checks size and sha256 (of the
 * whole file) when known and deletes the .part on a mismatch, then renames it into place. A `dest` that already has
 * the expected size/sha256 is skipped. `bytes` is the size of the file on disk.
 */
export async function downloadFile(
  repo: string,
  sha: string,
  file: HubFile,
  dest: string,
  opts: HubOptions & { onProgress?: (p: DownloadProgress) => void } = {},
): Promise<{ skipped: boolean; bytes: number }> {
  checkRepoId(repo);
  const present = await alreadyThere(dest, file);
  if (present !== undefined) return { skipped: true, bytes: present };
  const c = client(opts);
  const t: Target = { repo, revision: sha, path: file.path };
  const url = `${c.endpoint}/${repo}/resolve/${encodeURIComponent(sha)}/${file.path.split("/").map(encodeURIComponent).join("/")}`;
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });
  const expected = await retrying(c, () => fetchInto(c, url, part, file, t, opts.onProgress));
  const bytes = (await sizeOf(part)) ?? 0;
  const hash = expected.sha256 === undefined ? undefined : await sha256File(part);
  if ((expected.size !== undefined && bytes !== expected.size) || hash !== expected.sha256) {
    await rm(part, { force: true });
    const what =
      expected.size !== undefined && bytes !== expected.size ? `${bytes} bytes instead of ${expected.size}` : `sha256 ${hash} instead of ${expected.sha256}`;
    throw new ModelError(
      "integrity",
      `${describe(t)} arrived corrupted (${what}); the partial file was deleted — run the command again; if it persists, ${c.endpoint} serves a different file than the Hub lists`,
    );
  }
  await rename(part, dest);
  return { skipped: false, bytes };
}

/** Where a selected file lands under outDir: the selected folder's files at its top, every other file at its repo path. */
export function localPath(folder: string, path: string): string {
  return folder && path.startsWith(`${folder}/`) ? path.slice(folder.length + 1) : path;
}

/**
 * Lists `repo`, selects one half's files and downloads each into `outDir`, all from the one commit the revision
 * resolved to. The half: the `role` transformer encoder, or with `inferenceFree` an inference-free query's weights
 * (selectStaticQueryFiles). A transformer's own sub-folder is flattened into outDir; every other file keeps its repo
 * path. `onFile` is called before each file.
 */
export async function fetchModel(
  repo: string,
  role: ModelRole,
  outDir: string,
  opts: HubOptions & {
    onProgress?: (p: DownloadProgress) => void;
    onFile?: (f: HubFile) => void;
    inferenceFree?: "per-token" | "uniform";
  } = {},
): Promise<{ repo: string; revision: string; sha: string } & Selection> {
  const listing = await listRepoFiles(repo, opts);
  const selection = opts.inferenceFree ? selectStaticQueryFiles(listing, opts.inferenceFree) : selectModelFiles(listing, role);
  // The static module's folder keeps its path (router_config.json names it); only a transformer's folder is flattened.
  const flatten = opts.inferenceFree ? "" : selection.folder;
  for (const file of selection.files) {
    opts.onFile?.(file);
    await downloadFile(repo, listing.sha, file, join(outDir, localPath(flatten, file.path)), opts);
  }
  return { repo, revision: listing.revision, sha: listing.sha, ...selection };
}
