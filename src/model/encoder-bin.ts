// encoder.bin's writer: a query encoder's tensors in the layout the kernel reads (src/kernel/contract.ts), every
// tensor float32 little-endian at a 64-byte aligned offset, so that loading is one copy into wasm memory. It is written
// as files of at most KERNEL_PART_BYTES (Workers take 25 MiB per asset), plain byte ranges that the kernel copies each
// to its place. The table of offsets and shapes, and the parts, travel in manifest.json (`edge`). The converter
// (convert.ts) calls it; the Worker only reads.
import {
  KERNEL_PART_BYTES,
  KERNEL_WEIGHTS_FORMAT,
  kernelPartFiles,
  kernelTensorOffsets,
  kernelTensorShapes,
  unsupportedBy,
  unsupportedOnWorker,
  type KernelConfig,
  type KernelLayout,
} from "../kernel/contract.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { LayerNorm, Linear, MlmEncoder } from "./architectures.ts";
import { ModelError } from "./errors.ts";
import { sha256 } from "./manifest.ts";

function transposed(weight: Float32Array, out: number, inSize: number, into: Float32Array, columnOffset = 0, width = out): void {
  for (let o = 0; o < out; o++) for (let k = 0; k < inSize; k++) into[k * width + columnOffset + o] = weight[o * inSize + k];
}

function linearT({ weight }: Linear): Float32Array {
  const [out, inSize] = weight.shape;
  const t = new Float32Array(out * inSize);
  transposed(weight.data, out, inSize, t);
  return t;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) return false;
  return true;
}

/**
 * encoder.bin for a query encoder (`bytes`), and the files the manifest lists (`layout.parts`) as views of it (`files`).
 * A model the kernel cannot run, or one too large for a Worker's isolate, is refused (a `checkpoint` ModelError).
 */
export function buildKernelWeights(encoder: MlmEncoder, maxLength: number): { bytes: Uint8Array; files: Record<string, Uint8Array>; layout: KernelLayout } {
  const c = encoder.config;
  const n = c.hiddenSize;
  const config: KernelConfig = {
    hidden_size: n,
    num_heads: c.numHeads,
    num_layers: c.numLayers,
    intermediate_size: c.intermediateSize,
    activation: c.activation,
    layer_norm_eps: c.layerNormEps,
    vocab_size: c.vocabSize,
    positions: maxLength,
    token_type: c.architecture === "BertForMaskedLM",
    tied: sameValues(encoder.head.decoder.data, encoder.wordEmbeddings.data),
  };
  const unsupported = unsupportedBy(config);
  // A ModelError, so that `convert` says it in one line: the shape is the checkpoint's, and no option changes it.
  if (unsupported) throw new ModelError("checkpoint", `the splade-edge kernel cannot run this model: ${unsupported}`);
  const tooLarge = unsupportedOnWorker(config);
  if (tooLarge) throw new ModelError("checkpoint", `too large for a Worker: ${tooLarge}`);
  const norm = (prefix: string, ln: LayerNorm): [string, Float32Array][] => [
    [`${prefix}.weight`, ln.weight.data],
    [`${prefix}.bias`, ln.bias.data],
  ];
  const values = new Map<string, Float32Array>([
    ["word_embeddings", encoder.wordEmbeddings.data],
    ["position_embeddings", encoder.positionEmbeddings.data.subarray(0, maxLength * n)],
    ...(config.token_type ? [["token_type_embedding", encoder.tokenTypeEmbeddings!.data.subarray(0, n)] as [string, Float32Array]] : []),
    ...norm("embeddings.norm", encoder.embeddingNorm),
    ["head.transform.weight", linearT(encoder.head.transform)],
    ["head.transform.bias", encoder.head.transform.bias.data],
    ...norm("head.norm", encoder.head.norm),
    ["decoder.bias", encoder.head.decoderBias.data],
    ["decoder.weight", encoder.head.decoder.data],
  ]);
  encoder.layers.forEach((layer, l) => {
    const qkv = new Float32Array(n * 3 * n);
    [layer.query, layer.key, layer.value].forEach((p, j) => transposed(p.weight.data, n, n, qkv, j * n, 3 * n));
    const qkvBias = new Float32Array(3 * n);
    [layer.query, layer.key, layer.value].forEach((p, j) => qkvBias.set(p.bias.data, j * n));
    const parts: [string, Float32Array][] = [
      ["qkv.weight", qkv],
      ["qkv.bias", qkvBias],
      ["attention_output.weight", linearT(layer.attentionOutput)],
      ["attention_output.bias", layer.attentionOutput.bias.data],
      ...norm("attention_norm", layer.attentionNorm),
      ["intermediate.weight", linearT(layer.intermediate)],
      ["intermediate.bias", layer.intermediate.bias.data],
      ["output.weight", linearT(layer.output)],
      ["output.bias", layer.output.bias.data],
      ...norm("output_norm", layer.outputNorm),
    ];
    for (const [part, data] of parts) values.set(`layers.${l}.${part}`, data);
  });

  const { tensors, bytes: end } = kernelTensorOffsets(config);
  const bytes = new Uint8Array(end);
  // Float32Array bytes are in platform order; every platform Node and workerd run on is little-endian.
  for (const [name, shape] of kernelTensorShapes(config)) {
    const data = values.get(name)!;
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`${name}: ${data.length} values for shape [${shape}]`);
    // The kernel's error bound, and any meaningful output, need finite weights: refused here, not in a Worker.
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new RangeError(`${name}: value ${bad} is ${data[bad]} — the checkpoint holds a non-finite weight`);
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, size * 4), tensors[name][0]);
  }
  const names = kernelPartFiles(Math.ceil(end / KERNEL_PART_BYTES));
  const files = Object.fromEntries(names.map((file, i) => [file, bytes.subarray(i * KERNEL_PART_BYTES, Math.min(end, (i + 1) * KERNEL_PART_BYTES))]));
  const parts = names.map((file) => ({ file, bytes: files[file].byteLength, sha256: sha256(files[file]) }));
  return {
    bytes,
    files,
    layout: { format: KERNEL_WEIGHTS_FORMAT, bytes: end, sha256: names.length === 1 ? parts[0].sha256 : sha256(bytes), parts, config, tensors },
  };
}

/**
 * A converted folder's encoder.bin whole: its files (`layout.parts`) read and joined, for tests and benchmarks that
 * need its bytes. The runtimes never join them: SpladeKernel.load copies each file into the kernel as it arrives.
 */
export function readKernelWeights(dir: string, layout: KernelLayout): Uint8Array {
  return Buffer.concat(layout.parts.map((part) => readFileSync(join(dir, part.file))));
}
