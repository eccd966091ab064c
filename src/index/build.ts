// `splade-index build`'s core (Node: with corpus-fields.ts, the files of src/index that touch fs, which the Worker never
// imports):
// `ids` JSONL shards → an index@1 folder (docs/search.md). UI-free: it reports through callbacks and throws
// CorpusError, whose kinds the CLI maps to exit codes (src/cli/exit-codes.ts), as encode-corpus's core does.
//
// Bounded memory: postings gather in a buffer of `memoryBytes` (term, document, float32 weight, and the same again
// to sort into); a full buffer is sorted by term and spilled as a run. Runs cover consecutive documents, so merging
// is concatenating each term's postings run after run; quantization waits for the merge, when the largest weight is
// known, so the input is read once.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { open, readdir, readFile, realpath, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { CorpusError } from "../corpus/errors.ts";
import { openInput, openProblem, type Input } from "../corpus/input.ts";
import { createDirectory, syncDirectory } from "../corpus/output.ts";
import { readManifest, sha256 } from "../model/manifest.ts";
import { CorpusFields } from "./corpus-fields.ts";
import {
  encodeStrings,
  encodeTermDirectory,
  encodeTermRecord,
  stringBytes,
  INDEX_FORMAT,
  BLOCK_SIZE,
  MANIFEST_FILE,
  MAX_FILE_BYTES,
  PART_BYTES,
  MAX_IMPACT,
  quantize,
  TERMS_FILE,
  type DocumentParts,
  type IndexManifest,
  type TermEntry,
} from "./format.ts";

/** Default posting buffer: 512 MiB holds ~22 M postings (24 bytes each, buffer and sort target). */
export const DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024;
const BYTES_PER_POSTING = 24;

export interface BuildIndexOptions {
  inputs: string[];
  output: string;
  /** Converted doc model folder whose manifest the index records. */
  model: string;
  force: boolean;
  memoryBytes?: number;
  /** Stored fields: their names (`--store`), taken from the corpus files the input was encoded from (`--corpus`). */
  store?: string[];
  corpus?: string[];
  /** Aborted (Ctrl-C): the build stops, removes its staging folder and ends with CorpusError("interrupted"). */
  signal?: AbortSignal;
  /** The builder's name and version, recorded in index.json. */
  builder: { name: string; version: string };
}

export interface BuildProgress {
  phase: "read" | "merge";
  documents: number;
  postings: number;
  /** Merge: terms written out of the terms to write. */
  terms?: { done: number; total: number };
}

export interface BuildEvents {
  onProgress?(progress: BuildProgress): void;
  /** Something the user should see that does not stop the build (a stored field no document has). */
  onWarning?(message: string): void;
}

export interface BuildSummary {
  manifest: IndexManifest;
  runs: number;
  seconds: number;
}

/** Reads `ids` records and spills sorted runs; what the merge needs afterwards. */
class RunWriter {
  private readonly terms: Uint32Array;
  private readonly docs: Uint32Array;
  private readonly weights: Float32Array;
  private readonly sortedDocs: Uint32Array;
  private readonly sortedWeights: Float32Array;
  private readonly counts: Uint32Array;
  private size = 0;
  readonly runs: string[] = [];

  constructor(
    private readonly dir: string,
    capacity: number,
    vocabSize: number,
  ) {
    this.terms = new Uint32Array(capacity);
    this.docs = new Uint32Array(capacity);
    this.weights = new Float32Array(capacity);
    this.sortedDocs = new Uint32Array(capacity);
    this.sortedWeights = new Float32Array(capacity);
    this.counts = new Uint32Array(vocabSize);
  }

  async add(term: number, doc: number, weight: number): Promise<void> {
    if (this.size === this.terms.length) await this.spill();
    this.terms[this.size] = term;
    this.docs[this.size] = doc;
    this.weights[this.size] = weight;
    this.size++;
  }

