import { readFileSync } from "node:fs";
import { checkpointError } from "../errors.ts";

/** The whole checkpoint file; a missing or unreadable file is a checkpoint ModelError naming the path. */
export function readCheckpointFile(file: string): Uint8Array {
  try {
    const buf = readFileSync(file);
    // A plain view: Buffer#slice shares memory where Uint8Array#slice copies.
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "checkpoint file not found (fetch the model first, or check the path)" : `cannot read checkpoint file (${(cause as Error).message})`;
    throw checkpointError(reason, { file }, { cause });
  }
}
