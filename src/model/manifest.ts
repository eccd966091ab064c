// Reading and hashing manifest.json (its format is in manifest-format.ts).
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelError } from "./errors.ts";
import { MANIFEST_FORMAT, type ModelManifest, type TransformerManifest } from "./manifest-format.ts";

export {
  MANIFEST_FORMAT,
  manifestKind,
  type InferenceFreeManifest,
  type ModelManifest,
  type ModelRole,
  type TransformerManifest,
} from "./manifest-format.ts";

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads `<dir>/manifest.json`, with an error that says how to produce one. */
export async function readManifest(dir: string): Promise<ModelManifest> {
  const file = join(dir, "manifest.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ModelError("manifest", `${file} not found — run \`npm run model -- fetch\` (or \`npm run model -- convert <hf-folder> ${dir}\`)`, { cause });
  }
  const manifest = JSON.parse(text) as ModelManifest;
  if (manifest.format !== MANIFEST_FORMAT) {
    throw new ModelError("manifest", `${file}: format ${JSON.stringify(manifest.format)} is not ${MANIFEST_FORMAT} — convert the model again`);
  }
  return manifest;
}

/**
 * `manifest` (read from `file`) when it is a transformer's (model.onnx and its graph), else a ModelError: an
 * inference-free query model is a weight table, which encodes queries only (the Worker, `npm run eval`).
 */
export function transformerManifest(manifest: ModelManifest, file: string): TransformerManifest {
  if (manifest.kind === "inference-free") {
    throw new ModelError("manifest", `${file} is an inference-free query model (a weight table, no model.onnx): give a transformer's folder, e.g. model/doc`);
  }
  return manifest;
}
