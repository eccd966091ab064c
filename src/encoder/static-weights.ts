// The inference-free query kind: a query's vector is its own tokens, each weighted by a fixed per-token weight
// shipped with the model (OpenSearch's doc-v* models, naver/splade-v3-doc); only documents go through a transformer.
// This file owns the weight table's binary format (what the converter writes and the Worker reads) and the query-side
// computation. Runtime-agnostic: it knows neither fs nor Hono; src/model/static-weights-source.ts reads the Hub files.
//
// The binary format, `splade-edge/static-weights@1`, little-endian throughout:
//   bytes 0–3   magic, the ASCII "SPSW" (STATIC_WEIGHTS_MAGIC)
//   bytes 4–7   uint32 format version (STATIC_WEIGHTS_VERSION)
//   bytes 8–11  uint32 vocabulary size V
//   bytes 12…   V float32 weights, the weight of token id i at 12 + 4i; every weight finite and ≥ 0, 0 = no weight
// Dense, not a sparse (id, weight) list: on a 30522-token vocabulary the dense table is 12 + 30522 × 4 = 122,100 B,
// while a list costs 8 B per weighted token (uint32 id + float32) and OpenSearch's tables weight 28,992 tokens
// (query_token_weights.txt has 28,992 lines, docs/model-sources.md §2.0): 12 + 4 + 28,992 × 8 = 231,952 B. A list is
// smaller only below 15,261 weighted tokens (half the vocabulary), and the dense table is read with no parsing.
import type { SparseRow, SparseSpladeBackend } from "./encoder.ts";
import { KindedError } from "../kinded-error.ts";

/** The first four bytes of a weight table. */
export const STATIC_WEIGHTS_MAGIC = "SPSW";
/** The version this code writes and reads; a change to the layout above bumps it. */
export const STATIC_WEIGHTS_VERSION = 1;
/** Name of the format, as a manifest would record it. */
export const STATIC_WEIGHTS_FORMAT = `splade-edge/static-weights@${STATIC_WEIGHTS_VERSION}`;
/** The file name the converter gives the table in a model folder (its manifest's `static_weights.file`). */
export const STATIC_WEIGHTS_FILE = "static-weights.bin";
/** Bytes before the first weight. */
export const STATIC_WEIGHTS_HEADER_BYTES = 12;

/** One weight per token id of the query tokenizer's vocabulary (weights.length is the vocabulary size). */
export interface StaticWeightTable {
  weights: Float32Array;
}

/** What the reader refuses: `weights`, bytes that are not a weight table this code reads (convert the model again). */
export class StaticWeightsError extends KindedError<"weights"> {
  constructor(message: string) {
    super("weights", message);
  }
}

/** A weight the format accepts: IDF-style weights are non-negative (OpenSearch trains them through relu, §2.0). */
export function isStaticWeight(w: number): boolean {
  return Number.isFinite(w) && w >= 0;
}

/** The table's bytes in the format above. */
export function writeStaticWeights(table: StaticWeightTable): Uint8Array {
  const { weights } = table;
  const bad = weights.findIndex((w) => !isStaticWeight(w));
  if (bad >= 0) throw new RangeError(`token id ${bad} has weight ${weights[bad]}: weights are finite and ≥ 0`);
  const out = new Uint8Array(STATIC_WEIGHTS_HEADER_BYTES + weights.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = STATIC_WEIGHTS_MAGIC.charCodeAt(i);
  view.setUint32(4, STATIC_WEIGHTS_VERSION, true);
  view.setUint32(8, weights.length, true);
  weights.forEach((w, i) => view.setFloat32(STATIC_WEIGHTS_HEADER_BYTES + 4 * i, w, true));
  return out;
}

/** Reads a weight table; `name` (the asset's file name) is in every error. */
export function readStaticWeights(bytes: Uint8Array, name: string): StaticWeightTable {
  if (bytes.length < STATIC_WEIGHTS_HEADER_BYTES) throw new StaticWeightsError(`${name} is ${bytes.length} bytes, too short for a static weight table`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== STATIC_WEIGHTS_MAGIC)
    throw new StaticWeightsError(`${name} starts with ${JSON.stringify(magic)}, not ${JSON.stringify(STATIC_WEIGHTS_MAGIC)}: not a static weight table`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== STATIC_WEIGHTS_VERSION) {
    throw new StaticWeightsError(`${name} is static weight table version ${version}; this code reads ${STATIC_WEIGHTS_VERSION} (convert the model again)`);
  }
  const vocab = view.getUint32(8, true);
  const expected = STATIC_WEIGHTS_HEADER_BYTES + vocab * 4;
  if (bytes.length !== expected) throw new StaticWeightsError(`${name} holds ${bytes.length} bytes, but ${vocab} weights need ${expected} (truncated?)`);
  const weights = new Float32Array(vocab);
  for (let i = 0; i < vocab; i++) {
    const w = view.getFloat32(STATIC_WEIGHTS_HEADER_BYTES + 4 * i, true);
    if (!isStaticWeight(w)) throw new StaticWeightsError(`${name}: token id ${i} has weight ${w}; weights are finite and ≥ 0`);
    weights[i] = w;
  }
  return { weights };
}

/**
 * The query vector of sentence-transformers' SparseStaticEmbedding (v5.0.0 … 5.2.0.dev0 @85ec645, `forward`): 1 for
 * each distinct token id present (a repeated token does not add) times that id's weight; tokens without a weight
 * weigh 0 and drop out, as in every SparseVector.
 *
 * Special tokens: `ids` must come from a SpladeTokenizer built with `addSpecialTokens: false`, because
 * SparseStaticEmbedding.tokenize calls the tokenizer with `add_special_tokens=False` and truncates to its
 * `model_max_length` (docs/model-sources.md §5). The model cards' code adds [CLS]/[SEP] instead, but their document
 * side zeroes every special id, so those two never reach a score (§2.0 "Card usage code"); OpenSearch's training
 * code zeroes them on the query side (§2.0 `_encode_inf_free`). sentence-transformers' rule gives the same scores
 * against either document side and stores no special ids, so it is the one implemented. Any special token
 * the text itself spells (e.g. "[SEP]") is kept with its weight, as sentence-transformers keeps it. (A uniform table,
 * NAVER's SpladeDoc, weighs its special ids 0 instead: there the tokenizer may add them.)
 */
function staticRow(ids: readonly number[], table: StaticWeightTable): SparseRow {
  const { weights } = table;
  const present = [...new Set(ids)];
  const outside = present.find((id) => !(id >= 0 && id < weights.length));
  if (outside !== undefined)
    throw new StaticWeightsError(
      `token id ${outside} is outside the weight table's ${weights.length} ids: the tokenizer and the table are from different models`,
    );
  return { indices: present, values: present.map((id) => weights[id]) };
}

/** The table as the encoder core's backend (SpladeEncoder), so an inference-free query model encodes as a transformer's does. */
export function staticWeightsBackend(table: StaticWeightTable): SparseSpladeBackend {
  return { runSparse: async (rows) => rows.map((ids) => staticRow(ids, table)) };
}
