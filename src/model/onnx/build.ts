// MlmEncoder → ONNX: the whole SPLADE query/document encoder, pooling included, as one opset-17 graph.
//
// Decisions:
// - Linear layers are MatMul + Add with the weight stored transposed, [in, out], so no Transpose runs per call;
//   the tied decoder is the exception (see the MLM head below).
// - 1/sqrt(head_dim) is folded into the query weight and bias at build time: one Mul per layer fewer, and for
//   head_dim 64 the factor 0.125 is a power of two, so the fold is exact.
// - The attention mask becomes ONE additive bias [B, T] (0 or -FLT_MAX, HF's finfo.min) shared by every
//   layer's scores and by the pooling. -FLT_MAX plus a finite score stays finite (never -inf), exp of it
//   minus the row max underflows to exactly 0, and Softmax/ReduceMax never see NaN — not even for a fully
//   padded row, which comes out all zeros (a real row always has [CLS] unmasked).
// - GELU is written 0.5·x·(1 + erf(x/√2)) in the exact node order of ORT's GeluFusion (Div → Erf → Add → Mul
//   with a separate Mul(x, 0.5)); gelu_new follows FastGeluFusion's Pow form. Opset 17 has no Gelu op.
// - SPLADE pooling is max-first (docs/facts.md, "SPLADE"): log(1 + relu(max over unmasked t of logit[t, v])). ONNX has no
//   Log1p, so Add 1 then Log; for small x the float32 rounding of 1 + x costs < 1e-7 absolute. "log1p_relu" applies
//   the log(1 + ·) twice (monotone, so max-first still holds); dropped special ids are a constant 0/1 mask multiplied in.
// - GTE (NewForMaskedLM): the packed qkv and up|gate weights are cut into separate MatMuls at build time; rotary
//   positions use cos/sin tables [max_position_embeddings, 1, head_dim] gathered by position, and rotate_half(x)·sin
//   is computed as swap_halves(x)·cat(−sin, sin), so the sign lives in the table and no Neg runs.
// - Tensors go out as little-endian raw_data: Float32Array views are little-endian on every JS engine we
//   target (x86-64, arm64, wasm).
import onnxProto from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";
import { isGte, RELU_POOLING, type Activation, type Encoder, type GteEncoder, type LayerNorm, type Linear, type SpladePooling } from "../architectures.ts";
import type { OnnxGraphNames } from "../manifest-format.ts";
import type { Tensor } from "../tensor.ts";

const { onnx } = onnxProto;

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
/** Graph inputs, both int64 [batch, sequence], in the order the encoder feeds them. */
export const ONNX_INPUTS = ["input_ids", "attention_mask"] as const;
/** Graph output: float [batch, vocab], the SPLADE weight of every vocabulary term. */
export const ONNX_OUTPUT = "splade";
/** The names as manifest.json records them, which the Node backends run the graph by. */
export const ONNX_NAMES: OnnxGraphNames = { inputs: [...ONNX_INPUTS], output: ONNX_OUTPUT };

/** Keys of the model's metadata_props. */
export const ONNX_METADATA = {
  architecture: "architecture",
  vocabSize: "vocab_size",
  hiddenSize: "hidden_size",
  maxLength: "max_length",
} as const;

/** float32's lowest finite value, as torch.finfo(torch.float32).min that HF uses for masked scores. */
const MASKED = -3.4028234663852886e38;

export interface BuildOnnxOptions {
  producerVersion?: string;
  docString?: string;
  /** Longest input the encoder will feed, recorded in metadata; defaults to the model's position count. */
  maxLength?: number;
  /**
   * "int8": every weight matrix that multiplies activations (the layers' linear layers, the head transform and the
   * decoder) stored as int8, symmetric per output column, and run as onnxruntime's com.microsoft
   * DynamicQuantizeMatMul, which quantizes the activations to uint8 per tensor on each call. Off by default: it is
   * not exact (its error against float32 is measured by `npm run bench -- corpus --int8`), and only onnxruntime
   * implements that operator. Full int8 range: MLAS's u8s8 kernel without AVX-VNNI (vpmaddubsw) can saturate it.
   */
  weights?: "float32" | "int8";
  /** The SPLADE activation and the ids zeroed in the output; default log(1 + relu), none. */
  pooling?: SpladePooling;
}

