// A converted model folder (model/query, model/doc) as the Node CLIs use it: manifest, tokenizer, ONNX file, with
// one error that names the missing file and the command that fetches it.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SpladeTokenizer } from "../encoder/tokenizer.ts";
import { readManifest, transformerManifest, type TransformerManifest } from "../model/manifest.ts";
import { ModelError } from "../model/errors.ts";

export const MODEL_FILES = ["manifest.json", "model.onnx", "tokenizer.json", "tokenizer_config.json"] as const;

export interface ModelFolder {
  manifest: TransformerManifest;
  tokenizer: SpladeTokenizer;
  modelFile: string;
}

export interface ModelFolderOptions {
  /** Tokens per text, [CLS] and [SEP] included; default: the manifest's (what the model was trained with). */
  maxLength?: number;
  /** The command that produces this folder, named when a file is missing. */
  fetchHint?: string;
  /** The CLI option that names this folder, named when a file is missing (default --model). */
  option?: string;
}

export async function loadModelFolder(dir: string, options: ModelFolderOptions = {}): Promise<ModelFolder> {
  const missing = MODEL_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    // An inference-free query folder has no model.onnx: saying so beats naming the missing file.
    if (!missing.includes("manifest.json")) transformerManifest(await readManifest(dir), join(dir, "manifest.json"));
    const hint = options.fetchHint ?? "npm run model -- fetch";
    throw new ModelError("folder", `${join(dir, missing[0])} not found — run \`${hint}\`, or point ${options.option ?? "--model"} at a converted model folder`);
  }
  const manifest = transformerManifest(await readManifest(dir), join(dir, "manifest.json"));
  const maxLength = options.maxLength ?? manifest.max_length;
  if (maxLength > manifest.config.maxPositions) {
    throw new ModelError("max_length", `--max-length ${maxLength} is more than the model's ${manifest.config.maxPositions} positions`);
  }
  const [tokenizerJson, tokenizerConfig] = await Promise.all(
    ["tokenizer.json", "tokenizer_config.json"].map(async (f) => JSON.parse(await readFile(join(dir, f), "utf8")) as object),
  );
  return { manifest, tokenizer: new SpladeTokenizer(tokenizerJson, tokenizerConfig, maxLength), modelFile: join(dir, "model.onnx") };
}
