// The resume point of a run: how many input records are fully written, where the output ends, the running totals,
// and the settings the output depends on. Written after every durable flush by write-to-temp, fsync, rename, so a
// kill at any instant leaves either the previous checkpoint or the new one, never a torn file.
import { open, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { CorpusError } from "./errors.ts";
import { syncDirectory, type OutputPosition } from "./output.ts";

export const CHECKPOINT_FORMAT = "splade-edge/encode-corpus-checkpoint@1";

/** A line skipped with --on-error skip. */
export interface SkippedLine {
  line: number;
  reason: string;
}

/** Totals over every run of one output (a resumed run continues them). */
export interface CorpusTotals {
  documents: number;
  skipped: number;
  duplicates: number;
  tokens: number;
  terms: number;
  truncated: number;
  /** The first SKIPPED_DETAIL skipped lines; `skipped` counts them all. */
  skippedLines: SkippedLine[];
}

export const SKIPPED_DETAIL = 100;

export const ZERO_TOTALS: CorpusTotals = { documents: 0, skipped: 0, duplicates: 0, tokens: 0, terms: 0, truncated: 0, skippedLines: [] };

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  /** Everything the output bytes depend on; a resume with other settings would mix two outputs. */
  settings: Record<string, string | number | null>;
  /** Records of this shard's range whose output is durable (a multiple of the window, or the whole range when done). */
  records: number;
  output: OutputPosition;
  totals: CorpusTotals;
  files: string[];
  done: boolean;
}

export async function readCheckpoint(file: string): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    // ENOTDIR: a parent of the output is a file; the run stops on that with a clearer message when it creates it.
    if (["ENOENT", "ENOTDIR"].includes((error as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw error;
  }
  const checkpoint = JSON.parse(text) as Checkpoint;
  if (checkpoint.format !== CHECKPOINT_FORMAT)
    throw new CorpusError("changed", `${file} is not an encode-corpus checkpoint (${JSON.stringify(checkpoint.format)})`);
  return checkpoint;
}

export async function writeCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  const temp = `${file}.tmp`;
  await writeFile(temp, `${JSON.stringify(checkpoint, null, 2)}\n`);
  const handle = await open(temp, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await syncDirectory(dirname(file));
}

/** The first setting that differs, as "name: was → now", or undefined when they all match. */
export function settingsChange(was: Checkpoint["settings"], now: Checkpoint["settings"]): string | undefined {
  for (const key of new Set([...Object.keys(was), ...Object.keys(now)])) {
    if (was[key] !== now[key]) return `${key}: ${JSON.stringify(was[key] ?? null)} → ${JSON.stringify(now[key] ?? null)}`;
  }
  return undefined;
}
