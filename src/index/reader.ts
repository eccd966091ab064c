// An index opened through a loader of its files (fetch in the Worker, readFile in Node): the manifest and the term
// directory at open; postings and id parts through a PartCache, within its budget. No fs, no Node.
import { decodeIdAt, decodeTerm, decodeTermDirectory, MANIFEST_FILE, parseManifest, TERMS_FILE, type IndexManifest, type TermEntry } from "./format.ts";
import { PartCache, type LoadFile } from "./part-cache.ts";

export type { LoadFile } from "./part-cache.ts";

export class IndexReader {
  private constructor(
    readonly manifest: IndexManifest,
    readonly directory: Map<number, TermEntry>,
    readonly parts: PartCache,
    /** Bytes of index.json and terms.bin, held for the reader's life. */
    readonly openBytes: number,
  ) {}

  /** `cacheBytes`: most bytes of postings and id parts kept between reads (default: all of them). */
  static async open(load: LoadFile, cacheBytes = Number.POSITIVE_INFINITY): Promise<IndexReader> {
    const manifestBytes = await load(MANIFEST_FILE);
    const manifest = parseManifest(new TextDecoder().decode(manifestBytes));
    const terms = await load(TERMS_FILE);
    return new IndexReader(manifest, decodeTermDirectory(terms), new PartCache(load, cacheBytes), manifestBytes.byteLength + terms.byteLength);
  }

  /** The raw record of a term (block table, then data), or undefined for a term no document has. */
  async record(term: number): Promise<{ entry: TermEntry; bytes: Uint8Array } | undefined> {
    const entry = this.directory.get(term);
    if (!entry) return undefined;
    const file = await this.parts.get(this.manifest.postings_files[entry.file]);
    return { entry, bytes: file.subarray(entry.offset, entry.offset + entry.bytes) };
  }

  /** Every posting of a term: documents ascending, with their impacts (empty for a term no document has). */
  async postings(term: number): Promise<{ docs: Uint32Array; impacts: Uint8Array }> {
    const found = await this.record(term);
    return found ? decodeTerm(found.bytes, found.entry) : { docs: new Uint32Array(0), impacts: new Uint8Array(0) };
  }

  /** The id of document number `doc`. */
  async documentId(doc: number): Promise<string> {
    const part = this.manifest.ids.find((p) => doc >= p.first && doc < p.first + p.count);
    if (!part) throw new RangeError(`document ${doc} outside 0…${this.manifest.documents - 1}`);
    return decodeIdAt(await this.parts.get(part.file), doc - part.first);
  }
}
