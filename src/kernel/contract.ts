// The kernel contract: what the converter (src/model/encoder-bin.ts writes encoder.bin) and the kernel runtime
// (encoder-kernel.ts, splade-head.ts load and run it on kernel.wasm) must agree on — encoder.bin's layout, tensor
// shapes and files (parts within Workers' 25 MiB per asset), the memory a loaded kernel holds and how much a Worker's
// isolate can give it, the limits of encoder.c and splade-head.c, the words of encoder.c's Model struct, the codes
// passed across the module boundary and the names of the two builds. It imports nothing, so src/model can depend on it
// without depending on the runtime.
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

/**
 * Cloudflare's limit on one static asset: wrangler refuses a larger file ("Asset too large": `size > 25 * 1024 * 1024`,
 * wrangler 4.86.0), and the Worker reads encoder.bin as assets.
 */
export const WORKER_ASSET_BYTES = 25 * 1024 * 1024;
/**
 * encoder.bin travels in parts of at most this many bytes (plain byte ranges, in order), each its own asset. One MiB
 * under WORKER_ASSET_BYTES, so that a part never sits on the limit's edge should the platform count a file's size
 * other than wrangler does; no smaller, because VI-BT's 16.7 MiB must stay one file and more parts fetched at once
 * were no faster (docs/performance.md, "First request").
 */
export const KERNEL_PART_BYTES = 24 * 1024 * 1024;

/** One file of encoder.bin: a byte range of it, in order. */
export interface KernelPart {
  file: string;
  bytes: number;
  sha256: string;
}

/** manifest.json's `edge`: what the Worker runs. */
export interface KernelLayout {
  format: typeof KERNEL_WEIGHTS_FORMAT;
  /** encoder.bin's size: the sum of the parts'. */
  bytes: number;
  /** sha256 of encoder.bin (the parts joined): for one part, that file's. */
  sha256: string;
  /** encoder.bin as files of at most KERNEL_PART_BYTES, in order: just `encoder.bin` when it fits in one. */
  parts: KernelPart[];
  config: KernelConfig;
  /** name → [byte offset in encoder.bin, ...shape]. */
  tensors: Record<string, number[]>;
}

/** The file names of encoder.bin's parts: `encoder.bin` alone, or `encoder-0.bin`, `encoder-1.bin`, … */
export function kernelPartFiles(count: number): string[] {
  return count === 1 ? ["encoder.bin"] : Array.from({ length: count }, (_, i) => `encoder-${i}.bin`);
}

/** Whether `file` is a name kernelPartFiles gives. */
export const isKernelPartFile = (file: string): boolean => file === "encoder.bin" || /^encoder-\d+\.bin$/.test(file);