type Attribute = Onnx.IAttributeProto;
/** A Linear whose bias may be absent (GTE's up_gate_proj has none). */
type Projection = { weight: Tensor; bias?: Tensor };
const AttributeType = onnx.AttributeProto.AttributeType;
const DataType = onnx.TensorProto.DataType;

const attr = {
  int: (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i }),
  ints: (name: string, ints: number[]): Attribute => ({ name, type: AttributeType.INTS, ints }),
  float: (name: string, f: number): Attribute => ({ name, type: AttributeType.FLOAT, f }),
};

function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** [out, in] → [in, out], optionally scaled (float32 rounding, as the runtime would). */
function transposed(t: Tensor, scale = 1): Float32Array {
  const [rows, cols] = t.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c] * scale;
  }
  return out;
}

function scaled(data: Float32Array, scale: number): Float32Array {
  return scale === 1 ? data : data.map((x) => x * scale);
}

/** onnxruntime's contrib operators (DynamicQuantizeMatMul). */
const MS_DOMAIN = "com.microsoft";

/** Symmetric int8 per output column of a row-major [in, out] matrix: scale_j = max_i |w[i, j]| / 127, zero point 0. */
export function quantizeColumns(w: Float32Array, inDim: number, outDim: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(outDim);
  for (let i = 0; i < inDim; i++) {
    for (let j = 0; j < outDim; j++) scale[j] = Math.max(scale[j], Math.abs(w[i * outDim + j]));
  }
  for (let j = 0; j < outDim; j++) scale[j] = scale[j] > 0 ? scale[j] / 127 : 1;
  const q = new Int8Array(w.length);
  for (let i = 0; i < inDim; i++) {
    for (let j = 0; j < outDim; j++) q[i * outDim + j] = Math.round(w[i * outDim + j] / scale[j]);
  }
  return { q, scale };
}

class GraphBuilder {
  constructor(readonly int8 = false) {}

  readonly nodes: Onnx.INodeProto[] = [];
  readonly initializers: Onnx.ITensorProto[] = [];
  private readonly taken = new Set<string>();

  private claim(name: string): string {
    if (this.taken.has(name)) throw new Error(`ONNX builder: name "${name}" used twice`);
    this.taken.add(name);
    return name;
  }

  /** Adds a node with several outputs. */
  multi(opType: string, inputs: string[], outputs: string[], name: string, attribute: Attribute[] = []): void {
    this.nodes.push({ opType, input: inputs, output: outputs.map((o) => this.claim(o)), name: this.claim(name), attribute });
  }

  /** Adds a node whose single output is named like the node; returns that name. */
  node(opType: string, inputs: string[], name: string, attribute: Attribute[] = []): string {
    this.nodes.push({ opType, input: inputs, output: [this.claim(name)], name, attribute });
    return name;
  }

  float(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name: this.claim(name), dims, dataType: DataType.FLOAT, rawData: bytesOf(data) });
    return name;
  }

  /** x · W + b with W [in, out] as int8 per output column (quantizeColumns), through DynamicQuantizeMatMul. */
  quantizedMatMul(x: string, w: Float32Array, inDim: number, outDim: number, bias: Float32Array, name: string): string {
    const { q, scale } = quantizeColumns(w, inDim, outDim);
    const weight = this.claim(`${name}.weight_int8`);
    this.initializers.push({ name: weight, dims: [inDim, outDim], dataType: DataType.INT8, rawData: new Uint8Array(q.buffer) });
    const zeroPoint = this.claim(`${name}.weight_zero_point`);
    this.initializers.push({ name: zeroPoint, dims: [outDim], dataType: DataType.INT8, rawData: new Uint8Array(outDim) });
    const inputs = [x, weight, this.float(`${name}.weight_scale`, [outDim], scale), zeroPoint, this.float(`${name}.bias`, [outDim], bias)];
    this.nodes.push({ opType: "DynamicQuantizeMatMul", domain: MS_DOMAIN, input: inputs, output: [this.claim(name)], name });
    return name;
  }

  int64(name: string, dims: number[], values: number[]): string {
    const data = BigInt64Array.from(values, BigInt);
    this.initializers.push({ name: this.claim(name), dims, dataType: DataType.INT64, rawData: bytesOf(data) });
    return name;
  }

  /** x·Wᵀ + b with W stored [in, out] under `${name}.weight`; no Add when the layer has no bias. */
  linear(x: string, layer: Projection, name: string, scale = 1): string {
    const [outDim, inDim] = layer.weight.shape;
    const bias = layer.bias ? scaled(layer.bias.data, scale) : undefined;
    if (this.int8) return this.quantizedMatMul(x, transposed(layer.weight, scale), inDim, outDim, bias ?? new Float32Array(outDim), name);
    const w = this.float(`${name}.weight`, [inDim, outDim], transposed(layer.weight, scale));
    if (!bias) return this.node("MatMul", [x, w], name);
    return this.node("Add", [this.node("MatMul", [x, w], `${name}.matmul`), this.float(`${name}.bias`, [outDim], bias)], name);
  }

  layerNorm(x: string, norm: LayerNorm, name: string, epsilon: number): string {
    const h = norm.weight.shape[0];
    const w = this.float(`${name}.weight`, [h], norm.weight.data);
    const b = this.float(`${name}.bias`, [h], norm.bias.data);
    return this.node("LayerNormalization", [x, w, b], name, [attr.int("axis", -1), attr.float("epsilon", epsilon)]);
  }
}

