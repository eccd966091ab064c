// Reads an inference-free model's query weights from each layout its Hub repository may carry
// (docs/model-sources.md §2.0, §5) into the table src/encoder/static-weights.ts writes for the Worker:
// - `sentence-transformers`: modules.json names a Router; its router_config.json routes `query` to one
//   SparseStaticEmbedding module (or, on repos saved before sentence-transformers v5.0.0 renamed it, `IDF`), whose
//   folder (query_0_SparseStaticEmbedding/ or query_0_IDF/) holds its own tokenizer and model.safetensors with one
//   float32 tensor `weight`, one weight per token id;
// - `idf.json` at the root: token string → weight, for the root (document) tokenizer's ids;
// - `query_token_weights.txt` at the root: the same weights as text lines.
// Weights are refused unless finite and ≥ 0 (OpenSearch trains them through relu, §2.0 `_encode_inf_free`).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isStaticWeight, type StaticWeightTable } from "../encoder/static-weights.ts";
import { openCheckpoint } from "./checkpoint/index.ts";
import { checkpointError, ModelError } from "./errors.ts";
import { parseVocab } from "./tokenizer-json.ts";

/** The layouts, in the order `readStaticWeightsSource` prefers them: what sentence-transformers loads comes first. */
export const STATIC_WEIGHTS_LAYOUTS = ["sentence-transformers", "idf.json", "query_token_weights.txt"] as const;
export type StaticWeightsLayout = (typeof STATIC_WEIGHTS_LAYOUTS)[number];

/** sentence-transformers' class names for the module, as router_config.json's `types` spell them (§0, §2.0). */
const STATIC_MODULE_TYPES = [
  "sentence_transformers.sparse_encoder.models.SparseStaticEmbedding.SparseStaticEmbedding",
  "sentence_transformers.sparse_encoder.models.IDF.IDF",
];
const ROUTER_TYPE = "sentence_transformers.models.Router";

export interface StaticWeightsSource {
  table: StaticWeightTable;
  layout: StaticWeightsLayout;
  /** The file the weights were read from. */
  file: string;
  /** The folder whose tokenizer the table's ids belong to: the module's own sub-folder, or the repo root. */
  tokenizerDir: string;
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (cause) {
    throw checkpointError("cannot be read", { file }, { cause });
  }
}

function readJson(file: string): unknown {
  const text = readText(file);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw checkpointError(`not valid JSON: ${(cause as Error).message}`, { file }, { cause });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Token → id of a folder's tokenizer (tokenizer.json's vocabulary and added tokens, else vocab.txt), and its size. */
function readVocabulary(dir: string): { ids: Map<string, number>; size: number; file: string } {
  const ids = new Map<string, number>();
  const tokenizerFile = join(dir, "tokenizer.json");
  if (existsSync(tokenizerFile)) {
    const json = readJson(tokenizerFile) as { model?: { vocab?: unknown }; added_tokens?: unknown };
    const vocab = json?.model?.vocab;
    if (Array.isArray(vocab)) vocab.forEach((t, id) => ids.set(String(t), id));
    else if (isRecord(vocab)) for (const [t, id] of Object.entries(vocab)) ids.set(t, Number(id));
    else throw new ModelError("tokenizer", `${tokenizerFile}: model.vocab is not a vocabulary (a WordPiece tokenizer is expected)`);
    if (Array.isArray(json.added_tokens)) for (const a of json.added_tokens as { content?: unknown; id?: unknown }[]) ids.set(String(a.content), Number(a.id));
    const bad = [...ids].find(([, id]) => !(Number.isInteger(id) && id >= 0));
    if (bad) throw new ModelError("tokenizer", `${tokenizerFile}: token ${JSON.stringify(bad[0])} has id ${bad[1]}`);
    // Reduced, not spread into Math.max: a multilingual vocabulary (250k tokens) would overflow the call's arguments.
    return { ids, size: [...ids.values()].reduce((a, b) => Math.max(a, b), -1) + 1, file: tokenizerFile };
  }
  const vocabFile = join(dir, "vocab.txt");
  if (!existsSync(vocabFile))
    throw new ModelError("tokenizer", `${dir}: neither tokenizer.json nor vocab.txt — the tokenizer the weights belong to is missing`);
  parseVocab(readText(vocabFile), vocabFile).forEach((t, id) => ids.set(t, id));
  return { ids, size: ids.size, file: vocabFile };
}

