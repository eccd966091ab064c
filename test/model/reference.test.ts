import { describe, expect, it } from "vitest";
import { loadEncoder, parseConfig, toHfConfig, type Activation, type Architecture, type Linear, type MlmEncoder } from "../../src/model/architectures.ts";
import { QUERY_CONFIG as QUERY_ENCODER } from "../../src/model/fixture.ts";
import { randomWeights } from "../../src/model/random.ts";
import { ACTIVATIONS, erf, erfc, referenceHidden, referenceLogits, referenceSplade } from "../../src/model/reference.ts";
import { memoryCheckpoint, type Tensor } from "../../src/model/tensor.ts";

// Expected values below come from mpmath at 120 digits (1 + tanh cancels: 40 digits were not enough at x = −10).
describe("erf, erfc and the activations", () => {
  it.each([
    [0, 0],
    [0.1, 0.11246291601828489],
    [-0.25, -0.27632639016823693],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [1.4999, 0.96609325166229527],
    [1.5, 0.96610514647531073],
    [2, 0.9953222650189527],
    [-3, -0.9999779095030014],
    [4, 0.9999999845827421],
    [6, 1],
  ])("erf(%d)", (x, expected) => {
    expect(Math.abs(erf(x) - expected)).toBeLessThan(1e-13);
  });

  it.each([
    [0.5, 0.47950012218695346],
    [-1, 1.8427007929497149],
    [1.5, 0.033894853524689273],
    [3, 2.2090496998585441e-5],
    [5, 1.5374597944280349e-12],
    [10, 2.0884875837625448e-45],
  ])("erfc(%d) to 1e-13 relative", (x, expected) => {
    expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1e-13);
  });

  it.each([
    [0.5, 0.34573123063700655, 0.34571400982514392],
    [1, 0.84134474606854295, 0.8411919906082767],
    [1.5, 1.3997891980967129, 1.3995715769802329],
    [-1, -0.15865525393145705, -0.1588080093917233],
    [-3, -0.0040496940948902836, -0.0036373920817730188],
    [-10, -7.6198530241605261e-23, -1.204092348209806e-37],
  ])("gelu(%d) (erf form) and gelu_new (tanh form), to 1e-13 relative", (x, gelu, geluNew) => {
    expect(Math.abs(ACTIVATIONS.gelu(x) - gelu) / Math.abs(gelu)).toBeLessThan(1e-13);
    expect(Math.abs(ACTIVATIONS.gelu_new(x) - geluNew) / Math.abs(geluNew)).toBeLessThan(1e-13);
  });

  it("relu", () => {
    expect([-2, 0, 3].map(ACTIVATIONS.relu)).toEqual([0, 0, 3]);
  });
});

// A hand-made encoder with hidden size 4 (vocab 5, at most 1 layer). Every weight is exact in float32.
const H = 4;
// Rows with mean 0 and variance 1: LayerNorm (γ = 1, β = 0) leaves them as they are, up to eps.
const A = [1, 1, -1, -1];
const B = [1, -1, 1, -1];
const C = [1, -1, -1, 1];
const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

const tensor = (shape: number[], values?: number[]): Tensor => ({
  shape,
  data: values ? Float32Array.from(values) : new Float32Array(shape.reduce((a, b) => a * b, 1)),
});
const dense = (weight?: number[], bias?: number[]): Linear => ({ weight: tensor([H, H], weight), bias: tensor([H], bias) });
const unitNorm = () => ({ weight: tensor([H], [1, 1, 1, 1]), bias: tensor([H]) });

interface MicroOptions {
  architecture?: Architecture;
  activation?: Activation;
  numHeads?: number;
  /** Omit for a model without layers (embeddings straight into the head). */
  layer?: { query?: Linear; key?: Linear; value?: Linear; attentionOutput?: Linear; intermediate?: Linear; output?: Linear };
  word?: number[][];
  position?: number[][];
  tokenType?: number[][];
  embeddingNorm?: { weight: number[]; bias: number[] };
  transformBias?: number[];
  decoder?: number[][];
  decoderBias?: number[];
}

