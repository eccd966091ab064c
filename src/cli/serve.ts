// `npm start`, `npm run demo`, `npm run deploy`: the Worker through wrangler, with the model it needs in place.
import { defineCommand } from "citty";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CONVERTER_LAYOUT, convertFolder, sourceFolder } from "../model/convert.ts";
import { CATALOGUE, catalogueModelOf, halfRules } from "../model/catalogue.ts";
import type { ModelManifest } from "../model/manifest-format.ts";
import { runCli, CliError } from "./run.ts";
import { demoAssets, NO_CF_DOWNLOAD, WRANGLER } from "../node/wrangler-dev.ts";

/** The query model in what wrangler.toml serves as the Worker's private assets (model/). */
const QUERY_MODEL = join("model", "query");

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

const deploy = defineCommand({
  meta: { name: "deploy", description: "Deploy the Worker with model/query to Cloudflare (needs `wrangler login`)" },
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