  /**
   * Writes the buffer as a run: u32 term count, (u32 term, u32 postings) per term ascending, then every document,
   * then every weight, term after term — a stable counting sort keeps each term's documents ascending.
   */
  async spill(): Promise<void> {
    if (this.size === 0) return;
    const counts = this.counts.fill(0);
    for (let i = 0; i < this.size; i++) counts[this.terms[i]]++;
    const starts = new Uint32Array(counts.length);
    const header: number[] = [];
    for (let t = 0, at = 0; t < counts.length; t++) {
      starts[t] = at;
      at += counts[t];
      if (counts[t] > 0) header.push(t, counts[t]);
    }
    for (let i = 0; i < this.size; i++) {
      const at = starts[this.terms[i]]++;
      this.sortedDocs[at] = this.docs[i];
      this.sortedWeights[at] = this.weights[i];
    }
    const path = join(this.dir, `run-${String(this.runs.length).padStart(5, "0")}.tmp`);
    const handle = await open(path, "wx");
    try {
      await handle.write(new Uint8Array(new Uint32Array([header.length / 2, ...header]).buffer));
      await handle.write(new Uint8Array(this.sortedDocs.buffer, 0, this.size * 4));
      await handle.write(new Uint8Array(this.sortedWeights.buffer, 0, this.size * 4));
    } finally {
      await handle.close();
    }
    this.runs.push(path);
    this.size = 0;
  }
}

/** One run during the merge: its term table, and a read position in its documents and in its weights. */
class RunReader {
  private next = 0;
  private docsAt: number;
  private weightsAt: number;

  private constructor(
    private readonly handle: FileHandle,
    private readonly table: Uint32Array,
    postings: number,
  ) {
    this.docsAt = 4 + table.byteLength;
    this.weightsAt = this.docsAt + postings * 4;
  }

  static async open(path: string): Promise<RunReader> {
    const handle = await open(path, "r");
    const head = new Uint32Array(1);
    await handle.read(new Uint8Array(head.buffer), 0, 4, 0);
    const table = new Uint32Array(head[0] * 2);
    await handle.read(new Uint8Array(table.buffer), 0, table.byteLength, 4);
    let postings = 0;
    for (let i = 1; i < table.length; i += 2) postings += table[i];
    return new RunReader(handle, table, postings);
  }

  /** The next term this run holds, or undefined when it is through. */
  get term(): number | undefined {
    return this.next < this.table.length ? this.table[this.next] : undefined;
  }

  /** Every term the run holds. */
  terms(): number[] {
    return Array.from({ length: this.table.length / 2 }, (_, i) => this.table[2 * i]);
  }

  get count(): number {
    return this.table[this.next + 1];
  }

  /** Reads the current term's postings into `docs` and `weights` and moves to the next term. */
  async take(docs: Uint32Array, weights: Float32Array): Promise<void> {
    const count = this.count;
    await readFully(this.handle, new Uint8Array(docs.buffer, docs.byteOffset, count * 4), this.docsAt);
    await readFully(this.handle, new Uint8Array(weights.buffer, weights.byteOffset, count * 4), this.weightsAt);
    this.docsAt += count * 4;
    this.weightsAt += count * 4;
    this.next += 2;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function readFully(handle: FileHandle, target: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < target.length; ) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) throw new Error(`a run file ends early at ${position + done}`);
    done += bytesRead;
  }
}

/** Writes files into the staging folder, each recorded with its sha256 and size. */
class FileSet {
  readonly files: Record<string, { sha256: string; bytes: number }> = {};

  constructor(private readonly dir: string) {}

  async write(name: string, chunks: readonly Uint8Array[]): Promise<void> {
    const hash = createHash("sha256");
    let bytes = 0;
    const handle = await open(join(this.dir, name), "wx");
    try {
      for (const chunk of chunks) {
        await handle.write(chunk);
        hash.update(chunk);
        bytes += chunk.length;
      }
      await handle.sync();
    } catch (error) {
      throw new CorpusError("output", `${join(this.dir, name)}: cannot be written (${(error as Error).message})`, { cause: error });
    } finally {
      await handle.close();
    }
    this.files[name] = { sha256: hash.digest("hex"), bytes };
  }
}

/**
 * One string a document (its id, or its stored fields' JSON) in parts of consecutive documents, written as they fill:
 * cut at PART_BYTES, a larger string alone in its part.
 */
