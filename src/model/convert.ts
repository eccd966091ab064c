// Hugging Face folder → splade-edge model folder (model.onnx + tokenizer files + manifest.json; for a query model also
// what the Worker reads — encoder.bin and worker-tokenizer.json — and a .assetsignore that keeps model.onnx out of its
// uploads).
import { existsSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { buildKernelWeights } from "./encoder-bin.ts";
import { loadEncoder, parseConfig } from "./architectures.ts";
import { openCheckpoint } from "./checkpoint/index.ts";
import { MANIFEST_FORMAT, sha256, type ModelManifest, type ModelRole } from "./manifest.ts";
import { ONNX_INPUTS, ONNX_OPSET, ONNX_OUTPUT, buildOnnx } from "./onnx/build.ts";
import { bertSettings, buildBertTokenizerJson, listVocabulary, parseVocab } from "./tokenizer-json.ts";
import { WORKER_TOKENIZER_FILE } from "../encoder/tokenizer.ts";
import { checkpointError, ModelError } from "./errors.ts";

/**
 * Bumped whenever the same weights convert to other files, so that generated folders (ensureFixtureModels) are
 * converted again, and `npm start`/`npm run deploy` convert an older folder again before serving it. 2: trunk.onnx,
 * head.bin and .assetsignore for query models. 3: encoder.bin (the kernel's weights) instead of trunk.onnx and
 * head.bin. 4: worker-tokenizer.json for query models. 5: the manifest's source.repo is a public name, never the
 * local folder's path (the Worker shows it to every client).
 */
export const CONVERTER_LAYOUT = 5;

/** The first layout whose manifests never hold a local path: before it, source.repo of a local conversion was one. */
const NAME_NOT_PATH_LAYOUT = 5;

/** Every file name a conversion of any layout writes (layout 2's trunk.onnx and head.bin included). */
const CONVERSION_FILES = new Set([
  "manifest.json",
  ".assetsignore",
  "model.onnx",
  "tokenizer.json",
  "tokenizer_config.json",
  "encoder.bin",
  WORKER_TOKENIZER_FILE,
  "trunk.onnx",
  "head.bin",
]);

/** Both encoders were trained with 256 tokens (naver/splade conf/train/config/efficient_splade.yaml). */
export const DEFAULT_MAX_LENGTH = 256;

/** Weight files in order of preference: safetensors needs no unpickling and maps straight to memory. */
export const WEIGHT_FILES = ["model.safetensors", "pytorch_model.bin"] as const;

/** sentence-transformers sub-folders (later revisions of the naver repos) per role. */
export const ST_FOLDERS: Record<ModelRole, string> = {
  query: "query_0_MLMTransformer",
  doc: "document_0_MLMTransformer",
};

export interface ConvertOptions {
  /** Default: doc for DistilBERT, query for BERT (the efficient-SPLADE pair); needed for a sentence-transformers folder. */
  role?: ModelRole;
  maxLength?: number;
  /** The Hub download the folder is (fetch): its repo id is the model's name. */
  source?: { repo: string; revision: string | null; commit: string | null; folder: string };
  /** The model's public name, over any other (see publicName). */
  name?: string;
  license?: string | null;
  /** The model catalogue entry the folder is a half of (src/model/catalogue.ts), recorded in the manifest. */
  model?: string;
  /** Called as each step starts, for progress display. */
  onStep?: (step: "read" | "build" | "write", detail: string) => void;
}

/** The folder that holds config.json: the given one, or its sentence-transformers sub-folder for the role. */
export function modelFolder(dir: string, role: ModelRole | undefined): string {
  if (!existsSync(dir)) throw new ModelError("folder", `${dir}: no such folder — give a Hugging Face model folder (config.json and its weights)`);
  if (!statSync(dir).isDirectory()) throw new ModelError("folder", `${dir} is a file, not a folder — give the Hugging Face model folder that holds it`);
  if (existsSync(join(dir, "config.json"))) return dir;
  const subs = (role ? [ST_FOLDERS[role]] : Object.values(ST_FOLDERS)).filter((s) => existsSync(join(dir, s, "config.json")));
  if (subs.length === 1) return join(dir, subs[0]);
  if (subs.length > 1) throw new ModelError("folder", `${dir}: holds both ${subs.join(" and ")} — say which with --role query|doc`);
  throw new ModelError("folder", `${dir}: no config.json here${role ? ` or in ${ST_FOLDERS[role]}/` : ""} — is this a Hugging Face model folder?`);
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw checkpointError(cause instanceof SyntaxError ? `not valid JSON: ${cause.message}` : "cannot be read", { file }, { cause });
  }
}

