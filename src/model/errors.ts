// What is wrong with a model folder the user pointed at, by kind (a checkpoint's own problems are CheckpointError's,
// the Hub's HubError's); the CLIs map each kind to its exit code in one table (src/cli/exit-codes.ts).
import { KindedError } from "../kinded-error.ts";

export type ModelErrorKind =
  /** Not a Hugging Face or converted model folder, or an ambiguous one (both roles). */
  | "folder"
  /** A converted folder's manifest.json is missing, or from another converter. */
  | "manifest"
  /** The tokenizer files are missing or inconsistent. */
  | "tokenizer";

export class ModelError extends KindedError<ModelErrorKind> {}
