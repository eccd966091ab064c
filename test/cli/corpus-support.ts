// What the encode-corpus test files share: the generated doc model, a seeded corpus, the CLI run with small windows
// (so a small corpus spans many of them), and the one stderr line every run on random weights prints.
import { resolve } from "node:path";
import { expect } from "vitest";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { runScript, type CliResult } from "./run-script.ts";

export const CLI = "src/cli/encode-corpus.ts";
export const MODEL = resolve(FIXTURE_ROOT, "model", "doc");
export const HF = resolve(FIXTURE_ROOT, "hf", "doc");
export const MAX_LENGTH = 32;
// Generated weights make all 30522 terms non-zero; the cut keeps ~100 per document, as a trained model would.
export const MIN_WEIGHT = 0.9;
/** Settings every run shares: small batches and windows so a small corpus spans many of them. */
export const BASE = [
  "--model",
  MODEL,
  "--max-length",
  String(MAX_LENGTH),
  "--min-weight",
  String(MIN_WEIGHT),
  "--batch-size",
  "3",
  "--sort-window",
  "6",
  "--quiet",
];

const WORDS = (
  "the of and a to in is was for on that with as by at from his an were are which this be has it or had not first " +
  "river planet mars red venus twin ocean city history music station energy protein cell court village season game " +
  "café naïve zürich são paulo résumé 1997 42 co-operation e-mail u.s. dr. smith's well-known"
).split(" ");

/** A seeded corpus: ids d0…, 1–40 words, with an empty text and accented words among them. */
export function corpus(count: number, seed: number, maxWords = 40): Array<{ id: string; text: string }> {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: count }, (_, i) => ({
    id: `d${i}`,
    text: i === 3 ? "" : Array.from({ length: 1 + Math.floor(next() * maxWords) }, () => WORDS[Math.floor(next() * WORDS.length)]).join(" "),
  }));
}

export const tsv = (docs: Array<{ id: string; text: string }>) => docs.map((d) => `${d.id}\t${d.text}\n`).join("");

export async function encode(args: string[], input?: string | Uint8Array): Promise<CliResult> {
  return runScript(CLI, [...args, ...BASE], { input });
}

/** The one line every run on the generated (random-weights) doc model prints, even with --quiet. */
export const RANDOM_WEIGHTS_WARNING =
  /^⚠ \S+ holds random weights \(a generated test model\): its vectors mean nothing — run `npm run model -- fetch --only doc` for the real one before indexing anything\n/;

/** Exit 0 and nothing on stderr but the random-weights line. */
export function expectOk(r: CliResult): void {
  expect(r.stderr).toMatch(RANDOM_WEIGHTS_WARNING);
  expect(r.stderr.replace(RANDOM_WEIGHTS_WARNING, "")).toBe("");
  expect(r.code).toBe(0);
}