/** A table over `dir`'s tokenizer from (token, weight, where) entries; `file` names the weights file in errors. */
function tableFromTokens(dir: string, file: string, entries: Iterable<[token: string, weight: unknown, where: string]>): StaticWeightTable {
  const vocab = readVocabulary(dir);
  const weights = new Float32Array(vocab.size);
  for (const [token, weight, where] of entries) {
    const id = vocab.ids.get(token);
    // sentence-transformers' from_json maps an unknown token to [UNK] (convert_tokens_to_ids): a silent weight on the
    // wrong id, so it is refused here.
    if (id === undefined) throw checkpointError(`${where}token ${JSON.stringify(token)} is not in ${vocab.file}`, { file });
    if (typeof weight !== "number" || !isStaticWeight(weight)) {
      throw checkpointError(`${where}token ${JSON.stringify(token)} has weight ${JSON.stringify(weight)}; weights are finite numbers ≥ 0`, { file });
    }
    weights[id] = weight;
  }
  return { weights };
}

function fromIdfJson(dir: string): StaticWeightsSource {
  const file = join(dir, "idf.json");
  const json = readJson(file);
  if (!isRecord(json)) throw checkpointError("is not a JSON object of token → weight", { file });
  const entries = Object.entries(json).map(([t, w]): [string, unknown, string] => [t, w, ""]);
  return { table: tableFromTokens(dir, file, entries), layout: "idf.json", file, tokenizerDir: dir };
}

// NOT VERIFIED at source (docs/model-sources.md §2.0): the line format is `token<TAB>weight`, as OpenSearch's
// DJLUtils.fetchTokenWeights parses it; the Hub file itself was not read.
function fromQueryTokenWeights(dir: string): StaticWeightsSource {
  const file = join(dir, "query_token_weights.txt");
  const lines = readText(file).split("\n");
  if (lines.at(-1) === "") lines.pop();
  const seen = new Map<string, number>();
  const entries = lines.map((raw, i): [string, unknown, string] => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const fields = line.split("\t");
    const where = `line ${i + 1}: `;
    if (fields.length !== 2 || fields[1].trim() === "") throw checkpointError(`${where}${JSON.stringify(line)} is not token<TAB>weight`, { file });
    const first = seen.get(fields[0]);
    if (first !== undefined) throw checkpointError(`${where}token ${JSON.stringify(fields[0])} repeats line ${first}`, { file });
    seen.set(fields[0], i + 1);
    return [fields[0], Number(fields[1]), where];
  });
  return { table: tableFromTokens(dir, file, entries), layout: "query_token_weights.txt", file, tokenizerDir: dir };
}

/** The sub-folder of the Router's query module, when modules.json routes queries to one static module; else undefined. */
function staticModuleFolder(dir: string): string | undefined {
  const modulesFile = join(dir, "modules.json");
  if (!existsSync(modulesFile)) return undefined;
  const modules = readJson(modulesFile);
  if (!Array.isArray(modules)) throw checkpointError("is not a list of modules", { file: modulesFile });
  const router = modules.find((m) => isRecord(m) && m.type === ROUTER_TYPE) as Record<string, unknown> | undefined;
  if (!router) return undefined;
  const routerDir = join(dir, typeof router.path === "string" ? router.path : "");
  const file = join(routerDir, "router_config.json");
  if (!existsSync(file)) throw checkpointError(`not found, but ${modulesFile} names a Router here`, { file });
  const config = readJson(file) as { types?: unknown; structure?: { query?: unknown } };
  const query = config?.structure?.query;
  if (!isRecord(config?.types) || !Array.isArray(query)) throw checkpointError("has no `types` object and `structure.query` list", { file });
  const types = config.types;
  const isStatic = (id: unknown) => typeof id === "string" && STATIC_MODULE_TYPES.includes(types[id] as string);
  if (!query.some(isStatic)) return undefined;
  if (query.length !== 1) throw checkpointError(`structure.query ${JSON.stringify(query)}: a static embedding is expected alone on the query route`, { file });
  const folder = join(routerDir, query[0] as string);
  if (!existsSync(folder)) throw checkpointError(`routes queries to ${JSON.stringify(query[0])}, but ${folder} does not exist`, { file });
  return folder;
}