function micro(o: MicroOptions): MlmEncoder {
  const word = o.word ?? [A, B, C, A.map((x) => -x), B.map((x) => -x)];
  const position = o.position ?? [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ];
  const decoder = o.decoder ?? word;
  const l = o.layer;
  return {
    config: {
      architecture: o.architecture ?? "BertForMaskedLM",
      vocabSize: word.length,
      hiddenSize: H,
      numLayers: l ? 1 : 0,
      numHeads: o.numHeads ?? 1,
      intermediateSize: H,
      maxPositions: position.length,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      activation: o.activation ?? "relu",
    },
    wordEmbeddings: tensor([word.length, H], word.flat()),
    positionEmbeddings: tensor([position.length, H], position.flat()),
    tokenTypeEmbeddings: tensor(
      [2, H],
      (
        o.tokenType ?? [
          [0, 0, 0, 0],
          [0, 0, 0, 0],
        ]
      ).flat(),
    ),
    embeddingNorm: o.embeddingNorm ? { weight: tensor([H], o.embeddingNorm.weight), bias: tensor([H], o.embeddingNorm.bias) } : unitNorm(),
    layers: l
      ? [
          {
            query: l.query ?? dense(),
            key: l.key ?? dense(),
            value: l.value ?? dense(),
            attentionOutput: l.attentionOutput ?? dense(),
            attentionNorm: unitNorm(),
            intermediate: l.intermediate ?? dense(),
            output: l.output ?? dense(),
            outputNorm: unitNorm(),
          },
        ]
      : [],
    head: {
      transform: dense(IDENTITY, o.transformBias),
      norm: unitNorm(),
      decoder: tensor([decoder.length, H], decoder.flat()),
      decoderBias: tensor([decoder.length], o.decoderBias),
    },
  };
}

function expectRows(actual: Float64Array[], expected: number[][], tolerance: number) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, t) => {
    expect(row.length).toBe(expected[t].length);
    row.forEach((v, i) => expect(Math.abs(v - expected[t][i]), `row ${t}, column ${i}: ${v} vs ${expected[t][i]}`).toBeLessThan(tolerance));
  });
}

/** LayerNorm with γ = 1, β = 0 and no eps, for expected values. */
function normalized(x: number[]): number[] {
  const mean = x.reduce((a, b) => a + b) / x.length;
  const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
  return x.map((v) => (v - mean) / sd);
}

