// Every failure a CLI user can act on, and the exit code it ends with: one table, keyed by domain and kind, so a
// kind added to a domain's union does not compile until it has its exit code here. runCli prints these as one line
// (their message says what is wrong and what to do); any other error is a bug in splade-edge and prints its stack.
import { KindedError } from "../kinded-error.ts";
import { CorpusError, type CorpusErrorKind } from "../corpus/errors.ts";
import { EvaluationError, type EvaluationErrorKind } from "../eval/errors.ts";
import { EngineError, type EngineErrorKind } from "../engines/errors.ts";
import { FormatError, type FormatErrorKind } from "../encoder/formats/index.ts";
import { KernelWeightsError, type KernelErrorKind } from "../kernel/encoder-kernel.ts";
import { ModelError, type ModelErrorKind } from "../model/errors.ts";

export type CliErrorKind =
  /** The command could not do its job (a missing model folder, a refused deploy). */
  | "failed"
  /** An unknown option, a missing argument, a value outside an option's values. */
  | "usage"
  /** verify: the folder holds generated random weights, or none at all (not applicable, rather than failed). */
  | "no_weights"
  /** Malformed data the command was given (a duplicate document id, an unrecognised encoded file). */
  | "input";

/** A failure of a command itself, as opposed to one of the domains below it. */
export class CliError extends KindedError<CliErrorKind> {}

/** Exit code of a usage error. */
export const EXIT_USAGE = 2;
/** Exit code for malformed input (sysexits EX_DATAERR), apart from 1 = failed and 2 = usage. */
export const EXIT_BAD_INPUT = 65;
/** Exit code for a failed write of the output (sysexits EX_IOERR). */
export const EXIT_OUTPUT = 74;
/** verify's "not applicable": no real weights to check. */
export const EXIT_NO_WEIGHTS = 3;
/** Stopped by Ctrl-C: 128 + SIGINT, what a shell reports for a process SIGINT ended. */
export const EXIT_INTERRUPTED = 130;

export const EXIT_CODES = {
  cli: { failed: 1, usage: EXIT_USAGE, no_weights: EXIT_NO_WEIGHTS, input: EXIT_BAD_INPUT },
  corpus: { usage: EXIT_USAGE, resume: EXIT_USAGE, input: EXIT_BAD_INPUT, output: EXIT_OUTPUT, changed: 1, interrupted: EXIT_INTERRUPTED },
  eval: { input: EXIT_BAD_INPUT, duplicate_document: EXIT_BAD_INPUT, nothing_to_evaluate: EXIT_BAD_INPUT },
  engine: { input: EXIT_BAD_INPUT },
  // encode-corpus turns a document's FormatError into a CorpusError naming its line; one left uncaught is bad input too.
  format: { request: EXIT_USAGE, empty: EXIT_BAD_INPUT, too_many_terms: EXIT_BAD_INPUT, weight_cap: EXIT_BAD_INPUT },
  kernel: { weights: 1 },
  model: {
    folder: 1,
    manifest: 1,
    tokenizer: 1,
    max_length: EXIT_USAGE,
    checkpoint: 1,
    not_found: 1,
    unauthorized: 1,
    forbidden: 1,
    integrity: 1,
    network: 1,
    layout: 1,
  },
} as const satisfies {
  cli: Record<CliErrorKind, number>;
  corpus: Record<CorpusErrorKind, number>;
  eval: Record<EvaluationErrorKind, number>;
  engine: Record<EngineErrorKind, number>;
  format: Record<FormatErrorKind, number>;
  kernel: Record<KernelErrorKind, number>;
  model: Record<ModelErrorKind, number>;
};

/** The exit code of a failure the user can act on; undefined for anything else (a bug). */
export function exitCodeOf(error: unknown): number | undefined {
  if (error instanceof CliError) return EXIT_CODES.cli[error.kind];
  if (error instanceof CorpusError) return EXIT_CODES.corpus[error.kind];
  if (error instanceof EvaluationError) return EXIT_CODES.eval[error.kind];
  if (error instanceof EngineError) return EXIT_CODES.engine[error.kind];
  if (error instanceof FormatError) return EXIT_CODES.format[error.kind];
  if (error instanceof KernelWeightsError) return EXIT_CODES.kernel[error.kind];
  if (error instanceof ModelError) return EXIT_CODES.model[error.kind];
  return undefined;
}
