// The masked-LM architectures splade-edge converts, seen through normalized shapes.
// BertForMaskedLM and DistilBertForMaskedLM are the same post-LayerNorm transformer with different
// weight names (docs/facts.md, "The two models"); everything downstream (ONNX builder, reference forward, kernel) reads
// MlmEncoder. GTE's NewForMaskedLM (Alibaba-NLP/new-impl; docs/model-sources.md §3) is a document encoder only, read
// as GteEncoder: rotary positions, packed qkv, a gated MLP.
import { checkpointError } from "./errors.ts";
import { sameShape, type Checkpoint, type Tensor } from "./tensor.ts";

export type Architecture = "BertForMaskedLM" | "DistilBertForMaskedLM";
export const ARCHITECTURES: readonly Architecture[] = ["BertForMaskedLM", "DistilBertForMaskedLM"];
export type Activation = "gelu" | "gelu_new" | "relu";

/** Hyper-parameters of either architecture under one set of names. */
export interface EncoderConfig {
  architecture: Architecture;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  /** 0 for DistilBERT, which has no token types. */
  typeVocabSize: number;
  layerNormEps: number;
  activation: Activation;
}

export interface Linear {
  /** [out, in], as PyTorch stores it. */
  weight: Tensor;
  bias: Tensor;
}
export interface LayerNorm {
  weight: Tensor;
  bias: Tensor;
}
export interface EncoderLayer {
  query: Linear;
  key: Linear;
  value: Linear;
  attentionOutput: Linear;
  attentionNorm: LayerNorm;
  intermediate: Linear;
  output: Linear;
  outputNorm: LayerNorm;
}
/** All weights of a masked-LM encoder, validated against its config. */
export interface MlmEncoder {
  config: EncoderConfig;
  wordEmbeddings: Tensor;
  positionEmbeddings: Tensor;
  /** BERT only; splade-edge always feeds token type 0. */
  tokenTypeEmbeddings?: Tensor;
  embeddingNorm: LayerNorm;
  layers: EncoderLayer[];
  head: {
    transform: Linear;
    norm: LayerNorm;
    /** [vocab, hidden]; tied to wordEmbeddings unless the checkpoint stores its own. */
    decoder: Tensor;
    decoderBias: Tensor;
  };
}

/**
 * The SPLADE activation of an encoder (sentence-transformers 5.x SpladePooling `activation_function`, @85ec645):
 * "relu" is log(1 + relu(x)), "log1p_relu" is log(1 + log(1 + relu(x))).
 */
export type SpladeActivation = "relu" | "log1p_relu";
export const SPLADE_ACTIVATIONS: readonly SpladeActivation[] = ["relu", "log1p_relu"];

/** How logits become the SPLADE vector: max over unmasked positions of the activation, then `dropIds` set to 0. */
export interface SpladePooling {
  activation: SpladeActivation;
  /** Token ids whose weight is set to 0 (the OpenSearch model cards zero the tokenizer's special tokens). */
  dropIds: readonly number[];
}

/** efficient-SPLADE's pooling, and every model's before the manifest recorded one. */
export const RELU_POOLING: SpladePooling = { activation: "relu", dropIds: [] };

type RawConfig = Record<string, unknown>;

function int(raw: RawConfig, key: string, file: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw checkpointError(`"${key}" must be a positive integer, got ${JSON.stringify(raw[key])}`, { file });
  }
  return v;
}

function activation(v: unknown, key: string, file: string): Activation {
  if (v === "gelu" || v === "relu") return v;
  if (v === "gelu_new" || v === "gelu_pytorch_tanh") return "gelu_new";
  throw checkpointError(`"${key}": unsupported activation ${JSON.stringify(v)} (gelu, gelu_new, relu)`, { file });
}