describe("reference forward on a hand-made encoder", () => {
  const embeddings: MicroOptions = {
    word: [[1, 2, 3, 4]],
    position: [
      [0, 0, 0, 0],
      [0.5, 0, 0, -0.5],
    ],
    tokenType: [
      [0, 0, 0, 4],
      [100, 0, 0, 0],
    ],
    embeddingNorm: { weight: [1, 1, 1, 2], bias: [0, 0, 0, 0.5] },
  };

  it("BERT embeddings are LayerNorm(word + position + token type 0)", () => {
    // t=0: [1, 2, 3, 8], mean 3.5, variance 7.25; t=1: [1.5, 2, 3, 7.5], mean 3.5, variance 5.625; eps 1e-12.
    const a = Math.sqrt(7.25 + 1e-12);
    const b = Math.sqrt(5.625 + 1e-12);
    expectRows(
      referenceHidden(micro(embeddings), [0, 0]),
      [
        [-2.5 / a, -1.5 / a, -0.5 / a, 9 / a + 0.5],
        [-2 / b, -1.5 / b, -0.5 / b, 8 / b + 0.5],
      ],
      1e-12,
    );
  });

  it("DistilBERT embeddings ignore token types", () => {
    // [1, 2, 3, 4]: mean 2.5, variance 1.25.
    const a = Math.sqrt(1.25 + 1e-12);
    expectRows(referenceHidden(micro({ ...embeddings, architecture: "DistilBertForMaskedLM" }), [0]), [[-1.5 / a, -0.5 / a, 0.5 / a, 3 / a + 0.5]], 1e-12);
  });

  // Zero query and key weights give every key the same score, so attention is the mean of the value rows;
  // a zero feed-forward leaves LayerNorm(x + mean of the unmasked x).
  const averaging = micro({ layer: { value: dense(IDENTITY), attentionOutput: dense(IDENTITY) } });

  it("attention with equal scores averages the value rows of the unmasked keys only", () => {
    // Mean of A and B is [1, 0, 0, -1]; C (masked) is left out of it but still attends as a query.
    expectRows(
      referenceHidden(averaging, [0, 1, 2], [1, 1, 0]),
      [[2, 1, -1, -2].map((x) => x / Math.sqrt(2.5)), [2, -1, 1, -2].map((x) => x / Math.sqrt(2.5)), [2, -1, -1, 0].map((x) => x / Math.sqrt(1.5))],
      1e-9,
    );
  });

  it("without a mask every key counts", () => {
    // Mean of A, B, C is [1, -1/3, -1/3, -1/3]; A plus it has variance 2.
    expectRows(referenceHidden(averaging, [0, 1, 2]).slice(0, 1), [[2, 2 / 3, -4 / 3, -4 / 3].map((x) => x / Math.sqrt(2))], 1e-9);
  });

  it("scores are q·k / √head_dim per head, softmax over unmasked keys", () => {
    // Two heads of size 2. Every query is the bias [0, 1 | 0, 2] and k = x.
    // Head 0: scores k[1]/√2 = ±1/√2 for A and B, so p(A) = σ(√2).
    // Head 1: scores 2·k[3]/√2 = −√2 for both A and B: uniform; C would score +√2 but is masked.
    const model = micro({
      numHeads: 2,
      layer: { query: dense(undefined, [0, 1, 0, 2]), key: dense(IDENTITY), value: dense(IDENTITY), attentionOutput: dense(IDENTITY) },
    });
    const pA = 1 / (1 + Math.exp(-Math.SQRT2));
    const context = [1, pA - (1 - pA), 0, -1];
    const expected = [A, B, C].map((x) => normalized(x.map((v, i) => v + context[i])));
    expectRows(referenceHidden(model, [0, 1, 2], [1, 1, 0]), expected, 1e-9);
    expect(pA).toBeCloseTo(0.80442968250695691, 15);
  });

  // Zero attention leaves LayerNorm(x) = x; then x + act(x + [0.5, 0, 0, 0]) → LayerNorm. For A = [1, 1, −1, −1]:
  it.each<[Activation, number, number, number]>([
    ["relu", 1.5, 1, 0],
    ["gelu", 1.3997891980967129, 0.84134474606854295, -0.15865525393145705],
    ["gelu_new", 1.3995715769802329, 0.8411919906082767, -0.1588080093917233],
  ])("feed-forward: intermediate → %s → output → residual → LayerNorm", (activation, at15, at1, atMinus1) => {
    const model = micro({ activation, layer: { intermediate: dense(IDENTITY, [0.5, 0, 0, 0]), output: dense(IDENTITY) } });
    expectRows(referenceHidden(model, [0]), [normalized([1 + at15, 1 + at1, -1 + atMinus1, -1 + atMinus1])], 1e-9);
  });

  // No layers; the head's transform is the identity and relu then LayerNorm maps A, B, C back onto themselves
  // (relu(A) = [1, 1, 0, 0] normalizes to A). So logit[t, v] = x_t · decoder[v] + bias[v].
  const head = micro({
    position: Array.from({ length: 9 }, () => [0, 0, 0, 0]),
    decoder: [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 1],
      [0.5, 0.5, 0, 0],
      [0, -1, 0, 0],
    ],
    decoderBias: [0, 0.5, 0, -2, 0],
  });

  it("MLM head: transform → activation → LayerNorm → decoder + bias", () => {
    expectRows(
      referenceLogits(head, [0, 1, 2]),
      [
        [1, 1.5, -1, -1, -1],
        [1, -0.5, -1, -2, 1],
        [1, -0.5, 1, -2, 1],
      ],
      1e-9,
    );
  });

  it("without layers each position's logits depend on its token alone, past the first blocks of four", () => {
    const rows = [
      [1, 1.5, -1, -1, -1],
      [1, -0.5, -1, -2, 1],
      [1, -0.5, 1, -2, 1],
    ];
    expectRows(referenceLogits(head, [0, 1, 2, 0, 1, 2, 0, 1, 2]), [...rows, ...rows, ...rows], 1e-9);
  });

  // With the transform's bias, A becomes [1.5, 1, −1, −1]: three distinct values, so the activation shows.
  it.each<[Activation, number[]]>([
    ["relu", [1.5, 1, 0, 0]],
    ["gelu", [1.3997891980967129, 0.84134474606854295, -0.15865525393145705, -0.15865525393145705]],
    ["gelu_new", [1.3995715769802329, 0.8411919906082767, -0.1588080093917233, -0.1588080093917233]],
  ])("MLM head applies %s before its LayerNorm", (activation, activated) => {
    const model = micro({
      activation,
      transformBias: [0.5, 0, 0, 0],
      decoder: [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
        [0, 0, 0, 0],
      ],
    });
    expectRows(referenceLogits(model, [0]), [[...normalized(activated), 0]], 1e-9);
  });

  it("SPLADE is the max over unmasked positions of log(1 + relu(logit))", () => {
    const weights = referenceSplade(head, [0, 1, 2], [1, 1, 0]);
    // Term 2 is positive only at the masked position; term 4 takes its max at position 1.
    expectRows([weights], [[Math.log(2), Math.log(2.5), 0, 0, Math.log(2)]], 1e-9);
    expectRows([referenceSplade(head, [0, 1, 2])], [[Math.log(2), Math.log(2.5), Math.log(2), 0, Math.log(2)]], 1e-9);
  });
});

