// The query encoder's variants in one Node process, one model at a time: onnxruntime-node on the full graph (the
// baseline: what a native server runs), onnxruntime-web on the full graph, and onnxruntime-web on the trunk fed
// `inputs_embeds` followed by the head kernel, exact or approx; plus the two parts of that pipeline alone, to show
// where its time goes. Every variant gets the same seeded ids.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web/wasm";
import { padBatch } from "../encoder/encoder.ts";
import { SpladeHead, type HeadMode } from "../kernel/splade-head.ts";
import { splitModel, TRUNK_EMBEDS_INPUT, TRUNK_OUTPUT } from "../kernel/split-model.ts";
import { kernelModule, QUERY_SHAPES, randomIds, type QueryShape } from "./query-inputs.ts";

// One wasm thread, as in the Worker; unset, Node 20 fails session creation (src/cli/ort-web.ts says why).
ortWeb.env.wasm.numThreads = 1;

export const BASELINE = "ort-node full (baseline)";
export const NODE_VARIANTS = [
  BASELINE,
  "ort-web full",
  "ort-web trunk(embeds) + kernel exact",
  "ort-web trunk(embeds) + kernel approx",
  "part: ort-web trunk(embeds)",
  "part: kernel exact",
] as const;
export type NodeVariant = (typeof NODE_VARIANTS)[number];

/** Distinct inputs per shape; round r runs input r mod this. */
const INPUTS_PER_SHAPE = 8;

export interface NodeCell {
  model: string;
  shape: QueryShape;
  variant: NodeVariant;
  run(round: number): Promise<unknown>;
}

export interface NodeModel {
  name: string;
  cells: NodeCell[];
  /** Per shape: non-zero terms per sequence and terms the exact kernel rescored in float32 (means). */
  output: Record<string, { non_zero: number; rescored: number }>;
  release(): Promise<void>;
}

export async function loadNodeModel(name: string, dir: string): Promise<NodeModel> {
  const bytes = new Uint8Array(readFileSync(join(dir, "model.onnx")));
  const split = splitModel(bytes, { wordEmbeddings: "input" });
  const kernel = SpladeHead.create(kernelModule(), split.head);
  const nodeFull = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" });
  const webFull = await ortWeb.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const webTrunk = await ortWeb.InferenceSession.create(split.trunk, { executionProviders: ["wasm"] });

  const cells: NodeCell[] = [];
  const output: NodeModel["output"] = {};
  for (const shape of QUERY_SHAPES) {
    const { batch, tokens } = shape;
    const dims = [batch, tokens];
    const inputs = Array.from({ length: INPUTS_PER_SHAPE }, (_, i) => {
      const rows = Array.from({ length: batch }, (_, b) => randomIds(tokens, 1000 * tokens + 100 * batch + 17 * i + b));
      const { inputIds, attentionMask } = padBatch(rows);
      return { ids: inputIds, mask: attentionMask };
    });
    const trunk = async (i: number) => {
      const embeds = new ortWeb.Tensor("float32", kernel.rows(inputs[i].ids), [batch, tokens, kernel.hiddenSize]);
      const out = await webTrunk.run({ [TRUNK_EMBEDS_INPUT]: embeds, attention_mask: new ortWeb.Tensor("int64", inputs[i].mask, dims) });
      return out[TRUNK_OUTPUT].data as Float32Array;
    };
    const head = (hidden: Float32Array, i: number, mode: HeadMode) => kernel.spladeBatch(hidden, batch, tokens, inputs[i].mask, { mode });
    const hidden = await Promise.all(inputs.map((_, i) => trunk(i)));
    const exact = hidden.flatMap((h, i) => head(h, i, "exact"));
    output[shape.name] = {
      non_zero: exact.reduce((a, o) => a + o.indices.length, 0) / exact.length,
      rescored: exact.reduce((a, o) => a + o.rescored, 0) / exact.length,
    };
    const runs: Record<NodeVariant, (i: number) => Promise<unknown>> = {
      [BASELINE]: (i) => nodeFull.run({ input_ids: new ortNode.Tensor("int64", inputs[i].ids, dims), attention_mask: new ortNode.Tensor("int64", inputs[i].mask, dims) }),
      "ort-web full": (i) => webFull.run({ input_ids: new ortWeb.Tensor("int64", inputs[i].ids, dims), attention_mask: new ortWeb.Tensor("int64", inputs[i].mask, dims) }),
      "ort-web trunk(embeds) + kernel exact": async (i) => head(await trunk(i), i, "exact"),
      "ort-web trunk(embeds) + kernel approx": async (i) => head(await trunk(i), i, "approx"),
      "part: ort-web trunk(embeds)": trunk,
      "part: kernel exact": async (i) => head(hidden[i], i, "exact"),
    };
    for (const variant of NODE_VARIANTS) cells.push({ model: name, shape, variant, run: (round) => runs[variant](round % INPUTS_PER_SHAPE) });
  }
  return {
    name,
    cells,
    output,
    release: async () => {
      await Promise.all([nodeFull.release(), webFull.release(), webTrunk.release()]);
    },
  };
}
