// The document encoder's floating-point operations per sequence, counted from its shapes: what the corpus benchmark
// divides its throughput by (bench/corpus.ts), and what test/model/fixture-full.test.ts checks against the real
// config's weight matrices. Here, not in bench/, because tests never import bench/.
import type { EncoderConfig } from "../../src/model/architectures.ts";

/** Floating-point operations (a multiply-add counts 2) of one sequence, by part of the model. */
export interface SequenceFlops {
  /** Q, K, V and output projections (4·d²) and the FFN (2·d·ff), per token per layer. */
  projections: number;
  /** QKᵀ and attention × V: 2·T·d per token per layer. */
  attention: number;
  /** MLM head transform, d² per token. */
  headTransform: number;
  /** MLM decoder, d·V per token: every position's logits feed SPLADE's max pooling, so none can be skipped. */
  decoder: number;
  total: number;
}

/** The FLOPs of one sequence of `tokens` positions (padding included if the graph computes it) through `config`. */
export function sequenceFlops(config: EncoderConfig, tokens: number): SequenceFlops {
  const d = config.hiddenSize;
  const macs = {
    projections: tokens * config.numLayers * (4 * d * d + 2 * d * config.intermediateSize),
    attention: tokens * config.numLayers * 2 * tokens * d,
    headTransform: tokens * d * d,
    decoder: tokens * d * config.vocabSize,
  };
  const flops = {
    projections: 2 * macs.projections,
    attention: 2 * macs.attention,
    headTransform: 2 * macs.headTransform,
    decoder: 2 * macs.decoder,
  };
  return { ...flops, total: flops.projections + flops.attention + flops.headTransform + flops.decoder };
}