/** Shared scalar constants, created on first use so the graph holds only those it needs. */
function constants(g: GraphBuilder) {
  const made = new Map<string, string>();
  const scalar = (name: string, value: number): string => {
    let v = made.get(name);
    if (!v) made.set(name, (v = g.float(`const.${name}`, [], Float32Array.of(value))));
    return v;
  };
  return {
    one: () => scalar("one", 1),
    half: () => scalar("half", 0.5),
    sqrt2: () => scalar("sqrt2", Math.SQRT2),
    three: () => scalar("three", 3),
    geluCubic: () => scalar("gelu_cubic", 0.044715),
    sqrt2OverPi: () => scalar("sqrt_2_over_pi", Math.sqrt(2 / Math.PI)),
  };
}

function activate(g: GraphBuilder, c: ReturnType<typeof constants>, x: string, kind: Activation, name: string): string {
  if (kind === "relu") return g.node("Relu", [x], name);
  const half = g.node("Mul", [x, c.half()], `${name}.half`);
  let inner: string;
  if (kind === "gelu") {
    inner = g.node("Erf", [g.node("Div", [x, c.sqrt2()], `${name}.scaled`)], `${name}.erf`);
  } else {
    const cube = g.node("Pow", [x, c.three()], `${name}.cube`);
    const poly = g.node("Add", [g.node("Mul", [cube, c.geluCubic()], `${name}.cubic`), x], `${name}.poly`);
    inner = g.node("Tanh", [g.node("Mul", [poly, c.sqrt2OverPi()], `${name}.scaled`)], `${name}.tanh`);
  }
  return g.node("Mul", [half, g.node("Add", [inner, c.one()], `${name}.plus_one`)], name);
}

function valueInfo(name: string, elemType: number, dims: Array<string | number>): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/**
 * Serializes the encoder as an ONNX model: int64 `input_ids` and `attention_mask` [batch, sequence] in,
 * float `splade` [batch, vocab] out, with SPLADE max pooling over unmasked positions inside the graph.
 */
