// What the data given to npm run eval gets wrong, by kind; the CLI maps each kind to its exit code in one table
// (src/cli/exit-codes.ts).
import { KindedError } from "../kinded-error.ts";

export type EvaluationErrorKind =
  /** A qrels, run, queries or encoded-vectors line that is not what its file must hold (named file:line). */
  | "input"
  /** A docno listed twice in one query's ranking or qrels (trec_eval refuses duplicates). */
  | "duplicate_document"
  /** No query has both run lines and qrels. */
  | "nothing_to_evaluate";

export class EvaluationError extends KindedError<EvaluationErrorKind> {}

/** An input EvaluationError naming `file` and, when known, its line. */
export function inputError(file: string, line: number | undefined, message: string): EvaluationError {
  return new EvaluationError("input", line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`);
}
