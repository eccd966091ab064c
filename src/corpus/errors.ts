// What the user of encode-corpus must fix, by kind; the CLI maps each kind to its exit code in one table.
import { KindedError } from "../kinded-error.ts";

export type CorpusErrorKind =
  /** A bad option combination, or an output that would destroy the input or finished work. */
  | "usage"
  /** A malformed input line, a document the chosen engine would refuse, or an input that cannot be read to its end. */
  | "input"
  /** A checkpoint that does not fit this run. */
  | "resume"
  /** Writing the output failed (disk full, I/O error): the last checkpoint stays valid for --resume. */
  | "output"
  /** A checkpoint or output file that something else wrote or changed since this tool did. */
  | "changed"
  /** Stopped by the user (Ctrl-C): everything written is checkpointed, --resume goes on. */
  | "interrupted";

export class CorpusError extends KindedError<CorpusErrorKind> {}
