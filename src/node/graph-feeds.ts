// The converted graph's inputs as onnxruntime takes them, by the names manifest.json records for it (`onnx`): the token
// ids and the attention mask, int64 [rows, length], each row right-padded to the longest with id 0 under mask 0 — a
// padded position changes nothing in the graph's output. Padding is onnxruntime's need alone: the encoder core hands
// every backend its rows ragged, and the kernel runs each on its own tokens.
import type { TokenRows } from "../encoder/encoder.ts";
import { ModelError } from "../model/errors.ts";
import type { OnnxGraphNames } from "../model/manifest-format.ts";

/** onnxruntime-node's and onnxruntime-web's Tensor alike (same constructor, separate classes). */
type Int64TensorClass<T> = new (type: "int64", data: BigInt64Array, dims: readonly number[]) => T;

/** What onnxruntime-node's and onnxruntime-web's sessions say of their graph. */
interface GraphSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

/**
 * Refuses a graph that does not have the inputs and output its manifest names (another converter's graph, or a
 * manifest from another conversion), before a run fails on a missing feed. `graph` names it in the message.
 */
export function checkGraphNames(session: GraphSession, names: OnnxGraphNames, graph: string): void {
  const list = (xs: readonly string[]) => xs.map((x) => JSON.stringify(x)).join(", ");
  const convertAgain = "convert the model again (`npm run model -- fetch`, or `npm run model -- convert`)";
  if (names.inputs.length !== 2)
    throw new ModelError(
      "manifest",
      `${graph}: manifest.json names ${names.inputs.length} inputs (${list(names.inputs)}), not the token ids and the attention mask — ${convertAgain}`,
    );
  const missing = [...names.inputs.filter((n) => !session.inputNames.includes(n)), ...(session.outputNames.includes(names.output) ? [] : [names.output])];
  if (missing.length > 0 || session.inputNames.length !== names.inputs.length)
    throw new ModelError(
      "manifest",
      `${graph}: manifest.json names inputs ${list(names.inputs)} and output ${list([names.output])}, but the graph has inputs ${list(session.inputNames)} and outputs ${list(session.outputNames)} — ${convertAgain}`,
    );
}

export function graphFeeds<T>(Tensor: Int64TensorClass<T>, names: OnnxGraphNames, rows: TokenRows): Record<string, T> {
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
  const [ids, mask] = names.inputs;
  return { [ids]: new Tensor("int64", inputIds, dims), [mask]: new Tensor("int64", attentionMask, dims) };
}
