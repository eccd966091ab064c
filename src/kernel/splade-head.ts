// The SPLADE head kernel (splade-head.c) behind a runtime-agnostic class: Node and workerd alike hand it a compiled
// `WebAssembly.Module` (workerd refuses to compile wasm from bytes, so a Worker imports the .wasm through wrangler's
// CompiledWasm rule; Node compiles the file). The decoder is copied into the module's memory and quantized there once;
// each call copies only the hidden states in and the non-zero terms out.
import { KERNEL_HEAD_MODES, KERNEL_ROW_TILE, unsupportedHiddenSize } from "./contract.ts";

/** The decoder of an MLM head: logit[t, v] = hidden[t] · decoder[v] + bias[v]. */
export interface HeadWeights {
  /** [vocab, hidden] row-major: the tied word embeddings for BERT. */
  decoder: Float32Array;
  /** [vocab]. */
  bias: Float32Array;
  hiddenSize: number;
}

export interface SpladeHeadOptions {
  /** Most tokens one sequence may have (default 512, BERT's positions). */
  maxTokens?: number;
  /**
   * "now" (default) quantizes the decoder at load. "later" leaves it to prepareSome() calls, and until they are done
   * every mode runs as `scan` — the same bits as `exact`, without the load-time pass (a Worker's first request).
   */
  prepare?: "now" | "later";
  /**
   * The relaxed build's int8 dot (splade-head.c's dot_i8_u7_add): by default the form int8_dot_fused() picks for this
   * engine. Both compute the same integers, so the answer is the same; this is here to check and time each.
   */
  int8Dot?: "fused" | "pairs";
}

/**
 * - `exact` (default): an int8 pass with a provable error bound picks the candidate terms, float32 rescores them; the
 *   result is bit-identical to `scan`.
 * - `scan`: float32 over every term; the same answer, faster only when most terms are non-zero (dense heads).
 * - `approx`: the int8 pass alone; each weight is off by at most its bound (see splade-head.c), and terms near 0 may
 *   be missing or extra.
 * - `auto`: `exact` until one call finds more than AUTO_SCAN_FRACTION of the vocabulary among its candidates, `scan`
 *   from then on in this head. Both give the same bits, so the choice only moves time.
 */
export type HeadMode = "exact" | "scan" | "approx" | "auto";

/**
 * The candidate share above which `auto` stops running the int8 pass. That pass reads a quarter of the bytes and runs at
 * 32–37 GMAC/s against the float32 scan's ≈ 20 (measured in workerd: docs/performance.md), so it costs ≈ 0.55–0.6 of a scan; rescoring a share f of
 * the vocabulary costs f of a scan, so exact wins while f < 0.4 — more where the relaxed build's dot is one vpdpbusd
 * (AVX-VNNI: the pass takes ≈ 0.45 of its time elsewhere), which leaves 0.4 on the safe side. A dense head (random weights: ~28k of 30522 terms
 * non-zero) rescores ~95% and stays dense; a trained one keeps tens of terms per query and never comes near.
 */
export const AUTO_SCAN_FRACTION = 0.4;

/** Non-zero SPLADE weights of one sequence, term ids ascending. */
export interface HeadOutput {
  indices: Int32Array;
  values: Float32Array;
  /** Terms the float32 pass scored: the int8 survivors (exact), the vocabulary (scan), 0 (approx). */
  rescored: number;
}

/** The exports splade-head.c gives the module (encoder.c adds its own). */
export interface HeadExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  prepare(
    e: number,
    b: number,
    v: number,
    vp: number,
    n: number,
    eq: number,
    s: number,
    alpha: number,
    beta: number,
    bPad: number,
    qsum: number,
    from: number,
    to: number,
  ): number;
  quantize_tokens(h: number, t: number, n: number, p: number, r: number, consts: number): number;
  int8_pass(
    eq: number,
    s: number,
    alpha: number,
    beta: number,
    b: number,
    bPad: number,
    qsum: number,
    from: number,
    to: number,
    n: number,
    p: number,
    r: number,
    t: number,
    consts: number,
    fused: number,
    mode: number,
    ids: number,
    vals: number,
  ): number;
  int8_selftest(): number;
  int8_dot_fused(): number;
  f32_pass(e: number, b: number, n: number, h: number, t: number, ids: number, first: number, count: number, outIds: number, outVals: number): number;
}

