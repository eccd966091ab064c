// Shared by the kernel tests and the kernel benchmark: the generated query models split into an onnxruntime-web trunk
// and the head kernel, a float64 oracle for the head, and generated token ids.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-web/wasm";
import { padBatch } from "../../src/encoder/encoder.ts";
import { kernelModule, randomIds } from "../../src/bench/query-inputs.ts";
import { SpladeHead, type HeadWeights } from "../../src/kernel/splade-head.ts";
import { splitModel, TRUNK_OUTPUT } from "../../src/kernel/split-model.ts";
import { seededUniform } from "../../src/model/random.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";

// One wasm thread, as in the Worker; unset, Node 20 fails session creation (see test/model/onnx.test.ts).
ort.env.wasm.numThreads = 1;

export const CLS = 101;
export const SEP = 102;

export interface SplitFixture {
  name: string;
  modelBytes: Uint8Array;
  head: HeadWeights;
  kernel: SpladeHead;
  trunk: ort.InferenceSession;
  /** Hidden states [length, hidden] of one unpadded sequence, from the trunk. */
  hidden(ids: number[]): Promise<Float32Array>;
  /** Hidden states [batch, length, hidden] of a right-padded batch, and its mask. */
  hiddenBatch(rows: number[][]): Promise<{ hidden: Float32Array; length: number; mask: Uint8Array }>;
}


/** Pads rows with id 0 / mask 0 into int64 tensors. */
export { kernelModule, randomIds };

export function feeds(rows: number[][]): { input_ids: ort.Tensor; attention_mask: ort.Tensor; length: number; mask: Uint8Array } {
  const { length, inputIds: ids, attentionMask: mask64 } = padBatch(rows);
  const mask = Uint8Array.from(mask64, Number);
  const dims = [rows.length, length];
  return { input_ids: new ort.Tensor("int64", ids, dims), attention_mask: new ort.Tensor("int64", mask64, dims), length, mask };
}

/** A generated model folder (test/.generated/model/NAME, made by the test setup) as trunk session + head kernel. */
export async function loadSplitFixture(name: string): Promise<SplitFixture> {
  const modelBytes = new Uint8Array(readFileSync(join(FIXTURE_ROOT, "model", name, "model.onnx")));
  const { trunk: trunkBytes, head } = splitModel(modelBytes);
  const kernel = SpladeHead.create(kernelModule(), head);
  const trunk = await ort.InferenceSession.create(trunkBytes, { executionProviders: ["wasm"] });
  const hiddenBatch = async (rows: number[][]) => {
    const { length, mask, ...inputs } = feeds(rows);
    const out = await trunk.run(inputs);
    return { hidden: out[TRUNK_OUTPUT].data as Float32Array, length, mask };
  };
  return { name, modelBytes, head, kernel, trunk, hiddenBatch, hidden: async (ids) => (await hiddenBatch([ids])).hidden };
}

/**
 * The head in float64: max over the rows of `hidden` ([tokens, n], only rows with mask 1) of hidden[t]·E[v] + b[v],
 * for every v. Four tokens share each decoder read.
 */
export function oracleMaxLogits(hidden: Float32Array, tokens: number, head: HeadWeights, mask?: ArrayLike<number>): Float64Array {
  const n = head.hiddenSize;
  const rows: Float32Array[] = [];
  for (let t = 0; t < tokens; t++) if (!mask || mask[t] === 1) rows.push(hidden.subarray(t * n, (t + 1) * n));
  const e = head.decoder;
  const out = new Float64Array(head.bias.length).fill(-Infinity);
  for (let v = 0; v < out.length; v++) {
    const base = v * n;
    let best = -Infinity;
    let t = 0;
    for (; t + 4 <= rows.length; t += 4) {
      const [r0, r1, r2, r3] = [rows[t], rows[t + 1], rows[t + 2], rows[t + 3]];
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let i = 0; i < n; i++) {
        const w = e[base + i];
        a0 += w * r0[i];
        a1 += w * r1[i];
        a2 += w * r2[i];
        a3 += w * r3[i];
      }
      best = Math.max(best, a0, a1, a2, a3);
    }
    for (; t < rows.length; t++) {
      let a = 0;
      for (let i = 0; i < n; i++) a += e[base + i] * rows[t][i];
      best = Math.max(best, a);
    }
    out[v] = best + head.bias[v];
  }
  return out;
}

/** SPLADE weights from max logits: log1p(relu(·)). */
export function weightsOf(maxLogits: Float64Array): Float64Array {
  return maxLogits.map((l) => Math.log1p(Math.max(0, l)));
}

/** A sparse output as a dense row. */
export function dense(out: { indices: ArrayLike<number>; values: ArrayLike<number> }, vocab: number): Float64Array {
  const row = new Float64Array(vocab);
  for (let i = 0; i < out.indices.length; i++) row[out.indices[i]] = out.values[i];
  return row;
}