class DocumentStrings {
  private pending: string[] = [];
  private bytes = 0;
  private first = 0;
  readonly parts: DocumentParts = [];

  constructor(
    private readonly files: FileSet,
    private readonly prefix: "ids" | "fields",
  ) {}

  async add(text: string): Promise<void> {
    const size = stringBytes(text);
    if (this.pending.length > 0 && 8 + this.bytes + size > PART_BYTES) await this.flush();
    this.pending.push(text);
    this.bytes += size;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const file = `${this.prefix}-${String(this.parts.length).padStart(5, "0")}.bin`;
    await this.files.write(file, [encodeStrings(this.pending)]);
    this.parts.push({ file, first: this.first, count: this.pending.length });
    this.first += this.pending.length;
    this.pending = [];
    this.bytes = 0;
  }
}

/** Refuses an output that is, or holds, an input; a finished index without --force; anything else in the way. */
async function checkOutput(output: string, inputs: readonly string[], force: boolean): Promise<void> {
  const found = await stat(output).catch(() => undefined);
  if (found && !found.isDirectory()) throw new CorpusError("usage", `${output} is a file: --output names the index's folder`);
  const target = found ? await realpath(output) : resolve(output);
  for (const input of inputs) {
    if (input === "-") continue;
    const real = await realpath(input).catch(() => resolve(input));
    if (real === target || real.startsWith(target + sep)) {
      throw new CorpusError("usage", `${input} is inside the output ${output}: refusing to write over an input — choose another --output`);
    }
  }
  if (!found || force) return;
  if (existsSync(join(output, MANIFEST_FILE))) {
    throw new CorpusError("usage", `${output} holds a finished index: refusing to write over it — give --force to replace it, or another --output`);
  }
  if ((await readdir(output)).length > 0) {
    throw new CorpusError(
      "usage",
      `${output} is a folder that is not empty and holds no index: refusing to write into it — give --force to replace it, or another --output`,
    );
  }
}

/** The document model the index pairs with, from its folder's manifest. */
async function documentModel(folder: string): Promise<{ record: IndexManifest["document_model"]; vocabSize: number }> {
  const manifest = await readManifest(folder);
  if (manifest.role !== "doc") {
    throw new CorpusError("usage", `${folder} is a ${manifest.role} model: --model names the doc model the input was encoded with (default model/doc)`);
  }
  const text = await readFile(join(folder, "manifest.json"));
  return {
    record: {
      model: manifest.model ?? null,
      repo: manifest.source.repo,
      weights_sha256: manifest.source.weights_sha256,
      manifest_sha256: sha256(text),
      random_weights: manifest.random_weights,
    },
    vocabSize: manifest.vocab_size,
  };
}

/** One `ids` line → its id and postings, or why it is not one. */
function parseIdsLine(text: string, vocabSize: number): { id: string; indices: number[]; values: number[] } | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `invalid JSON (${(error as Error).message})`;
  }
  const { id, indices, values } = (value ?? {}) as { id?: unknown; indices?: unknown; values?: unknown };
  if (typeof id !== "string" || id === "") return 'no "id" string: splade-index reads encode-corpus --format ids output';
  if (!Array.isArray(indices) || !Array.isArray(values)) return 'no "indices" and "values" arrays: splade-index reads encode-corpus --format ids output';
  if (indices.length !== values.length) return `${indices.length} indices and ${values.length} values`;
  for (let i = 0; i < indices.length; i++) {
    const term = indices[i];
    const weight = values[i];
    if (!Number.isInteger(term) || term < 0 || term >= vocabSize) return `token id ${JSON.stringify(term)} outside the model's vocabulary 0…${vocabSize - 1}`;
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0)
      return `weight ${JSON.stringify(weight)} of token ${term} is not a finite number ≥ 0`;
  }
  return { id, indices, values };
}

function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CorpusError("interrupted", "interrupted: nothing was written (the staging folder is removed)");
}

/** openInput, with a path it cannot open as a usage error naming it. */
async function openNamed(path: string): Promise<Input> {
  try {
    return await openInput(path);
  } catch (error) {
    const problem = openProblem(error);
    if (problem) throw new CorpusError("usage", `${path}: ${problem}`, { cause: error });
    throw error;
  }
}

