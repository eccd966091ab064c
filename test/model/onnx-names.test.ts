// The graph is run by the names its manifest records (manifest.json `onnx`, src/node/graph-feeds.ts): a manifest naming
// what model.onnx lacks is refused when the model loads, with a ModelError that names both, by onnxruntime-node and -web
// and through the inference thread encode-corpus and eval run the doc model on.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtureModels } from "../../src/model/fixture.ts";
import { ModelError } from "../../src/model/errors.ts";
import type { TransformerManifest, OnnxGraphNames } from "../../src/model/manifest-format.ts";
import { readManifest } from "../../src/model/manifest.ts";
import { loadDocModel, startDocEncoder } from "../../src/node/doc-model.ts";
import { loadNodeEncoder } from "../../src/node/ort-node.ts";
import { createWebBackend } from "../../src/node/ort-web.ts";
import { folderVariant } from "../support/model-folders.ts";

const WRONG: Array<[string, OnnxGraphNames, RegExp]> = [
  [
    "an input the graph lacks",
    { inputs: ["input_ids", "mask"], output: "splade" },
    /manifest\.json names inputs "input_ids", "mask" and output "splade", but the graph has inputs "input_ids", "attention_mask" and outputs "splade" — convert the model again/,
  ],
  [
    "an output the graph lacks",
    { inputs: ["input_ids", "attention_mask"], output: "logits" },
    /manifest\.json names inputs "input_ids", "attention_mask" and output "logits", but the graph has inputs "input_ids", "attention_mask" and outputs "splade"/,
  ],
  [
    "three inputs",
    { inputs: ["input_ids", "attention_mask", "token_type_ids"], output: "splade" },
    /manifest\.json names 3 inputs \("input_ids", "attention_mask", "token_type_ids"\), not the token ids and the attention mask/,
  ],
];

let tmp: string;
let source: string;
let original: TransformerManifest;

/** The generated doc model folder with its manifest's `onnx` names replaced. */
function folderNaming(names: OnnxGraphNames): string {
  return folderVariant(source, tmp, { "manifest.json": JSON.stringify({ ...original, onnx: { ...original.onnx, ...names } }) });
}

beforeAll(async () => {
  source = (await ensureFixtureModels()).models.doc;
  original = (await readManifest(source)) as TransformerManifest;
  tmp = mkdtempSync(join(tmpdir(), "splade-onnx-names-"));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("a manifest that names what model.onnx lacks", () => {
  it("the generated folder's own names load and encode (the control)", async () => {
    const { encoder } = await loadNodeEncoder(folderNaming({ inputs: original.onnx.inputs, output: original.onnx.output }), { threads: 1 });
    const [vector] = await encoder.encode(["red planet"]);
    expect(vector.indices.length).toBeGreaterThan(0);
  });

  it.each(WRONG)("is refused by onnxruntime-node: %s", async (_, names, message) => {
    const dir = folderNaming(names);
    const error = await loadNodeEncoder(dir, { threads: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).kind).toBe("manifest");
    expect((error as ModelError).message).toMatch(message);
    expect((error as ModelError).message.startsWith(join(dir, "model.onnx"))).toBe(true);
  });

  it.each(WRONG)("is refused by onnxruntime-web: %s", async (_, names, message) => {
    await expect(createWebBackend(join(source, "model.onnx"), names)).rejects.toThrow(message);
  });

  it.each(WRONG)("is refused through the inference thread, still a ModelError: %s", async (_, names, message) => {
    const model = await loadDocModel(folderNaming(names));
    const error = await startDocEncoder(model, { engine: "node", threads: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).message).toMatch(message);
  });
});
