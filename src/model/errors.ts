// What went wrong in the model pipeline (src/model: the Hub download, the checkpoint, the folder and its converted
// form), by kind; the CLIs map each kind to its exit code in one table (src/cli/exit-codes.ts).
import { KindedError } from "../kinded-error.ts";

/** A failure of the Hugging Face Hub client (hub.ts); the message says what to do next. */
export type HubErrorKind =
  /** A model id, revision or file the Hub does not have. */
  | "not_found"
  /** A gated or private repository without a token, or with a token the Hub refused. */
  | "unauthorized"
  /** A token the Hub knows, without access to this repository. */
  | "forbidden"
  /** A downloaded file whose size or sha256 differs from what the Hub lists. */
  | "integrity"
  /** The endpoint is unreachable, or its answers broke off or made no sense. */
  | "network"
  /** The repository holds none of the file sets a converter reads. */
  | "layout";

export type ModelErrorKind =
  | HubErrorKind
  /** A checkpoint or its config.json is unreadable or is not the architecture it claims. */
  | "checkpoint"
  /** Not a Hugging Face or converted model folder, or an ambiguous one (both roles). */
  | "folder"
  /** A converted folder's manifest.json is missing, or from another converter. */
  | "manifest"
  /** The tokenizer files are missing or inconsistent. */
  | "tokenizer"
  /** A max length the model cannot take: below 2 ([CLS] and [SEP]) or beyond its positions. */
  | "max_length";

export class ModelError extends KindedError<ModelErrorKind> {}

/** A `checkpoint` ModelError naming the file and, where it applies, the tensor. */
export function checkpointError(message: string, where: { file: string; tensor?: string }, options?: { cause?: unknown }): ModelError {
  return new ModelError("checkpoint", where.tensor ? `${where.file}: tensor "${where.tensor}": ${message}` : `${where.file}: ${message}`, options);
}
