// Hugging Face folder → an inference-free query model folder: the weight table the Worker looks queries up in
// (static-weights.bin, src/encoder/static-weights.ts), the tokenizer it tokenizes them with (worker-tokenizer.json,
// tokenizer_config.json) and manifest.json. No transformer is read or written: OpenSearch's doc-* repos hold their
// document transformer's config.json and weights at the root beside the query weights, and `--role query` on such a
// folder converts the query weights alone (docs/model-sources.md §2.0).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { STATIC_WEIGHTS_FILE, STATIC_WEIGHTS_FORMAT, writeStaticWeights, type StaticWeightTable } from "../encoder/static-weights.ts";
import { WORKER_TOKENIZER_FILE } from "../encoder/tokenizer.ts";
import {
  CONVERTER_LAYOUT,
  type ConvertOptions,
  DEFAULT_MAX_LENGTH,
  FIXTURE_MARKER,
  ST_FOLDERS,
  fileEntries,
  publicName,
  tokenizerFiles,
  writeFolder,
} from "./convert.ts";
import { ModelError } from "./errors.ts";
import { MANIFEST_FORMAT, type InferenceFreeManifest, sha256 } from "./manifest.ts";
import { readStaticWeightsSource, staticWeightLayouts, uniformStaticWeights } from "./static-weights-source.ts";
import { listVocabulary } from "./tokenizer-json.ts";
import pkg from "../../package.json" with { type: "json" };

/** How queries are weighted: the catalogue's QueryWeights.weighting. */
export type QueryWeighting = InferenceFreeManifest["static_weights"]["weighting"];

// transformers 4.x tokenization_utils_base.py VERY_LARGE_INTEGER = int(1e30): the model_max_length of a tokenizer that
// names none. sentence-transformers would then not truncate at all; a table lookup has no position limit, but the
// tokenizer needs a number, so such a folder gets the default.
const UNSET_MAX_LENGTH = 1e12;

/**
 * Whether `hfDir` converts as an inference-free query model, and how weighted: `queryWeights` says so outright;
 * otherwise a folder whose files hold query weights (static-weights-source.ts's layouts) does, for `--role query`, or
 * with no role when it holds no transformer. A folder holding both (OpenSearch's) needs the role said.
 */
export function inferenceFreeWeighting(hfDir: string, options: ConvertOptions): QueryWeighting | undefined {
  if (options.queryWeights !== undefined && options.role === "doc")
    throw new ModelError("folder", `query weights ("${options.queryWeights}") make a query model: they do not go with --role doc`);
  if (options.queryWeights !== undefined) return options.queryWeights;
  if (options.role === "doc" || !existsSync(hfDir) || !statSync(hfDir).isDirectory()) return undefined;
  const layouts = staticWeightLayouts(hfDir);
  if (layouts.length === 0) return undefined;
  if (options.role === "query") return "per-token";
  const transformer = ["config.json", ...Object.values(ST_FOLDERS).map((f) => join(f, "config.json"))].find((f) => existsSync(join(hfDir, f)));
  if (transformer) {
    throw new ModelError(
      "folder",
      `${hfDir}: holds inference-free query weights (${layouts.join(", ")}) and a transformer (${transformer}) — say which with --role query|doc`,
    );
  }
  return "per-token";
}

/** A special token's string as tokenizer_config.json names it (a string, or an AddedToken object), else BERT's. */
function specialToken(config: Record<string, unknown>, key: string, bert: string): string {
  const value = config[key];
  if (typeof value === "string") return value;
  const content = (value as { content?: unknown } | undefined)?.content;
  return typeof content === "string" ? content : bert;
}

/** Whether the folder's generated checkpoint says so (FIXTURE_MARKER in a config.json of the root or of the query module). */
function isGenerated(hfDir: string, moduleDir: string): boolean {
  return [hfDir, moduleDir].some((dir) => {
    const file = join(dir, "config.json");
    if (!existsSync(file)) return false;
    // Only the marker is looked for: the root config.json is the document transformer's, which this conversion does
    // not otherwise read, so one that does not parse is not this conversion's to refuse.
    try {
      const config = JSON.parse(readFileSync(file, "utf8")) as unknown;
      return typeof config === "object" && config !== null && FIXTURE_MARKER in config;
    } catch {
      return false;
    }
  });
}

