// Generated SPLADE-like sparse vectors, written straight as `ids` JSONL ({"id","indices","values"}, 0-based token
// ids, heaviest first, as `encode-corpus --format ids` writes): collections of any size for measuring retrieval
// engines without running a model. Seeded: the same options give the same bytes.
//
// What "realistic" means here (a trained efficient-SPLADE doc encoder on MS MARCO keeps ~100–200 terms a passage,
// its query encoder ~20–40 a query, weights mostly below 1 with a tail to ~3):
// - terms come from the 29,522 ordinary vocabulary entries (ids 1000–30521: below are [PAD], [unusedN], [UNK],
//   [CLS], [SEP], [MASK]), by a Zipf law (exponent 1) over a seeded permutation of them, so a few terms sit in
//   most documents and most terms in few, as expansion terms do;
// - a document has 120 ± 40 distinct terms (uniform in [80, 160]), a query 25 ± 10 ([15, 35]), drawn without
//   replacement;
// - weights are 0.05 + an exponential of mean 0.5 (documents) or 0.8 (queries), capped at 3.5, to 3 decimals (short
//   lines, and each still a float32 an engine reads as written).
import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync, statSync } from "node:fs";
import { rename } from "node:fs/promises";
import { createInterface } from "node:readline";
import { sparsevecLiteral } from "../src/encoder/formats/pgvector.ts";
import { idsLine } from "../src/encoder/formats/terms.ts";
import { seededUniform } from "../src/model/random.ts";

export const VOCAB_SIZE = 30522;
/** First ordinary vocabulary entry of BERT's uncased vocab ("!" is 999; [unused993] is 998). */
const FIRST_TERM = 1000;
const ZIPF_EXPONENT = 1.0;

export interface SparseShape {
  /** Distinct terms per vector: uniform in [min, max]. */
  minTerms: number;
  maxTerms: number;
  /** Mean of the exponential part of a weight. */
  weightMean: number;
}

export const DOC_SHAPE: SparseShape = { minTerms: 80, maxTerms: 160, weightMean: 0.5 };
export const QUERY_SHAPE: SparseShape = { minTerms: 15, maxTerms: 35, weightMean: 0.8 };

export interface SparseVectorRecord {
  id: string;
  indices: number[];
  values: number[];
}

/** A seeded source of SPLADE-like vectors over one shared term distribution. */
export class SparseVectorSource {
  private readonly uniform: () => number;
  private readonly cumulative: Float64Array;
  private readonly termOf: Int32Array;

  /** `seed` fixes the term distribution; `stream` the draws (documents and queries: one seed, two streams). */
  constructor(seed: number, stream = 0) {
    const terms = VOCAB_SIZE - FIRST_TERM;
    const permute = seededUniform(seed);
    this.termOf = new Int32Array(terms);
    for (let i = 0; i < terms; i++) this.termOf[i] = FIRST_TERM + i;
    for (let i = terms - 1; i > 0; i--) {
      const j = Math.floor(permute() * (i + 1));
      [this.termOf[i], this.termOf[j]] = [this.termOf[j], this.termOf[i]];
    }
    this.cumulative = new Float64Array(terms);
    let sum = 0;
    for (let r = 0; r < terms; r++) this.cumulative[r] = sum += 1 / (r + 1) ** ZIPF_EXPONENT;
    this.uniform = seededUniform((Math.imul(seed, 7919) + Math.imul(stream + 1, 104729)) >>> 0);
  }

  private term(): number {
    const x = this.uniform() * this.cumulative[this.cumulative.length - 1];
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return this.termOf[lo];
  }

  /** One vector: distinct terms, heaviest first (ties by id). */
  vector(id: string, shape: SparseShape): SparseVectorRecord {
    const n = shape.minTerms + Math.floor(this.uniform() * (shape.maxTerms - shape.minTerms + 1));
    const weights = new Map<number, number>();
    while (weights.size < n) {
      const t = this.term();
      if (weights.has(t)) continue;
      const w = Math.min(3.5, 0.05 - shape.weightMean * Math.log(1 - this.uniform()));
      weights.set(t, Math.round(w * 1000) / 1000);
    }
    const entries = [...weights].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    return { id, indices: entries.map((e) => e[0]), values: entries.map((e) => e[1]) };
  }
}

/** Writes `count` vectors as `ids` JSONL to `path`; ids are `${prefix}${i}`. Returns the postings written. */
export async function writeSparseCollection(
  path: string,
  options: { count: number; seed: number; stream: number; shape: SparseShape; prefix: string },
): Promise<{ vectors: number; postings: number; bytes: number }> {
  const source = new SparseVectorSource(options.seed, options.stream);
  const out = createWriteStream(path);
  let postings = 0;
  let bytes = 0;
  let chunk: string[] = [];
  const flush = async () => {
    const text = chunk.join("");
    chunk = [];
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, "drain");
  };
  for (let i = 0; i < options.count; i++) {
    const record = source.vector(`${options.prefix}${i}`, options.shape);
    postings += record.indices.length;
    chunk.push(`${idsLine(record)}\n`);
    if (chunk.length === 1000) await flush();
  }
  await flush();
  out.end();
  await once(out, "finish");
  return { vectors: options.count, postings, bytes };
}

/** Where writeCopyFile puts the COPY rows of an ids file. */
export const copyFileFor = (ids: string) => `${ids.replace(/\.ids\.jsonl$/, "")}.copy`;

/** The ids JSONL as pgvector COPY rows `id<TAB>literal` (generated ids need no escaping); skipped when current. */
export async function writeCopyFile(ids: string): Promise<string> {
  const target = copyFileFor(ids);
  if (existsSync(target) && statSync(target).mtimeMs >= statSync(ids).mtimeMs) return target;
  const out = createWriteStream(`${target}.part`);
  for await (const line of createInterface({ input: createReadStream(ids), crlfDelay: Infinity })) {
    if (line === "") continue;
    const r = JSON.parse(line) as SparseVectorRecord;
    if (!out.write(`${r.id}\t${sparsevecLiteral(r, VOCAB_SIZE)}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  await rename(`${target}.part`, target);
  return target;
}