/** Builds the index of `inputs` (ids JSONL, in order) into `output`, through a staging folder renamed into place. */
export async function buildIndex(options: BuildIndexOptions, events: BuildEvents = {}): Promise<BuildSummary> {
  const started = performance.now();
  const output = resolve(options.output);
  const store = storedNames(options);
  const corpusPaths = options.corpus ?? [];
  await checkOutput(output, [...options.inputs, ...corpusPaths], options.force);
  // Every input opened first: a missing last shard is found before the first one is read.
  const inputs = await Promise.all(options.inputs.map(openNamed));
  const corpus = store.length > 0 ? new CorpusFields(await Promise.all(corpusPaths.map(openNamed)), store, () => stopIfAborted(options.signal)) : undefined;
  const model = await documentModel(options.model);
  const memory = options.memoryBytes ?? DEFAULT_MEMORY_BYTES;
  const capacity = Math.floor(memory / BYTES_PER_POSTING);
  if (capacity < BLOCK_SIZE) throw new CorpusError("usage", `--memory ${memory} bytes is too small: give at least ${BLOCK_SIZE * BYTES_PER_POSTING}`);

  await createDirectory(dirname(output));
  const staging = join(dirname(output), `.${basename(output)}.staging-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await createDirectory(staging);
  try {
    const files = new FileSet(staging);
    const runs = new RunWriter(staging, capacity, model.vocabSize);
    const ids = new DocumentStrings(files, "ids");
    const fields = new DocumentStrings(files, "fields");
    const seen = new Int32Array(model.vocabSize).fill(-1);
    let documents = 0;
    let postings = 0;
    let maxWeight = 0;
    for (const input of inputs) {
      for await (const { line, text } of input.lines()) {
        const record = parseIdsLine(text, model.vocabSize);
        if (typeof record === "string") throw new CorpusError("input", `${input.name}:${line}: ${record}`);
        const doc = documents++;
        for (let i = 0; i < record.indices.length; i++) {
          const term = record.indices[i];
          if (seen[term] === doc) throw new CorpusError("input", `${input.name}:${line}: token id ${term} appears twice`);
          seen[term] = doc;
          const weight = Math.fround(record.values[i]);
          if (weight === 0) continue;
          if (weight > maxWeight) maxWeight = weight;
          await runs.add(term, doc, weight);
          postings++;
        }
        await ids.add(record.id);
        if (corpus) {
          const stored = await corpus.next(record.id, `${input.name}:${line}`);
          if (8 + stringBytes(stored.json) > MAX_FILE_BYTES) {
            throw new CorpusError(
              "input",
              `${stored.where}: the stored fields take ${stringBytes(stored.json) - 4} bytes, more than one ${MAX_FILE_BYTES}-byte file holds`,
            );
          }
          await fields.add(stored.json);
        }
        if (documents % 1000 === 0) {
          stopIfAborted(options.signal);
          events.onProgress?.({ phase: "read", documents, postings });
        }
      }
    }
    if (documents === 0) throw new CorpusError("input", `${options.inputs.join(", ")}: no documents — nothing to index`);
    await runs.spill();
    await ids.flush();
    await fields.flush();
    events.onProgress?.({ phase: "read", documents, postings });
    for (const name of corpus?.missing() ?? []) {
      events.onWarning?.(
        `no document of --corpus ${corpusPaths.join(",")} has a ${JSON.stringify(name)} field: none is stored${corpus?.formats.has("tsv") ? " (a TSV line has only an id and a text)" : ""}`,
      );
    }

    const scale = maxWeight > 0 ? MAX_IMPACT / maxWeight : 1;
    const { entries, postingsFiles } = await mergeRuns(runs.runs, files, scale, (done, total) => {
      stopIfAborted(options.signal);
      events.onProgress?.({ phase: "merge", documents, postings, terms: { done, total } });
    });
    for (const run of runs.runs) await rm(run);
    await files.write(TERMS_FILE, [encodeTermDirectory(entries)]);
    const manifest: IndexManifest = {
      format: INDEX_FORMAT,
      documents,
      terms: entries.length,
      postings,
      block_size: BLOCK_SIZE,
      quantization: { bits: 8, scale, max_weight: maxWeight },
      files: files.files,
      postings_files: postingsFiles,
      ids: ids.parts,
      stored: store,
      fields: fields.parts,
      document_model: model.record,
      builder: options.builder,
    };
    // index.json last: a folder with it is a finished index (checkOutput), one without it never is.
    await files.write(MANIFEST_FILE, [new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`)]);
    await syncDirectory(staging);
    await replace(output, staging);
    return { manifest, runs: runs.runs.length, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    // The corpus may go on past the last indexed document (a shard's records after it): its file is closed here.
    corpus?.close();
  }
}

