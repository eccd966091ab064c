// encoder.bin, the weights file the kernel runs (encoder.c + splade-head.c): every tensor float32 little-endian at a
// 64-byte aligned offset, in the layout the kernel reads, so that loading is one copy into wasm memory. The table of
// offsets and shapes travels in manifest.json (`edge`). Runtime-agnostic: the Worker reads the table, the converter
// (Node) writes the file.
import type { Activation, LayerNorm, Linear, MlmEncoder } from "../model/architectures.ts";

export const KERNEL_WEIGHTS_FORMAT = "splade-edge/kernel-weights@1";
const ALIGN = 64;

export interface KernelConfig {
  hidden_size: number;
  num_heads: number;
  num_layers: number;
  intermediate_size: number;
  activation: Activation;
  layer_norm_eps: number;
  vocab_size: number;
  /** Position rows kept: the model's max length, the longest sequence the kernel accepts. */
  positions: number;
  /** BERT adds token type 0's row to every embedding; DistilBERT has no token types. */
  token_type: boolean;
  /** Whether the decoder is the word-embedding matrix (BERT's tied MLM head): then encoder.bin holds it once. */
  tied: boolean;
}

/** manifest.json's `edge`: what the Worker runs. */
export interface KernelLayout {
  format: typeof KERNEL_WEIGHTS_FORMAT;
  file: string;
  bytes: number;
  config: KernelConfig;
  /** name → [byte offset, ...shape]. */
  tensors: Record<string, number[]>;
}

const LAYER_PARTS = ["qkv.weight", "qkv.bias", "attention_output.weight", "attention_output.bias", "attention_norm.weight", "attention_norm.bias",
  "intermediate.weight", "intermediate.bias", "output.weight", "output.bias", "output_norm.weight", "output_norm.bias"] as const;

/**
 * Every tensor the kernel needs, in file order, with its shape. Linear weights are [in, out] (transposed from PyTorch's
 * [out, in]); the query, key and value projections are one [n, 3n] matrix. The order of a layer's entries is the
 * order of encoder.c's `enum layer_tensor`.
 */
export function kernelTensorShapes(c: KernelConfig): [string, number[]][] {
  const n = c.hidden_size;
  const i = c.intermediate_size;
  const layer: Record<(typeof LAYER_PARTS)[number], number[]> = {
    "qkv.weight": [n, 3 * n], "qkv.bias": [3 * n], "attention_output.weight": [n, n], "attention_output.bias": [n],
    "attention_norm.weight": [n], "attention_norm.bias": [n], "intermediate.weight": [n, i], "intermediate.bias": [i],
    "output.weight": [i, n], "output.bias": [n], "output_norm.weight": [n], "output_norm.bias": [n],
  };
  return [
    ["word_embeddings", [c.vocab_size, n]],
    ["position_embeddings", [c.positions, n]],
    ...(c.token_type ? [["token_type_embedding", [n]] as [string, number[]]] : []),
    ["embeddings.norm.weight", [n]],
    ["embeddings.norm.bias", [n]],
    ...Array.from({ length: c.num_layers }, (_, l) => LAYER_PARTS.map((part): [string, number[]] => [`layers.${l}.${part}`, layer[part]])).flat(),
    ["head.transform.weight", [n, n]],
    ["head.transform.bias", [n]],
    ["head.norm.weight", [n]],
    ["head.norm.bias", [n]],
    ["decoder.bias", [c.vocab_size]],
    ...(c.tied ? [] : [["decoder.weight", [c.vocab_size, n]] as [string, number[]]]),
  ];
}

/** encoder.c's MAX_LAYERS. */
export const KERNEL_MAX_LAYERS = 48;

/** Why the kernel cannot run a model of this config (encoder.c's size checks), or undefined when it can. */
export function unsupportedBy(c: KernelConfig): string | undefined {
  const n = c.hidden_size;
  if (!(n > 0 && n <= 1024 && n % 16 === 0)) return `hidden size ${n}: the kernel needs a multiple of 16, at most 1024`;
  if (!(c.intermediate_size > 0 && c.intermediate_size % 16 === 0)) return `intermediate size ${c.intermediate_size}: the kernel needs a multiple of 16`;
  if (!(c.num_heads > 0 && n % (4 * c.num_heads) === 0)) return `${c.num_heads} heads of width ${n / c.num_heads}: the kernel needs a head width that is a multiple of 4`;
  if (!(c.num_layers >= 0 && c.num_layers <= KERNEL_MAX_LAYERS)) return `${c.num_layers} layers: the kernel runs at most ${KERNEL_MAX_LAYERS}`;
  if (!(c.positions >= 1)) return `max length ${c.positions}`;
  return undefined;
}

/** The names of one layer's tensors in encoder.c's order. */
export const layerTensorNames = (l: number): string[] => LAYER_PARTS.map((part) => `layers.${l}.${part}`);

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

/** Writes encoder.bin for a query encoder; `file` is the name the manifest gives it. */
export function buildKernelWeights(encoder: MlmEncoder, maxLength: number, file = "encoder.bin"): { bytes: Uint8Array; layout: KernelLayout } {
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
  if (unsupported) throw new RangeError(`the splade-edge kernel cannot run this model: ${unsupported}`);
  const norm = (prefix: string, ln: LayerNorm): [string, Float32Array][] => [[`${prefix}.weight`, ln.weight.data], [`${prefix}.bias`, ln.bias.data]];
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
      ["qkv.weight", qkv], ["qkv.bias", qkvBias],
      ["attention_output.weight", linearT(layer.attentionOutput)], ["attention_output.bias", layer.attentionOutput.bias.data],
      ...norm("attention_norm", layer.attentionNorm),
      ["intermediate.weight", linearT(layer.intermediate)], ["intermediate.bias", layer.intermediate.bias.data],
      ["output.weight", linearT(layer.output)], ["output.bias", layer.output.bias.data],
      ...norm("output_norm", layer.outputNorm),
    ];
    for (const [part, data] of parts) values.set(`layers.${l}.${part}`, data);
  });

  const tensors: KernelLayout["tensors"] = {};
  let end = 0;
  const shapes = kernelTensorShapes(config);
  for (const [name, shape] of shapes) {
    end = Math.ceil(end / ALIGN) * ALIGN;
    tensors[name] = [end, ...shape];
    end += shape.reduce((a, b) => a * b, 1) * 4;
  }
  const bytes = new Uint8Array(end);
  // Float32Array bytes are in platform order; every platform Node and workerd run on is little-endian.
  for (const [name, shape] of shapes) {
    const data = values.get(name)!;
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`${name}: ${data.length} values for shape [${shape}]`);
    // The kernel's error bound, and any meaningful output, need finite weights: refused here, not in a Worker.
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new RangeError(`${name}: value ${bad} is ${data[bad]} — the checkpoint holds a non-finite weight`);
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, size * 4), tensors[name][0]);
  }
  return { bytes, layout: { format: KERNEL_WEIGHTS_FORMAT, file, bytes: end, config, tensors } };
}
