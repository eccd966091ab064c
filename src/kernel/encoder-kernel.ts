// The whole query encoder on the kernel module (encoder.c + splade-head.c): token ids in, SPLADE terms out, with no
// onnxruntime. encoder.bin is copied into the module's memory once; the head reads its decoder from that same copy (the
// word embeddings when tied), so the [vocab, hidden] matrix is held once. Runtime-agnostic, like SpladeHead: Node and
// workerd hand it a compiled `WebAssembly.Module`.
import { KindedError } from "../kinded-error.ts";
import { SpladeHead, WasmArena, type HeadExports, type HeadMode, type HeadOutput, type SpladeHeadOptions } from "./splade-head.ts";
import {
  KERNEL_ACTIVATIONS,
  KERNEL_LAYER_WORDS,
  KERNEL_MODEL_HEADER_WORDS,
  KERNEL_MODEL_WORDS,
  KERNEL_WEIGHTS_FORMAT,
  kernelFilesLabel,
  kernelTensorShapes,
  layerTensorNames,
  unsupportedBy,
  KERNEL_MODEL_HEADER,
  type KernelBuildName,
  type KernelLayout,
  type KernelModelField,
} from "./contract.ts";

interface EncoderExports extends HeadExports {
  model_words(): number;
  scratch_floats(model: number, tMax: number): number;
  encoder_forward(model: number, ids: number, t: number, scratch: number, out: number): number;
}

export type { KernelBuildName } from "./contract.ts";

/**
 * The first of `builds` (fastest first) whose module instantiates and passes its int8 self-test: kernel-relaxed.wasm
 * where the engine runs relaxed SIMD right, else kernel.wasm. A module an engine cannot compile never gets here (the
 * caller compiles, or workerd refuses the Worker at upload), so this catches wrong answers, not missing features.
 */
export function chooseKernelBuild(builds: Array<{ name: KernelBuildName; module: WebAssembly.Module }>): { name: KernelBuildName; module: WebAssembly.Module } {
  for (const build of builds) {
    const wasm = new WebAssembly.Instance(build.module, {}).exports as unknown as EncoderExports;
    if (wasm.int8_selftest() === 0) return build;
  }
  throw new Error(`no kernel build passed its self-test (${builds.map((b) => b.name).join(", ")})`);
}

/**
 * The steps of SpladeKernel.create, ms: `instantiate` (a fresh instance, its memory grown to hold the model), `copy`
 * (encoder.bin into that memory) and `setup` (the Model struct, the head's layout and its copy of the bias).
 */
export type KernelLoadTimings = Record<"instantiate" | "copy" | "setup", number>;

/** What the kernel refuses: `weights`, encoder.bin does not match its table or the table is not one it reads. */
export type KernelErrorKind = "weights";

/** The kernel's errors; the message says what is wrong with the converted model (convert it again). */
export class KernelWeightsError extends KindedError<KernelErrorKind> {
  constructor(message: string) {
    super("weights", message);
  }
}

/** What the table says, checked before any byte is read: its format, the kernel's sizes, every tensor inside encoder.bin. */
function checkLayout(layout: KernelLayout): void {
  if (layout.format !== KERNEL_WEIGHTS_FORMAT) throw new KernelWeightsError(`weights are ${JSON.stringify(layout.format)}, not ${KERNEL_WEIGHTS_FORMAT}`);
  // encoder.bin's bytes did not change when it was split, so the format did not either: the table says which it is.
  if (!Array.isArray(layout.parts)) throw new KernelWeightsError("the manifest lists encoder.bin without its parts: it was converted before they came in");
  if (!(layout.config.activation in KERNEL_ACTIVATIONS))
    throw new KernelWeightsError(`activation ${JSON.stringify(layout.config.activation)} is not one the kernel runs`);
  const unsupported = unsupportedBy(layout.config);
  if (unsupported) throw new KernelWeightsError(unsupported);
  const label = kernelFilesLabel(layout);
  if (layout.parts.reduce((sum, part) => sum + part.bytes, 0) !== layout.bytes)
    throw new KernelWeightsError(`${label}: the parts' sizes do not add up to the ${layout.bytes} bytes the table lists`);
  for (const [name, shape] of kernelTensorShapes(layout.config)) {
    const entry = layout.tensors[name];
    const [offset, ...got] = entry ?? [];
    if (!entry || got.join() !== shape.join())
      throw new KernelWeightsError(`${label}: tensor ${name} is ${entry ? `[${got}]` : "missing"}, expected [${shape}]`);
    if (offset % 4 !== 0 || offset + shape.reduce((a, b) => a * b, 1) * 4 > layout.bytes)
      throw new KernelWeightsError(`${label}: tensor ${name} lies outside the file`);
  }
}