/** Reads a Hugging Face config.json object; `file` names it in errors. */
export function parseConfig(raw: unknown, file: string): EncoderConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw checkpointError("config must be a JSON object", { file });
  }
  const c = raw as RawConfig;
  const declared = Array.isArray(c.architectures) ? c.architectures[0] : undefined;
  const arch = declared ?? (c.model_type === "bert" ? "BertForMaskedLM" : c.model_type === "distilbert" ? "DistilBertForMaskedLM" : undefined);
  if (arch === "BertForMaskedLM") {
    return {
      architecture: arch,
      vocabSize: int(c, "vocab_size", file),
      hiddenSize: int(c, "hidden_size", file),
      numLayers: int(c, "num_hidden_layers", file),
      numHeads: int(c, "num_attention_heads", file),
      intermediateSize: int(c, "intermediate_size", file),
      maxPositions: int(c, "max_position_embeddings", file),
      typeVocabSize: int(c, "type_vocab_size", file, 2),
      layerNormEps: typeof c.layer_norm_eps === "number" ? c.layer_norm_eps : 1e-12,
      activation: activation(c.hidden_act ?? "gelu", "hidden_act", file),
    };
  }
  if (arch === "DistilBertForMaskedLM") {
    if (c.sinusoidal_pos_embds === true) {
      throw checkpointError('"sinusoidal_pos_embds": true is not supported (learned positions only)', { file });
    }
    return {
      architecture: arch,
      vocabSize: int(c, "vocab_size", file),
      hiddenSize: int(c, "dim", file),
      numLayers: int(c, "n_layers", file),
      numHeads: int(c, "n_heads", file),
      intermediateSize: int(c, "hidden_dim", file),
      maxPositions: int(c, "max_position_embeddings", file),
      typeVocabSize: 0,
      layerNormEps: 1e-12,
      activation: activation(c.activation ?? "gelu", "activation", file),
    };
  }
  throw checkpointError(
    `unknown architecture ${JSON.stringify(arch ?? null)}: splade-edge converts ${ARCHITECTURES.join(" and ")}, and ${GTE_ARCHITECTURE} as a document encoder`,
    { file },
  );
}

/** The inverse of parseConfig: a Hugging Face config.json for the fixtures and the manifest. */
export function toHfConfig(config: EncoderConfig): Record<string, unknown> {
  if (config.architecture === "BertForMaskedLM") {
    return {
      architectures: ["BertForMaskedLM"],
      model_type: "bert",
      vocab_size: config.vocabSize,
      hidden_size: config.hiddenSize,
      num_hidden_layers: config.numLayers,
      num_attention_heads: config.numHeads,
      intermediate_size: config.intermediateSize,
      max_position_embeddings: config.maxPositions,
      type_vocab_size: config.typeVocabSize,
      layer_norm_eps: config.layerNormEps,
      hidden_act: config.activation,
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      initializer_range: 0.02,
      pad_token_id: 0,
      position_embedding_type: "absolute",
    };
  }
  return {
    architectures: ["DistilBertForMaskedLM"],
    model_type: "distilbert",
    vocab_size: config.vocabSize,
    dim: config.hiddenSize,
    n_layers: config.numLayers,
    n_heads: config.numHeads,
    hidden_dim: config.intermediateSize,
    max_position_embeddings: config.maxPositions,
    activation: config.activation,
    sinusoidal_pos_embds: false,
    dropout: 0.1,
    attention_dropout: 0.1,
    initializer_range: 0.02,
    pad_token_id: 0,
  };
}

/** Where each normalized weight lives in a Hugging Face checkpoint of this architecture. */
interface Naming {
  word: string;
  position: string;
  tokenType?: string;
  embeddingNorm: string;
  layer(i: number): Record<keyof EncoderLayer, string>;
  transform: string;
  headNorm: string;
  decoder: string;
  decoderBias: string[];
}

