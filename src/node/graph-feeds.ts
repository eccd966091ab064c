// The converted graph's inputs as onnxruntime takes them (src/model/onnx/build.ts): input_ids and attention_mask,
// int64 [rows, length], each row right-padded to the longest with id 0 under mask 0 — a padded position changes
// nothing in the graph's output. Padding is onnxruntime's need alone: the encoder core hands every backend its rows
// ragged, and the kernel runs each on its own tokens.
import type { TokenRows } from "../encoder/encoder.ts";
import { ONNX_INPUTS } from "../model/onnx/build.ts";

type InputName = (typeof ONNX_INPUTS)[number];

/** onnxruntime-node's and onnxruntime-web's Tensor alike (same constructor, separate classes). */
type Int64TensorClass<T> = new (type: "int64", data: BigInt64Array, dims: readonly number[]) => T;

export function graphFeeds<T>(Tensor: Int64TensorClass<T>, rows: TokenRows): Record<InputName, T> {
  const length = Math.max(...rows.map((r) => r.length));
  const inputIds = new BigInt64Array(rows.length * length);
  const attentionMask = new BigInt64Array(rows.length * length);
  rows.forEach((ids, b) => {
    for (let t = 0; t < ids.length; t++) {
      inputIds[b * length + t] = BigInt(ids[t]);
      attentionMask[b * length + t] = 1n;
    }
  });
  const dims = [rows.length, length];
  const [ids, mask] = ONNX_INPUTS;
  return { [ids]: new Tensor("int64", inputIds, dims), [mask]: new Tensor("int64", attentionMask, dims) } as Record<InputName, T>;
}
