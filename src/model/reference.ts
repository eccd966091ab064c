// The reference forward pass: BertForMaskedLM and DistilBertForMaskedLM as Hugging Face transformers computes
// them in eval mode, and GTE's NewForMaskedLM as Alibaba-NLP/new-impl's modeling.py does (docs/model-sources.md §3),
// written as plain loops accumulating in float64. Every ONNX test compares against this, so it shares nothing with
// the graph builder: no ONNX, no libraries, and SPLADE in its literal log-first form, w_j = max_t act(logit_tj)
// (docs/facts.md; sentence-transformers' SpladePooling), rather than the max-first rewrite the graph uses.
import { erfc } from "../math/erf.ts";
import {
  isGte,
  RELU_POOLING,
  type Activation,
  type Encoder,
  type SpladePooling,
  type EncoderLayer,
  type GteConfig,
  type GteEncoder,
  type LayerNorm,
  type Linear,
  type MlmEncoder,
} from "./architectures.ts";
import type { Tensor } from "./tensor.ts";

export { erf, erfc } from "../math/erf.ts";

type Rows = Float64Array[];

// Hugging Face adds torch.finfo(float32).min to the scores of masked keys instead of -inf.
const FLOAT32_LOWEST = -3.4028234663852886e38;

/** The activations Hugging Face names `gelu` (exact erf form), `gelu_new` (tanh form) and `relu`. */
export const ACTIVATIONS: Readonly<Record<Activation, (x: number) => number>> = {
  // 0.5·x·(1 + erf(x/√2)), written with erfc(−x/√2) = 1 + erf(x/√2) so large negative x keep their precision.
  gelu: (x) => 0.5 * x * erfc(-x * Math.SQRT1_2),
  // 0.5·x·(1 + tanh(z)) with z = √(2/π)·(x + 0.044715·x³), written as x / (1 + e^(−2z)) for the same reason.
  gelu_new: (x) => x / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  relu: (x) => Math.max(0, x),
};

function validate(model: Encoder, inputIds: readonly number[], attentionMask?: readonly number[]): readonly number[] {
  const { vocabSize, maxPositions } = model.config;
  if (inputIds.length === 0) throw new RangeError("inputIds is empty: a sequence needs at least one token");
  if (inputIds.length > maxPositions) {
    throw new RangeError(`inputIds has ${inputIds.length} tokens, more than the model's ${maxPositions} positions: truncate it`);
  }
  inputIds.forEach((id, t) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new RangeError(`inputIds[${t}] = ${id} is not a token id of this model's vocabulary [0, ${vocabSize})`);
    }
  });
  const mask = attentionMask ?? inputIds.map(() => 1);
  if (mask.length !== inputIds.length) {
    throw new RangeError(`attentionMask has ${mask.length} entries but inputIds has ${inputIds.length}: give one per token`);
  }
  mask.forEach((m, t) => {
    if (m !== 0 && m !== 1) throw new RangeError(`attentionMask[${t}] = ${m}: the mask holds only 0 and 1`);
  });
  if (!mask.includes(1)) throw new RangeError("attentionMask has no 1: there is no token to encode");
  return mask;
}

/**
 * column[t] = Σ_i matrix[row, i] · states[t][i] for a row-major matrix whose rows are as long as the states.
 * Four positions share each weight read: four independent sums keep the FPU busy (about 2× faster than one
 * dependent chain) while each sum still runs over i in order, exactly as the one-position loop would.
 */
function dotColumn(matrix: Float32Array, row: number, states: Rows, column: Float64Array): void {
  const size = states[0].length;
  const base = row * size;
  let t = 0;
  for (; t + 4 <= states.length; t += 4) {
    const s0 = states[t];
    const s1 = states[t + 1];
    const s2 = states[t + 2];
    const s3 = states[t + 3];
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let i = 0; i < size; i++) {
      const w = matrix[base + i];
      a0 += w * s0[i];
      a1 += w * s1[i];
      a2 += w * s2[i];
      a3 += w * s3[i];
    }
    column[t] = a0;
    column[t + 1] = a1;
    column[t + 2] = a2;
    column[t + 3] = a3;
  }
  for (; t < states.length; t++) {
    const state = states[t];
    let acc = 0;
    for (let i = 0; i < size; i++) acc += matrix[base + i] * state[i];
    column[t] = acc;
  }
}

