// Shared by the kernel tests: the generated query models on the kernel (encoder.bin from test/.generated/model), a
// float64 oracle for the head, and generated token ids.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { kernelModule, randomIds } from "../../src/bench/query-inputs.ts";
import { SpladeKernel } from "../../src/kernel/encoder-kernel.ts";
import type { HeadWeights, SpladeHead } from "../../src/kernel/splade-head.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import type { ModelManifest } from "../../src/model/manifest-format.ts";

export const CLS = 101;
export const SEP = 102;

export interface KernelFixture {
  name: string;
  encoder: SpladeKernel;
  /** The encoder's head. */
  kernel: SpladeHead;
  /** Its decoder and bias, read back from encoder.bin, for the oracle. */
  head: HeadWeights;
  /** Hidden states [length, hidden] of one unpadded sequence, from the kernel's trunk. */
  hidden(ids: number[]): Float32Array;
  /** Hidden states [batch, length, hidden] of a right-padded batch (padding rows hold junk), and its mask. */
  hiddenBatch(rows: number[][]): { hidden: Float32Array; length: number; mask: Uint8Array };
}

export { kernelModule, randomIds };

/** A generated model folder (test/.generated/model/NAME, made by the test setup) on the kernel. */
export function loadKernelFixture(name: string): KernelFixture {
  const dir = join(FIXTURE_ROOT, "model", name);
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ModelManifest;
  const layout = manifest.edge!;
  const bytes = new Uint8Array(readFileSync(join(dir, layout.file)));
  const encoder = SpladeKernel.create(kernelModule(), bytes, layout);
  const { vocab_size: v, hidden_size: n } = layout.config;
  const floats = (tensor: string, count: number) => new Float32Array(bytes.buffer.slice(bytes.byteOffset + layout.tensors[tensor][0], bytes.byteOffset + layout.tensors[tensor][0] + count * 4));
  const head: HeadWeights = { decoder: floats("word_embeddings", v * n), bias: floats("decoder.bias", v), hiddenSize: n };
  const hiddenBatch = (rows: number[][]) => {
    const length = Math.max(...rows.map((r) => r.length));
    const hidden = new Float32Array(rows.length * length * n).fill(1e3);
    const mask = new Uint8Array(rows.length * length);
    rows.forEach((row, b) => {
      hidden.set(encoder.hidden(row), b * length * n);
      mask.fill(1, b * length, b * length + row.length);
    });
    return { hidden, length, mask };
  };
  return { name, encoder, kernel: encoder.head, head, hiddenBatch, hidden: (ids) => encoder.hidden(ids) };
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

