// The query encoder's variants in one Node process, one model at a time: onnxruntime-node on the full graph (the
// baseline: what a native server runs), onnxruntime-web on the full graph, and the kernel (kernel.wasm with the
// folder's encoder.bin: what the Worker runs), exact or approx; plus the kernel's two parts alone — the trunk (token
// ids to hidden states) and the head on precomputed hidden states — to show where its time goes. Every variant gets
// the same seeded ids. The kernel encodes one unpadded sequence per call, so on a batch it runs row by row (the
// benchmark's rows all have the same length: nothing is padded for onnxruntime either). onnxruntime runs through the
// CLIs' own backends (src/node), as `encode-corpus` and `splade-eval --engine web` call it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { HeadMode } from "../src/kernel/splade-head.ts";
import { createNodeBackend } from "../src/node/ort-node.ts";
import { createWebBackend } from "../src/node/ort-web.ts";
import { INPUTS_PER_SHAPE, kernelModule, loadKernel, onnxNames, QUERY_SHAPES, shapeInputs, type QueryShape } from "../test/support/query-inputs.ts";

export const BASELINE = "ort-node full (baseline)";
export const NODE_VARIANTS = [BASELINE, "ort-web full", "kernel exact", "kernel approx", "part: kernel trunk", "part: kernel head exact"] as const;
export type NodeVariant = (typeof NODE_VARIANTS)[number];

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
  const kernel = loadKernel(dir, kernelModule());
  // One thread each, as the Worker's one isolate.
  const nodeFull = await createNodeBackend(bytes, onnxNames(dir), { threads: 1 });
  const webFull = await createWebBackend(bytes, onnxNames(dir));

  const cells: NodeCell[] = [];
  const output: NodeModel["output"] = {};
  for (const shape of QUERY_SHAPES) {
    const { batch, tokens } = shape;
    const inputs = shapeInputs(tokens, batch).map((rows) => ({ ids: rows, rows: rows.map((r) => Int32Array.from(r)) }));
    const encode = (i: number, mode: HeadMode) => inputs[i].rows.map((row) => kernel.encode(row, { mode }));
    const trunk = (i: number) => inputs[i].rows.map((row) => kernel.hidden(row));
    const head = (hidden: Float32Array[], mode: HeadMode) => hidden.map((h) => kernel.head.spladeFromHidden(h, tokens, undefined, { mode }));
    const hidden = inputs.map((_, i) => trunk(i));
    const exact = inputs.flatMap((_, i) => encode(i, "exact"));
    output[shape.name] = {
      non_zero: exact.reduce((a, o) => a + o.indices.length, 0) / exact.length,
      rescored: exact.reduce((a, o) => a + o.rescored, 0) / exact.length,
    };
    const runs: Record<NodeVariant, (i: number) => Promise<unknown>> = {
      [BASELINE]: (i) => nodeFull.run(inputs[i].ids),
      "ort-web full": (i) => webFull.run(inputs[i].ids),
      "kernel exact": async (i) => encode(i, "exact"),
      "kernel approx": async (i) => encode(i, "approx"),
      "part: kernel trunk": async (i) => trunk(i),
      "part: kernel head exact": async (i) => head(hidden[i], "exact"),
    };
    for (const variant of NODE_VARIANTS) cells.push({ model: name, shape, variant, run: (round) => runs[variant](round % INPUTS_PER_SHAPE) });
  }
  return {
    name,
    cells,
    output,
    release: async () => {
      await Promise.all([nodeFull.session.release(), webFull.session.release()]);
    },
  };
}
