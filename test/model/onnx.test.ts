// The ONNX graph against the float64 reference forward pass, on both runtimes splade-edge ships with.
//
// Both run through splade-edge's own Node backends (src/node/ort-node.ts, ort-web.ts), which own onnxruntime's quirks and
// the padding of ragged rows (src/node/graph-feeds.ts).
import onnxProto, { type onnx as Onnx } from "onnx-proto";
import { beforeAll, describe, expect, it } from "vitest";
import { loadEncoder, parseConfig, toHfConfig, type MlmEncoder } from "../../src/model/architectures.ts";
import { DOC_FIXTURE_CONFIG, QUERY_CONFIG } from "../../src/model/fixture.ts";
import { ONNX_INPUTS, ONNX_IR_VERSION, ONNX_NAMES, ONNX_OPSET, ONNX_OUTPUT, buildOnnx } from "../../src/model/onnx/build.ts";
import { randomWeights, seededUniform } from "../../src/model/random.ts";
import { referenceSplade } from "../../src/model/reference.ts";
import { memoryCheckpoint } from "../../src/model/tensor.ts";
import type { SpladeBackend } from "../../src/encoder/encoder.ts";
import { createNodeBackend } from "../../src/node/ort-node.ts";
import { createWebBackend } from "../../src/node/ort-web.ts";

const { onnx } = onnxProto;

const CLS = 101;
const SEP = 102;
const VS_REFERENCE = 1e-4;
const VS_UNBATCHED = 1e-5;

/** The query model's real config (docs/facts.md) and a reduced DistilBERT with the real vocabulary. */
const MODELS = [
  {
    name: "BertForMaskedLM (query config)",
    seed: 1,
    raw: toHfConfig(QUERY_CONFIG),
  },
  {
    name: "DistilBertForMaskedLM (reduced)",
    seed: 2,
    raw: toHfConfig(DOC_FIXTURE_CONFIG),
  },
];

type Backend = SpladeBackend & { session: { inputNames: readonly string[]; outputNames: readonly string[] } };

interface Runtime {
  name: string;
  create(bytes: Uint8Array): Promise<Backend>;
}

const RUNTIMES: Runtime[] = [
  { name: "onnxruntime-node", create: (bytes) => createNodeBackend(bytes, ONNX_NAMES, { threads: 1 }) },
  { name: "onnxruntime-web", create: (bytes) => createWebBackend(bytes, ONNX_NAMES) },
];

/** Runs a batch of id sequences of any lengths; returns one weight row per sequence. */
async function splade(backend: Backend, batch: number[][]): Promise<Float32Array[]> {
  const data = await backend.run(batch);
  const vocab = data.length / batch.length;
  expect(vocab).toBe(30522);
  return batch.map((_, b) => data.subarray(b * vocab, (b + 1) * vocab));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** [CLS], `length - 2` ids drawn from the seed, [SEP]. */
function randomIds(length: number, seed: number, vocab: number): number[] {
  const u = seededUniform(seed);
  return Array.from({ length }, (_, t) => (t === 0 ? CLS : t === length - 1 ? SEP : 1000 + Math.floor(u() * (vocab - 1000))));
}

const INPUTS = {
  single: [CLS, 2054, 2003, 1037, 11867, 27266, 2063, 4372, 16044, 2099, 1029, SEP],
  minimal: [CLS, SEP],
  long: randomIds(256, 7, 30522),
  batch: [randomIds(9, 11, 30522), [CLS, SEP], randomIds(23, 12, 30522), randomIds(5, 13, 30522)],
};

describe.each(MODELS)("$name", ({ raw, seed }) => {
  let model: MlmEncoder;
  let bytes: Uint8Array;
  const sessions = new Map<Runtime, Backend>();
  const references = new Map<number[], Float64Array>();
  const reference = (ids: number[]): Float64Array => {
    let r = references.get(ids);
    if (!r) references.set(ids, (r = referenceSplade(model, ids)));
    return r;
  };

  beforeAll(async () => {
    const config = parseConfig(raw, "config.json");
    model = loadEncoder(config, memoryCheckpoint(randomWeights(config, { seed, std: 0.05 })));
    bytes = buildOnnx(model, { producerVersion: "test", maxLength: 256 });
    for (const runtime of RUNTIMES) sessions.set(runtime, await runtime.create(bytes));
  });

  it("declares int64 [batch, sequence] inputs, a float [batch, vocab] output, opset 17 and its metadata", () => {
    const proto = onnx.ModelProto.decode(bytes);
    expect(Number(proto.irVersion)).toBe(ONNX_IR_VERSION);
    expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", ONNX_OPSET]]);
    const graph = proto.graph!;
    const shape = (v: Onnx.IValueInfoProto) => ({
      name: v.name,
      elemType: v.type?.tensorType?.elemType,
      dims: v.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue)),
    });
    const { INT64, FLOAT } = onnx.TensorProto.DataType;
    expect(graph.input!.map(shape)).toEqual([
      { name: "input_ids", elemType: INT64, dims: ["batch", "sequence"] },
      { name: "attention_mask", elemType: INT64, dims: ["batch", "sequence"] },
    ]);
    expect(graph.output!.map(shape)).toEqual([{ name: "splade", elemType: FLOAT, dims: ["batch", 30522] }]);
    expect(Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]))).toEqual({
      architecture: model.config.architecture,
      vocab_size: "30522",
      hidden_size: String(model.config.hiddenSize),
      max_length: "256",
    });
    // The tied decoder is stored once.
    expect(graph.initializer!.filter((t) => t.dims!.map(Number).join() === `30522,${model.config.hiddenSize}`)).toHaveLength(1);
  });

  describe.each(RUNTIMES)("on $name", (runtime) => {
    it("names its inputs and output", () => {
      const { session } = sessions.get(runtime)!;
      expect(session.inputNames).toEqual([...ONNX_INPUTS]);
      expect(session.outputNames).toEqual([ONNX_OUTPUT]);
    });

    it.each([
      ["a 12-token query", INPUTS.single],
      ["[CLS] [SEP] alone", INPUTS.minimal],
      ["256 tokens", INPUTS.long],
    ])("matches the reference on %s", async (_, ids) => {
      const [weights] = await splade(sessions.get(runtime)!, [ids]);
      expect(maxAbsDiff(weights, reference(ids))).toBeLessThanOrEqual(VS_REFERENCE);
      expect(weights.every((w) => w >= 0)).toBe(true);
      expect(weights.some((w) => w > 0)).toBe(true);
    });

    it("gives each row of a batch of ragged rows its unbatched weights", async () => {
      const session = sessions.get(runtime)!;
      const rows = await splade(session, INPUTS.batch);
      for (const [b, ids] of INPUTS.batch.entries()) {
        const [alone] = await splade(session, [ids]);
        expect(maxAbsDiff(rows[b], alone)).toBeLessThanOrEqual(VS_UNBATCHED);
        expect(maxAbsDiff(rows[b], reference(ids))).toBeLessThanOrEqual(VS_REFERENCE);
        expect(rows[b].every((w) => w >= 0)).toBe(true);
      }
    });
  });
});
