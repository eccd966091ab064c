// The doc model as the document-encoding CLIs run it (encode-corpus, eval): the converted folder loaded with the
// warnings a generated or misplaced model deserves, and its inference on a backend thread.
import { availableParallelism } from "node:os";
import { SpladeEncoder } from "../encoder/encoder.ts";
import { startBackendThread, type Engine, type ThreadBackend } from "./inference-thread.ts";
import { loadModelFolder, type ModelFolder } from "./model-folder.ts";

export const FETCH_DOC = "npm run model -- fetch --only doc";

export interface DocModel {
  folder: ModelFolder;
  /** What a checkpoint records as the model: model.onnx's sha256 (else its path). */
  modelId: string;
  randomWeights: boolean;
  /** Shown even with --quiet, as the Worker flags every answer of such a model: an index of these vectors is useless. */
  randomWeightsWarning?: string;
  /** The folder holds another role's encoder. */
  roleWarning?: string;
}

/** Loads a converted doc model folder (`dir` as the user named it, and `option` the CLI option naming it, for messages). */
export async function loadDocModel(dir: string, options: { maxLength?: number; option?: string } = {}): Promise<DocModel> {
  const folder = await loadModelFolder(dir, { maxLength: options.maxLength, fetchHint: FETCH_DOC, option: options.option });
  const randomWeights = folder.manifest.random_weights;
  return {
    folder,
    modelId: folder.manifest.files["model.onnx"]?.sha256 ?? folder.modelFile,
    randomWeights,
    randomWeightsWarning: randomWeights
      ? `${dir} holds random weights (a generated test model): its vectors mean nothing — run \`${FETCH_DOC}\` for the real one before indexing anything`
      : undefined,
    roleWarning:
      folder.manifest.role !== "doc" ? `${dir} holds a ${folder.manifest.role} encoder; documents are meant for the doc encoder (${FETCH_DOC})` : undefined,
  };
}

export interface DocEncoder {
  encoder: SpladeEncoder;
  backend: ThreadBackend;
}

/** Starts the model's inference thread (node: `threads` intra-op threads, default every core; web: one). */
export async function startDocEncoder(model: DocModel, options: { engine: Engine; threads?: number }): Promise<DocEncoder> {
  const { folder } = model;
  const backend = await startBackendThread({
    modelFile: folder.modelFile,
    graph: folder.manifest.onnx,
    engine: options.engine,
    threads: options.engine === "node" ? (options.threads ?? availableParallelism()) : undefined,
  });
  return { encoder: new SpladeEncoder(folder.tokenizer, backend, folder.manifest.vocab_size), backend };
}
