// The artifact `npm run deploy` uploads, tested: the real wrangler CLI builds the deploy bundle (`wrangler deploy
// --dry-run --outdir`, offline: a preload refuses every connection and the test checks none was tried), and exactly
// those files run in workerd through Miniflare's own API, with a model/ folder as a user's holds it (the generated sparse
// query model in query/, a search index in index/, a doc model, Hub downloads) as the Worker's private assets: what
// wrangler would upload of it is read from wrangler's own log. Its answers are checked against the float64 reference
// encoder (src/model/reference.ts).
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { buildIndex } from "../../src/index/build.ts";
import { ensureFixtureModels } from "../../src/model/fixture.ts";
import type { ModelManifest } from "../../src/model/manifest-format.ts";
import { referenceQueries } from "../support/reference.ts";
import { expectReference, type GoldenQuery, type IdsBody } from "../worker/golden.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = join(REPO, "node_modules", "wrangler", "bin", "wrangler.js");
const NO_NETWORK = pathToFileURL(join(REPO, "test", "support", "no-network.mjs")).href;
const ORIGIN = "https://splade-edge.test";
const KIB = 1024;
/** Workers' limits: 3 MB gzip for a free-plan script, 25 MiB for one static asset. */
const FREE_PLAN_GZIP_BYTES = 3 * 1024 * 1024;
const ASSET_FILE_BYTES = 25 * 1024 * 1024;
const VS_REFERENCE = 1e-4;

const QUERIES = [
  // 10 tokens with [CLS] and [SEP].
  "what is the capital of france and germany",
  "Café Müller naïve résumé — ÀÉÎÕÜ",
  "東京タワーの高さは？北京大学",
  "a",
  // Far over 256 tokens: truncated.
  "the quick brown fox jumps over the lazy dog while sparse encoders count every word ".repeat(20).trim(),
];

interface BundleFile {
  name: string;
  bytes: number;
  gzipBytes: number;
}

/** The fields of wrangler's parsed config (its `Config`, whose types wrangler does not ship) the test reads. */
interface DeployConfig {
  main: string;
  compatibility_date: string;
  compatibility_flags: string[];
  vars: Record<string, Json>;
  ratelimits: Array<{ name: string; simple: { limit: number; period: 10 | 60 } }>;
  assets?: { directory?: string; binding?: string; run_worker_first?: boolean | string[] };
  version_metadata?: { binding: string };
}
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

// wrangler.toml as wrangler itself reads it for deploy.
const deploy = unstable_readConfig({ config: join(REPO, "wrangler.toml") }) as DeployConfig;
/** The bundled entry point: wrangler names it after `main`. */
const entry = `${basename(deploy.main, ".ts")}.js`;
const work = mkdtempSync(join(tmpdir(), "splade-edge-bundle-"));
const outdir = join(work, "out");
const netLog = join(work, "net.log");
/** The model/ folder the bundle is given as its assets. */
let assetsDir: string;
/** Its files (paths relative to it, with `/`), and those wrangler's log says it leaves out of the upload. */
let assetFiles: string[] = [];
let ignoredAssets: Set<string>;
let wranglerOutput = "";
let files: BundleFile[] = [];
/** The names the Miniflare options bind in the Worker's env. */
let boundNames: string[] = [];
let mf: Miniflare | undefined;
let references: GoldenQuery[] = [];
let manifest: ModelManifest;

