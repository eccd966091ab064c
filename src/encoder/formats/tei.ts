// The sparse vector as Hugging Face text-embeddings-inference's POST /embed_sparse returns it.
import type { SparseVector } from "../sparse.ts";
import { shortestFloat32 } from "./weights.ts";

/** TEI /embed_sparse element for one vector: [{index, value}] sorted by index ascending (as TEI returns). */
export function teiSparse(vector: SparseVector): Array<{ index: number; value: number }> {
  return vector.indices.map((index, k) => ({ index, value: shortestFloat32(vector.values[k]) })).sort((a, b) => a.index - b.index);
}
