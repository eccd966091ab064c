// buildOnnx's opt-in int8 weights (DynamicQuantizeMatMul): the quantizer's bounds, the graph's shape, and its output
// against the float32 graph of the same weights on onnxruntime-node. The figures at the doc model's real size are the
// benchmark's (`npm run bench -- corpus --model-size full --int8`, docs/performance.md).
import onnxProto from "onnx-proto";
import { beforeAll, describe, expect, it } from "vitest";
import { loadEncoder, parseConfig, toHfConfig, type MlmEncoder } from "../../src/model/architectures.ts";
import { DOC_FIXTURE_CONFIG } from "../../src/model/fixture.ts";
import { ONNX_NAMES, buildOnnx, quantizeColumns } from "../../src/model/onnx/build.ts";
import { randomWeights, seededUniform } from "../../src/model/random.ts";
import { memoryCheckpoint } from "../../src/model/tensor.ts";
import { createNodeBackend } from "../../src/node/ort-node.ts";

const { onnx } = onnxProto;
const CLS = 101;
const SEP = 102;
const VOCAB = 30522;

describe("quantizeColumns", () => {
  it("scales each column by its largest magnitude over 127 and rounds within half a step", () => {
    const w = Float32Array.of(0.5, -2, 0, -0.25, 1, 0, 0.1, 0.3, 0);
    const { q, scale } = quantizeColumns(w, 3, 3);
    expect([...scale]).toEqual([Math.fround(0.5 / 127), Math.fround(2 / 127), 1]);
    expect([...q]).toEqual([127, -127, 0, -64, 64, 0, 25, 19, 0]);
    for (let i = 0; i < w.length; i++) expect(Math.abs(q[i] * scale[i % 3] - w[i])).toBeLessThanOrEqual(scale[i % 3] / 2 + 1e-9);
  });
});

describe("int8 weights on the reduced doc model", () => {
  let model: MlmEncoder;
  let int8Bytes: Uint8Array;
  let float32: Float32Array;
  let int8: Float32Array;
  const u = seededUniform(5);
  const batch = [9, 40, 120].map((length) =>
    Array.from({ length }, (_, t) => (t === 0 ? CLS : t === length - 1 ? SEP : 1000 + Math.floor(u() * (VOCAB - 1000)))),
  );

  beforeAll(async () => {
    const config = parseConfig(toHfConfig(DOC_FIXTURE_CONFIG), "config.json");
    model = loadEncoder(config, memoryCheckpoint(randomWeights(config, { seed: 2, std: 0.05 })));
    int8Bytes = buildOnnx(model, { maxLength: 256, weights: "int8" });
    float32 = await (await createNodeBackend(buildOnnx(model, { maxLength: 256 }), ONNX_NAMES, { threads: 1 })).run(batch);
    int8 = await (await createNodeBackend(int8Bytes, ONNX_NAMES, { threads: 1 })).run(batch);
  });

  it("runs every weight matrix as DynamicQuantizeMatMul with int8 weights and keeps attention in float32", () => {
    const graph = onnx.ModelProto.decode(int8Bytes).graph!;
    const quantized = graph.node!.filter((n) => n.opType === "DynamicQuantizeMatMul");
    // 6 linear layers per transformer layer, the head transform and the decoder.
    expect(quantized).toHaveLength(6 * DOC_FIXTURE_CONFIG.numLayers + 2);
    expect(quantized.every((n) => n.domain === "com.microsoft")).toBe(true);
    expect(graph.node!.filter((n) => n.opType === "MatMul").map((n) => n.name)).toEqual(
      Array.from({ length: DOC_FIXTURE_CONFIG.numLayers }, (_, i) => [`layer.${i}.attention.scores`, `layer.${i}.attention.context`]).flat(),
    );
    const decoder = graph.initializer!.find((t) => t.name === "head.decoder.weight_int8")!;
    expect(decoder.dataType).toBe(onnx.TensorProto.DataType.INT8);
    expect(decoder.dims!.map(Number)).toEqual([DOC_FIXTURE_CONFIG.hiddenSize, VOCAB]);
  });

  it("stays close to the float32 graph: same shape, weights within 0.03, at least 9 of the top-10 terms in every row", () => {
    expect(int8.length).toBe(float32.length);
    let worst = 0;
    for (let i = 0; i < float32.length; i++) worst = Math.max(worst, Math.abs(int8[i] - float32[i]));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(0.03);
    const top = (row: Float32Array) => new Set([...row.keys()].sort((a, b) => row[b] - row[a]).slice(0, 10));
    batch.forEach((_, b) => {
      const [a, q] = [float32, int8].map((all) => top(all.subarray(b * VOCAB, (b + 1) * VOCAB)));
      expect([...a].filter((id) => q.has(id)).length).toBeGreaterThanOrEqual(9);
    });
  });
});
