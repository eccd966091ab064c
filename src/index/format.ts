// The index format `splade-edge/index@1`, described in docs/search.md: its constants, the manifest's type, and the
// encoding and decoding of each binary part. Runtime-agnostic (no fs, no Node): the Worker reads with it, the builder
// (src/index/build.ts) writes with it, so both sides of the layout live in this one file.

export const INDEX_FORMAT = "splade-edge/index@1";
/** Postings per block: the granularity of the block-max metadata (PISA's and Lucene's default block size). */
export const BLOCK_SIZE = 128;
/** Largest file the index writes: Workers Static Assets take at most 25 MiB per file. */
export const MAX_FILE_BYTES = 24 * 1024 * 1024;
/**
 * The size parts are cut at: the Worker fetches a part whole (Static Assets answer no byte ranges) and keeps it in its
 * cache, so a query costs the parts its terms sit in. 1 MiB keeps that cost near the terms' own bytes while a 1M-passage
 * index stays a few hundred files (Static Assets take 20,000 a version). A term record larger than this is a part of
 * its own, up to MAX_FILE_BYTES.
 */
export const PART_BYTES = 1024 * 1024;
export const MAX_IMPACT = 255;
export const TERMS_FILE = "terms.bin";
export const MANIFEST_FILE = "index.json";

const MAGIC = 0x494c5053; // "SPLI" read as a little-endian u32
const VERSION = 1;
const DIRECTORY_HEADER = 16;
const DIRECTORY_ENTRY = 24;
/** Bytes of one block table entry: u32 last document, u32 end, u8 largest impact. */
export const BLOCK_ENTRY = 9;

/** A document weight's impact: round(w × scale) in 1…255, scale = 255 / the index's largest weight (docs/search.md). */
export function quantize(weight: number, scale: number): number {
  return Math.min(MAX_IMPACT, Math.max(1, Math.round(weight * scale)));
}

export class IndexFormatError extends Error {}

/** Parts that hold documents first…first+count−1 each, in document order: the id table's, the stored fields'. */
export type DocumentParts = Array<{ file: string; first: number; count: number }>;

export interface IndexManifest {
  format: typeof INDEX_FORMAT;
  documents: number;
  terms: number;
  postings: number;
  block_size: number;
  quantization: { bits: 8; scale: number; max_weight: number };
  files: Record<string, { sha256: string; bytes: number }>;
  postings_files: string[];
  ids: DocumentParts;
  /** The stored fields' names (`--store`, in its order), empty when none were stored. */
  stored: string[];
  /** The parts of stored fields, empty when none were stored. */
  fields: DocumentParts;
  document_model: { model: string | null; repo: string; weights_sha256: string | null; manifest_sha256: string; random_weights: boolean };
  builder: { name: string; version: string };
}

/** Parses index.json; refuses another format with what to do. */
export function parseManifest(text: string): IndexManifest {
  const value = JSON.parse(text) as Partial<IndexManifest>;
  if (value.format !== INDEX_FORMAT) {
    throw new IndexFormatError(
      `index.json is ${JSON.stringify(value.format)}, not ${INDEX_FORMAT}: build the index again with this splade-edge's splade-index build`,
    );
  }
  if (value.block_size !== BLOCK_SIZE) throw new IndexFormatError(`index.json: block_size ${value.block_size}, expected ${BLOCK_SIZE}`);
  return value as IndexManifest;
}

/** Bytes of all the index's files together, as its manifest records them. */
export function indexBytes(manifest: IndexManifest): number {
  return Object.values(manifest.files).reduce((sum, f) => sum + f.bytes, 0);
}

/** One term's entry in terms.bin. */
export interface TermEntry {
  term: number;
  postings: number;
  /** Index into the manifest's postings_files. */
  file: number;
  offset: number;
  bytes: number;
  maxImpact: number;
  blocks: number;
}

export function encodeTermDirectory(entries: readonly TermEntry[]): Uint8Array {
  const bytes = new Uint8Array(DIRECTORY_HEADER + entries.length * DIRECTORY_ENTRY);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, entries.length, true);
  entries.forEach((e, i) => {
    const at = DIRECTORY_HEADER + i * DIRECTORY_ENTRY;
    view.setUint32(at, e.term, true);
    view.setUint32(at + 4, e.postings, true);
    view.setUint32(at + 8, e.offset, true);
    view.setUint32(at + 12, e.bytes, true);
    view.setUint16(at + 16, e.file, true);
    view.setUint8(at + 18, e.maxImpact);
    view.setUint32(at + 20, e.blocks, true);
  });
  return bytes;
}

