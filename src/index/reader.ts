// An index opened through a loader of its files (fetch in the Worker, readFile in Node): the manifest and the term
// directory at open; postings, id and stored-fields parts through a PartCache, within its budget. No fs, no Node.
import {
  decodeStoredFields,
  decodeTerm,
  decodeTermDirectory,
  MANIFEST_FILE,
  parseManifest,
  stringAt,
  TERMS_FILE,
  type DocumentParts,
  type IndexManifest,
  type TermEntry,
} from "./format.ts";
import { PartCache, type LoadFile } from "./part-cache.ts";

export type { LoadFile } from "./part-cache.ts";

export class IndexReader {
  private constructor(
    readonly manifest: IndexManifest,
    readonly directory: Map<number, TermEntry>,
    readonly parts: PartCache,
  ) {}

  /** `cacheBytes`: most bytes of postings, id and stored-fields parts kept between reads (default: all of them). */
  static async open(load: LoadFile, cacheBytes = Number.POSITIVE_INFINITY): Promise<IndexReader> {
    const manifest = parseManifest(new TextDecoder().decode(await load(MANIFEST_FILE)));
    return new IndexReader(manifest, decodeTermDirectory(await load(TERMS_FILE)), new PartCache(load, cacheBytes));
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

  /** The id of document number `doc`, decoding nothing else of its part. */
  async documentId(doc: number): Promise<string> {
    const part = this.partOf(this.manifest.ids, doc);
    return stringAt(await this.parts.get(part.file), doc - part.first);
  }

  /**
   * The stored fields of document number `doc` (`--store`): the names it has of the manifest's `stored`, each with
   * its value from the corpus; {} for a document that has none, and for an index that stores none.
   */
  async documentFields(doc: number): Promise<Record<string, unknown>> {
    if (this.manifest.fields.length === 0) {
      this.partOf(this.manifest.ids, doc);
      return {};
    }
    const part = this.partOf(this.manifest.fields, doc);
    return decodeStoredFields(await this.parts.get(part.file), doc - part.first);
  }

  /** The part of `parts` (consecutive, ascending) that holds document `doc`. */
  private partOf(parts: DocumentParts, doc: number): DocumentParts[number] {
    // Binary search: a 1M-passage index with stored text has hundreds of parts, and a hit list asks k of them.
    let low = 0;
    let high = parts.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const part = parts[mid];
      if (doc < part.first) high = mid - 1;
      else if (doc >= part.first + part.count) low = mid + 1;
      else return part;
    }
    throw new RangeError(`document ${doc} outside 0…${this.manifest.documents - 1}`);
  }
}
