// A converted SPLADE graph (src/model/onnx/build.ts) cut in two: the trunk — embeddings, layers and the MLM head up to
// its LayerNorm — for onnxruntime, and the decoder (Gemm on [vocab, hidden] + bias) for the splade-head kernel.
// Graph surgery by the builder's node names, so any model.onnx that `npm run model` wrote splits without a rebuild.
import onnxProto from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";
import type { HeadWeights } from "./splade-head.ts";

const { onnx } = onnxProto;

/** The node whose output the trunk returns: the MLM head's LayerNorm, float [batch, sequence, hidden]. */
export const TRUNK_OUTPUT = "head.LayerNorm";
/** The trunk's word-embedding input when `wordEmbeddings: "input"`: float [batch, sequence, hidden]. */
export const TRUNK_EMBEDS_INPUT = "inputs_embeds";
const DECODER_NODE = "head.decoder";
const WORD_GATHER_NODE = "embeddings.word";

export interface SplitOptions {
  /**
   * "inside" keeps the word-embedding Gather in the trunk (inputs: input_ids, attention_mask). "input" feeds the
   * gathered rows as `inputs_embeds` instead, so onnxruntime does not hold a second copy of the [vocab, hidden]
   * matrix the head kernel already holds (the decoder is tied to it).
   */
  wordEmbeddings?: "inside" | "input";
}

export interface SplitModel {
  trunk: Uint8Array;
  head: HeadWeights;
  /** Whether the decoder is the word-embedding matrix (BERT's tied decoder): only then may `input` be used. */
  tied: boolean;
}

function floats(t: Onnx.ITensorProto): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Splits the bytes of a model.onnx written by buildOnnx. */
export function splitModel(bytes: Uint8Array, options: SplitOptions = {}): SplitModel {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const decoderNode = nodes.find((n) => n.name === DECODER_NODE);
  const normNode = nodes.find((n) => n.output?.[0] === TRUNK_OUTPUT);
  if (!decoderNode || !normNode) throw new Error(`not a splade-edge SPLADE graph: no "${DECODER_NODE}" or "${TRUNK_OUTPUT}" node — convert the model again`);
  const [, decoderName, biasName] = decoderNode.input!;
  const decoder = initializers.get(decoderName)!;
  const [vocab, hidden] = decoder.dims!.map(Number);
  const head: HeadWeights = { decoder: floats(decoder), bias: floats(initializers.get(biasName)!), hiddenSize: hidden };
  const wordGather = nodes.find((n) => n.name === WORD_GATHER_NODE);
  const tied = wordGather?.input?.[0] === decoderName;

  let kept = nodes;
  let inputs = graph.input ?? [];
  if ((options.wordEmbeddings ?? "inside") === "input") {
    if (!wordGather || !tied) throw new Error("wordEmbeddings: \"input\" needs a decoder tied to the word embeddings");
    const rename = (name: string) => (name === WORD_GATHER_NODE || name === inputs[0].name ? TRUNK_EMBEDS_INPUT : name);
    kept = nodes.filter((n) => n !== wordGather).map((n) => ({ ...n, input: n.input!.map(rename) }));
    inputs = [
      {
        name: TRUNK_EMBEDS_INPUT,
        type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: "batch" }, { dimParam: "sequence" }, { dimValue: hidden }] } } },
      },
      ...inputs.slice(1),
    ];
  }
  // Keep only what the trunk output depends on.
  const producer = new Map(kept.flatMap((n) => n.output!.map((o) => [o, n] as const)));
  const needed = new Set<Onnx.INodeProto>();
  const names = new Set<string>();
  const visit = (name: string) => {
    names.add(name);
    const n = producer.get(name);
    if (n && !needed.has(n)) {
      needed.add(n);
      n.input!.forEach(visit);
    }
  };
  visit(TRUNK_OUTPUT);
  const trunk: Onnx.IModelProto = {
    ...model,
    graph: {
      ...graph,
      node: kept.filter((n) => needed.has(n)),
      initializer: (graph.initializer ?? []).filter((t) => names.has(t.name!)),
      input: inputs.filter((i) => names.has(i.name!)),
      output: [
        {
          name: TRUNK_OUTPUT,
          type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: "batch" }, { dimParam: "sequence" }, { dimValue: hidden }] } } },
        },
      ],
    },
  };
  if (head.decoder.length !== vocab * hidden) throw new Error(`decoder initializer "${decoderName}" holds ${head.decoder.length} values, not ${vocab} × ${hidden}`);
  return { trunk: onnx.ModelProto.encode(trunk).finish(), head, tied };
}
