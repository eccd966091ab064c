// The two masked-LM architectures splade-edge converts, seen through one normalized shape.
// BertForMaskedLM and DistilBertForMaskedLM are the same post-LayerNorm transformer with different
// weight names (docs/facts.md, "The two models"); everything downstream (ONNX builder, reference forward) reads MlmEncoder.
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
  throw checkpointError(`unknown architecture ${JSON.stringify(arch ?? null)}: splade-edge converts ${ARCHITECTURES.join(" and ")}`, { file });
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
