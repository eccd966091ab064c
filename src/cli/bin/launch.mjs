// What a bundled bin runs. npm installs no build output here: .npmrc sets ignore-scripts (no lifecycle script can
// build the bundle at install) and dist/ is git-ignored. So each committed bin runs its esbuild bundle
// (`npm run build:cli` → dist/NAME.mjs) when it exists and is newer than every source file and the lockfile (the
// bundle inlines dependencies), and otherwise the TypeScript sources through tsx (a dependency of every dev install),
// so a fresh `npm install` and a source edit after a build both work.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs dist/`name`.mjs when it is up to date, else `source` (relative to the repository) through tsx. */
export async function launch(name, source) {
  const bundle = join(root, "dist", `${name}.mjs`);
  const inputs = Math.max(newestSource(join(root, "src")), statSync(join(root, "package-lock.json")).mtimeMs);
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= inputs) {
    await import(pathToFileURL(bundle).href);
  } else {
    const { register } = await import("tsx/esm/api");
    register();
    await import(pathToFileURL(join(root, source)).href);
  }
}
