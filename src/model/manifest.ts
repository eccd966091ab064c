// manifest.json: what a converted model folder holds and where it came from. The Worker and the CLI read
// it to find max length and vocabulary size, and to say when weights are random (generated fixtures).
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { EncoderConfig } from "./architectures.ts";

export const MANIFEST_FORMAT = "splade-edge/model@1";
export type ModelRole = "query" | "doc";

export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  role: ModelRole;
  source: {
    /** Hub repo id, or the local folder it was converted from. */
    repo: string;
    revision: string | null;
    commit: string | null;
    /** Sub-folder inside the repo (sentence-transformers layout), "" for the root. */
    folder: string;
    weights_file: string;
    weights_sha256: string;
    license: string | null;
  };
  architecture: EncoderConfig["architecture"];
  config: EncoderConfig;
  max_length: number;
  vocab_size: number;
  onnx: { opset: number; inputs: string[]; output: string; pooling: "max-first" };
  /** sha256 and size of every file in the folder except the manifest itself. */
  files: Record<string, { sha256: string; bytes: number }>;
  converter: { name: string; version: string };
  /** True for generated test/demo weights: their output means nothing. */
  random_weights: boolean;
}

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
    throw new Error(`${file} not found — run \`npm run model -- fetch\` (or \`npm run model -- convert <hf-folder> ${dir}\`)`, { cause });
  }
  const manifest = JSON.parse(text) as ModelManifest;
  if (manifest.format !== MANIFEST_FORMAT) {
    throw new Error(`${file}: format ${JSON.stringify(manifest.format)} is not ${MANIFEST_FORMAT} — convert the model again`);
  }
  return manifest;
}
