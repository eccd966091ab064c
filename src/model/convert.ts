// Hugging Face folder → splade-edge model folder (model.onnx + tokenizer files + manifest.json; for a query model also
// what the Worker reads — encoder.bin and worker-tokenizer.json — and a .assetsignore that keeps model.onnx out of its
// uploads).
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
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
 * converted again. 2: trunk.onnx, head.bin and .assetsignore for query models. 3: encoder.bin (the kernel's weights)
 * instead of trunk.onnx and head.bin. 4: worker-tokenizer.json for query models.
 */
export const CONVERTER_LAYOUT = 4;

/** What layout 2 wrote for the Worker, replaced by encoder.bin. */
const OBSOLETE_FILES = ["trunk.onnx", "head.bin"];

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
  /** Where the folder came from; defaults to the local path. */
  source?: { repo: string; revision: string | null; commit: string | null; folder: string };
  license?: string | null;
  /** Called as each step starts, for progress display. */
  onStep?: (step: "read" | "build" | "write", detail: string) => void;
}

/** The folder that holds config.json: the given one, or its sentence-transformers sub-folder for the role. */
export function modelFolder(dir: string, role: ModelRole | undefined): string {
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
  const files: ModelManifest["files"] = {};
  await mkdir(outDir, { recursive: true });
  // Files earlier layouts wrote: left behind, wrangler would upload them with the Worker's assets.
  await Promise.all(OBSOLETE_FILES.map((f) => rm(join(outDir, f), { force: true })));
  // wrangler reads .assetsignore in the assets folder: the Worker never fetches model.onnx, so it is never uploaded.
  if (edge) await writeAtomic(join(outDir, ".assetsignore"), "model.onnx\n");
  for (const [name, body] of Object.entries(outputs)) {
    await writeAtomic(join(outDir, name), body);
    files[name] = { sha256: sha256(body), bytes: typeof body === "string" ? Buffer.byteLength(body) : body.byteLength };
  }
  const manifest: ModelManifest = {
    format: MANIFEST_FORMAT,
    role,
    source: {
      ...(options.source ?? { repo: hfDir, revision: null, commit: null, folder: dir === hfDir ? "" : basename(dir) }),
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
  // The manifest goes last: a folder with a manifest is a complete conversion.
  await writeAtomic(join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

async function writeAtomic(file: string, body: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, body);
  await rename(tmp, file);
}