/** terms.bin → term id → entry. */
export function decodeTermDirectory(bytes: Uint8Array): Map<number, TermEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < DIRECTORY_HEADER || view.getUint32(0, true) !== MAGIC) throw new IndexFormatError(`${TERMS_FILE} is not a splade-edge term directory`);
  if (view.getUint32(4, true) !== VERSION) throw new IndexFormatError(`${TERMS_FILE}: version ${view.getUint32(4, true)}, expected ${VERSION}`);
  const count = view.getUint32(8, true);
  if (bytes.byteLength !== DIRECTORY_HEADER + count * DIRECTORY_ENTRY)
    throw new IndexFormatError(`${TERMS_FILE}: ${bytes.byteLength} bytes for ${count} terms`);
  const entries = new Map<number, TermEntry>();
  for (let i = 0; i < count; i++) {
    const at = DIRECTORY_HEADER + i * DIRECTORY_ENTRY;
    const term = view.getUint32(at, true);
    entries.set(term, {
      term,
      postings: view.getUint32(at + 4, true),
      offset: view.getUint32(at + 8, true),
      bytes: view.getUint32(at + 12, true),
      file: view.getUint16(at + 16, true),
      maxImpact: view.getUint8(at + 18),
      blocks: view.getUint32(at + 20, true),
    });
  }
  return entries;
}

/** The block-max metadata of one block, readable without decoding it. */
export interface BlockInfo {
  lastDoc: number;
  maxImpact: number;
  /** Byte range of the block's data inside the record. */
  start: number;
  end: number;
}

/** A term's record: its postings (documents ascending) in blocks of BLOCK_SIZE, block table first. */
export function encodeTermRecord(docs: ArrayLike<number>, impacts: ArrayLike<number>): Uint8Array {
  const n = docs.length;
  const blocks = Math.ceil(n / BLOCK_SIZE);
  // A gap takes at most 5 LEB128 bytes (u32), an impact one.
  const out = new Uint8Array(blocks * BLOCK_ENTRY + n * 6);
  const view = new DataView(out.buffer);
  const dataStart = blocks * BLOCK_ENTRY;
  let at = dataStart;
  let previous = -1;
  for (let b = 0; b < blocks; b++) {
    const first = b * BLOCK_SIZE;
    const last = Math.min(n, first + BLOCK_SIZE);
    let max = 0;
    for (let i = first; i < last; i++) {
      let gap = docs[i] - previous;
      if (gap <= 0) throw new RangeError(`postings not in ascending document order at ${i}`);
      previous = docs[i];
      while (gap >= 0x80) {
        out[at++] = (gap & 0x7f) | 0x80;
        gap >>>= 7;
      }
      out[at++] = gap;
    }
    for (let i = first; i < last; i++) {
      const impact = impacts[i];
      if (!(impact >= 1 && impact <= MAX_IMPACT)) throw new RangeError(`impact ${impact} outside 1…${MAX_IMPACT}`);
      out[at++] = impact;
      if (impact > max) max = impact;
    }
    view.setUint32(b * BLOCK_ENTRY, previous, true);
    view.setUint32(b * BLOCK_ENTRY + 4, at - dataStart, true);
    view.setUint8(b * BLOCK_ENTRY + 8, max);
  }
  // A copy, not a view: the builder holds up to 24 MiB of records before writing them, and a view would keep the
  // whole worst-case allocation alive.
  return out.slice(0, at);
}

/** The block table of a term record (`record` starts at the term's offset). */
export function blockTable(record: Uint8Array, entry: TermEntry): BlockInfo[] {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const dataStart = entry.blocks * BLOCK_ENTRY;
  const table: BlockInfo[] = [];
  let start = dataStart;
  for (let b = 0; b < entry.blocks; b++) {
    const end = dataStart + view.getUint32(b * BLOCK_ENTRY + 4, true);
    table.push({ lastDoc: view.getUint32(b * BLOCK_ENTRY, true), maxImpact: view.getUint8(b * BLOCK_ENTRY + 8), start, end });
    start = end;
  }
  return table;
}

