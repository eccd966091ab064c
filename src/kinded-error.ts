// The shape every domain's error shares: a kind from the domain's own union, which each front door maps exhaustively
// (the Worker's status table, the CLIs' exit-code table in src/cli/exit-codes.ts), and a message that tells the user
// what is wrong and what to do. A domain declares `class XError extends KindedError<XErrorKind> {}`.
export class KindedError<Kind extends string> extends Error {
  constructor(
    readonly kind: Kind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
