// What an engine refuses of the data it is asked to load; the CLIs map each kind to its exit code in one table
// (src/cli/exit-codes.ts).
import { KindedError } from "../kinded-error.ts";

export type EngineErrorKind =
  /** A record the engine cannot index: no id or one it cannot rank, indices and values that do not pair up, a token id out of range or twice. */
  "input";

export class EngineError extends KindedError<EngineErrorKind> {}