export function buildOnnx(model: Encoder, options: BuildOnnxOptions = {}): Uint8Array {
  const { config } = model;
  const { hiddenSize: h, numHeads: heads, vocabSize: v, layerNormEps: eps } = config;
  const headDim = h / heads;
  const int8 = options.weights === "int8";
  const maxLength = options.maxLength ?? config.maxPositions;
  const pooling = options.pooling ?? RELU_POOLING;
  const g = new GraphBuilder(int8);
  const c = constants(g);
  const [inputIds, attentionMask] = ONNX_INPUTS;

  // Embeddings. Token type is always 0, so its row is one [hidden] constant, not a Gather per token. GTE has no position
  // table (rotary positions act in attention).
  const word = g.float("embeddings.word_embeddings.weight", model.wordEmbeddings.shape, model.wordEmbeddings.data);
  const position = isGte(model) ? undefined : g.float("embeddings.position_embeddings.weight", model.positionEmbeddings.shape, model.positionEmbeddings.data);
  const inputShape = g.node("Shape", [inputIds], "input_shape");
  const sequence = g.node("Gather", [inputShape, g.int64("const.sequence_axis", [], [1])], "sequence_length", [attr.int("axis", 0)]);
  const zeroI64 = g.int64("const.zero_i64", [], [0]);
  const positions = g.node("Range", [zeroI64, sequence, g.int64("const.one_i64", [], [1])], "position_ids");
  let x = g.node("Gather", [word, inputIds], "embeddings.word", [attr.int("axis", 0)]);
  if (position) {
    x = g.node("Add", [x, g.node("Gather", [position, positions], "embeddings.position", [attr.int("axis", 0)])], "embeddings.sum");
  }
  if (model.tokenTypeEmbeddings) {
    const row0 = g.float("embeddings.token_type_embeddings.row0", [h], model.tokenTypeEmbeddings.data.subarray(0, h));
    x = g.node("Add", [x, row0], "embeddings.with_token_type");
  }
  x = g.layerNorm(x, model.embeddingNorm, "embeddings.LayerNorm", eps);

  // The mask, once: 0 where attention_mask is 1, float32's lowest where it is 0.
  const maskBias = g.node(
    "Where",
    [
      g.node("Equal", [attentionMask, zeroI64], "mask.is_padding"),
      g.float("const.masked", [], Float32Array.of(MASKED)),
      g.float("const.zero", [], Float32Array.of(0)),
    ],
    "mask.bias",
  );
  const attentionBias = g.node("Unsqueeze", [maskBias, g.int64("const.axes_1_2", [2], [1, 2])], "mask.attention_bias");
  const poolingBias = g.node("Unsqueeze", [maskBias, g.int64("const.axes_2", [1], [2])], "mask.pooling_bias");

  const headsShape = g.int64("const.heads_shape", [4], [0, 0, heads, headDim]);
  const hiddenShape = g.int64("const.hidden_shape", [3], [0, 0, h]);
  // The tables cover every position the model has, not only max_length: encode-corpus --max-length may go up to it.
  const rope = isGte(model) ? rotary(g, model, positions) : undefined;
  /** [batch, sequence, hidden] → heads, transposed by `perm`; rotary positions (GTE's q and k) act before the transpose. */
  const splitHeads = (t: string, name: string, perm: number[], rotate = false) => {
    const split = g.node("Reshape", [t, headsShape], `${name}.heads`);
    return g.node("Transpose", [rope && rotate ? rope(split, name) : split], `${name}.transposed`, [attr.ints("perm", perm)]);
  };

  const layers: Array<{ query: Projection; key: Projection; value: Projection; attentionOutput: Linear; attentionNorm: LayerNorm }> = isGte(model)
    ? model.layers.map((l) => ({ ...splitRows(l.qkv, ["query", "key", "value"]), attentionOutput: l.attentionOutput, attentionNorm: l.attentionNorm }))
    : model.layers;
  layers.forEach((layer, i) => {
    const p = `layer.${i}`;
    const q = splitHeads(g.linear(x, layer.query, `${p}.attention.query`, 1 / Math.sqrt(headDim)), `${p}.attention.query`, [0, 2, 1, 3], true);
    const k = splitHeads(g.linear(x, layer.key, `${p}.attention.key`), `${p}.attention.key`, [0, 2, 3, 1], true);
    const val = splitHeads(g.linear(x, layer.value, `${p}.attention.value`), `${p}.attention.value`, [0, 2, 1, 3]);
    const scores = g.node("Add", [g.node("MatMul", [q, k], `${p}.attention.scores`), attentionBias], `${p}.attention.masked_scores`);
    const probs = g.node("Softmax", [scores], `${p}.attention.probs`, [attr.int("axis", -1)]);
    const context = g.node(
      "Reshape",
      [
        g.node("Transpose", [g.node("MatMul", [probs, val], `${p}.attention.context`)], `${p}.attention.context.transposed`, [attr.ints("perm", [0, 2, 1, 3])]),
        hiddenShape,
      ],
      `${p}.attention.context.merged`,
    );
    const attended = g.node("Add", [g.linear(context, layer.attentionOutput, `${p}.attention.output`), x], `${p}.attention.residual`);
    x = g.layerNorm(attended, layer.attentionNorm, `${p}.attention.LayerNorm`, eps);
    if (isGte(model)) {
      // NewGatedMLP: down(act(gate) · up), up the first half of up_gate_proj's rows, gate the second (no bias).
      const mlp = model.layers[i];
      const { up, gate } = splitRows({ weight: mlp.upGate }, ["up", "gate"]);
      const gated = g.node(
        "Mul",
        [activate(g, c, g.linear(x, gate, `${p}.mlp.gate`), config.activation, `${p}.mlp.gate.act`), g.linear(x, up, `${p}.mlp.up`)],
        `${p}.mlp.gated`,
      );
      const out = g.node("Add", [g.linear(gated, mlp.down, `${p}.mlp.down`), x], `${p}.mlp.residual`);
      x = g.layerNorm(out, mlp.mlpNorm, `${p}.mlp.LayerNorm`, eps);
    } else {
      const bert = model.layers[i];
      const inner = activate(g, c, g.linear(x, bert.intermediate, `${p}.intermediate`), config.activation, `${p}.intermediate.act`);
      const out = g.node("Add", [g.linear(inner, bert.output, `${p}.output`), x], `${p}.output.residual`);
      x = g.layerNorm(out, bert.outputNorm, `${p}.output.LayerNorm`, eps);
    }
  });

  // MLM head.
  x = activate(g, c, g.linear(x, model.head.transform, "head.transform"), config.activation, "head.transform.act");
  x = g.layerNorm(x, model.head.norm, "head.LayerNorm", eps);
  // The decoder runs as Gemm(transB=1) straight on a [vocab, hidden] matrix, so a tied decoder is the
  // word-embedding initializer itself: one copy in the file and in memory. Measured on the query model
  // against MatMul with a Transpose node that ORT constant-folds at load (and against storing [hidden, vocab]
  // twice, 33 MB files): same run time, session creation 10-30% faster, and 30 MB less wasm memory in
  // onnxruntime-web (RSS growth 93 vs 124 MB), 15-30 MB less in onnxruntime-node. Gemm wants 2-D input,
  // hence the Reshape to [batch·sequence, hidden] and back.
  // With int8 weights the decoder is its own [hidden, vocab] int8 copy (a quarter of the float32 matrix's bytes), the
  // float32 word embeddings staying for the Gather.
  const rows = g.node("Reshape", [x, g.int64("const.rows_shape", [2], [-1, h])], "head.rows");
  const decoderBias = model.head.decoderBias.data;
  const decoded = int8
    ? g.quantizedMatMul(rows, transposed(model.head.decoder), h, v, decoderBias, "head.decoder")
    : g.node(
        "Gemm",
        [
          rows,
          tiedTo(model.head.decoder, model.wordEmbeddings) ? word : g.float("head.decoder.weight", model.head.decoder.shape, model.head.decoder.data),
          g.float("head.decoder.bias", [v], decoderBias),
        ],
        "head.decoder",
        [attr.int("transB", 1)],
      );
  const logitsShape = g.node("Concat", [inputShape, g.int64("const.vocab_dim", [1], [v])], "logits_shape", [attr.int("axis", 0)]);
  const logits = g.node("Reshape", [decoded, logitsShape], "logits");

  // SPLADE max-first pooling: masked positions get float32's lowest added and never win the max.
  const best = g.node("ReduceMax", [g.node("Add", [logits, poolingBias], "pooling.masked_logits")], "pooling.max", [
    attr.ints("axes", [1]),
    attr.int("keepdims", 0),
  ]);
  const drop = pooling.dropIds.length > 0;
  const twice = pooling.activation === "log1p_relu";
  const plusOne = g.node("Add", [g.node("Relu", [best], "pooling.relu"), c.one()], "pooling.plus_one");
  let pooled = g.node("Log", [plusOne], twice || drop ? "pooling.log1p" : ONNX_OUTPUT);
  if (twice) pooled = g.node("Log", [g.node("Add", [pooled, c.one()], "pooling.log1p.plus_one")], drop ? "pooling.log1p_twice" : ONNX_OUTPUT);
  if (drop) {
    const keep = new Float32Array(v).fill(1);
    for (const id of pooling.dropIds) keep[id] = 0;
    g.node("Mul", [pooled, g.float("pooling.keep", [v], keep)], ONNX_OUTPUT);
  }

  const metadata: Record<string, string | number> = {
    [ONNX_METADATA.architecture]: config.architecture,
    [ONNX_METADATA.vocabSize]: v,
    [ONNX_METADATA.hiddenSize]: h,
    [ONNX_METADATA.maxLength]: maxLength,
  };
  const message: Onnx.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }, ...(int8 ? [{ domain: MS_DOMAIN, version: 1 }] : [])],
    producerName: "splade-edge",
    producerVersion: options.producerVersion ?? "",
    docString: options.docString ?? "",
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value: String(value) })),
    graph: {
      name: `splade-${config.architecture}`,
      node: g.nodes,
      initializer: g.initializers,
      input: ONNX_INPUTS.map((name) => valueInfo(name, DataType.INT64, ["batch", "sequence"])),
      output: [valueInfo(ONNX_OUTPUT, DataType.FLOAT, ["batch", v])],
    },
  };
  return onnx.ModelProto.encode(message).finish();
}

