// `npm run model -- fetch | convert`: Hugging Face checkpoints → splade-edge model folders.
import { defineCommand } from "citty";
import { basename, join, resolve } from "node:path";
import { convertFolder, DEFAULT_MAX_LENGTH, hubCacheFolder, type ConvertOptions } from "../model/convert.ts";
import { fetchModel, listRepoFiles } from "../model/hub.ts";
import type { ModelManifest, ModelRole } from "../model/manifest.ts";
import { byteBar, interactive } from "./progress.ts";
import { runCli, CliError } from "./run.ts";

export const DEFAULT_REPOS: Record<ModelRole, string> = {
  query: "naver/efficient-splade-VI-BT-large-query",
  doc: "naver/efficient-splade-VI-BT-large-doc",
};
export const WEIGHTS_LICENSE = "CC BY-NC-SA 4.0";
const LICENSE_NOTICE = `The efficient-SPLADE weights are licensed ${WEIGHTS_LICENSE} by NAVER (non-commercial, share-alike):
https://creativecommons.org/licenses/by-nc-sa/4.0/ — see each model card on the Hub. splade-edge does not ship them;
you download them under that licence, and anything derived from them (the converted ONNX files) carries it too.`;

function summary(m: ModelManifest, dir: string): string {
  const onnx = m.files["model.onnx"];
  return `${dir}: ${m.source.repo}, ${m.architecture} ${m.config.numLayers}×${m.config.hiddenSize}, vocab ${m.vocab_size}, max length ${m.max_length}, model.onnx ${(onnx.bytes / 1048576).toFixed(1)} MiB`;
}

function maxLength(value: string | undefined): number {
  const n = value === undefined ? DEFAULT_MAX_LENGTH : Number(value);
  if (!Number.isInteger(n) || n < 2) throw new CliError("usage", `--max-length must be an integer ≥ 2, got ${value}`);
  return n;
}

function stepLogger(quiet: boolean): ConvertOptions["onStep"] {
  const what = { read: "reading", build: "building ONNX for", write: "writing" } as const;
  return (step, detail) => {
    if (!quiet) console.error(`  ${what[step]} ${detail}`);
  };
}

const fetchCommand = defineCommand({
  meta: { name: "fetch", description: "Download the efficient-SPLADE query and doc encoders from the Hugging Face Hub and convert them" },
  args: {
    "query-repo": { type: "string", description: "Hub id of the query encoder", default: DEFAULT_REPOS.query },
    "doc-repo": { type: "string", description: "Hub id of the document encoder", default: DEFAULT_REPOS.doc },
    revision: { type: "string", description: "Branch, tag or commit to pin (both repos)", default: "main" },
    only: { type: "enum", options: ["query", "doc"], description: "Fetch just one encoder" },
    out: { type: "string", description: "Folder for the converted models", default: "model" },
    "max-length": { type: "string", description: `Tokens per text (default ${DEFAULT_MAX_LENGTH}, as trained)` },
    name: {
      type: "string",
      description: "The model's public name, shown by the Worker (default: config.json's _name_or_path when it is a Hub id, else the input folder's name)",
    },
    quiet: { type: "boolean", description: "No progress output" },
  },
  async run({ args }) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a name goes into HTTP answers and headers, one line.
    if (args.name !== undefined && (args.name.trim() === "" || /[\u0000-\u001f\u007f]/.test(args.name)))
      throw new CliError("usage", `--name must be a non-empty name on one line, got ${JSON.stringify(args.name)}`);
    const roles: ModelRole[] = args.only ? [args.only] : ["query", "doc"];
    const length = maxLength(args["max-length"]);
    const out = resolve(args.out);
    const show = interactive({ quiet: args.quiet });
    // Shown even with --quiet: nobody should download these weights without seeing their terms.
    console.error(`${LICENSE_NOTICE}\n`);
    for (const role of roles) {
      const repo = role === "query" ? args["query-repo"] : args["doc-repo"];
      const { sha } = await listRepoFiles(repo, { revision: args.revision });
      const cache = hubCacheFolder(out, repo, sha, role);
      if (!args.quiet) console.error(`${role}: ${repo}@${args.revision} (${sha.slice(0, 12)})`);
      let bar = byteBar("", false);
      const fetched = await fetchModel(repo, role, cache, {
        revision: sha,
        onFile: (f) => {
          bar.stop();
          bar = byteBar(basename(f.path).padEnd(24), show);
        },
        onProgress: (p) => bar.update(p.received, p.total),
      });
      bar.stop();
      const target = join(out, role);
      const manifest = await convertFolder(cache, target, {
        role,
        maxLength: length,
        source: { repo, revision: args.revision, commit: sha, folder: fetched.folder },
        license: WEIGHTS_LICENSE,
        onStep: stepLogger(Boolean(args.quiet)),
      });
      console.log(summary(manifest, target));
    }
  },
});

const convertCommand = defineCommand({
  meta: { name: "convert", description: "Convert a local Hugging Face model folder to ONNX with SPLADE pooling in the graph" },
  args: {
    input: { type: "positional", description: "Hugging Face model folder (config.json + model.safetensors or pytorch_model.bin)", required: true },
    output: { type: "positional", description: "Output folder (e.g. model/query)", required: true },
    role: { type: "enum", options: ["query", "doc"], description: "Which encoder (default: from the output folder name, else the architecture)" },
    "max-length": { type: "string", description: `Tokens per text (default ${DEFAULT_MAX_LENGTH}, as trained)` },
    name: {
      type: "string",
      description: "The model's public name, shown by the Worker (default: config.json's _name_or_path when it is a Hub id, else the input folder's name)",
    },
    quiet: { type: "boolean", description: "No progress output" },
  },
  async run({ args }) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a name goes into HTTP answers and headers, one line.
    if (args.name !== undefined && (args.name.trim() === "" || /[\u0000-\u001f\u007f]/.test(args.name)))
      throw new CliError("usage", `--name must be a non-empty name on one line, got ${JSON.stringify(args.name)}`);
    const role = args.role ?? (basename(args.output) === "doc" ? "doc" : basename(args.output) === "query" ? "query" : undefined);
    const started = performance.now();
    const manifest = await convertFolder(resolve(args.input), resolve(args.output), {
      role,
      maxLength: maxLength(args["max-length"]),
      name: args.name,
      onStep: stepLogger(Boolean(args.quiet)),
    });
    console.log(`${summary(manifest, args.output)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  },
});

export const modelCommand = defineCommand({
  meta: { name: "model", description: "Fetch and convert splade-edge models" },
  subCommands: { fetch: fetchCommand, convert: convertCommand },
});

await runCli(modelCommand);
