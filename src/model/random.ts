// Deterministic random weights in the real architectures' layout, for tests and the demo model.
// Pure integer arithmetic (mulberry32 + Irwin–Hall) so the same seed gives the same bytes on any machine.
import { modelCheckpointLayout, type ModelConfig } from "./architectures.ts";
import type { TensorMap } from "./tensor.ts";

/** mulberry32: a small, well-mixed 32-bit generator; returns uniforms in [0, 1). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Approximately standard normal (Irwin–Hall of 4 uniforms, rescaled to unit variance). */
export function seededNormal(seed: number): () => number {
  const u = seededUniform(seed);
  const scale = Math.sqrt(3); // variance of a sum of 4 U(0,1) is 4/12
  return () => (u() + u() + u() + u() - 2) * scale;
}

export interface RandomWeightsOptions {
  seed: number;
  /** Standard deviation of weights and embeddings (BERT's initializer_range). */
  std?: number;
  /**
   * Added to every decoder bias. Random heads put about half the vocabulary above zero; a negative shift
   * gives the sparsity of a trained SPLADE encoder (tens of terms per query).
   */
  decoderBiasShift?: number;
}

/** Every tensor of modelCheckpointLayout(config), filled from the seed. */
export function randomWeights(config: ModelConfig, options: RandomWeightsOptions): TensorMap {
  const std = options.std ?? 0.02;
  const normal = seededNormal(options.seed);
  const out: TensorMap = new Map();
  for (const { name, shape, kind } of modelCheckpointLayout(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const center = kind === "norm-weight" ? 1 : 0;
    const spread = kind === "weight" || kind === "embedding" ? std : std / 2;
    const shift = name.endsWith("bias") && shape[0] === config.vocabSize ? (options.decoderBiasShift ?? 0) : 0;
    for (let i = 0; i < data.length; i++) data[i] = center + shift + spread * normal();
    out.set(name, { shape, data });
  }
  return out;
}