/** Whether the decoder is the word-embedding matrix: the same tensor, or (torch checkpoints) equal values. */
function tiedTo(decoder: Tensor, embeddings: Tensor): boolean {
  if (decoder === embeddings || decoder.data === embeddings.data) return true;
  if (decoder.data.length !== embeddings.data.length) return false;
  const a = new Uint32Array(decoder.data.buffer, decoder.data.byteOffset, decoder.data.length);
  const b = new Uint32Array(embeddings.data.buffer, embeddings.data.byteOffset, embeddings.data.length);
  return a.every((x, i) => x === b[i]);
}

/** A packed [n·k, in] Linear (bias optional) cut into n named [k, in] parts, in order: GTE's q | k | v and up | gate. */
function splitRows<const N extends string>(packed: Projection, names: readonly N[]): Record<N, Projection> {
  const [rows, cols] = packed.weight.shape;
  const k = rows / names.length;
  return Object.fromEntries(
    names.map((name, i) => {
      const weight = { shape: [k, cols], data: packed.weight.data.subarray(i * k * cols, (i + 1) * k * cols) };
      return [name, packed.bias ? { weight, bias: { shape: [k], data: packed.bias.data.subarray(i * k, (i + 1) * k) } } : { weight }];
    }),
  ) as Record<N, Projection>;
}

