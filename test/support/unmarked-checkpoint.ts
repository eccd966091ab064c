// A generated checkpoint that passes for real weights: copied with the fixture marker taken out of its config.json, so
// what refuses random weights (deploy, verify) goes on past that check. Its output still means nothing; tests use it
// to reach the steps after the check, never to claim a result.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURE_MARKER } from "../../src/model/convert.ts";

/** Copies the Hugging Face folder `from` to `to` without FIXTURE_MARKER; returns `to`. */
export function unmarkedCopy(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  const config = JSON.parse(readFileSync(join(to, "config.json"), "utf8"));
  delete config[FIXTURE_MARKER];
  writeFileSync(join(to, "config.json"), JSON.stringify(config));
  return to;
}
