// Hugging Face folder → splade-edge model folder (model.onnx + tokenizer files + manifest.json; for a query model also
// what the Worker reads — encoder.bin and worker-tokenizer.json — and a .assetsignore that keeps model.onnx out of its
// uploads). An inference-free query half (a weight table, no transformer) converts in convert-static.ts.
import { existsSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { isKernelPartFile } from "../kernel/contract.ts";
import { buildKernelWeights } from "./encoder-bin.ts";
import { GTE_ARCHITECTURE, isGte, loadModel, parseModelConfig, type SpladeActivation } from "./architectures.ts";
import { openCheckpoint } from "./checkpoint/index.ts";
import { MANIFEST_FORMAT, sha256, type ModelManifest, type ModelRole, type TransformerManifest } from "./manifest.ts";
import type { MaxLengthSource, SpladeRule } from "./manifest-format.ts";
import { ONNX_INPUTS, ONNX_OPSET, ONNX_OUTPUT, buildOnnx } from "./onnx/build.ts";
import { bertSettings, buildBertTokenizerJson, listVocabulary, parseVocab } from "./tokenizer-json.ts";
import { WORKER_TOKENIZER_FILE } from "../encoder/tokenizer.ts";
import { STATIC_WEIGHTS_FILE } from "../encoder/static-weights.ts";
import { convertInferenceFree, inferenceFreeWeighting, type QueryWeighting } from "./convert-static.ts";
import { checkpointError, ModelError } from "./errors.ts";
import { documentMaxLength, readSpladeActivation, specialTokenIds } from "./splade-pooling.ts";

/**
 * Bumped whenever the same weights convert to other files, so that generated folders (ensureFixtureModels) are
 * converted again, and `npm start`/`npm run deploy` convert an older folder again before serving it. 2: trunk.onnx,
 * head.bin and .assetsignore for query models. 3: encoder.bin (the kernel's weights) instead of trunk.onnx and
 * head.bin. 4: worker-tokenizer.json for query models. 5: the manifest's source.repo is a public name, never the
 * local folder's path (the Worker shows it to every client). 6: a manifest `kind`, and inference-free query models
 * (static-weights.bin, no transformer: convert-static.ts); encoder.bin in parts of at most 24 MiB when larger (Workers
 * take 25 MiB per asset), listed with their sizes and sha256 in the manifest's `edge`; the manifest's `splade` rule
 * (activation, special ids) and `max_length_from`, a document encoder's default max length its own
 * (sentence-transformers' rule). All came in together.
 */
export const CONVERTER_LAYOUT = 6;

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
  STATIC_WEIGHTS_FILE,
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
  /**
   * An inference-free query half: "per-token" reads its weight table from the folder (idf.json, query_token_weights.txt,
   * a sentence-transformers static module), "uniform" weighs every token 1 (naver/splade-v3-doc, the catalogue's
   * QueryWeights). Unset: per-token when the folder holds such a table and the role is query (convert-static.ts).
   */
  queryWeights?: QueryWeighting;
  /** The SPLADE activation, over the one the repo's SpladePooling config names (default relu when it has none). */
  activation?: SpladeActivation;
  /** Zero the tokenizer's special token ids in every vector (the OpenSearch model cards' rule); default false. */
  dropSpecialIds?: boolean;
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

/** tokenizer.json (built from vocab.txt when the folder has none) and tokenizer_config.json of the folder `dir`. */
export async function tokenizerFiles(dir: string): Promise<{ tokenizer: string; config: string }> {
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
export function publicName(hfDir: string, rawConfig: unknown, options: ConvertOptions): { name: string; from: "option" | "hub" | "config" | "folder" } {
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

/** sha256 and size of each file to write, as the manifest lists them. */
export function fileEntries(outputs: Record<string, Uint8Array | string>): ModelManifest["files"] {
  const files: ModelManifest["files"] = {};
  for (const [file, body] of Object.entries(outputs)) {
    files[file] = { sha256: sha256(body), bytes: typeof body === "string" ? Buffer.byteLength(body) : body.byteLength };
  }
  return files;
}

/**
 * The SPLADE pooling for the role: the options', else the repo's SpladePooling config, else relu. The Worker's kernel
 * pools with log(1 + relu) and drops nothing, so a query model with any other rule is refused.
 */
async function spladeActivation(hfDir: string, role: ModelRole, options: ConvertOptions): Promise<SpladeRule> {
  const fromRepo = await readSpladeActivation(hfDir, role);
  const activation = options.activation ?? fromRepo?.activation ?? "relu";
  const rule: SpladeRule = {
    activation,
    activation_from: options.activation ? "option" : (fromRepo?.file ?? "default"),
    drop_special_ids: options.dropSpecialIds ?? false,
  };
  if (role === "query" && (activation !== "relu" || rule.drop_special_ids)) {
    const what = activation !== "relu" ? `the ${activation} activation (${rule.activation_from})` : "dropping the special token ids";
    throw new ModelError("checkpoint", `${hfDir}: a query encoder with ${what} is not supported: the Worker's kernel pools with log(1 + relu) only`);
  }
  return rule;
}

/** Converts a local Hugging Face model folder into `outDir`; returns the manifest it wrote. */
export async function convertFolder(hfDir: string, outDir: string, options: ConvertOptions): Promise<ModelManifest> {
  const weighting = inferenceFreeWeighting(hfDir, options);
  if (weighting) return convertInferenceFree(hfDir, outDir, weighting, options);
  const dir = modelFolder(hfDir, options.role);
  const configFile = join(dir, "config.json");
  const rawConfig = await readJson(configFile);
  const config = parseModelConfig(rawConfig, configFile);
  const role = options.role ?? (config.architecture === "BertForMaskedLM" ? "query" : "doc");
  const splade = await spladeActivation(hfDir, role, options);
  const weightsName = WEIGHT_FILES.find((f) => existsSync(join(dir, f)));
  if (!weightsName) {
    const sharded = existsSync(join(dir, "model.safetensors.index.json")) || existsSync(join(dir, "pytorch_model.bin.index.json"));
    throw new ModelError("folder", `${dir}: ${sharded ? "sharded checkpoints are not supported" : `no weights (${WEIGHT_FILES.join(" or ")})`}`);
  }
  const weightsFile = join(dir, weightsName);
  options.onStep?.("read", weightsFile);
  const weightBytes = await readFile(weightsFile);
  const encoder = loadModel(config, openCheckpoint(weightsFile, weightBytes));
  const tokenizer = await tokenizerFiles(dir);
  // A document's max length is the model's own (sentence-transformers MLMTransformer), which --max-length may lower.
  const { maxLength, from: maxLengthFrom }: { maxLength: number; from: MaxLengthSource | "default" } =
    role === "doc"
      ? await documentMaxLength(dir, config, JSON.parse(tokenizer.config) as Record<string, unknown>, options.maxLength)
      : { maxLength: Math.min(options.maxLength ?? DEFAULT_MAX_LENGTH, config.maxPositions), from: options.maxLength === undefined ? "default" : "option" };
  if (maxLength < 2) throw new ModelError("max_length", `max length ${maxLength} leaves no room for [CLS] and [SEP]`);
  const specialIds = splade.drop_special_ids ? specialTokenIds(tokenizer.tokenizer) : [];
  if (splade.drop_special_ids) splade.special_ids = specialIds;

  options.onStep?.("build", config.architecture);
  const onnx = buildOnnx(encoder, { producerVersion: pkg.version, maxLength, pooling: { activation: splade.activation, dropIds: specialIds } });

  options.onStep?.("write", outDir);
  const outputs: Record<string, Uint8Array | string> = {
    "model.onnx": onnx,
    "tokenizer.json": tokenizer.tokenizer,
    "tokenizer_config.json": tokenizer.config,
  };
  // The Worker runs the whole query encoder on the splade-edge kernel (src/kernel: encoder.c + splade-head.c), from
  // encoder.bin; onnxruntime is not part of it (docs/performance.md: no runtime start, 23 MB of wasm memory against
  // onnxruntime-web's 73, ~3× faster).
  let edge: TransformerManifest["edge"];
  if (role === "query") {
    if (isGte(encoder)) {
      throw new ModelError(
        "checkpoint",
        `${configFile}: ${GTE_ARCHITECTURE} converts as a document encoder only (--role doc): the Worker's kernel runs BERT and DistilBERT`,
      );
    }
    const kernel = buildKernelWeights(encoder, maxLength);
    Object.assign(outputs, kernel.files);
    edge = kernel.layout;
    // The Worker's first request builds its tokenizer from this one: tokenizer.json's vocabulary object costs it ~4×.
    outputs[WORKER_TOKENIZER_FILE] = JSON.stringify(listVocabulary(JSON.parse(tokenizer.tokenizer) as object));
  }
  const { name } = publicName(hfDir, rawConfig, options);
  const manifest: TransformerManifest = {
    format: MANIFEST_FORMAT,
    kind: "transformer",
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
    max_length_from: maxLengthFrom,
    vocab_size: config.vocabSize,
    splade,
    onnx: { opset: ONNX_OPSET, inputs: [...ONNX_INPUTS], output: ONNX_OUTPUT, pooling: "max-first" },
    ...(edge ? { edge } : {}),
    files: fileEntries(outputs),
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
export async function writeFolder(outDir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  let existing: string[] | undefined;
  try {
    existing = await readdir(outDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw new ModelError("folder", `${outDir} is a file — give a folder for the converted model`);
    if (code !== "ENOENT") throw new ModelError("folder", `${outDir}: cannot be read (${code})`, { cause: error });
  }
  const foreign = existing?.filter((f) => !CONVERSION_FILES.has(f) && !isKernelPartFile(f)) ?? [];
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