const { candidates: MODE_CANDIDATES, approx: MODE_APPROX, bounds: MODE_BOUNDS } = KERNEL_HEAD_MODES;
/** prepare() pads the vocabulary to a multiple of the int8 tile (2 groups of 4 rows). */
const ROW_TILE = KERNEL_ROW_TILE;
const PAGE = 65536;
/**
 * Rows per call of a pass over the vocabulary. V8 replaces a function's baseline code with optimized code between calls
 * only, and a Worker's first requests would run one long call on the baseline tier (several times slower).
 */
const PASS_ROWS = 4096;

type Mask = ArrayLike<number | bigint>;

/**
 * Bump allocation in a module's memory, which the module leaves to its caller: every buffer is laid out once at load
 * and kept for the instance's life. `commit` grows the memory over everything taken so far (contents survive growth;
 * typed-array views over the old buffer do not).
 */
export class WasmArena {
  constructor(
    readonly memory: WebAssembly.Memory,
    private end: number,
  ) {}

  take(bytes: number, align = 16): number {
    const start = Math.ceil(this.end / align) * align;
    this.end = start + bytes;
    return start;
  }

  commit(): void {
    const have = this.memory.buffer.byteLength;
    if (this.end > have) this.memory.grow(Math.ceil((this.end - have) / PAGE));
  }
}

/** The decoder as floats to copy in, or as the offset of [vocab, hidden] floats already in the module's memory. */
export type DecoderSource = HeadWeights | { decoderAt: number; bias: Float32Array; hiddenSize: number };

export class SpladeHead {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly maxTokens: number;
  private readonly paddedVocab: number;
  /** Set by `auto` once a call found most of the vocabulary among its candidates. */
  private dense = false;
  /** Rows of the int8 decoder quantized so far (prepareSome). */
  private preparedRows = 0;
  /** Which form of the relaxed build's int8 dot this engine runs faster (splade-head.c's int8_dot_fused); the same result either way. */
  private readonly fusedDot: number;
  private readonly at: Record<"e" | "b" | "eq" | "s" | "alpha" | "beta" | "bPad" | "qsum" | "h" | "p" | "r" | "consts" | "ids" | "vals", number>;

  /** Lays the head out in `arena` (after whatever it holds) and quantizes the decoder; for SpladeHead.create and the encoder kernel. */
  constructor(
    private readonly wasm: HeadExports,
    arena: WasmArena,
    weights: DecoderSource,
    maxTokens: number,
    prepare: SpladeHeadOptions["prepare"] = "now",
    int8Dot?: SpladeHeadOptions["int8Dot"],
  ) {
    const { bias, hiddenSize: n } = weights;
    const v = bias.length;
    if ("decoder" in weights && weights.decoder.length !== v * n) {
      throw new RangeError(`decoder has ${weights.decoder.length} values, not vocab ${v} × hidden ${n}`);
    }
    const unsupported = unsupportedHiddenSize(n);
    if (unsupported) throw new RangeError(`${unsupported} (not supported)`);
    this.vocabSize = v;
    this.hiddenSize = n;
    this.maxTokens = maxTokens;
    this.paddedVocab = Math.ceil(v / ROW_TILE) * ROW_TILE;
    this.fusedDot = int8Dot ? Number(int8Dot === "fused") : wasm.int8_dot_fused();
    const vp = this.paddedVocab;
    this.at = {
      e: "decoder" in weights ? arena.take(v * n * 4) : weights.decoderAt,
      b: arena.take(vp * 4),
      eq: arena.take(vp * n),
      s: arena.take(vp * 4),
      alpha: arena.take(vp * 4),
      beta: arena.take(vp * 4),
      bPad: arena.take(vp * 4),
      qsum: arena.take(vp * 4),
      h: arena.take(maxTokens * n * 4),
      p: arena.take(maxTokens * n * 2),
      r: arena.take(maxTokens * 4),
      consts: arena.take(16),
      ids: arena.take(vp * 4),
      vals: arena.take(vp * 4),
    };
    arena.commit();
    const { buffer } = wasm.memory;
    if ("decoder" in weights) new Float32Array(buffer, this.at.e, v * n).set(weights.decoder);
    // Rows v … vp−1 pad the vocabulary to whole int8 tiles: bias −inf keeps them out of every answer.
    const b = new Float32Array(buffer, this.at.b, vp);
    b.set(bias);
    b.fill(-Infinity, v);
    if (prepare === "now") this.prepareSome();
  }

