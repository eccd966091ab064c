// `npm start` / `npm run deploy` with a model folder converted by an older splade-edge: converted again from its
// source, offline, before wrangler ever sees it. Run through `deploy`, which stops right after (it refuses the
// generated weights) without needing a Cloudflare login.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pathToFileURL } from "node:url";
import { buildIndex } from "../../src/index/build.ts";
import { CONVERTER_LAYOUT, type ConvertOptions, convertFolder } from "../../src/model/convert.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import type { TransformerManifest } from "../../src/model/manifest-format.ts";
import { freePort } from "../../src/node/wrangler-dev.ts";
import { unmarkedCopy } from "../support/unmarked-checkpoint.ts";
import { ROOT, runScript } from "./run-script.ts";

const tmp = mkdtempSync(join(tmpdir(), "splade-serve-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A project folder whose model/query looks like layout 2 (trunk.onnx + head.bin, no encoder.bin), made from `source`. */
async function staleProject(name: string, source: string): Promise<string> {
  const project = join(tmp, name);
  const dir = join(project, "model", "query");
  await convertFolder(resolve(FIXTURE_ROOT, "hf", "query"), dir, { role: "query" });
  symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as TransformerManifest;
  const { edge: _, ...old } = {
    ...manifest,
    model: "naver/efficient-splade-VI-BT-large",
    converter: { ...manifest.converter, layout: 2 },
    source: { ...manifest.source, repo: source },
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(old));
  rmSync(join(dir, "encoder.bin"));
  for (const f of ["trunk.onnx", "head.bin"]) writeFileSync(join(dir, f), "stale");
  return project;
}

describe("a model folder from an older converter layout", () => {
  it("is converted again from its local source before deploy goes on (which then refuses random weights)", async () => {
    const project = await staleProject("local", resolve(FIXTURE_ROOT, "hf", "query"));
    const r = await runScript("src/cli/serve.ts", ["deploy"], { cwd: project });
    expect(r.stderr).toContain(`model/query was converted by an older splade-edge: converting ${resolve(FIXTURE_ROOT, "hf", "query")} again`);
    expect(r.stderr).toContain("refusing to deploy them");
    expect(r.code).toBe(1);
    const dir = join(project, "model", "query");
    expect(readdirSync(dir).sort()).toEqual([
      ".assetsignore",
      "encoder.bin",
      "manifest.json",
      "model.onnx",
      "tokenizer.json",
      "tokenizer_config.json",
      "worker-tokenizer.json",
    ]);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as TransformerManifest;
    expect([manifest.converter.layout, manifest.edge?.parts.map((part) => part.file)]).toEqual([CONVERTER_LAYOUT, ["encoder.bin"]]);
    // Converted again as the catalogue model it was fetched as.
    expect(manifest.model).toBe("naver/efficient-splade-VI-BT-large");
    // The path an older layout recorded is gone: the Worker shows this name to every client.
    expect(manifest.source.repo).toBe("query");
  });

  it("names the command to run when its source is gone, and leaves the folder as it was", async () => {
    const project = await staleProject("gone", join(tmp, "no-such-folder"));
    const r = await runScript("src/cli/serve.ts", ["deploy"], { cwd: project });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("was converted by an older splade-edge (layout 2, this one writes");
    expect(r.stderr).toContain("run `npm run model -- convert <hf-folder> model/query` again");
    expect(existsSync(join(project, "model", "query", "trunk.onnx"))).toBe(true);
  });
});

/**
 * A project whose model/query holds the generated query checkpoint converted as if it were real weights (the fixture
 * marker taken out of its config.json), so that deploy goes past its refusal of random weights.
 */
async function deployableProject(name: string, options: Partial<ConvertOptions>): Promise<string> {
  const project = join(tmp, name);
  const hf = unmarkedCopy(resolve(FIXTURE_ROOT, "hf", "query"), join(project, "hf"));
  await convertFolder(hf, join(project, "model", "query"), { role: "query", ...options });
  for (const f of ["node_modules", "src", "package.json", "wrangler.toml"]) symlinkSync(join(ROOT, f), join(project, f));
  cpSync(join(ROOT, "model", ".assetsignore"), join(project, "model", ".assetsignore"));
  return project;
}

/** `project`'s model/index built by splade-index's builder from three documents, as the generated doc model's. */
async function withIndex(project: string): Promise<string> {
  const ids = join(project, "docs.ids.jsonl");
  writeFileSync(
    ids,
    ['{"id":"a","indices":[1996,2417],"values":[1.5,0.25]}', '{"id":"b","indices":[2417],"values":[2]}', '{"id":"c","indices":[7592],"values":[0.5]}'].join(
      "\n",
    ),
  );
  const output = join(project, "model", "index");
  await buildIndex({ inputs: [ids], output, model: resolve(FIXTURE_ROOT, "model", "doc"), force: false, builder: { name: "test", version: "0" } });
  return output;
}

describe("npm run deploy -- --dry-run", () => {
  /** deploy's dry run (wrangler bundles, uploads nothing) with every connection beyond loopback refused and logged. */
  async function dryRun(project: string) {
    const netLog = join(project, "net.log");
    const r = await runScript("src/cli/serve.ts", ["deploy", "--dry-run"], {
      cwd: project,
      env: {
        NODE_OPTIONS: `--import ${pathToFileURL(join(ROOT, "test", "support", "no-network.mjs")).href}`,
        NET_GUARD_LOG: netLog,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_HIDE_BANNER: "true",
        WRANGLER_LOG_PATH: join(project, "logs"),
        NO_COLOR: "1",
      },
    });
    // A unix socket (tsx's IPC pipe) is this machine's, not the network.
    const blocked = readFileSync(netLog, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("lookup ") || (l.startsWith("connect ") && !l.startsWith("connect /")));
    return { ...r, blocked };
  }

  it("states the licence of the weights it would upload and warns plainly that they are non-commercial", async () => {
    const project = await deployableProject("nc", {
      model: "naver/efficient-splade-VI-BT-large",
      license: "CC BY-NC-SA 4.0",
      name: "naver/efficient-splade-VI-BT-large-query",
    });
    const r = await dryRun(project);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      "model/query: naver/efficient-splade-VI-BT-large-query (catalogue model naver/efficient-splade-VI-BT-large), licensed CC BY-NC-SA 4.0 by NAVER (non-commercial, share-alike): https://creativecommons.org/licenses/by-nc-sa/4.0/",
    );
    expect(r.stderr).toContain("⚠ NON-COMMERCIAL weights: CC BY-NC-SA 4.0 forbids commercial use");
    expect(r.stdout + r.stderr).toContain("--dry-run: exiting now.");
    expect(r.blocked).toEqual([]);
  }, 180_000);

  it("says when nobody recorded the licence", async () => {
    const r = await dryRun(await deployableProject("unknown", { name: "someone/some-splade" }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("model/query: someone/some-splade: ⚠ the licence of these weights is UNKNOWN");
    expect(r.stderr).not.toContain("NON-COMMERCIAL");
    expect(r.blocked).toEqual([]);
  }, 180_000);

  it("says what search index it deploys with the query model: documents, bytes, files", async () => {
    const project = await deployableProject("index", { name: "someone/some-splade" });
    const index = await withIndex(project);
    const files = readdirSync(index);
    const bytes = files.reduce((sum, f) => sum + readFileSync(join(index, f)).byteLength, 0);
    const r = await dryRun(project);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`with the search index model/index: 3 documents, ${bytes.toLocaleString("en-US")} bytes in ${files.length} files\n`);
    expect(r.stdout + r.stderr).toContain("--dry-run: exiting now.");
  }, 180_000);

  it("refuses an index with a file over Workers Static Assets' 25 MiB, naming it", async () => {
    const project = await deployableProject("large", { name: "someone/some-splade" });
    const index = await withIndex(project);
    // Sparse: no 25 MiB written.
    writeFileSync(join(index, "postings-00001.bin"), "");
    truncateSync(join(index, "postings-00001.bin"), 25 * 1024 * 1024 + 1);
    const r = await dryRun(project);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "model/index/postings-00001.bin is 26,214,401 bytes: Workers Static Assets take at most 26,214,400 (25 MiB) per file — refusing to deploy it",
    );
    expect(r.stdout + r.stderr).not.toContain("--dry-run: exiting now.");
  }, 180_000);

  it("refuses an index that takes the assets past 20,000 files, counting the query model's", async () => {
    const project = await deployableProject("many", { name: "someone/some-splade" });
    const index = await withIndex(project);
    const built = readdirSync(index).length;
    const query = readdirSync(join(project, "model", "query")).length;
    mkdirSync(join(index, "extra"));
    for (let i = 0; i < 20_000 - built - query + 1; i++) writeFileSync(join(index, "extra", `${i}.bin`), "");
    const r = await dryRun(project);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `model/index holds ${(20_001 - query).toLocaleString("en-US")} files and model/query ${query}: Workers Static Assets take at most 20,000 files per version (free plan) — refusing to deploy them`,
    );
  }, 180_000);

  it("refuses a model/index without index.json (an unfinished build), saying what to run", async () => {
    const project = await deployableProject("unfinished", { name: "someone/some-splade" });
    rmSync(join(await withIndex(project), "index.json"));
    const r = await dryRun(project);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "model/index/ holds no index.json: an unfinished or interrupted build — refusing to deploy it: build it again (`npx splade-index build … --output model/index --force`), or remove model/index/",
    );
  }, 180_000);
});

