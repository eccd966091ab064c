// `npm start`, `npm run demo`, `npm run deploy`: the Worker through wrangler, with the model it needs in place.
import { defineCommand } from "citty";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type IndexManifest, MANIFEST_FILE, parseManifest } from "../index/format.ts";
import { CONVERTER_LAYOUT, convertFolder, sourceFolder } from "../model/convert.ts";
import { CATALOGUE, catalogueModelOf, halfRules } from "../model/catalogue.ts";
import type { ModelManifest } from "../model/manifest-format.ts";
import { runCli, CliError } from "./run.ts";
import { demoAssets, NO_CF_DOWNLOAD, WRANGLER } from "../node/wrangler-dev.ts";

/** What wrangler.toml serves as the Worker's private assets (`model/`, of which model/.assetsignore keeps these two). */
const QUERY_MODEL = join("model", "query");
const INDEX = join("model", "index");

/**
 * Workers Static Assets limits: 20,000 files per version on the free plan, 25 MiB per file
 * (https://developers.cloudflare.com/workers/static-assets/#limits, as of December 2026; wrangler 4.86.0 refuses a
 * larger file itself, but counts files only on upload).
 */
const MAX_ASSET_FILES = 20_000;
const MAX_ASSET_BYTES = 25 * 1024 * 1024;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: "inherit", env });
    child.on("error", fail);
    child.on("close", (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

const wrangler = (args: string[]) => run(process.execPath, [WRANGLER, ...args]);

/** `wrangler dev` without the `Request.cf` download (NO_CF_DOWNLOAD); the update check and telemetry fail silently offline. */
const wranglerDev = (args: string[]) => run(process.execPath, [WRANGLER, "dev", ...args], { ...process.env, ...NO_CF_DOWNLOAD });

/** The names of the Worker's secrets, or undefined when wrangler cannot tell (not logged in, never deployed). */
function secretNames(): Promise<string[] | undefined> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [WRANGLER, "secret", "list", "--format", "json"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", () => done(undefined));
    child.on("close", (code) => {
      try {
        done(code === 0 ? (JSON.parse(out) as Array<{ name: string }>).map((s) => s.name) : undefined);
      } catch {
        done(undefined);
      }
    });
  });
}
const npmRun = (args: string[]) => run(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "-s", ...args]);

const serveArgs = {
  port: { type: "string", description: "Port", default: "8787" },
  ip: { type: "string", description: "Interface to listen on", default: "127.0.0.1" },
} as const;

async function randomWeights(dir: string): Promise<boolean> {
  return JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")).random_weights === true;
}

/**
 * A model folder converted by an older splade-edge (another converter layout: the Worker would refuse it) is
 * converted again from what it was made from — the Hub download cached under model/.hub, or the local folder an
 * older manifest recorded — with the same settings. Nothing is downloaded.
 */
async function convertIfStale(dir: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as ModelManifest;
  if (manifest.converter?.layout === CONVERTER_LAYOUT) return;
  const { repo, revision, commit, folder, license } = manifest.source;
  const from = sourceFolder(manifest);
  if (!from) {
    throw new CliError(
      "failed",
      `${dir} was converted by an older splade-edge (layout ${manifest.converter?.layout}, this one writes ${CONVERTER_LAYOUT}) and its source ` +
        `(${repo}${commit ? ` @ ${commit}` : ""}) is not on this machine — run \`npm run model -- ${commit ? `fetch --only ${manifest.role}` : `convert <hf-folder> ${dir}`}\` again`,
    );
  }
  console.error(`${dir} was converted by an older splade-edge: converting ${from} again…`);
  // With the rules of the catalogue model it was fetched as, as fetch gave them.
  const entry = manifest.model === undefined ? undefined : CATALOGUE.find((m) => m.name === manifest.model);
  await convertFolder(from, dir, {
    ...(entry ? halfRules(entry, manifest.role) : {}),
    role: manifest.role,
    maxLength: manifest.max_length,
    // An inference-free folder keeps its weighting: "uniform" has no file in the source folder to say it.
    ...(manifest.kind === "inference-free" ? { queryWeights: manifest.static_weights.weighting } : {}),
    ...(commit ? { source: { repo, revision, commit, folder } } : {}),
    license,
  });
}

