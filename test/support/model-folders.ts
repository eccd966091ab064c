// Variants of a generated model folder for the tests of what a loader refuses: a fresh folder that links every file of
// the original but those replaced (or left out), so a variant costs no copy of the weights.
import { mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** A new folder under `parent` with `source`'s files, except each named in `changes`: written with its contents, or left out (null). */
export function folderVariant(source: string, parent: string, changes: Record<string, string | Uint8Array | null>): string {
  const dir = mkdtempSync(join(parent, "variant-"));
  for (const file of readdirSync(source)) if (!(file in changes)) symlinkSync(resolve(source, file), join(dir, file));
  for (const [file, contents] of Object.entries(changes)) if (contents !== null) writeFileSync(join(dir, file), contents);
  return dir;
}