/** x · Wᵀ + b for a weight stored [out, in], as torch.nn.Linear computes it. */
function linear(rows: Rows, { weight, bias }: Linear): Rows {
  const outSize = weight.shape[0];
  const y = rows.map(() => new Float64Array(outSize));
  const column = new Float64Array(rows.length);
  for (let o = 0; o < outSize; o++) {
    dotColumn(weight.data, o, rows, column);
    for (let t = 0; t < rows.length; t++) y[t][o] = column[t] + bias.data[o];
  }
  return y;
}

function layerNorm(rows: Rows, { weight, bias }: LayerNorm, eps: number): Rows {
  return rows.map((x) => {
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    const scale = 1 / Math.sqrt(variance + eps);
    return x.map((v, i) => (v - mean) * scale * weight.data[i] + bias.data[i]);
  });
}

function add(a: Rows, b: Rows): Rows {
  return a.map((x, t) => x.map((v, i) => v + b[t][i]));
}

function activate(rows: Rows, activation: Activation): Rows {
  const f = ACTIVATIONS[activation];
  return rows.map((x) => x.map(f));
}

function embed(model: MlmEncoder, inputIds: readonly number[]): Rows {
  const h = model.config.hiddenSize;
  const word = model.wordEmbeddings.data;
  const position = model.positionEmbeddings.data;
  let tokenType: Float32Array | undefined;
  if (model.config.architecture === "BertForMaskedLM") {
    if (!model.tokenTypeEmbeddings) throw new Error("a BertForMaskedLM encoder needs tokenTypeEmbeddings: load it with loadEncoder");
    tokenType = model.tokenTypeEmbeddings.data;
  }
  const rows = inputIds.map((id, t) => {
    const x = new Float64Array(h);
    // BertEmbeddings: word + token type 0, then + position; DistilBERT has no token types.
    for (let i = 0; i < h; i++) x[i] = word[id * h + i] + (tokenType ? tokenType[i] : 0) + position[t * h + i];
    return x;
  });
  return layerNorm(rows, model.embeddingNorm, model.config.layerNormEps);
}

/** softmax(q·kᵀ/√d + mask bias)·v per head, q, k, v [T, hidden] with the heads side by side. */
function attend(q: Rows, k: Rows, v: Rows, numHeads: number, mask: readonly number[]): Rows {
  const h = q[0].length;
  const headSize = h / numHeads;
  const context = q.map(() => new Float64Array(h));
  const scores = new Float64Array(q.length);
  for (let head = 0; head < numHeads; head++) {
    const offset = head * headSize;
    for (let t = 0; t < q.length; t++) {
      for (let s = 0; s < q.length; s++) {
        let dot = 0;
        for (let j = 0; j < headSize; j++) dot += q[t][offset + j] * k[s][offset + j];
        scores[s] = dot / Math.sqrt(headSize) + (mask[s] === 1 ? 0 : FLOAT32_LOWEST);
      }
      const max = Math.max(...scores);
      let sum = 0;
      for (let s = 0; s < q.length; s++) {
        scores[s] = Math.exp(scores[s] - max);
        sum += scores[s];
      }
      for (let s = 0; s < q.length; s++) {
        const p = scores[s] / sum;
        for (let j = 0; j < headSize; j++) context[t][offset + j] += p * v[s][offset + j];
      }
    }
  }
  return context;
}

function selfAttention(model: MlmEncoder, layer: EncoderLayer, x: Rows, mask: readonly number[]): Rows {
  const context = attend(linear(x, layer.query), linear(x, layer.key), linear(x, layer.value), model.config.numHeads, mask);
  return linear(context, layer.attentionOutput);
}