/** How messages name encoder.bin's files: `encoder.bin` (also for a table from before the parts), or `encoder-{0…2}.bin`. */
export function kernelFilesLabel(layout: Pick<KernelLayout, "parts">): string {
  const n = Array.isArray(layout.parts) ? layout.parts.length : 1;
  return n === 1 ? "encoder.bin" : `encoder-{0…${n - 1}}.bin`;
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

/** Each tensor's byte offset in encoder.bin (64-byte aligned, in kernelTensorShapes order) and encoder.bin's size. */
export function kernelTensorOffsets(c: KernelConfig): { tensors: Record<string, number[]>; bytes: number } {
  const tensors: Record<string, number[]> = {};
  let end = 0;
  for (const [name, shape] of kernelTensorShapes(c)) {
    end = Math.ceil(end / KERNEL_WEIGHTS_ALIGN) * KERNEL_WEIGHTS_ALIGN;
    tensors[name] = [end, ...shape];
    end += shape.reduce((a, b) => a * b, 1) * 4;
  }
  return { tensors, bytes: end };
}

/** The kernel module's __heap_base (its 64 KiB shadow stack comes first; pinned by test/kernel/contract.test.ts). */
export const KERNEL_HEAP_BASE = 65536;

/**
 * Bytes of wasm memory a loaded SpladeKernel of this config holds, as SpladeKernel and SpladeHead lay it out (WasmArena,
 * 16-byte aligned takes, grown in 64 KiB pages): encoder.bin, the Model struct, the head's int8 decoder with its
 * per-row scales and bounds, the buffers for `positions` tokens and encoder.c's scratch. Pinned against the loaded
 * kernel's memoryBytes by test/kernel/encoder.test.ts and test/dev/kernel-shapes.test.ts.
 */
export function kernelMemoryBytes(c: KernelConfig): number {
  let end = KERNEL_HEAP_BASE;
  const take = (bytes: number, align = 16) => {
    end = Math.ceil(end / align) * align + bytes;
  };
  const n = c.hidden_size;
  const t = c.positions;
  const vp = Math.ceil(c.vocab_size / KERNEL_ROW_TILE) * KERNEL_ROW_TILE;
  take(kernelTensorOffsets(c).bytes, 64);
  take(KERNEL_MODEL_WORDS * 4);
  // splade-head.ts: b, eq (int8), s, alpha, beta, bPad, qsum; h, p (int16), r; consts; ids, vals.
  for (const bytes of [vp * 4, vp * n, vp * 4, vp * 4, vp * 4, vp * 4, vp * 4, t * n * 4, t * n * 2, t * 4, 16, vp * 4, vp * 4]) take(bytes);
  // encoder.c's scratch_floats (+8 to align its float64 row), then the ids.
  take(t * (6 * n + c.intermediate_size + 2) * 4 + 8);
  take(t * 4);
  return Math.ceil(end / 65536) * 65536;
}

/** Cloudflare's memory limit for one Worker isolate, "128 MB": its JavaScript heap, ArrayBuffers and wasm memory together. */
export const WORKER_ISOLATE_BYTES = 128e6;
/**
 * What the Worker's isolate holds besides the kernel and encoder.bin's files while the model loads: the V8 heap
 * (the app, the tokenizer being built) peaked at 12.8 MiB at most in loads of seven shapes from 2 × 128 to 6 × 384
 * under `wrangler dev` (`bench/worker-memory.ts --rounds 0`, sampled through the inspector), 6.7 MiB once loaded;
 * 16 MiB leaves a margin. Figures: docs/performance.md, "Query models larger than 2 × 128".
 */
export const WORKER_HEAP_BYTES = 16 * 2 ** 20;

/**
 * The most a Worker's isolate holds while its first request loads this model: the kernel's wasm memory, every file of
 * encoder.bin as fetched (SpladeKernel.load requests them at once; each is garbage only once copied in, so all may be
 * held together) and WORKER_HEAP_BYTES.
 */
export function workerLoadBytes(c: KernelConfig): number {
  return kernelMemoryBytes(c) + kernelTensorOffsets(c).bytes + WORKER_HEAP_BYTES;
}

/** "4 layers × hidden 256 (4 heads, intermediate 1024, vocab 30522, max length 256)". */
const kernelShape = (c: KernelConfig): string =>
  `${c.num_layers} layers × hidden ${c.hidden_size} (${c.num_heads} heads, intermediate ${c.intermediate_size}, vocab ${c.vocab_size}, max length ${c.positions})`;

/** Why a Worker's isolate cannot load the kernel for this config (its 128 MB), or undefined when it can. */
export function unsupportedOnWorker(c: KernelConfig): string | undefined {
  const need = workerLoadBytes(c);
  if (need <= WORKER_ISOLATE_BYTES) return undefined;
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  return (
    `a query encoder of ${kernelShape(c)} needs ${mb(need)} in a Worker while it loads — the kernel's ${mb(kernelMemoryBytes(c))}, ` +
    `encoder.bin's ${mb(kernelTensorOffsets(c).bytes)} as fetched and ${mb(WORKER_HEAP_BYTES)} of heap — over the isolate's limit of ${mb(WORKER_ISOLATE_BYTES)}`
  );
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
