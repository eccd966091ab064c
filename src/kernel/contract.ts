// The kernel contract: what the converter (src/model/encoder-bin.ts writes encoder.bin) and the kernel runtime
// (encoder-kernel.ts, splade-head.ts load and run it on kernel.wasm) must agree on — encoder.bin's layout and tensor
// shapes, the limits of encoder.c and splade-head.c, the words of encoder.c's Model struct, the codes passed across
// the module boundary and the names of the two builds. It imports nothing, so src/model can depend on it without
// depending on the runtime.
//
// The numbers the C code also knows are pinned, not trusted: test/kernel/contract.test.ts reads the #defines, enums
// and the Model struct from encoder.c and splade-head.c and compares them with the constants here, and
// SpladeKernel checks the module's exported model_words() against KERNEL_MODEL_WORDS when it loads.

/** manifest.json's `edge.format`: the version of this contract. */
export const KERNEL_WEIGHTS_FORMAT = "splade-edge/kernel-weights@1";
/** Every tensor in encoder.bin starts at a multiple of this many bytes (float32 little-endian throughout). */
export const KERNEL_WEIGHTS_ALIGN = 64;

/** encoder.c's MAX_LAYERS: Model holds this many layers' tensor pointers. */
export const KERNEL_MAX_LAYERS = 48;
/** encoder.c's and splade-head.c's MAX_HIDDEN: their stack buffers hold one row of this many values. */
export const KERNEL_MAX_HIDDEN = 1024;
/** Hidden and intermediate sizes must be multiples of this (the GEMM's 16 outputs per step). */
export const KERNEL_SIZE_MULTIPLE = 16;
/** A head's width must be a multiple of this (attention runs on float32x4). */
export const KERNEL_HEAD_WIDTH_MULTIPLE = 4;

/** encoder.c's `enum activation`: the code Model.activation holds for each Hugging Face activation name. */
export const KERNEL_ACTIVATIONS = { gelu: 0, gelu_new: 1, relu: 2 } as const;
export type KernelActivation = keyof typeof KERNEL_ACTIVATIONS;

/**
 * One layer's tensors in encoder.c's `enum layer_tensor` order (QKV_W … OUT_NORM_B): the order of the pointers in
 * Model.layer[l] and of a layer's tensors in encoder.bin.
 */
export const KERNEL_LAYER_TENSORS = [
  "qkv.weight",
  "qkv.bias",
  "attention_output.weight",
  "attention_output.bias",
  "attention_norm.weight",
  "attention_norm.bias",
  "intermediate.weight",
  "intermediate.bias",
  "output.weight",
  "output.bias",
  "output_norm.weight",
  "output_norm.bias",
] as const;
export type KernelLayerTensor = (typeof KERNEL_LAYER_TENSORS)[number];

/**
 * encoder.c's Model fields before `layer`, in order, one 32-bit word each: int32 sizes, eps (the one float32), then
 * offsets of tensors in wasm memory (token_type 0 when the model has none).
 */
export const KERNEL_MODEL_HEADER = [
  "hidden",
  "heads",
  "layers",
  "intermediate",
  "activation",
  "vocab",
  "positions",
  "eps",
  "word",
  "position",
  "token_type",
  "emb_norm_w",
  "emb_norm_b",
  "head_w",
  "head_b",
  "head_norm_w",
  "head_norm_b",
] as const;
export type KernelModelField = (typeof KERNEL_MODEL_HEADER)[number];
/** Words of encoder.c's Model before `layer`. */
export const KERNEL_MODEL_HEADER_WORDS = KERNEL_MODEL_HEADER.length;
/** Words per layer in Model.layer: LAYER_TENSORS pointers. */
export const KERNEL_LAYER_WORDS = KERNEL_LAYER_TENSORS.length;
/** sizeof(Model) / 4, what the module's model_words() returns. */
export const KERNEL_MODEL_WORDS = KERNEL_MODEL_HEADER_WORDS + KERNEL_MAX_LAYERS * KERNEL_LAYER_WORDS;

/** splade-head.c's `enum mode`: what int8_pass() writes. */
export const KERNEL_HEAD_MODES = { candidates: 0, approx: 1, bounds: 2 } as const;
/** splade-head.c's int8 tile, GROUP × GB rows: prepare() pads the vocabulary to a multiple of it. */
export const KERNEL_ROW_TILE = 8;