/** `--store`'s names, refused without `--corpus` (and `--corpus` without them): the ids input has no fields. */
function storedNames({ store, corpus }: BuildIndexOptions): string[] {
  const names = [...new Set(store ?? [])];
  if (names.length > 0 && !corpus?.length)
    throw new CorpusError("usage", "--store needs --corpus: the corpus files the input was encoded from, where the fields are");
  if (corpus?.length && names.length === 0) throw new CorpusError("usage", "--corpus is read only for --store: name the fields to store (--store title,url)");
  if (names.some((name) => name === "")) throw new CorpusError("usage", `--store ${store?.join(",")}: a field name is empty`);
  return names;
}

/** Moves the finished staging folder to `output`, replacing what --force allowed to be replaced. */
async function replace(output: string, staging: string): Promise<void> {
  if (existsSync(output)) {
    const old = join(dirname(output), `.${basename(output)}.old-${process.pid}`);
    await rename(output, old);
    await rename(staging, output);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(staging, output);
  }
  await syncDirectory(dirname(output));
}

/** Every term's postings, run after run, quantized and encoded into parts of PART_BYTES (a larger record alone, up to MAX_FILE_BYTES). */
async function mergeRuns(
  paths: readonly string[],
  files: FileSet,
  scale: number,
  progress: (done: number, total: number) => void,
): Promise<{ entries: TermEntry[]; postingsFiles: string[] }> {
  const readers = await Promise.all(paths.map((path) => RunReader.open(path)));
  try {
    const terms = new Set(readers.flatMap((r) => r.terms()));
    const entries: TermEntry[] = [];
    const postingsFiles: string[] = [];
    let pending: Uint8Array[] = [];
    let offset = 0;
    const flush = async () => {
      if (pending.length === 0) return;
      const name = `postings-${String(postingsFiles.length).padStart(5, "0")}.bin`;
      await files.write(name, pending);
      postingsFiles.push(name);
      pending = [];
      offset = 0;
    };
    let done = 0;
    for (;;) {
      let term: number | undefined;
      for (const reader of readers) if (reader.term !== undefined && (term === undefined || reader.term < term)) term = reader.term;
      if (term === undefined) break;
      const holders = readers.filter((r) => r.term === term);
      const total = holders.reduce((sum, r) => sum + r.count, 0);
      const docs = new Uint32Array(total);
      const weights = new Float32Array(total);
      for (let at = 0, i = 0; i < holders.length; i++) {
        const count = holders[i].count;
        await holders[i].take(docs.subarray(at), weights.subarray(at));
        at += count;
      }
      const impacts = new Uint8Array(total);
      let maxImpact = 0;
      for (let i = 0; i < total; i++) {
        impacts[i] = quantize(weights[i], scale);
        if (impacts[i] > maxImpact) maxImpact = impacts[i];
      }
      const record = encodeTermRecord(docs, impacts);
      if (record.length > MAX_FILE_BYTES) {
        throw new CorpusError("usage", `token ${term} has ${total} postings (${record.length} bytes), more than one ${MAX_FILE_BYTES}-byte file holds`);
      }
      if (offset + record.length > PART_BYTES) await flush();
      entries.push({ term, postings: total, file: postingsFiles.length, offset, bytes: record.length, maxImpact, blocks: Math.ceil(total / BLOCK_SIZE) });
      pending.push(record);
      offset += record.length;
      progress(++done, terms.size);
    }
    await flush();
    return { entries, postingsFiles };
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
}
