// A generated checkpoint that passes for real weights: copied with the fixture marker taken out of its config.json, so
// what refuses random weights (deploy, verify) goes on past that check. Its output still means nothing; tests use it
// to reach the steps after the check, never to claim a result.
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURE_MARKER } from "../../src/model/convert.ts";

/**
 * Copies the Hugging Face folder `from` to `to` without FIXTURE_MARKER in any config.json — the root's and each
 * sub-folder's (an inference-free repo carries it in its static query module, which is all a query fetch reads);
 * returns `to`.
 */
export function unmarkedCopy(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  const folders = [to, ...readdirSync(to, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(to, e.name)] : []))];
  for (const file of folders.map((dir) => join(dir, "config.json")).filter((f) => existsSync(f))) {
    const config = JSON.parse(readFileSync(file, "utf8"));
    delete config[FIXTURE_MARKER];
    writeFileSync(file, JSON.stringify(config));
  }
  return to;
}