/** The search index model/index holds, as its files on disk (what wrangler uploads) and its index.json say. */
interface ServedIndex {
  documents: number;
  files: Array<{ name: string; bytes: number }>;
  bytes: number;
}

/**
 * model/index: undefined when there is none, or what keeps it from being served — no index.json (splade-index build
 * writes it last, into a staging folder it renames into place: a folder without one is unfinished or was filled some
 * other way), or an index.json of another format.
 */
async function servedIndex(): Promise<ServedIndex | { problem: string } | undefined> {
  if (!existsSync(INDEX)) return undefined;
  const manifestFile = join(INDEX, MANIFEST_FILE);
  if (!existsSync(manifestFile)) return { problem: `${INDEX}/ holds no ${MANIFEST_FILE}: an unfinished or interrupted build` };
  let manifest: IndexManifest;
  try {
    manifest = parseManifest(await readFile(manifestFile, "utf8"));
  } catch (error) {
    return { problem: `${manifestFile}: ${(error as Error).message}` };
  }
  const entries = await readdir(INDEX, { recursive: true, withFileTypes: true });
  const files = await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => {
        const path = join(e.parentPath, e.name);
        return { name: path, bytes: (await stat(path)).size };
      }),
  );
  return { documents: manifest.documents, files, bytes: files.reduce((sum, f) => sum + f.bytes, 0) };
}

function describeIndex(index: ServedIndex): string {
  return `${INDEX}: ${index.documents.toLocaleString("en-US")} documents, ${index.bytes.toLocaleString("en-US")} bytes in ${index.files.length.toLocaleString("en-US")} files`;
}

const start = defineCommand({
  meta: { name: "start", description: "Serve the Worker locally (wrangler dev, no Cloudflare login), fetching the query model first if needed" },
  args: serveArgs,
  async run({ args }) {
    if (!existsSync(join(QUERY_MODEL, "manifest.json"))) {
      console.error(`${QUERY_MODEL}/ is missing: fetching the query encoder from the Hugging Face Hub…`);
      if ((await npmRun(["model", "--", "fetch", "--only", "query"])) !== 0) {
        throw new CliError(
          "failed",
          [
            `could not get the query model, so there is nothing to serve. Either:`,
            `  • convert a local copy of naver/efficient-splade-VI-BT-large-query: npm run model -- convert <hf-folder> ${QUERY_MODEL}`,
            `  • or try the service on a generated model (random weights, meaningless output): npm run demo`,
          ].join("\n"),
        );
      }
    }
    await convertIfStale(QUERY_MODEL);
    if (await randomWeights(QUERY_MODEL)) console.error(`warning: ${QUERY_MODEL} holds generated random weights — its output is meaningless`);
    const index = await servedIndex();
    if (index && "problem" in index) {
      console.error(`warning: ${index.problem} — /search answers 503 until \`npx splade-index build … --output ${INDEX} --force\` finishes`);
    } else if (index) {
      console.error(`serving the search index ${describeIndex(index)} (GET /search?q=…)`);
    }
    process.exitCode = await wranglerDev(["--ip", args.ip, "--port", args.port]);
  },
});

const demo = defineCommand({
  meta: {
    name: "demo",
    description: "Serve the Worker on a generated query model (random weights with trained-like sparsity, real architecture and vocabulary)",
  },
  args: serveArgs,
  async run({ args }) {
    const assets = await demoAssets((name) => console.error(`generating the ${name} test model…`));
    console.error("DEMO: serving a generated model with RANDOM weights — every response says so (X-Splade-Random-Weights: true).");
    process.exitCode = await wranglerDev(["--ip", args.ip, "--port", args.port, "--assets", assets]);
  },
});

/**
 * What deploy says about the licence of the weights it uploads, from the query folder's manifest and the catalogue:
 * the licence and its URL, and a plain warning where a business may not use them or nobody recorded the licence.
 */