/** The two builds of the module, fastest first, by the name the Worker reports, and their committed files. */
export const KERNEL_BUILD_FILES = { "relaxed-simd": "kernel-relaxed.wasm", simd128: "kernel.wasm" } as const;
export type KernelBuildName = keyof typeof KERNEL_BUILD_FILES;

export interface KernelConfig {
  hidden_size: number;
  num_heads: number;
  num_layers: number;
  intermediate_size: number;
  activation: KernelActivation;
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

/**
 * Every tensor the kernel needs, in file order, with its shape. Linear weights are [in, out] (transposed from PyTorch's
 * [out, in]); the query, key and value projections are one [n, 3n] matrix. A layer's entries are in
 * KERNEL_LAYER_TENSORS order.
 */
export function kernelTensorShapes(c: KernelConfig): [string, number[]][] {
  const n = c.hidden_size;
  const i = c.intermediate_size;
  const layer: Record<KernelLayerTensor, number[]> = {
    "qkv.weight": [n, 3 * n],
    "qkv.bias": [3 * n],
    "attention_output.weight": [n, n],
    "attention_output.bias": [n],
    "attention_norm.weight": [n],
    "attention_norm.bias": [n],
    "intermediate.weight": [n, i],
    "intermediate.bias": [i],
    "output.weight": [i, n],
    "output.bias": [n],
    "output_norm.weight": [n],
    "output_norm.bias": [n],
  };
  return [
    ["word_embeddings", [c.vocab_size, n]],
    ["position_embeddings", [c.positions, n]],
    ...(c.token_type ? [["token_type_embedding", [n]] as [string, number[]]] : []),
    ["embeddings.norm.weight", [n]],
    ["embeddings.norm.bias", [n]],
    ...Array.from({ length: c.num_layers }, (_, l) => KERNEL_LAYER_TENSORS.map((part): [string, number[]] => [`layers.${l}.${part}`, layer[part]])).flat(),
    ["head.transform.weight", [n, n]],
    ["head.transform.bias", [n]],
    ["head.norm.weight", [n]],
    ["head.norm.bias", [n]],
    ["decoder.bias", [c.vocab_size]],
    ...(c.tied ? [] : [["decoder.weight", [c.vocab_size, n]] as [string, number[]]]),
  ];
}

/** The names of one layer's tensors in encoder.c's order. */
export const layerTensorNames = (l: number): string[] => KERNEL_LAYER_TENSORS.map((part) => `layers.${l}.${part}`);

/** Why the kernel's head cannot take hidden states of this size (splade-head.c's check), or undefined when it can. */
export function unsupportedHiddenSize(n: number): string | undefined {
  if (!(n > 0 && n <= KERNEL_MAX_HIDDEN && n % KERNEL_SIZE_MULTIPLE === 0))
    return `hidden size ${n}: the kernel needs a multiple of ${KERNEL_SIZE_MULTIPLE}, at most ${KERNEL_MAX_HIDDEN}`;
  return undefined;
}

/** Why the kernel cannot run a model of this config (encoder.c's size checks), or undefined when it can. */
export function unsupportedBy(c: KernelConfig): string | undefined {
  const n = c.hidden_size;
  const hidden = unsupportedHiddenSize(n);
  if (hidden) return hidden;
  if (!(c.intermediate_size > 0 && c.intermediate_size % KERNEL_SIZE_MULTIPLE === 0))
    return `intermediate size ${c.intermediate_size}: the kernel needs a multiple of ${KERNEL_SIZE_MULTIPLE}`;
  if (!(c.num_heads > 0 && n % (KERNEL_HEAD_WIDTH_MULTIPLE * c.num_heads) === 0))
    return `${c.num_heads} heads of width ${n / c.num_heads}: the kernel needs a head width that is a multiple of ${KERNEL_HEAD_WIDTH_MULTIPLE}`;
  if (!(c.num_layers >= 0 && c.num_layers <= KERNEL_MAX_LAYERS)) return `${c.num_layers} layers: the kernel runs at most ${KERNEL_MAX_LAYERS}`;
  if (!(c.positions >= 1)) return `max length ${c.positions}`;
  return undefined;
}