function fromSentenceTransformers(dir: string): StaticWeightsSource | undefined {
  const folder = staticModuleFolder(dir);
  if (folder === undefined) return undefined;
  const configFile = join(folder, "config.json");
  // SparseStaticEmbedding.load reads idf.json through from_json when config.json has a `path` to one (§5); no Hub
  // repo seen does, and that idf.json is what the idf.json layout reads.
  const config = existsSync(configFile) ? readJson(configFile) : undefined;
  if (isRecord(config) && "path" in config) {
    throw checkpointError("names a `path` to load the weights from: read its idf.json with the idf.json layout instead", { file: configFile });
  }
  // SparseStaticEmbedding.load falls back to pytorch_model.bin when model.safetensors is absent (Module.load_torch_weights).
  const safetensors = join(folder, "model.safetensors");
  const file = existsSync(safetensors) ? safetensors : join(folder, "pytorch_model.bin");
  const checkpoint = openCheckpoint(file);
  const shape = checkpoint.shape("weight");
  const vocab = readVocabulary(folder);
  // SparseStaticEmbedding.from_json sizes the tensor max(idf.json's token ids) + 1, not the vocabulary (§5), and saving
  // such a module writes it so: a shorter tensor leaves the last ids without weight, as idf.json does. A longer one
  // weighs ids no token has.
  if (shape.length !== 1 || shape[0] > vocab.size) {
    throw checkpointError(`is [${shape.join(", ")}], but ${vocab.file} has ${vocab.size} tokens: at most one weight per token is expected`, {
      file,
      tensor: "weight",
    });
  }
  const stored = checkpoint.get("weight").data;
  const bad = stored.findIndex((w) => !isStaticWeight(w));
  if (bad >= 0) throw checkpointError(`token id ${bad} has weight ${stored[bad]}; weights are finite and ≥ 0`, { file, tensor: "weight" });
  const weights = new Float32Array(vocab.size);
  weights.set(stored);
  return { table: { weights }, layout: "sentence-transformers", file, tokenizerDir: folder };
}

/**
 * A uniform table over `dir`'s tokenizer: every token weighs 1 but `dropped` (token strings), which weigh 0 — the query
 * side of NAVER's SpladeDoc (naver/splade @8dcd33a splade/hf/models.py: generate_bow sets 1 at every input id, clean_bow
 * zeroes [CLS], [SEP] and [MASK]; docs/model-sources.md §4).
 */
export function uniformStaticWeights(dir: string, dropped: readonly string[]): StaticWeightTable {
  const vocab = readVocabulary(dir);
  const weights = new Float32Array(vocab.size).fill(1);
  for (const token of dropped) {
    const id = vocab.ids.get(token);
    if (id === undefined) throw new ModelError("tokenizer", `${vocab.file}: no ${token} token, which a uniform query table weighs 0`);
    weights[id] = 0;
  }
  return { weights };
}

/** The static-weight layouts `dir` holds, in preference order. */
export function staticWeightLayouts(dir: string): StaticWeightsLayout[] {
  return STATIC_WEIGHTS_LAYOUTS.filter((layout) =>
    layout === "sentence-transformers" ? staticModuleFolder(dir) !== undefined : existsSync(join(dir, layout)),
  );
}

/**
 * The query weight table of the Hugging Face folder `dir`, from `layout` (default: the first STATIC_WEIGHTS_LAYOUTS
 * entry the folder holds). Refuses, with a ModelError naming the file, anything malformed.
 */
export function readStaticWeightsSource(dir: string, layout?: StaticWeightsLayout): StaticWeightsSource {
  const chosen = layout ?? staticWeightLayouts(dir)[0];
  if (chosen === undefined) {
    throw new ModelError("layout", `${dir}: no query weights — none of a sentence-transformers static query module, idf.json, query_token_weights.txt`);
  }
  if (chosen === "idf.json") return fromIdfJson(dir);
  if (chosen === "query_token_weights.txt") return fromQueryTokenWeights(dir);
  const source = fromSentenceTransformers(dir);
  if (!source) throw new ModelError("layout", `${dir}: modules.json routes no query to a SparseStaticEmbedding (or IDF) module`);
  return source;
}