const BERT: Naming = {
  word: "bert.embeddings.word_embeddings.weight",
  position: "bert.embeddings.position_embeddings.weight",
  tokenType: "bert.embeddings.token_type_embeddings.weight",
  embeddingNorm: "bert.embeddings.LayerNorm",
  layer: (i) => {
    const p = `bert.encoder.layer.${i}`;
    return {
      query: `${p}.attention.self.query`,
      key: `${p}.attention.self.key`,
      value: `${p}.attention.self.value`,
      attentionOutput: `${p}.attention.output.dense`,
      attentionNorm: `${p}.attention.output.LayerNorm`,
      intermediate: `${p}.intermediate.dense`,
      output: `${p}.output.dense`,
      outputNorm: `${p}.output.LayerNorm`,
    };
  },
  transform: "cls.predictions.transform.dense",
  headNorm: "cls.predictions.transform.LayerNorm",
  decoder: "cls.predictions.decoder.weight",
  decoderBias: ["cls.predictions.bias", "cls.predictions.decoder.bias"],
};

const DISTILBERT: Naming = {
  word: "distilbert.embeddings.word_embeddings.weight",
  position: "distilbert.embeddings.position_embeddings.weight",
  embeddingNorm: "distilbert.embeddings.LayerNorm",
  layer: (i) => {
    const p = `distilbert.transformer.layer.${i}`;
    return {
      query: `${p}.attention.q_lin`,
      key: `${p}.attention.k_lin`,
      value: `${p}.attention.v_lin`,
      attentionOutput: `${p}.attention.out_lin`,
      attentionNorm: `${p}.sa_layer_norm`,
      intermediate: `${p}.ffn.lin1`,
      output: `${p}.ffn.lin2`,
      outputNorm: `${p}.output_layer_norm`,
    };
  },
  transform: "vocab_transform",
  headNorm: "vocab_layer_norm",
  decoder: "vocab_projector.weight",
  decoderBias: ["vocab_projector.bias"],
};

function naming(arch: Architecture): Naming {
  return arch === "BertForMaskedLM" ? BERT : DISTILBERT;
}

const NORM_PARAMS = { weight: "gamma", bias: "beta" } as const;

/**
 * Every tensor of a Hugging Face checkpoint of this config, with its shape, in save_pretrained order.
 * The tied decoder weight is left out, as save_pretrained leaves it out of safetensors.
 */
export function checkpointLayout(
  config: EncoderConfig,
): Array<{ name: string; shape: number[]; kind: "weight" | "bias" | "norm-weight" | "norm-bias" | "embedding" }> {
  const n = naming(config.architecture);
  const { hiddenSize: h, intermediateSize: f, vocabSize: v } = config;
  const out: ReturnType<typeof checkpointLayout> = [];
  const linear = (base: string, outDim: number, inDim: number) => {
    out.push({ name: `${base}.weight`, shape: [outDim, inDim], kind: "weight" });
    out.push({ name: `${base}.bias`, shape: [outDim], kind: "bias" });
  };
  const norm = (base: string) => {
    out.push({ name: `${base}.weight`, shape: [h], kind: "norm-weight" });
    out.push({ name: `${base}.bias`, shape: [h], kind: "norm-bias" });
  };
  out.push({ name: n.word, shape: [v, h], kind: "embedding" });
  out.push({ name: n.position, shape: [config.maxPositions, h], kind: "embedding" });
  if (n.tokenType) out.push({ name: n.tokenType, shape: [config.typeVocabSize, h], kind: "embedding" });
  norm(n.embeddingNorm);
  for (let i = 0; i < config.numLayers; i++) {
    const l = n.layer(i);
    linear(l.query, h, h);
    linear(l.key, h, h);
    linear(l.value, h, h);
    linear(l.attentionOutput, h, h);
    norm(l.attentionNorm);
    linear(l.intermediate, f, h);
    linear(l.output, h, f);
    norm(l.outputNorm);
  }
  linear(n.transform, h, h);
  norm(n.headNorm);
  out.push({ name: n.decoderBias[0], shape: [v], kind: "bias" });
  return out;
}

/**
 * Reads and validates every weight the config needs. Accepts the old `gamma`/`beta` LayerNorm names and a
 * decoder tied to the word embeddings; errors name the file and the tensor.
 */