beforeAll(async () => {
  const { hf, models } = await ensureFixtureModels();
  // 0. A model/ folder as `npm run model -- fetch` and `splade-index build` leave it, with the committed .assetsignore
  // and README.md: the converted query model (model.onnx and its own .assetsignore included), the doc model, a Hub
  // download, and a search index built from three documents by the doc model.
  assetsDir = join(work, "model");
  mkdirSync(assetsDir);
  for (const file of [".assetsignore", "README.md"]) cpSync(join(REPO, "model", file), join(assetsDir, file));
  cpSync(resolve(REPO, models["query-sparse"]), join(assetsDir, "query"), { recursive: true });
  cpSync(resolve(REPO, models.doc), join(assetsDir, "doc"), { recursive: true });
  cpSync(resolve(REPO, hf.doc), join(assetsDir, ".hub", "doc"), { recursive: true });
  const ids = join(work, "docs.ids.jsonl");
  writeFileSync(
    ids,
    ['{"id":"a","indices":[1996,2417],"values":[1.5,0.25]}', '{"id":"b","indices":[2417],"values":[2]}', '{"id":"c","indices":[7592],"values":[0.5]}'].join(
      "\n",
    ),
  );
  await buildIndex({
    inputs: [ids],
    output: join(assetsDir, "index"),
    model: resolve(REPO, models.doc),
    force: false,
    builder: { name: "test", version: "0" },
  });
  assetFiles = readdirSync(assetsDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(assetsDir, join(e.parentPath, e.name)).split("\\").join("/"))
    .sort();

  // 1. The bundle, built by the CLI users deploy with. `--assets` swaps only the folder (model/ holds no model here);
  // binding and run_worker_first still come from wrangler.toml. The banner is hidden: it is what asks
  // registry.npmjs.org for a newer wrangler.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
    WRANGLER_LOG_PATH: join(work, "logs"),
    NET_GUARD_LOG: netLog,
    FORCE_COLOR: "0",
    NO_COLOR: "1",
  };
  const build = await run(process.execPath, ["--import", NO_NETWORK, WRANGLER, "deploy", "--dry-run", "--outdir", outdir, "--assets", assetsDir], env, 60_000);
  wranglerOutput = build.stdout + build.stderr;
  if (build.code !== 0) throw new Error(`wrangler deploy --dry-run exited ${build.code}:\n${wranglerOutput}`);
  // The dry run builds the upload's manifest as a deploy does (buildAssetManifest, wrangler 4.86.0), logging each path
  // its .assetsignore leaves out at debug level, which always goes to the log file.
  const log = readdirSync(join(work, "logs")).map((name) => readFileSync(join(work, "logs", name), "utf8"));
  ignoredAssets = new Set(log.flatMap((text) => [...text.matchAll(/^Ignoring asset: (.+)$/gm)].map((m) => m[1].split("\\").join("/"))));
  files = readdirSync(outdir)
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(outdir, name));
      return { name, bytes: bytes.byteLength, gzipBytes: gzipSync(bytes).byteLength };
    });

  // 2. Exactly that bundle in workerd, through Miniflare's API, with what wrangler.toml gives it deployed: its
  // compatibility date and flags, vars, rate limiters, version metadata and private assets. The assets options are those wrangler's own
  // dev server derives from wrangler.toml (getAssetsOptions): the router forwards only to a Worker it is told exists
  // (has_user_worker), and run_worker_first is invoke_user_worker_ahead_of_assets.
  const modules = files
    .filter((f) => f.name.endsWith(".js") || f.name.endsWith(".wasm"))
    .map((f) => ({ type: f.name.endsWith(".wasm") ? ("CompiledWasm" as const) : ("ESModule" as const), path: join(outdir, f.name) }));
  // The entry point first: Miniflare runs the first module.
  modules.sort((a, b) => Number(basename(b.path) === entry) - Number(basename(a.path) === entry));
  if (!deploy.assets?.binding) throw new Error("wrangler.toml: [assets] has no binding");
  if (Array.isArray(deploy.assets.run_worker_first)) throw new Error("wrangler.toml: run_worker_first as routes needs routerConfig.static_routing here");
  const ratelimits = Object.fromEntries(deploy.ratelimits.map((r) => [r.name, { simple: r.simple }]));
  const versionMetadata = deploy.version_metadata?.binding;
  boundNames = [deploy.assets.binding, ...Object.keys(deploy.vars), ...Object.keys(ratelimits), ...(versionMetadata ? [versionMetadata] : [])].sort();
  const options: MiniflareOptions = {
    modulesRoot: outdir,
    modules,
    compatibilityDate: deploy.compatibility_date,
    compatibilityFlags: deploy.compatibility_flags,
    bindings: deploy.vars,
    ratelimits,
    versionMetadata,
    assets: {
      directory: assetsDir,
      binding: deploy.assets.binding,
      routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: deploy.assets.run_worker_first === true },
      assetConfig: { compatibility_date: deploy.compatibility_date, compatibility_flags: deploy.compatibility_flags },
    },
  };
  mf = new Miniflare(options);
  await mf.ready;

  // 3. The reference vectors, as test/worker/global-setup.ts computes them.
  manifest = JSON.parse(readFileSync(join(assetsDir, "query", "manifest.json"), "utf8")) as ModelManifest;
  references = referenceQueries(join(assetsDir, "query"), hf["query-sparse"], QUERIES);
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  rmSync(work, { recursive: true, force: true });
});

