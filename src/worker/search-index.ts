// The search index inside the isolate: `model/index/`, read from the ASSETS binding at `index/<file>` (Static Assets
// answer whole files, so the index is cut in parts of ~1 MiB: src/index/format.ts PART_BYTES). index.json and
// terms.bin load once per isolate; postings and id parts load when a query needs them and stay in a PartCache within
// SPLADE_INDEX_CACHE_MB. The index is refused when its document model does not pair with the served query model.
import { IndexFormatError, MANIFEST_FILE, type IndexManifest } from "../index/format.ts";
import { IndexReader } from "../index/reader.ts";
import { ApiError } from "./errors";
import { memoize } from "./memoize";
import type { ServedManifest } from "./model";

const INDEX_DIR = "index";
const BUILD_HINT = "build one with `npx splade-index build <encode-corpus ids files> --output model/index`, then restart";

/**
 * Why the index's documents cannot be searched with the served query model, or undefined when they pair. The two
 * halves pair when they are the same catalogue model (src/model/catalogue.ts) or, both converted outside the
 * catalogue, when nothing says otherwise; generated (random) weights pair only with generated weights.
 */
export function pairingProblem(index: IndexManifest["document_model"], query: ServedManifest): string | undefined {
  const documents = `model/index was built from documents encoded by ${index.repo}${index.model ? ` (catalogue model ${index.model})` : ""}`;
  const served = `this Worker serves the query model ${query.source.repo}${query.model ? ` (catalogue model ${query.model})` : ""}`;
  const fix = "build the index again with the doc model that pairs (`splade-index build … --model`), or serve the query model that pairs with it";
  if (index.random_weights !== query.random_weights) {
    const which = (random: boolean) => (random ? "generated random weights" : "real weights");
    return `${documents} with ${which(index.random_weights)}, but ${served} with ${which(query.random_weights)} — ${fix}`;
  }
  if ((index.model ?? null) !== (query.model ?? null)) {
    return index.model && query.model
      ? `${documents}, but ${served}: another model's vectors score nothing meaningful — ${fix}`
      : `${documents}, but ${served}: only one of them is a catalogue model, so they cannot be told to pair — ${fix}`;
  }
  return undefined;
}

/** The index, or why there is none: a missing index.json is "no index" (routes answer index_unavailable). */
async function openIndex(assets: Fetcher, cacheBytes: number): Promise<IndexReader> {
  const load = async (file: string) => {
    const response = await assets.fetch(`https://assets.local/${INDEX_DIR}/${file}`);
    if (!response.ok) {
      throw new ApiError("index_unavailable", `model/${INDEX_DIR}/${file} is missing — ${file === MANIFEST_FILE ? BUILD_HINT : "build the index again"}`);
    }
    return new Uint8Array(await response.arrayBuffer());
  };
  try {
    return await IndexReader.open(load, cacheBytes);
  } catch (cause) {
    if (cause instanceof IndexFormatError) throw new ApiError("index_unavailable", `model/${INDEX_DIR}: ${cause.message}`, { cause });
    throw cause;
  }
}

/** Everything an isolate keeps of the index between requests; loaded by the first request that needs it, once. */
export class IsolateIndex {
  private readonly indexLoad = memoize(({ assets, cacheBytes }: { assets: Fetcher; cacheBytes: number }) => openIndex(assets, cacheBytes));

  /** The index, checked against the served query model's manifest. */
  async index(assets: Fetcher, cacheBytes: number, query: ServedManifest): Promise<IndexReader> {
    const index = await this.indexLoad.get({ assets, cacheBytes });
    const problem = pairingProblem(index.manifest.document_model, query);
    if (problem) throw new ApiError("index_unavailable", problem);
    return index;
  }

  /** The index if some request has opened it. */
  loaded(): IndexReader | undefined {
    return this.indexLoad.value();
  }
}

/** This isolate's index. */
export const isolateIndex = new IsolateIndex();
