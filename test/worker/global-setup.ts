import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import onnxProto from "onnx-proto";
import { HIDDEN_SIZE, VOCAB_SIZE, embedding, projection } from "./tiny-model";

const { onnx } = onnxProto;

/** Where the worker tests point the `ASSETS` binding instead of `model/` (see vitest.config.ts). */
export const ASSETS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../.generated/worker-assets");

function floatInitializer(name: string, dims: number[], values: Float32Array) {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  });
}

function tensorInfo(name: string, elemType: number, dims: Array<number | string>) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function tinyModelBytes(): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "splade-edge worker tests",
    graph: {
      name: "tiny",
      input: [tensorInfo("input_ids", onnx.TensorProto.DataType.INT64, [1, "T"])],
      output: [tensorInfo("scores", onnx.TensorProto.DataType.FLOAT, [1, VOCAB_SIZE])],
      initializer: [
        floatInitializer("embedding", [VOCAB_SIZE, HIDDEN_SIZE], embedding),
        floatInitializer("projection", [HIDDEN_SIZE, VOCAB_SIZE], projection),
      ],
      node: [
        { opType: "Gather", input: ["embedding", "input_ids"], output: ["hidden"] },
        { opType: "MatMul", input: ["hidden", "projection"], output: ["logits"] },
        {
          opType: "ReduceMax",
          input: ["logits"],
          output: ["scores"],
          attribute: [
            { name: "axes", type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
            { name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 },
          ],
        },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export default function setup(): void {
  mkdirSync(resolve(ASSETS_DIR, "query"), { recursive: true });
  writeFileSync(resolve(ASSETS_DIR, "query/model.onnx"), tinyModelBytes());
}
