// Reference SPLADE vectors of generated query models, computed in Node by the float64 oracle (src/model/reference.ts):
// what the Worker's answers are checked against, in workerd (through global-setup.ts) and in the deploy bundle.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SpladeTokenizer } from "../../src/encoder/tokenizer.ts";
import { loadEncoder, loadModel, parseConfig, parseModelConfig, type Encoder } from "../../src/model/architectures.ts";
import { openCheckpoint } from "../../src/model/checkpoint/index.ts";
import type { ModelManifest } from "../../src/model/manifest-format.ts";
import { referenceSplade } from "../../src/model/reference.ts";
import type { GoldenQuery } from "../worker/golden.ts";

function readJson(dir: string, file: string): object {
  return JSON.parse(readFileSync(join(dir, file), "utf8")) as object;
}

/** Each text as the model folder's tokenizer cuts it, with every non-zero weight of the checkpoint in `hfDir`. */
export function referenceQueries(modelDir: string, hfDir: string, texts: readonly string[]): GoldenQuery[] {
  const manifest = readJson(modelDir, "manifest.json") as ModelManifest;
  const tokenizer = new SpladeTokenizer(readJson(modelDir, "tokenizer.json"), readJson(modelDir, "tokenizer_config.json"), manifest.max_length);
  const model = loadEncoder(parseConfig(readJson(hfDir, "config.json"), join(hfDir, "config.json")), openCheckpoint(join(hfDir, "model.safetensors")));
  return texts.map((text) => {
    const { ids, truncated, length } = tokenizer.encode(text);
    const weights: Array<[number, number]> = [];
    referenceSplade(model, ids).forEach((w, id) => w > 0 && weights.push([id, w]));
    return { text, ids, truncated, length, weights };
  });
}

/** The checkpoint in `hfDir` (config.json + model.safetensors) as the float64 reference reads it, any architecture convert reads. */
export function referenceModel(hfDir: string): Encoder {
  return loadModel(parseModelConfig(readJson(hfDir, "config.json"), join(hfDir, "config.json")), openCheckpoint(join(hfDir, "model.safetensors")));
}