function fetchWorker(path: string, init?: RequestInit): ReturnType<Miniflare["dispatchFetch"]> {
  if (!mf) throw new Error("Miniflare did not start");
  return mf.dispatchFetch(`${ORIGIN}${path}`, init as Parameters<Miniflare["dispatchFetch"]>[1]);
}

function postJson(path: string, body: unknown): ReturnType<Miniflare["dispatchFetch"]> {
  return fetchWorker(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

function expectAnswer(body: IdsBody, reference: GoldenQuery): void {
  expect(body.model).toBe(manifest.source.repo);
  expectReference(body, reference, VS_REFERENCE);
}

describe("wrangler deploy --dry-run --outdir", () => {
  it("builds offline: no connection or DNS lookup tried, in wrangler's CLI process too", () => {
    const log = existsSync(netLog) ? readFileSync(netLog, "utf8").trim().split("\n") : [];
    expect(log.some((line) => /^guarding \d+ .*wrangler-dist[/\\]cli\.js$/.test(line))).toBe(true);
    expect(log.filter((line) => !line.startsWith("guarding "))).toEqual([]);
    expect(wranglerOutput).toContain("--dry-run: exiting now.");
  });

  it("writes one ES module, the .wasm modules it imports (the kernel's and the search scorer), and nothing else it would upload", () => {
    const js = files.filter((f) => f.name.endsWith(".js"));
    const wasm = files.filter((f) => f.name.endsWith(".wasm"));
    expect(js.map((f) => f.name)).toEqual([entry]);
    expect(wasm.map((f) => f.name.replace(/^[0-9a-f]{40}-/, "")).sort()).toEqual(["kernel-relaxed.wasm", "kernel.wasm", "search-scorer.wasm"]);
    // The rest: the source map (not uploaded: wrangler.toml has no upload_source_maps) and wrangler's README.
    expect(files.filter((f) => !js.includes(f) && !wasm.includes(f)).map((f) => f.name)).toEqual(["README.md", `${entry}.map`]);
    const source = readFileSync(join(outdir, js[0].name), "utf8");
    const imported = [...source.matchAll(/^import \w+ from "\.\/([^"]+\.wasm)";$/gm)].map((m) => m[1]).sort();
    expect(imported).toEqual(wasm.map((f) => f.name).sort());
    // Hono, zod, the tokenizer and the kernel; no onnxruntime code (package.json's text, inlined for /info, names it).
    expect(source).not.toMatch(/^\/\/ node_modules\/onnxruntime/m);
  });

  it("gives the Worker the bindings wrangler lists for it, each one in the Miniflare options", () => {
    const listed = [...wranglerOutput.matchAll(/^env\.(\w+)\b/gm)].map((m) => m[1]).sort();
    expect(listed).toContain("ASSETS");
    expect(boundNames).toEqual(listed);
  });

  it("is the size wrangler reports, under the free plan's 3 MB gzip; each asset is under 25 MiB", () => {
    const uploaded = files.filter((f) => f.name.endsWith(".js") || f.name.endsWith(".wasm"));
    // As wrangler measures (bundle-reporter.ts): the modules' bytes, and one gzip of them all, the entry point last.
    const ordered = [...uploaded.filter((f) => f.name.endsWith(".wasm")), ...uploaded.filter((f) => f.name.endsWith(".js"))];
    const bytes = ordered.reduce((sum, f) => sum + f.bytes, 0);
    const gzipBytes = gzipSync(Buffer.concat(ordered.map((f) => readFileSync(join(outdir, f.name))))).byteLength;
    const reported = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(wranglerOutput);
    expect(reported, wranglerOutput).not.toBeNull();
    expect((bytes / KIB).toFixed(2)).toBe(reported?.[1]);
    expect(Math.abs(gzipBytes / KIB - Number(reported?.[2]))).toBeLessThan(1);
    expect(gzipBytes).toBeLessThan(FREE_PLAN_GZIP_BYTES);

    const assets = assetFiles.filter((name) => !ignoredAssets.has(name)).map((name) => ({ name, bytes: statSync(join(assetsDir, name)).size }));
    for (const asset of assets) expect(asset.bytes, asset.name).toBeLessThan(ASSET_FILE_BYTES);

    const kib = (n: number) => `${(n / KIB).toFixed(2)} KiB`;
    console.log(
      [
        `deploy bundle (wrangler deploy --dry-run --outdir): ${kib(bytes)} raw / ${kib(gzipBytes)} gzip; wrangler reports ${reported?.[1]} KiB / gzip: ${reported?.[2]} KiB`,
        ...files.map((f) => `  ${f.name}: ${f.bytes} B (${kib(f.bytes)}), gzip ${f.gzipBytes} B${uploaded.includes(f) ? "" : " — not uploaded"}`),
        `assets uploaded from ${assetsDir}: ${assets.map((a) => `${a.name} ${a.bytes} B`).join(", ")}`,
      ].join("\n"),
    );
  });
});

describe("what wrangler uploads as the Worker's assets", () => {
  it("is the folder model/ (wrangler.toml), read at query/ and index/", () => {
    expect(resolve(REPO, deploy.assets?.directory ?? "")).toBe(join(REPO, "model"));
  });

  it("is the query model the Worker runs and the whole index, and nothing else of model/ (model/.assetsignore)", () => {
    const uploaded = assetFiles.filter((name) => !ignoredAssets.has(name));
    const index = readdirSync(join(assetsDir, "index")).map((name) => `index/${name}`);
    expect(index).toContain("index/index.json");
    expect(uploaded).toEqual(
      ["query/encoder.bin", "query/manifest.json", "query/tokenizer.json", "query/tokenizer_config.json", "query/worker-tokenizer.json", ...index].sort(),
    );
    // Not the doc model, the Hub downloads, the README, nor the query model's full graph.
    for (const left of ["doc/model.onnx", "doc/manifest.json", ".hub/doc/model.safetensors", "README.md", "query/model.onnx", ".assetsignore"]) {
      expect(assetFiles, left).toContain(left);
      expect(ignoredAssets.has(left), left).toBe(true);
    }
  });
});

describe("the bundle in workerd (Miniflare)", () => {
  it("answers /health", async () => {
    const response = await fetchWorker("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", model_loaded: expect.any(Boolean) });
  });

  it("reports the model its assets hold at /info", async () => {
    const response = await fetchWorker("/info");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      model: {
        repo: manifest.source.repo,
        sha256: manifest.files["encoder.bin"].sha256,
        weights_sha256: manifest.source.weights_sha256,
        architecture: "BertForMaskedLM",
        max_length: manifest.max_length,
        vocab_size: manifest.vocab_size,
      },
      random_weights: true,
      engine: { name: "splade-edge kernel" },
    });
  });

  it("encodes each query as the reference encoder does, within 1e-4", async () => {
    for (const reference of references) {
      const response = await postJson("/encode", { query: reference.text, format: "ids" });
      expect(response.status, reference.text).toBe(200);
      expectAnswer((await response.json()) as IdsBody, reference);
    }
    expect(references.some((r) => r.truncated)).toBe(true);
    const health = await fetchWorker("/health");
    expect(await health.json()).toEqual({ status: "ok", model_loaded: true });
  });

  it("encodes them as one batch the same way", async () => {
    const response = await postJson("/encode", { queries: references.map((r) => r.text), format: "ids" });
    expect(response.status).toBe(200);
    const rows = (await response.json()) as IdsBody[];
    expect(rows).toHaveLength(references.length);
    rows.forEach((row, i) => expectAnswer(row, references[i]));
  });

  it("answers a bad request with 422 and {error, error_type}", async () => {
    const response = await postJson("/encode", { query: "   " });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["error", "error_type"]);
    expect(body.error_type).toBe("validation");
    expect(body.error).toEqual(expect.any(String));
  });

  it("keeps the model files private (run_worker_first)", async () => {
    for (const path of ["/query/manifest.json", "/query/encoder.bin", "/query/tokenizer.json", "/index/index.json", "/manifest.json"]) {
      const response = await fetchWorker(path);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error_type: string }).error_type).toBe("not_found");
    }
  });
});