describe("npm run demo", () => {
  it("starts without fetching Request.cf: no getaddrinfo stack offline, no cf.json downloaded online", async () => {
    // An empty cache: miniflare would fetch https://workers.cloudflare.com/cf.json into it (or fail to, offline).
    const cache = mkdtempSync(join(tmp, "mf-cache-"));
    // Not NODE_ENV=test (vitest's): miniflare skips the download under it, as it does for its own tests.
    const { NODE_ENV: _, ...env } = process.env;
    const child = spawn(process.execPath, ["--import", "tsx", resolve(ROOT, "src/cli/serve.ts"), "demo", "--port", String(await freePort())], {
      cwd: ROOT,
      env: { ...env, MINIFLARE_CACHE_DIR: cache },
      // Its own process group, so that wrangler and workerd stop with it.
      detached: true,
    });
    let output = "";
    const ready = new Promise<void>((done, fail) => {
      const seen = (d: Buffer) => {
        output += d;
        if (output.includes("Ready on http://")) done();
      };
      child.stdout.on("data", seen);
      child.stderr.on("data", seen);
      child.on("close", (code) => fail(new Error(`demo exited (${code}) before it was ready:\n${output}`)));
    });
    try {
      await ready;
    } finally {
      process.kill(-(child.pid as number), "SIGTERM");
    }
    expect(output, output).not.toContain("getaddrinfo");
    expect(output, output).not.toContain("Unable to fetch the `Request.cf` object");
    expect(output, output).not.toMatch(/\n\s+at /);
    expect(readdirSync(cache), output).toEqual([]);
  }, 120_000);
});