export function loadEncoder(config: EncoderConfig, ckpt: Checkpoint): MlmEncoder {
  const n = naming(config.architecture);
  const { hiddenSize: h, intermediateSize: f, vocabSize: v } = config;
  if (h % config.numHeads !== 0) {
    throw checkpointError(`hidden size ${h} is not divisible by ${config.numHeads} heads`, { file: ckpt.file });
  }
  const tensor = (names: string | string[], shape: number[]): Tensor => {
    const candidates = typeof names === "string" ? [names] : names;
    const name = candidates.find((c) => ckpt.has(c));
    if (!name) {
      throw checkpointError(`missing (expected shape [${shape.join(", ")}] for ${config.architecture})`, {
        file: ckpt.file,
        tensor: candidates[0],
      });
    }
    const actual = ckpt.shape(name);
    if (!sameShape(actual, shape)) {
      throw checkpointError(`shape [${actual.join(", ")}] does not match the config, expected [${shape.join(", ")}]`, {
        file: ckpt.file,
        tensor: name,
      });
    }
    return ckpt.get(name);
  };
  const linear = (base: string, outDim: number, inDim: number): Linear => ({
    weight: tensor(`${base}.weight`, [outDim, inDim]),
    bias: tensor(`${base}.bias`, [outDim]),
  });
  const norm = (base: string): LayerNorm => ({
    weight: tensor([`${base}.weight`, `${base}.${NORM_PARAMS.weight}`], [h]),
    bias: tensor([`${base}.bias`, `${base}.${NORM_PARAMS.bias}`], [h]),
  });
  const wordEmbeddings = tensor(n.word, [v, h]);
  return {
    config,
    wordEmbeddings,
    positionEmbeddings: tensor(n.position, [config.maxPositions, h]),
    tokenTypeEmbeddings: n.tokenType ? tensor(n.tokenType, [config.typeVocabSize, h]) : undefined,
    embeddingNorm: norm(n.embeddingNorm),
    layers: Array.from({ length: config.numLayers }, (_, i) => {
      const l = n.layer(i);
      return {
        query: linear(l.query, h, h),
        key: linear(l.key, h, h),
        value: linear(l.value, h, h),
        attentionOutput: linear(l.attentionOutput, h, h),
        attentionNorm: norm(l.attentionNorm),
        intermediate: linear(l.intermediate, f, h),
        output: linear(l.output, h, f),
        outputNorm: norm(l.outputNorm),
      };
    }),
    head: {
      transform: linear(n.transform, h, h),
      norm: norm(n.headNorm),
      decoder: ckpt.has(n.decoder) ? tensor(n.decoder, [v, h]) : wordEmbeddings,
      decoderBias: tensor(n.decoderBias, [v]),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// GTE NewForMaskedLM (Alibaba-NLP/new-impl configuration.py / modeling.py, cross-checked with text-embeddings-inference
// @0d124dc backends/candle/src/models/gte.rs; docs/model-sources.md §3).

export const GTE_ARCHITECTURE = "NewForMaskedLM";
/** Every architecture the converter reads: the two the kernel also runs, and GTE (documents, through ONNX). */
export type ModelArchitecture = Architecture | typeof GTE_ARCHITECTURE;

/** NewConfig's hyper-parameters that the forward pass reads. */
export interface GteConfig extends Omit<EncoderConfig, "architecture"> {
  architecture: typeof GTE_ARCHITECTURE;
  /** Rotary base θ (NewConfig `rope_theta`, default 10000). */
  ropeTheta: number;
  /** NewConfig `rope_scaling` {type: "ntk", factor}; null when absent. */
  ropeScaling: { type: "ntk"; factor: number } | null;
}

export type ModelConfig = EncoderConfig | GteConfig;

export interface GteLayer {
  /** Packed [3·hidden, hidden]: q | k | v, each hidden rows. */
  qkv: Linear;
  attentionOutput: Linear;
  attentionNorm: LayerNorm;
  /** Packed [2·intermediate, hidden] with no bias: up | gate. */
  upGate: Tensor;
  down: Linear;
  mlpNorm: LayerNorm;
}

export interface GteEncoder {
  config: GteConfig;
  wordEmbeddings: Tensor;
  /** Present when type_vocab_size > 0; splade-edge feeds token type 0, as NewEmbeddings does when given none. */
  tokenTypeEmbeddings?: Tensor;
  embeddingNorm: LayerNorm;
  layers: GteLayer[];
  head: MlmEncoder["head"];
}

/** Any encoder the converter builds a graph for. */
export type Encoder = MlmEncoder | GteEncoder;

export function isGte(model: Encoder): model is GteEncoder {
  return model.config.architecture === GTE_ARCHITECTURE;
}

// NewConfig's defaults (configuration.py), for keys a config.json leaves out.
const GTE_DEFAULTS = { max_position_embeddings: 2048, type_vocab_size: 1, rope_theta: 10000, layer_norm_eps: 1e-12 };

/** Reads a NewConfig config.json, refusing the variants whose forward pass splade-edge does not implement. */
export function parseGteConfig(c: RawConfig, file: string): GteConfig {
  const refuse = (key: string, why: string) => checkpointError(`"${key}": ${why} — splade-edge converts GTE with ${GTE_SUPPORTED}`, { file });
  if ((c.position_embedding_type ?? "rope") !== "rope")
    throw refuse("position_embedding_type", `${JSON.stringify(c.position_embedding_type)} is not supported`);
  if ((c.layer_norm_type ?? "layer_norm") !== "layer_norm") throw refuse("layer_norm_type", `${JSON.stringify(c.layer_norm_type)} is not supported`);
  if ((c.pack_qkv ?? true) !== true) throw refuse("pack_qkv", "unpacked q/k/v projections are not supported");
  if (c.logn_attention_scale === true) throw refuse("logn_attention_scale", "the length-dependent query scale is not supported");
  const typeVocab = c.type_vocab_size ?? GTE_DEFAULTS.type_vocab_size;
  if (typeof typeVocab !== "number" || !Number.isInteger(typeVocab) || typeVocab < 0) {
    throw checkpointError(`"type_vocab_size" must be a non-negative integer, got ${JSON.stringify(c.type_vocab_size)}`, { file });
  }
  const theta = c.rope_theta ?? GTE_DEFAULTS.rope_theta;
  if (typeof theta !== "number" || !(theta > 0)) throw checkpointError(`"rope_theta" must be a positive number, got ${JSON.stringify(c.rope_theta)}`, { file });
  let ropeScaling: GteConfig["ropeScaling"] = null;
  if (c.rope_scaling !== undefined && c.rope_scaling !== null) {
    const s = c.rope_scaling as Record<string, unknown>;
    if (s.type !== "ntk") throw refuse("rope_scaling", `type ${JSON.stringify(s.type)} is not supported (ntk only)`);
    if (s.mixed_b !== undefined && s.mixed_b !== null) throw refuse("rope_scaling", "mixed_b is not supported");
    if (typeof s.factor !== "number" || !(s.factor > 0))
      throw checkpointError(`"rope_scaling": factor must be a positive number, got ${JSON.stringify(s.factor)}`, { file });
    ropeScaling = { type: "ntk", factor: s.factor };
  }
  const config: GteConfig = {
    architecture: GTE_ARCHITECTURE,
    vocabSize: int(c, "vocab_size", file),
    hiddenSize: int(c, "hidden_size", file),
    numLayers: int(c, "num_hidden_layers", file),
    numHeads: int(c, "num_attention_heads", file),
    intermediateSize: int(c, "intermediate_size", file),
    maxPositions: int(c, "max_position_embeddings", file, GTE_DEFAULTS.max_position_embeddings),
    typeVocabSize: typeVocab,
    layerNormEps: typeof c.layer_norm_eps === "number" ? c.layer_norm_eps : GTE_DEFAULTS.layer_norm_eps,
    activation: activation(c.hidden_act ?? "gelu", "hidden_act", file),
    ropeTheta: theta,
    ropeScaling,
  };
  if ((config.hiddenSize / config.numHeads) % 2 !== 0) {
    throw checkpointError(`head size ${config.hiddenSize / config.numHeads} is odd: rotary positions rotate pairs`, { file });
  }
  return config;
}

const GTE_SUPPORTED = "rope positions (ntk scaling or none), layer_norm, packed qkv";

/** parseConfig for every architecture the converter reads, GTE included. */
export function parseModelConfig(raw: unknown, file: string): ModelConfig {
  const c = raw as RawConfig;
  const declared = typeof raw === "object" && raw !== null && Array.isArray(c.architectures) ? c.architectures[0] : undefined;
  if (declared === GTE_ARCHITECTURE || (declared === undefined && c?.model_type === "new")) return parseGteConfig(c, file);
  return parseConfig(raw, file);
}

/** The Hub's `auto_map` of GTE checkpoints: the remote code that transformers would run. */
export const GTE_AUTO_MAP = {
  AutoConfig: "Alibaba-NLP/new-impl--configuration.NewConfig",
  AutoModel: "Alibaba-NLP/new-impl--modeling.NewModel",
  AutoModelForMaskedLM: "Alibaba-NLP/new-impl--modeling.NewForMaskedLM",
};

/** A NewConfig config.json for a GteConfig (fixtures), with the keys gte-base-en-v1.5's config.json carries. */
export function toGteHfConfig(config: GteConfig): Record<string, unknown> {
  return {
    architectures: [GTE_ARCHITECTURE],
    auto_map: GTE_AUTO_MAP,
    model_type: "new",
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    intermediate_size: config.intermediateSize,
    hidden_act: config.activation,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.0,
    max_position_embeddings: config.maxPositions,
    type_vocab_size: config.typeVocabSize,
    initializer_range: 0.02,
    layer_norm_type: "layer_norm",
    layer_norm_eps: config.layerNormEps,
    position_embedding_type: "rope",
    rope_theta: config.ropeTheta,
    rope_scaling: config.ropeScaling,
    classifier_dropout: null,
    pack_qkv: true,
    unpad_inputs: false,
    use_memory_efficient_attention: false,
    logn_attention_scale: false,
    logn_attention_clip1: false,
  };
}

/** The encoder's weights under `new.` (base_model_prefix), the MLM head under `lm_head.`. */
const GTE_BASE = "new.";

/** Every tensor of a NewForMaskedLM checkpoint, `new.`-prefixed, the tied lm_head.decoder.weight left out. */
export function gteCheckpointLayout(config: GteConfig): ReturnType<typeof checkpointLayout> {
  const { hiddenSize: h, intermediateSize: f, vocabSize: v } = config;
  const out: ReturnType<typeof checkpointLayout> = [];
  const weight = (name: string, shape: number[]) => out.push({ name, shape, kind: "weight" });
  const bias = (name: string, size: number) => out.push({ name, shape: [size], kind: "bias" });
  const linear = (base: string, outDim: number, inDim: number) => {
    weight(`${base}.weight`, [outDim, inDim]);
    bias(`${base}.bias`, outDim);
  };
  const norm = (base: string) => {
    out.push({ name: `${base}.weight`, shape: [h], kind: "norm-weight" });
    out.push({ name: `${base}.bias`, shape: [h], kind: "norm-bias" });
  };
  out.push({ name: `${GTE_BASE}embeddings.word_embeddings.weight`, shape: [v, h], kind: "embedding" });
  if (config.typeVocabSize > 0) {
    out.push({ name: `${GTE_BASE}embeddings.token_type_embeddings.weight`, shape: [config.typeVocabSize, h], kind: "embedding" });
  }
  norm(`${GTE_BASE}embeddings.LayerNorm`);
  for (let i = 0; i < config.numLayers; i++) {
    const p = `${GTE_BASE}encoder.layer.${i}`;
    linear(`${p}.attention.qkv_proj`, 3 * h, h);
    linear(`${p}.attention.o_proj`, h, h);
    weight(`${p}.mlp.up_gate_proj.weight`, [2 * f, h]);
    linear(`${p}.mlp.down_proj`, h, f);
    norm(`${p}.attn_ln`);
    norm(`${p}.mlp_ln`);
  }
  linear("lm_head.dense", h, h);
  norm("lm_head.norm");
  bias("lm_head.decoder.bias", v);
  return out;
}

/** Every tensor name of either kind of config, for the random-weights generator. */
export function modelCheckpointLayout(config: ModelConfig): ReturnType<typeof checkpointLayout> {
  return config.architecture === GTE_ARCHITECTURE ? gteCheckpointLayout(config) : checkpointLayout(config);
}

/**
 * Reads a NewForMaskedLM checkpoint: names with the `new.` prefix (save_pretrained of NewForMaskedLM) or without
 * (a saved NewModel, as TEI also accepts); lm_head.decoder.weight tied to the word embeddings when absent.
 */
export function loadGte(config: GteConfig, ckpt: Checkpoint): GteEncoder {
  const { hiddenSize: h, intermediateSize: f, vocabSize: v } = config;
  if (h % config.numHeads !== 0) {
    throw checkpointError(`hidden size ${h} is not divisible by ${config.numHeads} heads`, { file: ckpt.file });
  }
  const base = ckpt.has(`${GTE_BASE}embeddings.word_embeddings.weight`) ? GTE_BASE : "";
  const tensor = (name: string, shape: number[]): Tensor => {
    if (!ckpt.has(name)) {
      throw checkpointError(`missing (expected shape [${shape.join(", ")}] for ${GTE_ARCHITECTURE})`, { file: ckpt.file, tensor: name });
    }
    const actual = ckpt.shape(name);
    if (!sameShape(actual, shape)) {
      throw checkpointError(`shape [${actual.join(", ")}] does not match the config, expected [${shape.join(", ")}]`, { file: ckpt.file, tensor: name });
    }
    return ckpt.get(name);
  };
  const linear = (name: string, outDim: number, inDim: number): Linear => ({
    weight: tensor(`${name}.weight`, [outDim, inDim]),
    bias: tensor(`${name}.bias`, [outDim]),
  });
  const norm = (name: string): LayerNorm => ({ weight: tensor(`${name}.weight`, [h]), bias: tensor(`${name}.bias`, [h]) });
  const wordEmbeddings = tensor(`${base}embeddings.word_embeddings.weight`, [v, h]);
  return {
    config,
    wordEmbeddings,
    tokenTypeEmbeddings: config.typeVocabSize > 0 ? tensor(`${base}embeddings.token_type_embeddings.weight`, [config.typeVocabSize, h]) : undefined,
    embeddingNorm: norm(`${base}embeddings.LayerNorm`),
    layers: Array.from({ length: config.numLayers }, (_, i) => {
      const p = `${base}encoder.layer.${i}`;
      return {
        qkv: linear(`${p}.attention.qkv_proj`, 3 * h, h),
        attentionOutput: linear(`${p}.attention.o_proj`, h, h),
        attentionNorm: norm(`${p}.attn_ln`),
        upGate: tensor(`${p}.mlp.up_gate_proj.weight`, [2 * f, h]),
        down: linear(`${p}.mlp.down_proj`, h, f),
        mlpNorm: norm(`${p}.mlp_ln`),
      };
    }),
    head: {
      transform: linear("lm_head.dense", h, h),
      norm: norm("lm_head.norm"),
      decoder: ckpt.has("lm_head.decoder.weight") ? tensor("lm_head.decoder.weight", [v, h]) : wordEmbeddings,
      decoderBias: tensor("lm_head.decoder.bias", [v]),
    },
  };
}

/** loadEncoder for every architecture the converter reads. */
export function loadModel(config: ModelConfig, ckpt: Checkpoint): Encoder {
  return config.architecture === GTE_ARCHITECTURE ? loadGte(config, ckpt) : loadEncoder(config, ckpt);
}