  /** Whether the int8 decoder is ready (exact and approx modes run as scan until it is). */
  get prepared(): boolean {
    return this.preparedRows === this.paddedVocab;
  }

  /** Quantizes up to `rows` more rows of the decoder (all by default); returns whether it is now all done. */
  prepareSome(rows = this.paddedVocab): boolean {
    const from = this.preparedRows;
    const to = Math.min(this.paddedVocab, from + Math.ceil(rows / 4) * 4);
    if (from === to) return true;
    const a = this.at;
    const status = this.wasm.prepare(a.e, a.b, this.vocabSize, this.paddedVocab, this.hiddenSize, a.eq, a.s, a.alpha, a.beta, a.bPad, a.qsum, from, to);
    if (status === -2) throw new RangeError("the decoder holds a non-finite value (or one beyond ±1e19): convert the model again");
    if (status !== 0) throw new Error(`splade-head: prepare() rejected vocab ${this.vocabSize} × hidden ${this.hiddenSize}`);
    this.preparedRows = to;
    return this.prepared;
  }

  /** Where the hidden states of one call go ([maxTokens, hiddenSize] floats): the encoder kernel writes them there. */
  get hiddenAt(): number {
    return this.at.h;
  }

  /**
   * Instantiates the kernel and loads the decoder (copied, then quantized in wasm). Synchronous: the module needs no
   * imports, and in Node an async instantiate right after onnxruntime-web has started waited 350 ms behind its compile.
   */
  static create(module: WebAssembly.Module, weights: HeadWeights, options: SpladeHeadOptions = {}): SpladeHead {
    const wasm = new WebAssembly.Instance(module, {}).exports as unknown as HeadExports;
    return new SpladeHead(
      wasm,
      new WasmArena(wasm.memory, wasm.__heap_base.value as number),
      weights,
      options.maxTokens ?? 512,
      options.prepare,
      options.int8Dot,
    );
  }

  /** Bytes of wasm memory the kernel holds. */
  get memoryBytes(): number {
    return this.wasm.memory.buffer.byteLength;
  }

  /**
   * SPLADE weights log1p(relu(max over unmasked t of hidden[t]·decoder[v] + bias[v])) for one sequence of `tokens`
   * hidden states ([tokens, hiddenSize] row-major, after the MLM head's LayerNorm). Masked rows (mask 0) take no part.
   */
  spladeFromHidden(hidden: Float32Array, tokens: number, mask?: Mask, options: { mode?: HeadMode } = {}): HeadOutput {
    return this.spladeInPlace(this.loadTokens(hidden, tokens, mask), options.mode);
  }

  /** spladeFromHidden on `t` rows already at `hiddenAt` (the encoder kernel's output), none masked. */
  spladeInPlace(t: number, asked: HeadMode = "exact"): HeadOutput {
    if (t === 0) return { indices: new Int32Array(0), values: new Float32Array(0), rescored: 0 };
    if (!(t <= this.maxTokens)) throw new RangeError(`${t} tokens: at most ${this.maxTokens}`);
    const mode = !this.prepared || (asked === "auto" && this.dense) ? "scan" : asked === "auto" ? "exact" : asked;
    this.quantizeTokens(t);
    const { wasm, at } = this;
    const n = this.hiddenSize;
    let count: number;
    let rescored = 0;
    if (mode === "approx") {
      count = this.int8(t, MODE_APPROX);
    } else if (mode === "scan") {
      rescored = this.vocabSize;
      count = 0;
      for (let first = 0; first < this.vocabSize; first += PASS_ROWS) {
        const rows = Math.min(PASS_ROWS, this.vocabSize - first);
        count += wasm.f32_pass(at.e, at.b, n, at.h, t, 0, first, rows, at.ids + 4 * count, at.vals + 4 * count);
      }
    } else {
      rescored = this.int8(t, MODE_CANDIDATES);
      if (asked === "auto" && rescored > AUTO_SCAN_FRACTION * this.vocabSize) this.dense = true;
      count = wasm.f32_pass(at.e, at.b, n, at.h, t, at.ids, 0, rescored, at.ids, at.vals);
    }
    const buffer = wasm.memory.buffer;
    const indices = new Int32Array(buffer, at.ids, count).slice();
    const logits = new Float32Array(buffer, at.vals, count);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = Math.log1p(logits[i]);
    return { indices, values, rescored };
  }