/**
 * Decodes block `b` of a term record into `docs` and `impacts` (each at least BLOCK_SIZE long); returns its
 * posting count.
 */
export function decodeBlock(record: Uint8Array, entry: TermEntry, table: readonly BlockInfo[], b: number, docs: Uint32Array, impacts: Uint8Array): number {
  const count = b === entry.blocks - 1 ? entry.postings - b * BLOCK_SIZE : BLOCK_SIZE;
  let doc = b === 0 ? -1 : table[b - 1].lastDoc;
  let at = table[b].start;
  for (let i = 0; i < count; i++) {
    let gap = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = record[at++];
      gap |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    doc += gap >>> 0;
    docs[i] = doc;
  }
  impacts.set(record.subarray(at, at + count));
  if (at + count !== table[b].end) throw new IndexFormatError(`term ${entry.term}: block ${b} does not end where its table says`);
  return count;
}

/** Every posting of a term, decoded. */
export function decodeTerm(record: Uint8Array, entry: TermEntry): { docs: Uint32Array; impacts: Uint8Array } {
  const table = blockTable(record, entry);
  const docs = new Uint32Array(entry.postings + BLOCK_SIZE);
  const impacts = new Uint8Array(entry.postings + BLOCK_SIZE);
  for (let b = 0; b < entry.blocks; b++) {
    decodeBlock(record, entry, table, b, docs.subarray(b * BLOCK_SIZE), impacts.subarray(b * BLOCK_SIZE));
  }
  return { docs: docs.subarray(0, entry.postings), impacts: impacts.subarray(0, entry.postings) };
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Bytes of `text` in UTF-8 (a lone surrogate as U+FFFD, 3 bytes, as TextEncoder writes it). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * A part of strings: `u32 count`, `u32 offsets[count + 1]` (into the UTF-8 bytes that follow), the UTF-8 bytes. The
 * layout of the id table's parts (one id each) and of the stored fields' (one JSON object each). Written with
 * encodeInto into one buffer: a Uint8Array per string is a heap object each, and a part of a million ids made them the
 * builder's largest use of the JavaScript heap.
 */
export function encodeStrings(strings: readonly string[]): Uint8Array {
  const head = 4 + 4 * (strings.length + 1);
  const out = new Uint8Array(head + strings.reduce((sum, s) => sum + utf8Length(s), 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, strings.length, true);
  let at = head;
  strings.forEach((s, i) => {
    view.setUint32(4 + 4 * i, at - head, true);
    at += utf8.encodeInto(s, out.subarray(at)).written;
  });
  view.setUint32(4 + 4 * strings.length, at - head, true);
  return out;
}

/** Bytes a string adds to a part of strings (its offset and its UTF-8). */
export function stringBytes(s: string): number {
  return 4 + utf8Length(s);
}

/** The `i`-th string of a part, decoding nothing else. */
export function stringAt(bytes: Uint8Array, i: number): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  if (i < 0 || i >= count) throw new RangeError(`string ${i} of a part of ${count}`);
  const head = 4 + 4 * (count + 1);
  return fromUtf8.decode(bytes.subarray(head + view.getUint32(4 + 4 * i, true), head + view.getUint32(8 + 4 * i, true)));
}

/**
 * A document's stored fields, as a part holds them (one JSON object a document): the `names` the corpus record has,
 * in `names`' order. A name the record lacks, or holds as null, is absent (not ""); any other JSON value (a string, a
 * number, an array of tags…) is kept as it is, so the Worker answers what the corpus said.
 */
export function pickStoredFields(record: Readonly<Record<string, unknown>>, names: readonly string[]): Record<string, unknown> {
  // fromEntries defines own properties: a field named "__proto__" is kept as one, not made the object's prototype.
  return Object.fromEntries(names.filter((name) => Object.hasOwn(record, name) && record[name] !== null).map((name) => [name, record[name]]));
}

/** Document `i` of a part of stored fields. */
export function decodeStoredFields(bytes: Uint8Array, i: number): Record<string, unknown> {
  return JSON.parse(stringAt(bytes, i)) as Record<string, unknown>;
}