function encode(model: MlmEncoder, inputIds: readonly number[], mask: readonly number[]): Rows {
  const { layerNormEps: eps, activation } = model.config;
  let x = embed(model, inputIds);
  for (const layer of model.layers) {
    const attended = layerNorm(add(x, selfAttention(model, layer, x, mask)), layer.attentionNorm, eps);
    const ffn = linear(activate(linear(attended, layer.intermediate), activation), layer.output);
    x = layerNorm(add(attended, ffn), layer.outputNorm, eps);
  }
  return x;
}

/** The MLM head up to the decoder: transform → activation → LayerNorm. */
function headStates(model: Encoder, hidden: Rows): Rows {
  const { head, config } = model;
  return layerNorm(activate(linear(hidden, head.transform), config.activation), head.norm, config.layerNormEps);
}

/**
 * Calls `visit(v, column)` for every vocabulary term v, column[t] being the logit of v at states[t]. Decoder rows
 * outer, positions inner: each of the 30522 rows is read once while the few states stay in cache.
 */
function forEachVocabColumn(model: Encoder, states: Rows, visit: (v: number, column: Float64Array) => void): void {
  const bias = model.head.decoderBias.data;
  const column = new Float64Array(states.length);
  for (let v = 0; v < model.config.vocabSize; v++) {
    dotColumn(model.head.decoder.data, v, states, column);
    for (let t = 0; t < states.length; t++) column[t] += bias[v];
    visit(v, column);
  }
}

/** Hidden states after the last layer for one sequence: [T, hidden] as Float64Array rows. */
export function referenceHidden(model: Encoder, inputIds: readonly number[], attentionMask?: readonly number[]): Float64Array[] {
  return encodeAny(model, inputIds, validate(model, inputIds, attentionMask));
}

function encodeAny(model: Encoder, inputIds: readonly number[], mask: readonly number[]): Rows {
  return isGte(model) ? encodeGte(model, inputIds, mask) : encode(model, inputIds, mask);
}

/** MLM logits [T, vocab]. */
export function referenceLogits(model: Encoder, inputIds: readonly number[], attentionMask?: readonly number[]): Float64Array[] {
  const states = headStates(model, referenceHidden(model, inputIds, attentionMask));
  const logits = states.map(() => new Float64Array(model.config.vocabSize));
  forEachVocabColumn(model, states, (v, column) => column.forEach((logit, t) => (logits[t][v] = logit)));
  return logits;
}

/** SPLADE weights [vocab] for one sequence (mask defaults to all ones; pooling to log(1 + relu), nothing dropped). */
export function referenceSplade(
  model: Encoder,
  inputIds: readonly number[],
  attentionMask?: readonly number[],
  pooling: SpladePooling = RELU_POOLING,
): Float64Array {
  const mask = validate(model, inputIds, attentionMask);
  const hidden = encodeAny(model, inputIds, mask);
  // Masked positions never reach the decoder: they take no part in the max.
  const states = headStates(
    model,
    hidden.filter((_, t) => mask[t] === 1),
  );
  const weights = new Float64Array(model.config.vocabSize);
  forEachVocabColumn(model, states, (v, column) => {
    let w = -Infinity;
    for (const logit of column) {
      const once = Math.log1p(Math.max(0, logit));
      w = Math.max(w, pooling.activation === "log1p_relu" ? Math.log1p(once) : once);
    }
    weights[v] = w;
  });
  for (const id of pooling.dropIds) weights[id] = 0;
  return weights;
}

// ---------------------------------------------------------------------------------------------------------------------
// GTE NewForMaskedLM, from docs/model-sources.md §3 (new-impl modeling.py; TEI gte.rs and rotary.rs).

/** x·Wᵀ without bias (NewGatedMLP's up_gate_proj has none). */
function linearNoBias(rows: Rows, weight: Tensor): Rows {
  return linear(rows, { weight, bias: { shape: [weight.shape[0]], data: new Float32Array(weight.shape[0]) } });
}