  /** spladeFromHidden for each row of a padded batch: hidden [batch, length, hiddenSize], mask [batch, length]. */
  spladeBatch(hidden: Float32Array, batch: number, length: number, mask: Mask, options: { mode?: HeadMode } = {}): HeadOutput[] {
    const rowSize = length * this.hiddenSize;
    return Array.from({ length: batch }, (_, b) =>
      this.spladeFromHidden(hidden.subarray(b * rowSize, (b + 1) * rowSize), length, sliceMask(mask, b * length, length), options),
    );
  }

  /**
   * The int8 pass for every term: `approx` = the approximate max logit s·m + b, and `margin` such that the float32
   * max logit lies in [approx − margin, approx + margin] (the bound of splade-head.c, float slack included).
   */
  bounds(hidden: Float32Array, tokens: number, mask?: Mask): { approx: Float32Array; margin: Float32Array } {
    const t = this.loadTokens(hidden, tokens, mask);
    if (t === 0) throw new RangeError("every token is masked: there is no max to bound");
    this.prepareSome();
    this.quantizeTokens(t);
    this.int8(t, MODE_BOUNDS);
    const buffer = this.wasm.memory.buffer;
    return {
      approx: new Float32Array(buffer, this.at.vals, this.vocabSize).slice(),
      margin: new Float32Array(buffer, this.at.ids, this.vocabSize).slice(),
    };
  }

  /** Copies the unmasked rows into wasm memory; returns how many. */
  private loadTokens(hidden: Float32Array, tokens: number, mask?: Mask): number {
    const n = this.hiddenSize;
    if (hidden.length < tokens * n) throw new RangeError(`hidden has ${hidden.length} values, fewer than ${tokens} tokens × ${n}`);
    if (mask && mask.length < tokens) throw new RangeError(`mask has ${mask.length} entries for ${tokens} tokens`);
    const h = new Float32Array(this.wasm.memory.buffer, this.at.h, this.maxTokens * n);
    let t = 0;
    for (let i = 0; i < tokens; i++) {
      if (mask && Number(mask[i]) === 0) continue;
      if (t === this.maxTokens) throw new RangeError(`more than ${this.maxTokens} unmasked tokens: raise maxTokens`);
      h.set(hidden.subarray(i * n, (i + 1) * n), t * n);
      t++;
    }
    return t;
  }

  private quantizeTokens(t: number): void {
    const { at } = this;
    if (this.wasm.quantize_tokens(at.h, t, this.hiddenSize, at.p, at.r, at.consts) !== 0) throw new RangeError("hidden states hold a non-finite value");
  }

  private int8(tokens: number, mode: number): number {
    const { at } = this;
    let count = 0;
    for (let from = 0; from < this.paddedVocab; from += PASS_ROWS) {
      const to = Math.min(this.paddedVocab, from + PASS_ROWS);
      // MODE_BOUNDS writes at each row's own place; the others append.
      const out = mode === MODE_BOUNDS ? 0 : 4 * count;
      count += this.wasm.int8_pass(
        at.eq,
        at.s,
        at.alpha,
        at.beta,
        at.b,
        at.bPad,
        at.qsum,
        from,
        to,
        this.hiddenSize,
        at.p,
        at.r,
        tokens,
        at.consts,
        this.fusedDot,
        mode,
        at.ids + out,
        at.vals + out,
      );
    }
    return count;
  }
}

function sliceMask(mask: Mask, start: number, length: number): number[] {
  return Array.from({ length }, (_, i) => Number(mask[start + i]));
}
