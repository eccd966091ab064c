// `npm run model -- convert` and `npm run verify` as users run them: real processes, files on disk, exit codes.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { kernelModule } from "../support/query-inputs.ts";
import { SpladeKernel } from "../../src/kernel/encoder-kernel.ts";
import { KERNEL_WEIGHTS_FORMAT } from "../../src/kernel/contract.ts";
import { CATALOGUE, catalogueEntry, DEFAULT_MODEL, servable } from "../../src/model/catalogue.ts";
import { CONVERTER_LAYOUT } from "../../src/model/convert.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { sha256, type TransformerManifest } from "../../src/model/manifest.ts";
import { dot } from "../../src/encoder/sparse.ts";
import { loadNodeEncoder } from "../../src/node/ort-node.ts";
import { loadQueryFolder } from "../../src/node/query-model.ts";
import { writeStaticHub } from "../support/static-weights-hub.ts";
import { unmarkedCopy } from "../support/unmarked-checkpoint.ts";
import { runScript } from "./run-script.ts";

const tmp = mkdtempSync(join(tmpdir(), "splade-model-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const hfQuery = resolve(FIXTURE_ROOT, "hf", "query");

describe("model convert", () => {
  it("turns a Hugging Face folder into model.onnx, the Worker's encoder.bin, tokenizer and manifest", async () => {
    const out = join(tmp, "query");
    const r = await runScript("src/cli/model.ts", ["convert", hfQuery, out, "--quiet"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/BertForMaskedLM 2×128, vocab 30522, max length 256, model\.onnx \d+\.\d MiB/);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as TransformerManifest;
    expect(manifest).toMatchObject({
      format: "splade-edge/model@1",
      role: "query",
      architecture: "BertForMaskedLM",
      max_length: 256,
      vocab_size: 30522,
      random_weights: true,
      onnx: { inputs: ["input_ids", "attention_mask"], output: "splade", pooling: "max-first" },
      source: { repo: "query", weights_file: "model.safetensors", weights_sha256: sha256(readFileSync(join(hfQuery, "model.safetensors"))) },
      converter: { name: "splade-edge", version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
    });
    expect(manifest.config).toMatchObject({ numLayers: 2, hiddenSize: 128, numHeads: 2, intermediateSize: 512 });
    for (const [name, { sha256: sum, bytes }] of Object.entries(manifest.files)) {
      const body = readFileSync(join(out, name));
      expect([name, body.byteLength, sha256(body)]).toEqual([name, bytes, sum]);
    }
    expect(Object.keys(manifest.files).sort()).toEqual(["encoder.bin", "model.onnx", "tokenizer.json", "tokenizer_config.json", "worker-tokenizer.json"]);
    expect(manifest.edge).toMatchObject({
      format: KERNEL_WEIGHTS_FORMAT,
      bytes: manifest.files["encoder.bin"].bytes,
      // A 2 × 128 encoder.bin is one file: the one part, and the whole's sha256 is that file's.
      sha256: manifest.files["encoder.bin"].sha256,
      parts: [{ file: "encoder.bin", ...manifest.files["encoder.bin"] }],
      config: {
        hidden_size: 128,
        num_heads: 2,
        num_layers: 2,
        intermediate_size: 512,
        activation: "gelu",
        vocab_size: 30522,
        positions: 256,
        token_type: true,
        tied: true,
      },
    });
    expect(manifest.converter.layout).toBe(CONVERTER_LAYOUT);
    expect(readFileSync(join(out, ".assetsignore"), "utf8")).toBe("model.onnx\n");
    const session = await ort.InferenceSession.create(join(out, "model.onnx"));
    const ids = new ort.Tensor("int64", BigInt64Array.from([101n, 7592n, 102n]), [1, 3]);
    const mask = new ort.Tensor("int64", BigInt64Array.from([1n, 1n, 1n]), [1, 3]);
    const { splade } = await session.run({ input_ids: ids, attention_mask: mask });
    expect(splade.dims).toEqual([1, 30522]);
    await session.release();
    // encoder.bin runs on the kernel, and gives what the whole graph gives.
    const kernel = SpladeKernel.create(kernelModule(), readFileSync(join(out, "encoder.bin")), manifest.edge!);
    const sparse = kernel.encode([101, 7592, 102]);
    const fromKernel = new Float32Array(30522);
    sparse.indices.forEach((v, i) => (fromKernel[v] = sparse.values[i]));
    const worst = (splade.data as Float32Array).reduce((m, w, v) => Math.max(m, Math.abs(w - fromKernel[v])), 0);
    expect(worst).toBeLessThan(1e-5);
    expect(sparse.indices.length).toBeGreaterThan(10_000);
  });

  it("is deterministic: converting twice gives identical bytes", async () => {
    const a = join(tmp, "again", "query");
    // What an earlier layout wrote there goes: wrangler would upload it.
    mkdirSync(a, { recursive: true });
    for (const old of ["trunk.onnx", "head.bin"]) writeFileSync(join(a, old), "stale");
    expect((await runScript("src/cli/model.ts", ["convert", hfQuery, a, "--quiet"])).code).toBe(0);
    expect(readdirSync(a).sort()).toEqual([
      ".assetsignore",
      "encoder.bin",
      "manifest.json",
      "model.onnx",
      "tokenizer.json",
      "tokenizer_config.json",
      "worker-tokenizer.json",
    ]);
    for (const f of ["model.onnx", "encoder.bin"]) {
      expect(readFileSync(join(a, f)).equals(readFileSync(join(tmp, "query", f))), f).toBe(true);
    }
    for (const f of ["tokenizer.json", "manifest.json", ".assetsignore"]) {
      const first = readFileSync(join(tmp, "query", f), "utf8").replaceAll(join(tmp, "query"), "");
      expect(readFileSync(join(a, f), "utf8").replaceAll(a, "")).toBe(first);
    }
  });

  it("names the folder when it is not a model folder, and exits 1", async () => {
    mkdirSync(join(tmp, "empty-folder"));
    const r = await runScript("src/cli/model.ts", ["convert", join(tmp, "empty-folder"), join(tmp, "x")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(tmp, "empty-folder")}: no config.json here`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(tmp, "x"))).toBe(false);
  });

  // Each a stack trace or a misleading line before: one line naming the file, exit 1, nothing written.
  it.each([
    ["a missing input folder", () => [join(tmp, "nope"), join(tmp, "x")], `${join(tmp, "nope")}: no such folder`],
    ["an input that is a file", () => [join(hfQuery, "config.json"), join(tmp, "x")], `${join(hfQuery, "config.json")} is a file, not a folder`],
    [
      "an output that is a file (EEXIST)",
      () => {
        writeFileSync(join(tmp, "a-file"), "mine\n");
        return [hfQuery, join(tmp, "a-file")];
      },
      `${join(tmp, "a-file")} is a file — give a folder`,
    ],
  ])("refuses %s with one line and exit 1", async (_, makeArgs, message) => {
    const r = await runScript("src/cli/model.ts", ["convert", ...makeArgs(), "--quiet"]);
    expect(r.stderr.startsWith(`✖ ${message}`), r.stderr).toBe(true);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.code).toBe(1);
    expect(existsSync(join(tmp, "x"))).toBe(false);
    if (existsSync(join(tmp, "a-file"))) expect(readFileSync(join(tmp, "a-file"), "utf8")).toBe("mine\n");
  });

  it("replaces an earlier conversion whole: a doc model over a query model leaves no encoder.bin behind", async () => {
    const out = join(tmp, "reused");
    expect((await runScript("src/cli/model.ts", ["convert", hfQuery, out, "--quiet"])).code).toBe(0);
    expect(existsSync(join(out, "encoder.bin"))).toBe(true);
    const r = await runScript("src/cli/model.ts", ["convert", resolve(FIXTURE_ROOT, "hf", "doc"), out, "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(tmp)).filter((f) => f.startsWith("reused"))).toEqual(["reused"]);
    expect(readdirSync(out).sort()).toEqual(["manifest.json", "model.onnx", "tokenizer.json", "tokenizer_config.json"]);
    expect((JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as TransformerManifest).role).toBe("doc");
  });

  it("never writes over a folder holding files no conversion wrote (exit 1, the files untouched)", async () => {
    const out = join(tmp, "theirs");
    mkdirSync(out);
    writeFileSync(join(out, "notes.txt"), "mine\n");
    writeFileSync(join(out, "model.onnx"), "old\n");
    const r = await runScript("src/cli/model.ts", ["convert", hfQuery, out, "--quiet"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${out} holds files no conversion writes (notes.txt): choose another output folder, or move them out`);
    expect(readdirSync(out).sort()).toEqual(["model.onnx", "notes.txt"]);
    expect(readFileSync(join(out, "model.onnx"), "utf8")).toBe("old\n");
  });

  it("rejects a bad option value with usage and exit 2", async () => {
    const r = await runScript("src/cli/model.ts", ["convert", hfQuery, join(tmp, "y"), "--role", "passage"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--role must be query or doc, got passage");
  });
});

describe("the model's public name (the Worker shows source.repo to every client)", () => {
  /** A copy of the generated query checkpoint at `dir` (deep under tmp: an absolute path), config.json edited. */
  function checkpoint(dir: string, config: Record<string, unknown> = {}): string {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(hfQuery)) writeFileSync(join(dir, f), readFileSync(join(hfQuery, f)));
    const original = JSON.parse(readFileSync(join(hfQuery, "config.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...original, ...config }));
    return dir;
  }

  async function convertedName(input: string, extra: string[] = []): Promise<{ name: string; text: string; stdout: string }> {
    const out = join(tmp, "named", String(Math.random()).slice(2));
    const r = await runScript("src/cli/model.ts", ["convert", input, out, "--quiet", ...extra]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(out, "manifest.json"), "utf8");
    return { name: (JSON.parse(text) as TransformerManifest).source.repo, text, stdout: r.stdout };
  }

  it("is never the local path: the folder's name, config.json's _name_or_path when a Hub id, else --name wins", async () => {
    const home = join(tmp, "home", "me", "x");
    checkpoint(home, { _name_or_path: "/home/me/checkpoints/x" });
    const plain = await convertedName(home);
    expect(plain.name).toBe("x");
    expect(plain.text).not.toContain(tmp);
    expect(plain.text).not.toContain("/home/me");
    expect(plain.stdout).toContain(": x, BertForMaskedLM");

    const hub = checkpoint(join(tmp, "home", "me", "hub"), { _name_or_path: "naver/efficient-splade-VI-BT-large-query" });
    expect((await convertedName(hub)).name).toBe("naver/efficient-splade-VI-BT-large-query");
    const named = await convertedName(hub, ["--name", "acme/splade-q"]);
    expect(named.name).toBe("acme/splade-q");
    expect(named.text).not.toContain(tmp);

    for (const notAnId of ["./x", "../x", "C:\\models\\x", "a/../b", "bert-base-uncased"]) {
      const dir = checkpoint(join(tmp, "home", "me", "odd"), { _name_or_path: notAnId });
      expect((await convertedName(dir)).name, notAnId).toBe("odd");
    }
  });

  it("refuses an empty --name (exit 2)", async () => {
    const r = await runScript("src/cli/model.ts", ["convert", hfQuery, join(tmp, "nameless"), "--name", " "]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--name must be a non-empty name on one line");
  });
});

describe("model list", () => {
  it("prints every catalogue entry with its halves, licence, quality and size, non-commercial ones flagged", async () => {
    const r = await runScript("src/cli/model.ts", ["list"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const blocks = r.stdout.trimEnd().split("\n\n");
    expect(blocks.map((b) => b.split("  (")[0])).toEqual(CATALOGUE.map((m) => m.name));
    for (const [i, m] of CATALOGUE.entries()) {
      const block = blocks[i];
      expect(block).toContain(`query      ${m.query.kind}:`);
      expect(block).toContain(`document   ${m.document.architecture.value}`);
      expect(block).toContain(`licence    ${m.license.name}`);
      expect(block.includes("NON-COMMERCIAL"), m.name).toBe(!m.license.commercial);
      for (const q of m.quality) expect(block).toContain(`${q.metric} ${q.value.toFixed(1)}`);
      for (const p of m.parameters) expect(block).toContain(`${p.value}M`);
    }
    expect(blocks[0]).toMatch(/^naver\/efficient-splade-VI-BT-large {2}\(default, served by splade-edge\)/);
    expect(blocks[0]).toContain("BertForMaskedLM 2×128");
    expect(blocks.map((b) => b.split("\n")[0].includes("served by splade-edge"))).toEqual(CATALOGUE.map(servable));
  });

  it("prints the catalogue as JSON with --json, the default and what is served marked", async () => {
    const r = await runScript("src/cli/model.ts", ["list", "--json"]);
    expect(r.code).toBe(0);
    const { models } = JSON.parse(r.stdout) as { models: Array<Record<string, unknown>> };
    expect(models.map(({ default: _d, servable: _s, ...entry }) => entry)).toEqual(JSON.parse(JSON.stringify(CATALOGUE)));
    expect(models.filter((m) => m.default).map((m) => m.name)).toEqual([DEFAULT_MODEL.name]);
    expect(models.map((m) => m.servable)).toEqual(CATALOGUE.map(servable));
    expect(models.filter((m) => !(m.license as { commercial: boolean }).commercial).map((m) => m.name)).toEqual([
      "naver/efficient-splade-VI-BT-large",
      "naver/splade-v3-doc",
    ]);
  });
});

describe("verify", () => {
  it("says there is nothing to verify (exit 3) when no models were fetched", async () => {
    const r = await runScript("src/cli/verify.ts", ["--dir", join(tmp, "empty")]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("npm run model -- fetch");
  });

  it("refuses generated weights (exit 3) instead of reporting meaningless scores", async () => {
    const r = await runScript("src/cli/verify.ts", ["--dir", resolve(FIXTURE_ROOT, "model")]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/query and doc in .* hold generated random weights/);
  });

  // Generated checkpoints passed off as real weights (test/support/unmarked-checkpoint.ts): verify goes past its
  // refusal of random weights, and must find they do not reproduce the published output.
  const unmarked = {
    query: unmarkedCopy(hfQuery, join(tmp, "unmarked", "query")),
    doc: unmarkedCopy(resolve(FIXTURE_ROOT, "hf", "doc"), join(tmp, "unmarked", "doc")),
  };
  /** model/query and model/doc converted as the halves of `models` (query, doc) through the real CLI; undefined: no --model. */
  async function pair(name: string, models: [string | undefined, string | undefined]): Promise<string> {
    const dir = join(tmp, "verify", name);
    for (const [i, role] of (["query", "doc"] as const).entries()) {
      const model = models[i];
      const r = await runScript("src/cli/model.ts", [
        "convert",
        unmarked[role],
        join(dir, role),
        "--role",
        role,
        "--quiet",
        ...(model ? ["--model", model] : []),
      ]);
      expect(r.code, r.stderr).toBe(0);
    }
    return dir;
  }

  it("runs the converted pair of a catalogue model against its published output, and reports the mismatch of other weights (exit 1)", async () => {
    const dir = await pair("naver", [DEFAULT_MODEL.name, DEFAULT_MODEL.name]);
    const r = await runScript("src/cli/verify.ts", ["--dir", dir, "--json"]);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    const reference = DEFAULT_MODEL.reference?.value;
    expect(out).toMatchObject({ ok: false, exit_code: 1, model: DEFAULT_MODEL.name, query: reference?.query, tolerance: reference?.tolerance });
    expect(out.published).toMatchObject({ source: DEFAULT_MODEL.reference?.source, evidence: "not-verified" });
    // The scores are the served pair's own: the query on the Worker's kernel, the documents as encode-corpus encodes them.
    const query = await loadQueryFolder(join(dir, "query"));
    const doc = await loadNodeEncoder(join(dir, "doc"));
    const [q] = await query.encoder.encode([reference?.query as string]);
    const docs = await doc.encoder.encode(reference?.documents as string[]);
    expect(out.results.map((row: { score: number }) => row.score)).toEqual(docs.map((d) => dot(q, d)));
    expect(out.results.map((row: { expected: number }) => row.expected)).toEqual(reference?.scores);
    expect(out.results.some((row: { ok: boolean }) => !row.ok)).toBe(true);
  }, 120_000);

  it("refuses a query and a document folder of two different models (exit 1)", async () => {
    const dir = await pair("mixed", [DEFAULT_MODEL.name, "opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill"]);
    const r = await runScript("src/cli/verify.ts", ["--dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `/query is ${DEFAULT_MODEL.name} but ${dir}/doc is opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill: not the two halves of one model`,
    );
  }, 120_000);

  it("checks single tokens' weights where the publisher gives them: an inference-free query's weight is its idf.json entry", async () => {
    const name = "opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill";
    const hub = writeStaticHub(join(tmp, "static-hub"), { seed: 7 });
    const dir = join(tmp, "verify", "v2-distill");
    for (const [from, role] of [
      [unmarkedCopy(hub.dir, join(tmp, "unmarked", "static-hub")), "query"],
      [unmarked.doc, "doc"],
    ] as const) {
      const r = await runScript("src/cli/model.ts", ["convert", from, join(dir, role), "--role", role, "--model", name, "--quiet"]);
      expect(r.code, r.stderr).toBe(0);
    }
    const r = await runScript("src/cli/verify.ts", ["--dir", dir, "--json"]);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    const tokens = catalogueEntry(name).reference?.value.tokens ?? [];
    expect(out.tokens.map((t: { token: string }) => t.token)).toEqual(tokens.map((t) => t.token));
    // Each of these tokens is in the query once: its weight is its idf.json entry, as float32.
    for (const row of out.tokens) expect(row.query, row.token).toBe(Math.fround(hub.idf[row.token] ?? 0));
  });

  it("says there is nothing to check against (exit 3) for a model with no published output, or one outside the catalogue", async () => {
    const unpublished = await runScript("src/cli/verify.ts", ["--dir", await pair("v3-doc", ["naver/splade-v3-doc", "naver/splade-v3-doc"])]);
    expect(unpublished.code).toBe(3);
    expect(unpublished.stderr).toContain("no output of naver/splade-v3-doc's real weights is published");
    const outside = await runScript("src/cli/verify.ts", ["--dir", await pair("outside", [undefined, undefined])]);
    expect(outside.code).toBe(3);
    expect(outside.stderr).toContain("are not in splade-edge's catalogue: no published output to check them against");
  }, 120_000);
});
