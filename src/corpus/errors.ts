// What the user of encode-corpus must fix, by kind; the CLI maps each kind to its exit code in one table.

export type CorpusErrorKind =
  /** A bad option combination, or an output that would destroy the input or finished work. */
  | "usage"
  /** A malformed input line, or a document the chosen engine would refuse. */
  | "input"
  /** A checkpoint that does not fit this run. */
  | "resume"
  /** Writing the output failed (disk full, I/O error): the last checkpoint stays valid for --resume. */
  | "output";

export class CorpusError extends Error {
  constructor(
    readonly kind: CorpusErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CorpusError";
  }
}
