// What the splade-index test files share: the real CLI run on the generated doc model, and the reader over a folder.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { IndexReader } from "../../src/index/reader.ts";
import { MODEL } from "../cli/corpus-support.ts";
import { runScript, type CliResult } from "../cli/run-script.ts";

export const CLI = "src/cli/index.ts";

/** `splade-index build ARGS` on the generated doc model, without a progress bar. */
export const index = (args: string[]): Promise<CliResult> => runScript(CLI, ["build", ...args, "--model", MODEL, "--quiet"]);

export const open = (dir: string): Promise<IndexReader> => IndexReader.open((name) => readFile(join(dir, name)));

/** Exit 0, and nothing on stderr but the random-weights warning and `warnings`, in order. */
export function expectBuilt(r: CliResult, warnings: string[] = []): void {
  expect(r.stderr.replace(/^⚠ .* holds random weights .*\n/m, "")).toBe(warnings.map((w) => `⚠ ${w}\n`).join(""));
  expect(r.code).toBe(0);
}