describe("input validation", () => {
  const model = micro({});
  it.each<[string, number[], number[] | undefined, RegExp]>([
    ["an empty sequence", [], undefined, /empty/],
    ["more tokens than positions", [0, 0, 0, 0, 0], undefined, /more than the model's 4 positions/],
    ["an id past the vocabulary", [0, 5], undefined, /inputIds\[1\] = 5 .*\[0, 5\)/],
    ["a negative id", [-1], undefined, /inputIds\[0\] = -1/],
    ["a fractional id", [1.5], undefined, /inputIds\[0\] = 1.5/],
    ["a mask of the wrong length", [0, 1], [1], /attentionMask has 1 entries but inputIds has 2/],
    ["a mask value other than 0 and 1", [0, 1], [1, 2], /attentionMask\[1\] = 2/],
    ["a mask with no 1", [0, 1], [0, 0], /no 1/],
  ])("rejects %s", (_, ids, mask, message) => {
    expect(() => referenceSplade(model, ids, mask)).toThrow(message);
    expect(() => referenceHidden(model, ids, mask)).toThrow(message);
    expect(() => referenceLogits(model, ids, mask)).toThrow(message);
  });
});

// naver/efficient-splade-VI-BT-large-query (docs/facts.md) as its config.json says it, with seeded random weights.
const QUERY_CONFIG = toHfConfig(QUERY_ENCODER);

function randomEncoder(raw: Record<string, unknown>, seed: number): MlmEncoder {
  const config = parseConfig(raw, "config.json");
  return loadEncoder(config, memoryCheckpoint(randomWeights(config, { seed })));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe("reference forward on the query architecture with random weights", () => {
  const query = randomEncoder(QUERY_CONFIG, 1);
  const ids = [101, 7592, 2088, 102];

  it("gives finite, non-negative weights, the same on every run", () => {
    const weights = referenceSplade(query, ids);
    expect(weights.length).toBe(30522);
    expect(weights.every((w) => Number.isFinite(w) && w >= 0)).toBe(true);
    expect(weights.some((w) => w > 0)).toBe(true);
    expect(maxAbsDiff(referenceSplade(randomEncoder(QUERY_CONFIG, 1), ids), weights)).toBe(0);
  });

  it("log1p(relu(max logit)) equals max(log1p(relu(logit))) (the graph's max-first rewrite, docs/facts.md)", () => {
    const logits = referenceLogits(query, ids);
    const maxFirst = new Float64Array(30522).map((_, v) => Math.log1p(Math.max(0, Math.max(...logits.map((row) => row[v])))));
    const logFirst = new Float64Array(30522).map((_, v) => Math.max(...logits.map((row) => Math.log1p(Math.max(0, row[v])))));
    expect(maxAbsDiff(maxFirst, logFirst)).toBeLessThan(1e-12);
    expect(maxAbsDiff(referenceSplade(query, ids), logFirst)).toBeLessThan(1e-12);
  });

  it("padding at the tail changes nothing", () => {
    const padded = [...ids, 0, 0, 2000];
    const mask = [1, 1, 1, 1, 0, 0, 0];
    expect(maxAbsDiff(referenceSplade(query, padded, mask), referenceSplade(query, ids))).toBeLessThan(1e-12);
    const hidden = referenceHidden(query, padded, mask);
    referenceHidden(query, ids).forEach((row, t) => expect(maxAbsDiff(hidden[t], row)).toBeLessThan(1e-12));
  });

  it("BERT adds token type 0 and never token type 1", () => {
    const withType = (row: number, value: number): MlmEncoder => {
      const data = Float32Array.from(query.tokenTypeEmbeddings!.data);
      data.fill(value, row * 128, (row + 1) * 128);
      return { ...query, tokenTypeEmbeddings: { shape: [2, 128], data } };
    };
    const base = referenceHidden(query, ids)[0];
    expect(maxAbsDiff(referenceHidden(withType(1, 5), ids)[0], base)).toBe(0);
    expect(maxAbsDiff(referenceHidden(withType(0, 0), ids)[0], base)).toBeGreaterThan(1e-3);
  });
});

describe("DistilBERT", () => {
  const distil = randomEncoder(
    { architectures: ["DistilBertForMaskedLM"], vocab_size: 64, dim: 8, n_layers: 2, n_heads: 2, hidden_dim: 16, max_position_embeddings: 16 },
    2,
  );

  it("runs on randomWeights without token type embeddings", () => {
    expect(distil.tokenTypeEmbeddings).toBeUndefined();
    const weights = referenceSplade(distil, [1, 5, 9, 2]);
    expect(weights.length).toBe(64);
    expect(weights.every((w) => Number.isFinite(w) && w >= 0)).toBe(true);
    expect(weights.some((w) => w > 0)).toBe(true);
  });

  it("ignores token type embeddings even when some are attached", () => {
    const withTypes: MlmEncoder = { ...distil, tokenTypeEmbeddings: { shape: [2, 8], data: new Float32Array(16).fill(3) } };
    expect(maxAbsDiff(referenceSplade(withTypes, [1, 5, 9, 2]), referenceSplade(distil, [1, 5, 9, 2]))).toBe(0);
  });
});