/**
 * GTE's rotary embedding as a function of a [batch, sequence, heads, head_dim] tensor: x·cos + swap_halves(x)·sin±,
 * with cos = cat(cos(tω), cos(tω)) and sin± = cat(−sin(tω), sin(tω)) gathered per position from [positions, 1, d]
 * tables (new-impl NewRotaryEmbedding; ω from rope_theta and NTK rope_scaling, docs/model-sources.md §3).
 */
function rotary(g: GraphBuilder, model: GteEncoder, positions: string): (x: string, name: string) => string {
  const { hiddenSize, numHeads, ropeTheta, ropeScaling, maxPositions: maxLength } = model.config;
  const d = hiddenSize / numHeads;
  const half = d / 2;
  const factor = ropeScaling?.factor ?? 1;
  const cos = new Float32Array(maxLength * d);
  const sin = new Float32Array(maxLength * d);
  for (let j = 0; j < half; j++) {
    // NTK: the base becomes θ·f and every frequency is divided by f^(2/d) (TEI rotary.rs get_inv_freqs).
    const omega = ropeScaling ? 1 / (ropeTheta * factor) ** ((2 * j) / d) / factor ** (2 / d) : 1 / ropeTheta ** ((2 * j) / d);
    for (let t = 0; t < maxLength; t++) {
      const angle = t * omega;
      cos[t * d + j] = cos[t * d + half + j] = Math.cos(angle);
      sin[t * d + j] = -Math.sin(angle);
      sin[t * d + half + j] = Math.sin(angle);
    }
  }
  const gather = (table: Float32Array, name: string) =>
    g.node("Gather", [g.float(`rotary.${name}_table`, [maxLength, 1, d], table), positions], `rotary.${name}`, [attr.int("axis", 0)]);
  const cosT = gather(cos, "cos");
  const sinT = gather(sin, "sin_signed");
  const splitSizes = g.int64("rotary.split", [2], [half, half]);
  return (x, name) => {
    const lo = `${name}.rotary.low`;
    const hi = `${name}.rotary.high`;
    g.multi("Split", [x, splitSizes], [lo, hi], `${name}.rotary.split`, [attr.int("axis", -1)]);
    const swapped = g.node("Concat", [hi, lo], `${name}.rotary.swapped`, [attr.int("axis", -1)]);
    return g.node("Add", [g.node("Mul", [x, cosT], `${name}.rotary.cos`), g.node("Mul", [swapped, sinT], `${name}.rotary.sin`)], `${name}.rotary`);
  };
}