const sizeError = (file: string, got: number, listed: number) => new KernelWeightsError(`${file} holds ${got} bytes, not the ${listed} its table lists`);

/** Reads one of encoder.bin's files (KernelLayout.parts) whole. */
export type KernelPartReader = (file: string) => Promise<ArrayBuffer | Uint8Array>;

export class SpladeKernel {
  readonly head: SpladeHead;
  readonly maxTokens: number;
  readonly vocabSize: number;
  /** What create() spent, ms: the isolate's first request reports it (src/worker/model.ts). */
  readonly loadTimings: KernelLoadTimings;
  private readonly at: { model: number; scratch: number; ids: number };

  /** With encoder.bin already at `weightsAt` in the module's memory (`arena` holds it): lays out and fills the rest. */
  private constructor(
    private readonly wasm: EncoderExports,
    arena: WasmArena,
    weightsAt: number,
    readonly layout: KernelLayout,
    prepare: SpladeHeadOptions["prepare"],
    timings: Omit<KernelLoadTimings, "setup">,
  ) {
    const setupStart = performance.now();
    const c = layout.config;
    this.maxTokens = c.positions;
    this.vocabSize = c.vocab_size;
    const ptr = (name: string) => weightsAt + layout.tensors[name][0];
    // A copy: the views of wasm memory go stale when it grows below.
    const bias = new Float32Array(wasm.memory.buffer, ptr("decoder.bias"), c.vocab_size).slice();
    const words = wasm.model_words();
    const model = arena.take(words * 4);
    this.head = new SpladeHead(
      wasm,
      arena,
      { decoderAt: ptr(c.tied ? "word_embeddings" : "decoder.weight"), bias, hiddenSize: c.hidden_size },
      c.positions,
      prepare,
    );

    const w = new Int32Array(wasm.memory.buffer, model, words);
    const header: Record<Exclude<KernelModelField, "eps">, number> = {
      hidden: c.hidden_size,
      heads: c.num_heads,
      layers: c.num_layers,
      intermediate: c.intermediate_size,
      activation: KERNEL_ACTIVATIONS[c.activation],
      vocab: c.vocab_size,
      positions: c.positions,
      word: ptr("word_embeddings"),
      position: ptr("position_embeddings"),
      token_type: c.token_type ? ptr("token_type_embedding") : 0,
      emb_norm_w: ptr("embeddings.norm.weight"),
      emb_norm_b: ptr("embeddings.norm.bias"),
      head_w: ptr("head.transform.weight"),
      head_b: ptr("head.transform.bias"),
      head_norm_w: ptr("head.norm.weight"),
      head_norm_b: ptr("head.norm.bias"),
    };
    KERNEL_MODEL_HEADER.forEach((field, i) => {
      if (field === "eps") new Float32Array(wasm.memory.buffer, model, words)[i] = c.layer_norm_eps;
      else w[i] = header[field];
    });
    for (let l = 0; l < c.num_layers; l++) w.set(layerTensorNames(l).map(ptr), KERNEL_MODEL_HEADER_WORDS + l * KERNEL_LAYER_WORDS);

    const scratch = arena.take(wasm.scratch_floats(model, c.positions) * 4 + 8);
    const ids = arena.take(c.positions * 4);
    arena.commit();
    this.at = { model, scratch, ids };
    this.loadTimings = { ...timings, setup: performance.now() - setupStart };
  }

  /**
   * Instantiates the module and loads encoder.bin from its bytes, whole, and the table from manifest.json. Synchronous:
   * the module needs no imports. `prepare: "later"` defers the head's int8 decoder to `head.prepareSome()`
   * (SpladeHeadOptions).
   */
  static create(
    module: WebAssembly.Module,
    bytes: ArrayBuffer | Uint8Array,
    layout: KernelLayout,
    options: Pick<SpladeHeadOptions, "prepare"> = {},
  ): SpladeKernel {
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    checkLayout(layout);
    if (view.byteLength !== layout.bytes) throw sizeError("encoder.bin", view.byteLength, layout.bytes);
    const start = performance.now();
    const { wasm, arena, weightsAt } = SpladeKernel.instantiate(module, layout);
    const instantiated = performance.now();
    new Uint8Array(wasm.memory.buffer, weightsAt, view.byteLength).set(view);
    return new SpladeKernel(wasm, arena, weightsAt, layout, options.prepare, { instantiate: instantiated - start, copy: performance.now() - instantiated });
  }

