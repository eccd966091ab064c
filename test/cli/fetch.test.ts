// `npm run model -- fetch` end to end against a local stand-in for the Hub (HF_ENDPOINT): the generated checkpoints
// in both layouts the naver repos have had (files at the root, sentence-transformers sub-folders), and every catalogue
// entry's repos in their own Hub layout (test/support/catalogue-hub.ts).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOGUE, catalogueEntry, type ModelDescription, type TransformerHalf } from "../../src/model/catalogue.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import type { ModelManifest } from "../../src/model/manifest.ts";
import { serveTestHub, type TestHub, type TestRepo, writeCatalogueHub } from "../support/catalogue-hub.ts";
import { type CliResult, runScript } from "./run-script.ts";

const SHA = { query: "1".repeat(40), doc: "2".repeat(40) };
const tmp = mkdtempSync(join(tmpdir(), "splade-fetch-"));
let hub: TestHub;
let repos: Record<string, TestRepo>;

beforeAll(async () => {
  const query = join(tmp, "repos", "naver--q");
  const doc = join(tmp, "repos", "naver--d");
  cpSync(resolve(FIXTURE_ROOT, "hf", "query"), query, { recursive: true });
  cpSync(resolve(FIXTURE_ROOT, "hf", "doc"), join(doc, "document_0_MLMTransformer"), { recursive: true });
  writeFileSync(join(doc, "modules.json"), "[]");
  repos = {
    "naver/q": { dir: query, sha: SHA.query, gated: false },
    "naver/d": { dir: doc, sha: SHA.doc, gated: false },
    ...(await writeCatalogueHub(join(tmp, "catalogue"))),
  };
  hub = await serveTestHub(repos);
}, 120_000);
afterAll(async () => {
  await hub?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const fetchArgs = (out: string) => ["fetch", "--query-repo", "naver/q", "--doc-repo", "naver/d", "--out", out, "--quiet"];
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ModelManifest & Record<string, unknown>;

describe("model fetch", () => {
  it("downloads both encoders, shows the licence, and converts them with their provenance", async () => {
    const out = join(tmp, "model");
    const r = await runScript("src/cli/model.ts", fetchArgs(out), { env: { HF_ENDPOINT: hub.endpoint } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("CC BY-NC-SA 4.0");
    for (const [role, repo, folder] of [
      ["query", "naver/q", ""],
      ["doc", "naver/d", "document_0_MLMTransformer"],
    ] as const) {
      const m = readManifest(join(out, role));
      expect(m.role).toBe(role);
      expect(m.source).toMatchObject({ repo, revision: "main", commit: SHA[role], folder, license: "CC BY-NC-SA 4.0", weights_file: "model.safetensors" });
      // Another repo than the catalogue's is not the catalogue's model.
      expect(m.model).toBeUndefined();
      // The converted graph is the one a local conversion of the same checkpoint gives.
      expect(readFileSync(join(out, role, "model.onnx")).equals(readFileSync(resolve(FIXTURE_ROOT, "model", role, "model.onnx")))).toBe(true);
    }
    expect(hub.resolved.every((f) => f.revision === SHA.query || f.revision === SHA.doc)).toBe(true);
    expect(hub.resolved.some((f) => f.path.endsWith("modules.json"))).toBe(false);

    const before = hub.resolved.length;
    const again = await runScript("src/cli/model.ts", fetchArgs(out), { env: { HF_ENDPOINT: hub.endpoint } });
    expect(again.code, again.stderr).toBe(0);
    expect(hub.resolved.length).toBe(before); // every file verified in the cache, nothing downloaded again
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
      env: { HF_ENDPOINT: hub.endpoint },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"naver\/nope" not found/);
  });

  it("gives the converted model the public name --name sets", async () => {
    const out = join(tmp, "named");
    const r = await runScript("src/cli/model.ts", ["fetch", "--only", "query", "--name", "acme/splade", "--out", out, "--quiet"], {
      env: { HF_ENDPOINT: hub.endpoint },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readManifest(join(out, "query"))).toMatchObject({ model: CATALOGUE[0].name, source: { repo: "acme/splade" } });
  }, 120_000);

  it("refuses a model outside the catalogue, naming the known ones", async () => {
    const r = await runScript("src/cli/model.ts", ["fetch", "--model", "naver/splade-v4", "--out", join(tmp, "unknown"), "--quiet"], {
      env: { HF_ENDPOINT: hub.endpoint },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"naver/splade-v4" is not in the model catalogue');
    for (const m of CATALOGUE) expect(r.stderr).toContain(m.name);
    expect(hub.resolved.some((f) => f.repo === "naver/splade-v4")).toBe(false);
  });
});

type Role = "query" | "doc";

const TOKENIZER = ["vocab.txt", "tokenizer_config.json", "special_tokens_map.json"];
const ST_TOKENIZER = [...TOKENIZER, "tokenizer.json"];

/**
 * What `fetch --model NAME --only ROLE` may download, written out from docs/model-sources.md's layouts (not from
 * hub.ts's rules): a half's own files and nothing of the other half — above all never the document transformer's
 * weights for an inference-free query.
 */
function expectedFiles(m: ModelDescription, role: Role): string[] {
  if (m.query.kind === "transformer") {
    // naver's pair: the root transformer, and what says how it is pooled; the other half's ST folder stays.
    return role === "query"
      ? ["config.json", "model.safetensors", ...TOKENIZER, "query_1_SpladePooling/config.json"]
      : ["config.json", "model.safetensors", ...TOKENIZER, "modules.json"];
  }
  if (m.query.weights.value.weighting === "uniform") return role === "query" ? TOKENIZER : ["config.json", "model.safetensors", ...TOKENIZER];
  if (role === "doc")
    return ["config.json", "model.safetensors", ...ST_TOKENIZER, "modules.json", "router_config.json", "document_1_SpladePooling/config.json"];
  const module = m.query.hub.revision === "4af867a426867dfdd744097531046f4289a32fdd" ? "query_0_IDF" : "query_0_SparseStaticEmbedding";
  return ["modules.json", "router_config.json", ...["config.json", "model.safetensors", ...ST_TOKENIZER].map((f) => `${module}/${f}`)];
}

const runs = new Map<string, Promise<{ r: CliResult; out: string; files: string[] }>>();

/** `fetch --model NAME --only ROLE` once per half (the tests below share it), with the files it downloaded. */
function fetchHalf(m: ModelDescription, role: Role): Promise<{ r: CliResult; out: string; files: string[] }> {
  const key = `${m.name} ${role}`;
  let run = runs.get(key);
  if (!run) {
    run = (async () => {
      const out = join(tmp, "catalogue-out", m.name.replace("/", "--"));
      mkdirSync(out, { recursive: true });
      const before = hub.resolved.length;
      const r = await runScript("src/cli/model.ts", ["fetch", "--model", m.name, "--only", role, "--out", out, "--quiet"], {
        env: { HF_ENDPOINT: hub.endpoint, HF_TOKEN: "hf_test" },
      });
      return { r, out, files: hub.resolved.slice(before).map((f) => `${f.repo}:${f.path}`) };
    })();
    runs.set(key, run);
  }
  return run;
}

describe.each(CATALOGUE.map((m) => [m.name, m] as const))("fetch --model %s", (_, m) => {
  describe.each(["query", "doc"] as const)("%s half", (role) => {
    const half = role === "query" ? m.query : m.document;

    it("downloads only the files the half needs, at the catalogue's revision", async () => {
      const { r, files } = await fetchHalf(m, role);
      expect(files.sort(), r.stderr).toEqual(
        expectedFiles(m, role)
          .map((f) => `${half.hub.repo}:${f}`)
          .sort(),
      );
    }, 120_000);

    it("writes a model folder whose manifest names the model, its licence and max length", async () => {
      const { r, out } = await fetchHalf(m, role);
      expect(r.code, r.stderr).toBe(0);
      const manifest = readManifest(join(out, role));
      const repo = repos[half.hub.repo];
      // Every generated checkpoint is marked as such; a uniform query table has no weights to generate (each token weighs 1).
      const uniform = role === "query" && m.query.kind === "inference-free" && m.query.weights.value.weighting === "uniform";
      expect(manifest).toMatchObject({ role, model: m.name, random_weights: !uniform });
      expect(manifest.source).toMatchObject({ repo: half.hub.repo, revision: half.hub.revision, commit: repo.sha, license: m.license.name });
      if (half.maxLength.value !== null) expect(manifest.max_length).toBe(half.maxLength.value);
    }, 120_000);

    it("records the half's rules in its manifest: an inference-free table's weighting, a transformer's SPLADE activation and special ids", async () => {
      const { r, out } = await fetchHalf(m, role);
      expect(r.code, r.stderr).toBe(0);
      const manifest = readManifest(join(out, role));
      const query = m.query;
      if (role === "query" && query.kind === "inference-free") {
        expect(manifest).toMatchObject({
          kind: "inference-free",
          static_weights: { weighting: query.weights.value.weighting },
          tokenizer: { add_special_tokens: query.specialTokens.value.addSpecialTokens },
        });
      } else {
        const transformer: TransformerHalf = role === "query" && query.kind === "transformer" ? query : m.document;
        expect(manifest).toMatchObject({
          kind: "transformer",
          splade: { activation: transformer.activation.value, drop_special_ids: transformer.specialTokens.value.dropSpecialIds },
        });
      }
    }, 120_000);
  });
});

describe("fetch --model: what is said before the download", () => {
  const run = (name: string, env: NodeJS.ProcessEnv = {}) =>
    runScript("src/cli/model.ts", ["fetch", "--model", name, "--only", "doc", "--out", join(tmp, "notices", name.replace("/", "--")), "--quiet"], {
      env: { HF_ENDPOINT: hub.endpoint, HF_TOKEN: "", HUGGING_FACE_HUB_TOKEN: "", ...env },
    });

  it("the licence first, with whether a business may use the weights", async () => {
    const nc = await run("naver/efficient-splade-VI-BT-large");
    expect(nc.stderr.startsWith("The efficient-SPLADE weights are licensed CC BY-NC-SA 4.0 by NAVER"), nc.stderr).toBe(true);
    expect(nc.stderr).toContain("Commercial use: NO");
    const apache = await run("opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill");
    expect(apache.stderr).toContain("licensed Apache-2.0");
    expect(apache.stderr).toContain("Commercial use: yes");
    expect(apache.stderr).not.toContain("Commercial use: NO");
  }, 120_000);

  it("warns that an unpinned repo is read as it is now, naming the commit; a pinned one is not warned about", async () => {
    const unpinned = await run("naver/efficient-splade-VI-BT-large");
    const doc = catalogueEntry("naver/efficient-splade-VI-BT-large").document.hub.repo;
    expect(unpinned.stderr).toContain(`warning: the catalogue pins no commit of ${doc}`);
    expect(unpinned.stderr).toContain(`commit ${repos[doc].sha}`);
    const pinned = await run("opensearch-project/opensearch-neural-sparse-encoding-doc-v3-distill");
    expect(pinned.stderr).not.toContain("warning: the catalogue pins no commit");
  }, 120_000);

  it("explains a gated repo: the conditions to accept and HF_TOKEN, and what the Hub answers without a token", async () => {
    const r = await run("naver/splade-v3-doc");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("naver/splade-v3-doc is gated on the Hub: accept its conditions on https://huggingface.co/naver/splade-v3-doc");
    expect(r.stderr).toContain("HF_TOKEN is not set");
    expect(r.stderr).toMatch(/"naver\/splade-v3-doc" is gated and requires authentication: .*set HF_TOKEN/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});
