// Shared by the kernel tests: the generated query models on the kernel (encoder.bin from test/.generated/model), a
// float64 oracle for the head, and generated token ids.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { kernelModule, randomIds } from "../support/query-inputs.ts";
import { SpladeKernel } from "../../src/kernel/encoder-kernel.ts";
import type { HeadWeights, SpladeHead } from "../../src/kernel/splade-head.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { readKernelWeights } from "../../src/model/encoder-bin.ts";
import type { TransformerManifest } from "../../src/model/manifest-format.ts";

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
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as TransformerManifest;
  const layout = manifest.edge!;
  const bytes = readKernelWeights(dir, layout);
  const encoder = SpladeKernel.create(kernelModule(), bytes, layout);
  const { vocab_size: v, hidden_size: n } = layout.config;
  const floats = (tensor: string, count: number) =>
    new Float32Array(bytes.buffer.slice(bytes.byteOffset + layout.tensors[tensor][0], bytes.byteOffset + layout.tensors[tensor][0] + count * 4));
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

export { dense, oracleMaxLogits, weightsOf } from "./oracle.ts";