/**
 * NewRotaryEmbedding's inverse frequencies: 1/θ^(2j/d); with NTK scaling (factor f) the cache is built for
 * max_position·f, which takes the scaled branch for every position: 1/(θf)^(2j/d) / f^(2/d).
 */
export function gteInverseFrequencies(config: GteConfig): Float64Array {
  const { hiddenSize, numHeads, ropeTheta, ropeScaling } = config;
  const d = hiddenSize / numHeads;
  const f = ropeScaling?.factor ?? 1;
  const base = ropeScaling ? ropeTheta * f : ropeTheta;
  const out = new Float64Array(d / 2);
  for (let j = 0; j < d / 2; j++) out[j] = 1 / base ** ((2 * j) / d) / (ropeScaling ? f ** (2 / d) : 1);
  return out;
}

/**
 * apply_rotary_pos_emb with rotate_half (the NeoX layout): for each head, x'[j] = x[j]·cos(t·ω_j) − x[j+d/2]·sin(t·ω_j)
 * and x'[j+d/2] = x[j+d/2]·cos(t·ω_j) + x[j]·sin(t·ω_j), j < d/2, t the position (0-based).
 */
function rotate(rows: Rows, model: GteEncoder, inverse: Float64Array): Rows {
  const { hiddenSize, numHeads } = model.config;
  const d = hiddenSize / numHeads;
  const half = d / 2;
  return rows.map((x, t) => {
    const y = Float64Array.from(x);
    for (let head = 0; head < numHeads; head++) {
      const o = head * d;
      for (let j = 0; j < half; j++) {
        const angle = t * inverse[j];
        const a = x[o + j];
        const b = x[o + j + half];
        y[o + j] = a * Math.cos(angle) - b * Math.sin(angle);
        y[o + j + half] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
    return y;
  });
}

function encodeGte(model: GteEncoder, inputIds: readonly number[], mask: readonly number[]): Rows {
  const { hiddenSize: h, numHeads, intermediateSize: inter, layerNormEps: eps, activation } = model.config;
  const word = model.wordEmbeddings.data;
  const tokenType = model.tokenTypeEmbeddings?.data;
  // NewEmbeddings: word (+ token type 0 when the model has token types), LayerNorm; rope adds no position vector.
  let x = layerNorm(
    inputIds.map((id) => {
      const e = new Float64Array(h);
      for (let i = 0; i < h; i++) e[i] = word[id * h + i] + (tokenType ? tokenType[i] : 0);
      return e;
    }),
    model.embeddingNorm,
    eps,
  );
  const inverse = gteInverseFrequencies(model.config);
  const act = ACTIVATIONS[activation];
  for (const layer of model.layers) {
    const qkv = linear(x, layer.qkv);
    const q = rotate(
      qkv.map((r) => r.subarray(0, h)),
      model,
      inverse,
    );
    const k = rotate(
      qkv.map((r) => r.subarray(h, 2 * h)),
      model,
      inverse,
    );
    const context = attend(
      q,
      k,
      qkv.map((r) => r.subarray(2 * h, 3 * h)),
      numHeads,
      mask,
    );
    // NewLayer is post-norm: attn_ln(x + attention(x)), then mlp_ln(x + mlp(x)).
    x = layerNorm(add(x, linear(context, layer.attentionOutput)), layer.attentionNorm, eps);
    // NewGatedMLP: up_gate = up_gate_proj(x); up is the first `intermediate` columns, gate the rest; down(act(gate)·up).
    const gated = linearNoBias(x, layer.upGate).map((u) => {
      const g = new Float64Array(inter);
      for (let i = 0; i < inter; i++) g[i] = act(u[inter + i]) * u[i];
      return g;
    });
    x = layerNorm(add(x, linear(gated, layer.down)), layer.mlpNorm, eps);
  }
  return x;
}
