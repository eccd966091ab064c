// The parts of an index an isolate has fetched, kept within a byte budget: a query needs the parts its terms sit in
// and its hits' id parts, never the whole index (a 1M-passage index is 280 MiB; the isolate has 128 MB with the query
// model). Least recently used parts go first; a part being fetched is fetched once however many queries wait for it.
// No Node, no fs: the Worker's loader fetches from Static Assets, Node's reads files.

/** The bytes of one of the index's files, by its name in the manifest. */
export type LoadFile = (name: string) => Promise<Uint8Array>;

export interface PartCacheStats {
  /** Bytes of the parts kept now. */
  bytes: number;
  parts: number;
  /** Parts fetched since the cache began, and their bytes: what queries cost in reads. */
  fetches: number;
  fetchedBytes: number;
}

export class PartCache {
  // Insertion order is recency order: a hit moves its part to the end, eviction takes from the front.
  private readonly kept = new Map<string, Uint8Array>();
  private readonly loading = new Map<string, Promise<Uint8Array>>();
  private keptBytes = 0;
  private fetches = 0;
  private fetchedBytes = 0;

  /** `budgetBytes`: most bytes kept between queries (a single part larger than it is used and not kept). */
  constructor(
    private readonly load: LoadFile,
    readonly budgetBytes: number,
  ) {}

  get(name: string): Promise<Uint8Array> {
    const part = this.kept.get(name);
    if (part) {
      this.kept.delete(name);
      this.kept.set(name, part);
      return Promise.resolve(part);
    }
    let pending = this.loading.get(name);
    if (!pending) {
      pending = this.load(name).then((bytes) => {
        this.fetches++;
        this.fetchedBytes += bytes.byteLength;
        this.keep(name, bytes);
        return bytes;
      });
      this.loading.set(name, pending);
      // Settled either way, the next request for it reads `kept`, or tries again after a failure.
      const forget = () => this.loading.delete(name);
      pending.then(forget, forget);
    }
    return pending;
  }

  stats(): PartCacheStats {
    return { bytes: this.keptBytes, parts: this.kept.size, fetches: this.fetches, fetchedBytes: this.fetchedBytes };
  }

  private keep(name: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.budgetBytes) return;
    this.kept.set(name, bytes);
    this.keptBytes += bytes.byteLength;
    for (const [oldest, old] of this.kept) {
      if (this.keptBytes <= this.budgetBytes) break;
      this.kept.delete(oldest);
      this.keptBytes -= old.byteLength;
    }
  }
}