/** Converts the inference-free query half of `hfDir` into `outDir`; returns the manifest it wrote. */
export async function convertInferenceFree(hfDir: string, outDir: string, weighting: QueryWeighting, options: ConvertOptions): Promise<InferenceFreeManifest> {
  if (!existsSync(hfDir)) throw new ModelError("folder", `${hfDir}: no such folder — give a Hugging Face model folder`);
  options.onStep?.("read", hfDir);
  const source = weighting === "per-token" ? readStaticWeightsSource(hfDir) : undefined;
  // The module's own tokenizer when it has one: sentence-transformers' SparseStaticEmbedding.load reads it from there.
  const tokenizerDir = source?.tokenizerDir ?? hfDir;
  const tokenizer = await tokenizerFiles(tokenizerDir);
  const tokenizerConfig = JSON.parse(tokenizer.config) as Record<string, unknown>;
  // NAVER's clean_bow zeroes the tokenizer's own cls, sep and mask ids (§4).
  const dropped = source
    ? []
    : [
        specialToken(tokenizerConfig, "cls_token", "[CLS]"),
        specialToken(tokenizerConfig, "sep_token", "[SEP]"),
        specialToken(tokenizerConfig, "mask_token", "[MASK]"),
      ];
  const table: StaticWeightTable = source?.table ?? uniformStaticWeights(hfDir, dropped);
  // The Worker's first request builds its tokenizer from this one: tokenizer.json's vocabulary object costs it ~4×.
  const workerTokenizer = listVocabulary(JSON.parse(tokenizer.tokenizer) as object) as { model: { vocab: string[] } };
  const vocab = workerTokenizer.model.vocab.length;
  if (vocab !== table.weights.length) {
    throw new ModelError(
      "tokenizer",
      `${tokenizerDir}: its tokenizer has ${vocab} tokens, the query weights ${table.weights.length}: they are not one model's`,
    );
  }
  const modelMax = tokenizerConfig.model_max_length;
  const fromTokenizer = typeof modelMax === "number" && Number.isInteger(modelMax) && modelMax >= 1 && modelMax < UNSET_MAX_LENGTH ? modelMax : undefined;
  const maxLength = options.maxLength ?? fromTokenizer ?? DEFAULT_MAX_LENGTH;
  // sentence-transformers' SparseStaticEmbedding.tokenize passes add_special_tokens=False (§5); NAVER's SpladeDoc
  // tokenizes with them and zeroes them (clean_bow, §4), which the uniform table's 0 weights do.
  const addSpecialTokens = weighting === "uniform";
  if (maxLength < (addSpecialTokens ? 2 : 1)) throw new ModelError("max_length", `max length ${maxLength} leaves no room for a token`);

  options.onStep?.("write", outDir);
  const tableBytes = writeStaticWeights(table);
  const outputs: Record<string, Uint8Array | string> = {
    [STATIC_WEIGHTS_FILE]: tableBytes,
    [WORKER_TOKENIZER_FILE]: JSON.stringify(workerTokenizer),
    "tokenizer_config.json": tokenizer.config,
  };
  const weightsBytes = source ? readFileSync(source.file) : undefined;
  const manifest: InferenceFreeManifest = {
    format: MANIFEST_FORMAT,
    kind: "inference-free",
    role: "query",
    ...(options.model ? { model: options.model } : {}),
    source: {
      ...(options.source ?? { revision: null, commit: null, folder: "" }),
      repo: publicName(hfDir, undefined, options).name,
      weights_file: source ? relative(hfDir, source.file) : null,
      weights_sha256: weightsBytes ? sha256(weightsBytes) : null,
      license: options.license ?? null,
    },
    max_length: maxLength,
    vocab_size: table.weights.length,
    static_weights: {
      file: STATIC_WEIGHTS_FILE,
      format: STATIC_WEIGHTS_FORMAT,
      bytes: tableBytes.byteLength,
      weighting,
      origin: source?.layout ?? "uniform",
      weighted_tokens: table.weights.reduce((n, w) => n + (w > 0 ? 1 : 0), 0),
      dropped_tokens: dropped,
    },
    tokenizer: {
      add_special_tokens: addSpecialTokens,
      rule: addSpecialTokens
        ? "NAVER SpladeDoc (naver/splade splade/hf/models.py): [CLS] … [SEP] added, [CLS], [SEP], [MASK] weigh 0"
        : "sentence-transformers SparseStaticEmbedding.tokenize: add_special_tokens=False",
    },
    files: fileEntries(outputs),
    converter: { name: pkg.name, version: pkg.version, layout: CONVERTER_LAYOUT },
    random_weights: isGenerated(hfDir, tokenizerDir),
  };
  outputs["manifest.json"] = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFolder(outDir, outputs);
  return manifest;
}
