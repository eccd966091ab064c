// The int8-weights variant of a converted doc model, for `npm run bench -- corpus --int8`: rebuilt from the checkpoint
// the model was converted from (`sourceDir`: the fixture's Hugging Face folder, or the Hub download fetch cached), with
// buildOnnx's `weights: "int8"`, into the bench's folder.
// Never part of a converted model folder: encode-corpus runs float32 (docs/encode-corpus.md, "Benchmark").
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CliError } from "../src/cli/run.ts";
import { loadEncoder, parseConfig } from "../src/model/architectures.ts";
import { openCheckpoint } from "../src/model/checkpoint/index.ts";
import type { TransformerManifest } from "../src/model/manifest.ts";
import { buildOnnx } from "../src/model/onnx/build.ts";

/** Writes `${workDir}/model-int8.onnx` from the model's source checkpoint and returns its path. */
export async function buildInt8Model(manifest: TransformerManifest, sourceDir: string | undefined, workDir: string): Promise<string> {
  if (sourceDir === undefined) {
    throw new CliError(
      "usage",
      `--int8 rebuilds the graph from the checkpoint the model was converted from, and ${manifest.source.repo} is not on this machine`,
    );
  }
  const dir = join(sourceDir, manifest.source.folder);
  const weightsFile = join(dir, manifest.source.weights_file);
  if (!existsSync(weightsFile)) {
    throw new CliError("usage", `--int8 rebuilds the graph from the checkpoint the model was converted from, and ${weightsFile} is not there`);
  }
  const configFile = join(dir, "config.json");
  const config = parseConfig(JSON.parse(await readFile(configFile, "utf8")), configFile);
  const encoder = loadEncoder(config, openCheckpoint(weightsFile));
  const file = join(workDir, "model-int8.onnx");
  await writeFile(file, buildOnnx(encoder, { maxLength: manifest.max_length, weights: "int8" }));
  return file;
}