  /**
   * As create, reading encoder.bin's files (`layout.parts`) at once through `read`: each is copied to its place in the
   * module's memory as it arrives and is not held after, so encoder.bin is never whole outside the kernel. The
   * instance is made while the files are on their way. `copy` sums the parts' copies.
   */
  static async load(
    module: WebAssembly.Module,
    layout: KernelLayout,
    read: KernelPartReader,
    options: Pick<SpladeHeadOptions, "prepare"> = {},
  ): Promise<SpladeKernel> {
    checkLayout(layout);
    const reads = layout.parts.map((part) => read(part.file));
    const start = performance.now();
    const { wasm, arena, weightsAt } = SpladeKernel.instantiate(module, layout);
    const instantiate = performance.now() - start;
    let copy = 0;
    let offset = 0;
    const offsets = layout.parts.map((part) => (offset += part.bytes) - part.bytes);
    await Promise.all(
      layout.parts.map(async (part, i) => {
        const bytes = await reads[i];
        const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
        if (view.byteLength !== part.bytes) throw sizeError(part.file, view.byteLength, part.bytes);
        const copyStart = performance.now();
        new Uint8Array(wasm.memory.buffer, weightsAt + offsets[i], part.bytes).set(view);
        copy += performance.now() - copyStart;
      }),
    );
    return new SpladeKernel(wasm, arena, weightsAt, layout, options.prepare, { instantiate, copy });
  }

  /** A fresh instance with room for encoder.bin at `weightsAt`. */
  private static instantiate(module: WebAssembly.Module, layout: KernelLayout): { wasm: EncoderExports; arena: WasmArena; weightsAt: number } {
    const wasm = new WebAssembly.Instance(module, {}).exports as unknown as EncoderExports;
    // The module's Model struct must be the one the words below are written for (contract.ts).
    if (wasm.model_words() !== KERNEL_MODEL_WORDS)
      throw new Error(`the kernel module's Model is ${wasm.model_words()} words, not the contract's ${KERNEL_MODEL_WORDS}: rebuild it (npm run build:kernel)`);
    const arena = new WasmArena(wasm.memory, wasm.__heap_base.value as number);
    const weightsAt = arena.take(layout.bytes, 64);
    arena.commit();
    return { wasm, arena, weightsAt };
  }

  /** Bytes of wasm memory the kernel holds. */
  get memoryBytes(): number {
    return this.wasm.memory.buffer.byteLength;
  }

  /** The MLM head's hidden states [T, hidden] for one sequence of token ids (no padding: every id is a token). */
  hidden(ids: ArrayLike<number | bigint>): Float32Array {
    const t = this.forward(ids);
    return new Float32Array(this.wasm.memory.buffer, this.head.hiddenAt, t * this.head.hiddenSize).slice();
  }

  /** SPLADE weights of one sequence of token ids: the non-zero terms, ids ascending (modes as SpladeHead's). */
  encode(ids: ArrayLike<number | bigint>, options: { mode?: HeadMode } = {}): HeadOutput {
    return this.head.spladeInPlace(this.forward(ids), options.mode);
  }

  private forward(ids: ArrayLike<number | bigint>): number {
    const t = ids.length;
    if (t < 1 || t > this.maxTokens) throw new RangeError(`${t} tokens: the kernel encodes 1 to ${this.maxTokens}`);
    const view = new Int32Array(this.wasm.memory.buffer, this.at.ids, t);
    for (let i = 0; i < t; i++) {
      const id = Number(ids[i]);
      if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize))
        throw new RangeError(`token id ${ids[i]} at ${i} is outside the vocabulary [0, ${this.vocabSize})`);
      view[i] = id;
    }
    const status = this.wasm.encoder_forward(this.at.model, this.at.ids, t, this.at.scratch, this.head.hiddenAt);
    if (status !== 0) throw new KernelWeightsError(`encoder_forward() refused the model's sizes (status ${status})`);
    return t;
  }
}