async function tokenizerFiles(dir: string): Promise<{ tokenizer: string; config: string }> {
  const configFile = join(dir, "tokenizer_config.json");
  const rawConfig = existsSync(configFile) ? ((await readJson(configFile)) as Record<string, unknown>) : undefined;
  const config = `${JSON.stringify(rawConfig ?? { do_lower_case: true, tokenizer_class: "BertTokenizer" }, null, 2)}\n`;
  const tokenizerFile = join(dir, "tokenizer.json");
  if (existsSync(tokenizerFile)) return { tokenizer: await readFile(tokenizerFile, "utf8"), config };
  const vocabFile = join(dir, "vocab.txt");
  if (!existsSync(vocabFile)) throw new ModelError("tokenizer", `${dir}: neither tokenizer.json nor vocab.txt — the tokenizer is missing`);
  const vocab = parseVocab(await readFile(vocabFile, "utf8"), vocabFile);
  return { tokenizer: JSON.stringify(buildBertTokenizerJson(vocab, bertSettings(rawConfig))), config };
}

// huggingface_hub 0.26 utils/_validators.py REPO_ID_REGEX, with the owner required: a bare name in
// `_name_or_path` is as often a local folder, or the base model it was fine-tuned from, as this model's id.
const HUB_ID = /^[\w.-]+\/[\w.-]{1,96}$/;

/** `value` when it reads as a Hub repo id (owner/name), else undefined: never a local path. */
function hubId(value: unknown): string | undefined {
  if (typeof value !== "string" || !HUB_ID.test(value)) return undefined;
  return /^[.-]|[.-]$|--|\.\.|\/[.-]|[.-]\//.test(value) ? undefined : value;
}

/**
 * The name the manifest records as source.repo, which the Worker shows in every answer and on /info: --name, else
 * the Hub id (fetch's repo, or config.json's `_name_or_path` when it is one), else the folder's own name. Never a
 * local path: the path says nothing to a client, and tells the world where the files lay on someone's machine.
 */
function publicName(hfDir: string, rawConfig: unknown, options: ConvertOptions): { name: string; from: "option" | "hub" | "config" | "folder" } {
  if (options.name !== undefined) return { name: options.name, from: "option" };
  if (options.source) return { name: options.source.repo, from: "hub" };
  const fromConfig = hubId((rawConfig as Record<string, unknown> | null)?._name_or_path);
  return fromConfig ? { name: fromConfig, from: "config" } : { name: basename(hfDir), from: "folder" };
}

/** Where the Hub download of `repo` at `commit` is cached under `modelRoot` (fetch writes it, a re-conversion reads it). */
export function hubCacheFolder(modelRoot: string, repo: string, commit: string, role: ModelRole): string {
  // Keyed by commit and role: a cache never mixes files of two revisions, nor a repo's two encoders.
  return join(modelRoot, ".hub", repo.replaceAll("/", "--"), commit, role);
}

/**
 * The folder on this machine that a converted model was made from, or undefined: the Hub download cached under
 * `modelRoot`, or, for a manifest of a layout before 5, the local folder whose path it recorded.
 */
export function sourceFolder(manifest: ModelManifest, modelRoot = "model"): string | undefined {
  const { repo, commit } = manifest.source;
  const cached = commit ? hubCacheFolder(modelRoot, repo, commit, manifest.role) : undefined;
  if (cached && existsSync(cached)) return cached;
  const layout = manifest.converter?.layout ?? 0;
  return layout < NAME_NOT_PATH_LAYOUT && existsSync(repo) ? repo : undefined;
}

/** Fields a generated checkpoint carries in its config.json so every output made from it says so. */
export const FIXTURE_MARKER = "splade_edge_fixture";