function licenceStatement(dir: string, manifest: ModelManifest): string[] {
  const entry = catalogueModelOf(manifest);
  const what = `${dir}: ${manifest.source.repo}${entry ? ` (catalogue model ${entry.name})` : ""}`;
  if (entry) {
    const l = entry.license;
    const lines = [`${what}, licensed ${l.name}${l.holder ? ` by ${l.holder}` : ""} (${l.terms}): ${l.url}`];
    if (!l.commercial) {
      lines.push(
        `⚠ NON-COMMERCIAL weights: ${l.name} forbids commercial use — this Worker may not serve a product or a paid service. ` +
          "Deploy an Apache-2.0 model for that (`npm run model -- list`).",
      );
    }
    return lines;
  }
  const recorded = manifest.source.license;
  return recorded
    ? [
        `${what}, licensed ${recorded} (as recorded when it was converted)`,
        "⚠ this model is not in splade-edge's catalogue: whether its licence allows your use was not checked — read its model card",
      ]
    : [`${what}: ⚠ the licence of these weights is UNKNOWN (converted outside the catalogue) — read the model card before you serve them`];
}

/**
 * Refuses an index Workers Static Assets would not take, before anything is uploaded: a file over 25 MiB, or more
 * files, with the query model's, than a version holds (counting every file in model/query, model.onnx too: an upper bound).
 */
function checkAssetLimits(index: ServedIndex, queryFiles: number): void {
  const large = index.files.find((f) => f.bytes > MAX_ASSET_BYTES);
  if (large) {
    throw new CliError(
      "failed",
      `${large.name} is ${large.bytes.toLocaleString("en-US")} bytes: Workers Static Assets take at most ${MAX_ASSET_BYTES.toLocaleString("en-US")} (25 MiB) per file — refusing to deploy it; build the index again with \`splade-index build\` (its files are at most 24 MiB)`,
    );
  }
  if (index.files.length + queryFiles > MAX_ASSET_FILES) {
    throw new CliError(
      "failed",
      `${INDEX} holds ${index.files.length.toLocaleString("en-US")} files and ${QUERY_MODEL} ${queryFiles}: Workers Static Assets take at most ${MAX_ASSET_FILES.toLocaleString("en-US")} files per version (free plan) — refusing to deploy them`,
    );
  }
}

const deploy = defineCommand({
  meta: { name: "deploy", description: "Deploy the Worker with model/query and model/index, if built, to Cloudflare (needs `wrangler login`)" },
  args: {
    "dry-run": { type: "boolean", description: "Check and bundle without uploading (wrangler deploy --dry-run): no Cloudflare login, no network" },
  },
  async run({ args }) {
    if (!existsSync(join(QUERY_MODEL, "manifest.json"))) {
      throw new CliError("failed", `${QUERY_MODEL}/ is missing — run \`npm run model -- fetch --only query\` first`);
    }
    await convertIfStale(QUERY_MODEL);
    if (await randomWeights(QUERY_MODEL)) {
      throw new CliError("failed", `${QUERY_MODEL} holds generated random weights; refusing to deploy them — fetch the real model first`);
    }
    const manifest = JSON.parse(await readFile(join(QUERY_MODEL, "manifest.json"), "utf8")) as ModelManifest;
    for (const line of licenceStatement(QUERY_MODEL, manifest)) console.error(line);
    const index = await servedIndex();
    if (index && "problem" in index) {
      throw new CliError(
        "failed",
        `${index.problem} — refusing to deploy it: build it again (\`npx splade-index build … --output ${INDEX} --force\`), or remove ${INDEX}/`,
      );
    }
    if (index) {
      console.error(`with the search index ${describeIndex(index)}`);
      checkAssetLimits(index, (await readdir(QUERY_MODEL)).length);
    }
    if (args["dry-run"]) {
      process.exitCode = await wrangler(["deploy", "--dry-run"]);
      return;
    }
    // Said plainly: an endpoint without keys lets anyone who finds the URL spend the account's CPU.
    const secrets = await secretNames();
    if (!secrets?.includes("SPLADE_API_KEYS")) {
      console.error(
        secrets === undefined
          ? "⚠ could not list this Worker's secrets (first deploy, or not logged in): unless SPLADE_API_KEYS is set, this deploys an OPEN endpoint"
          : "⚠ SPLADE_API_KEYS is not set: this deploys an OPEN endpoint — anyone with its URL can call it (only the rate limit in wrangler.toml applies)",
      );
      console.error("  set keys with `npx wrangler secret put SPLADE_API_KEYS` (comma-separated), before or after this deploy");
    }
    process.exitCode = await wrangler(["deploy"]);
  },
});

await runCli(defineCommand({ meta: { name: "serve" }, subCommands: { start, demo, deploy } }));
