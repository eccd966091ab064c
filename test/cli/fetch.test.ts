// `npm run model -- fetch` end to end against a local stand-in for the Hub (HF_ENDPOINT), serving the generated
// checkpoints in both layouts the real repos have had: files at the root, and sentence-transformers sub-folders.
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import type { ModelManifest } from "../../src/model/manifest.ts";
import { runScript } from "./run-script.ts";

const SHA = { query: "1".repeat(40), doc: "2".repeat(40) };
const repoFiles = (dir: string, prefix: string) => Object.fromEntries(readdirSync(dir).map((f) => [`${prefix}${f}`, readFileSync(join(dir, f))]));
const REPOS: Record<string, { sha: string; files: Record<string, Buffer> }> = {
  "naver/q": { sha: SHA.query, files: repoFiles(resolve(FIXTURE_ROOT, "hf", "query"), "") },
  "naver/d": {
    sha: SHA.doc,
    files: { "modules.json": Buffer.from("[]"), ...repoFiles(resolve(FIXTURE_ROOT, "hf", "doc"), "document_0_MLMTransformer/") },
  },
};

let server: Server;
let endpoint: string;
const resolves: string[] = [];
const tmp = mkdtempSync(join(tmpdir(), "splade-fetch-"));

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://hub");
    const api = url.pathname.match(/^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/);
    if (api) {
      const repo = REPOS[api[1]];
      if (!repo) return void res.writeHead(404, { "x-error-code": "RepoNotFound" }).end();
      const siblings = Object.entries(repo.files).map(([rfilename, b]) => ({
        rfilename,
        size: b.length,
        ...(/\.(safetensors|bin)$/.test(rfilename) ? { lfs: { sha256: createHash("sha256").update(b).digest("hex"), size: b.length } } : {}),
      }));
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: api[1], sha: repo.sha, siblings }));
    }
    const file = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    const repo = file && REPOS[file[1]];
    const body = repo && file[2] === repo.sha ? repo.files[decodeURIComponent(file[3])] : undefined;
    if (!repo || !body) return void res.writeHead(404, { "x-error-code": "EntryNotFound" }).end();
    resolves.push(url.pathname);
    res.writeHead(200, { "content-length": body.length, "x-repo-commit": repo.sha }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const fetchArgs = (out: string) => ["fetch", "--query-repo", "naver/q", "--doc-repo", "naver/d", "--out", out, "--quiet"];

describe("model fetch", () => {
  it("downloads both encoders, shows the licence, and converts them with their provenance", async () => {
    const out = join(tmp, "model");
    const r = await runScript("src/cli/model.ts", fetchArgs(out), { env: { HF_ENDPOINT: endpoint } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("CC BY-NC-SA 4.0");
    for (const [role, repo, folder] of [
      ["query", "naver/q", ""],
      ["doc", "naver/d", "document_0_MLMTransformer"],
    ] as const) {
      const m = JSON.parse(readFileSync(join(out, role, "manifest.json"), "utf8")) as ModelManifest;
      expect(m.role).toBe(role);
      expect(m.source).toMatchObject({ repo, revision: "main", commit: SHA[role], folder, license: "CC BY-NC-SA 4.0", weights_file: "model.safetensors" });
      // The converted graph is the one a local conversion of the same checkpoint gives.
      expect(readFileSync(join(out, role, "model.onnx")).equals(readFileSync(resolve(FIXTURE_ROOT, "model", role, "model.onnx")))).toBe(true);
    }
    expect(resolves.every((p) => p.includes(`/resolve/${SHA.query}/`) || p.includes(`/resolve/${SHA.doc}/`))).toBe(true);
    expect(resolves.some((p) => p.endsWith("modules.json"))).toBe(false);

    const before = resolves.length;
    const again = await runScript("src/cli/model.ts", fetchArgs(out), { env: { HF_ENDPOINT: endpoint } });
    expect(again.code, again.stderr).toBe(0);
    expect(resolves.length).toBe(before); // every file verified in the cache, nothing downloaded again
  });

  it("fails with what to do next when the Hub cannot be reached", async () => {
    const r = await runScript("src/cli/model.ts", fetchArgs(join(tmp, "offline")), { env: { HF_ENDPOINT: "http://127.0.0.1:9" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Connection to http:\/\/127\.0\.0\.1:9 failed/);
    expect(r.stderr).toContain("npm run model -- convert");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("names the repository that does not exist", async () => {
    const r = await runScript("src/cli/model.ts", ["fetch", "--only", "query", "--query-repo", "naver/nope", "--out", join(tmp, "404"), "--quiet"], {
      env: { HF_ENDPOINT: endpoint },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"naver\/nope" not found/);
  });
});