/** Converts a local Hugging Face model folder into `outDir`; returns the manifest it wrote. */
export async function convertFolder(hfDir: string, outDir: string, options: ConvertOptions): Promise<ModelManifest> {
  const dir = modelFolder(hfDir, options.role);
  const configFile = join(dir, "config.json");
  const rawConfig = await readJson(configFile);
  const config = parseConfig(rawConfig, configFile);
  const role = options.role ?? (config.architecture === "DistilBertForMaskedLM" ? "doc" : "query");
  const weightsName = WEIGHT_FILES.find((f) => existsSync(join(dir, f)));
  if (!weightsName) {
    const sharded = existsSync(join(dir, "model.safetensors.index.json")) || existsSync(join(dir, "pytorch_model.bin.index.json"));
    throw new ModelError("folder", `${dir}: ${sharded ? "sharded checkpoints are not supported" : `no weights (${WEIGHT_FILES.join(" or ")})`}`);
  }
  const weightsFile = join(dir, weightsName);
  options.onStep?.("read", weightsFile);
  const weightBytes = await readFile(weightsFile);
  const encoder = loadEncoder(config, openCheckpoint(weightsFile, weightBytes));
  const maxLength = Math.min(options.maxLength ?? DEFAULT_MAX_LENGTH, config.maxPositions);
  if (maxLength < 2) throw new ModelError("max_length", `max length ${maxLength} leaves no room for [CLS] and [SEP]`);

  options.onStep?.("build", config.architecture);
  const onnx = buildOnnx(encoder, { producerVersion: pkg.version, maxLength });
  const tokenizer = await tokenizerFiles(dir);

  options.onStep?.("write", outDir);
  const outputs: Record<string, Uint8Array | string> = {
    "model.onnx": onnx,
    "tokenizer.json": tokenizer.tokenizer,
    "tokenizer_config.json": tokenizer.config,
  };
  // The Worker runs the whole query encoder on the splade-edge kernel (src/kernel: encoder.c + splade-head.c), from
  // encoder.bin; onnxruntime is not part of it (docs/performance.md: no runtime start, 23 MB of wasm memory against
  // onnxruntime-web's 73, ~3× faster).
  let edge: ModelManifest["edge"];
  if (role === "query") {
    const kernel = buildKernelWeights(encoder, maxLength);
    outputs[kernel.layout.file] = kernel.bytes;
    edge = kernel.layout;
    // The Worker's first request builds its tokenizer from this one: tokenizer.json's vocabulary object costs it ~4×.
    outputs[WORKER_TOKENIZER_FILE] = JSON.stringify(listVocabulary(JSON.parse(tokenizer.tokenizer) as object));
  }
  const { name } = publicName(hfDir, rawConfig, options);
  const files: ModelManifest["files"] = {};
  for (const [file, body] of Object.entries(outputs)) {
    files[file] = { sha256: sha256(body), bytes: typeof body === "string" ? Buffer.byteLength(body) : body.byteLength };
  }
  const manifest: ModelManifest = {
    format: MANIFEST_FORMAT,
    role,
    ...(options.model ? { model: options.model } : {}),
    source: {
      ...(options.source ?? { revision: null, commit: null, folder: dir === hfDir ? "" : basename(dir) }),
      repo: name,
      weights_file: weightsName,
      weights_sha256: sha256(weightBytes),
      license: options.license ?? null,
    },
    architecture: config.architecture,
    config,
    max_length: maxLength,
    vocab_size: config.vocabSize,
    onnx: { opset: ONNX_OPSET, inputs: [...ONNX_INPUTS], output: ONNX_OUTPUT, pooling: "max-first" },
    ...(edge ? { edge } : {}),
    files,
    converter: { name: pkg.name, version: pkg.version, layout: CONVERTER_LAYOUT },
    random_weights: typeof rawConfig === "object" && rawConfig !== null && FIXTURE_MARKER in rawConfig,
  };
  // wrangler reads .assetsignore in the assets folder: the Worker never fetches model.onnx, so it is never uploaded.
  if (edge) outputs[".assetsignore"] = "model.onnx\n";
  outputs["manifest.json"] = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFolder(outDir, outputs);
  return manifest;
}

/**
 * Writes `files` as the whole of `outDir`: into a fresh sibling folder, then renamed into place, so that no file of
 * an earlier conversion stays behind (wrangler would upload it with the Worker's assets) and a failed conversion
 * leaves the earlier one as it was. A folder holding anything a conversion does not write is refused, untouched.
 */
async function writeFolder(outDir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  let existing: string[] | undefined;
  try {
    existing = await readdir(outDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw new ModelError("folder", `${outDir} is a file — give a folder for the converted model`);
    if (code !== "ENOENT") throw new ModelError("folder", `${outDir}: cannot be read (${code})`, { cause: error });
  }
  const foreign = existing?.filter((f) => !CONVERSION_FILES.has(f)) ?? [];
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(", ") + (foreign.length > 3 ? ", …" : "");
    throw new ModelError(
      "folder",
      `${outDir} holds files no conversion writes (${shown}): choose another output folder, or move them out — a conversion replaces the whole folder`,
    );
  }
  await mkdir(dirname(outDir), { recursive: true });
  const staging = `${outDir}.converting-${process.pid}`;
  const replaced = `${outDir}.replaced-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    await mkdir(staging);
    // The manifest goes last: a folder with a manifest is a complete conversion.
    for (const [name, body] of Object.entries(files)) await writeFile(join(staging, name), body);
    if (existing === undefined) {
      await rename(staging, outDir);
      return;
    }
    await rename(outDir, replaced);
    try {
      await rename(staging, outDir);
    } catch (error) {
      await rename(replaced, outDir);
      throw error;
    }
    await rm(replaced, { recursive: true, force: true });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
