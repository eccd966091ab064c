// `npm run model -- convert` and `npm run verify` as users run them: real processes, files on disk, exit codes.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { CONVERTER_LAYOUT } from "../../src/model/convert.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { sha256, type ModelManifest } from "../../src/model/manifest.ts";
import { runScript } from "./run-script.ts";

const tmp = mkdtempSync(join(tmpdir(), "splade-model-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const hfQuery = resolve(FIXTURE_ROOT, "hf", "query");

describe("model convert", () => {
  it("turns a Hugging Face folder into model.onnx, the Worker's trunk.onnx + head.bin, tokenizer and manifest", async () => {
    const out = join(tmp, "query");
    const r = await runScript("src/cli/model.ts", ["convert", hfQuery, out, "--quiet"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/BertForMaskedLM 2×128, vocab 30522, max length 256, model\.onnx \d+\.\d MiB/);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as ModelManifest;
    expect(manifest).toMatchObject({
      format: "splade-edge/model@1",
      role: "query",
      architecture: "BertForMaskedLM",
      max_length: 256,
      vocab_size: 30522,
      random_weights: true,
      onnx: { inputs: ["input_ids", "attention_mask"], output: "splade", pooling: "max-first" },
      source: { repo: hfQuery, weights_file: "model.safetensors", weights_sha256: sha256(readFileSync(join(hfQuery, "model.safetensors"))) },
      converter: { name: "splade-edge", version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
    });
    expect(manifest.config).toMatchObject({ numLayers: 2, hiddenSize: 128, numHeads: 2, intermediateSize: 512 });
    for (const [name, { sha256: sum, bytes }] of Object.entries(manifest.files)) {
      const body = readFileSync(join(out, name));
      expect([name, body.byteLength, sha256(body)]).toEqual([name, bytes, sum]);
    }
    expect(Object.keys(manifest.files).sort()).toEqual(["head.bin", "model.onnx", "tokenizer.json", "tokenizer_config.json", "trunk.onnx"]);
    expect(manifest.edge).toEqual({ trunk: "trunk.onnx", head: "head.bin", hidden_size: 128, inputs: ["inputs_embeds", "attention_mask"], output: "head.LayerNorm" });
    expect(manifest.converter.layout).toBe(CONVERTER_LAYOUT);
    expect(readFileSync(join(out, ".assetsignore"), "utf8")).toBe("model.onnx\n");
    expect(manifest.files["head.bin"].bytes).toBe((30522 * 128 + 30522) * 4);
    const session = await ort.InferenceSession.create(join(out, "model.onnx"));
    const ids = new ort.Tensor("int64", BigInt64Array.from([101n, 7592n, 102n]), [1, 3]);
    const mask = new ort.Tensor("int64", BigInt64Array.from([1n, 1n, 1n]), [1, 3]);
    const { splade } = await session.run({ input_ids: ids, attention_mask: mask });
    expect(splade.dims).toEqual([1, 30522]);
    await session.release();
    // The trunk takes the word embeddings (head.bin's decoder rows) and returns the head's LayerNorm.
    const trunk = await ort.InferenceSession.create(join(out, "trunk.onnx"));
    const head = new Float32Array(readFileSync(join(out, "head.bin")).buffer.slice(0));
    const embeds = new Float32Array(3 * 128);
    [101, 7592, 102].forEach((id, t) => embeds.set(head.subarray(id * 128, (id + 1) * 128), t * 128));
    const hidden = await trunk.run({ inputs_embeds: new ort.Tensor("float32", embeds, [1, 3, 128]), attention_mask: mask });
    expect(hidden["head.LayerNorm"].dims).toEqual([1, 3, 128]);
    await trunk.release();
  });

  it("is deterministic: converting twice gives identical bytes", async () => {
    const a = join(tmp, "again", "query");
    expect((await runScript("src/cli/model.ts", ["convert", hfQuery, a, "--quiet"])).code).toBe(0);
    for (const f of ["model.onnx", "trunk.onnx", "head.bin"]) {
      expect(readFileSync(join(a, f)).equals(readFileSync(join(tmp, "query", f))), f).toBe(true);
    }
    for (const f of ["tokenizer.json", "manifest.json", ".assetsignore"]) {
      const first = readFileSync(join(tmp, "query", f), "utf8").replaceAll(join(tmp, "query"), "");
      expect(readFileSync(join(a, f), "utf8").replaceAll(a, "")).toBe(first);
    }
  });

  it("names the folder when it is not a model folder, and exits 1", async () => {
    const r = await runScript("src/cli/model.ts", ["convert", join(tmp, "nope"), join(tmp, "x")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(tmp, "nope")}: no config.json here`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(tmp, "x"))).toBe(false);
  });

  it("rejects a bad option value with usage and exit 2", async () => {
    const r = await runScript("src/cli/model.ts", ["convert", hfQuery, join(tmp, "y"), "--role", "passage"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--role must be query or doc, got passage");
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
});
