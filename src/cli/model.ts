// `npm run model -- fetch | convert | list`: Hugging Face checkpoints → splade-edge model folders, and the catalogue.
import { defineCommand } from "citty";
import { basename, join, resolve } from "node:path";
import {
  CATALOGUE,
  catalogueEntry,
  DEFAULT_MODEL,
  halfRules,
  servable,
  type ModelDescription,
  type QueryHalf,
  type TransformerHalf,
} from "../model/catalogue.ts";
import { convertFolder, DEFAULT_MAX_LENGTH, hubCacheFolder, type ConvertOptions } from "../model/convert.ts";
import { fetchModel, listRepoFiles } from "../model/hub.ts";
import type { ModelManifest, ModelRole } from "../model/manifest.ts";
import { byteBar, interactive } from "./progress.ts";
import { runCli, CliError, printJson } from "./run.ts";

function licenseNotice(m: ModelDescription): string {
  const l = m.license;
  const use = l.commercial
    ? `Commercial use: yes (${l.name}).`
    : `Commercial use: NO — ${l.name} is a non-commercial licence: these weights may not be used in a product or a paid service.`;
  return `The ${m.label} weights are licensed ${l.name}${l.holder ? ` by ${l.holder}` : ""} (${l.terms}):
${l.url} — see each model card on the Hub. ${use}
splade-edge does not ship them; you download them under that licence, and anything derived from them (the converted files) carries it too.`;
}

/** Said before the first request: the Hub answers a gated repo with 401/403 until its conditions are accepted. */
function gatedNotice(m: ModelDescription): string {
  const pages = [...new Set([m.query.hub.repo, m.document.hub.repo])].map((repo) => `https://huggingface.co/${repo}`).join(" and ");
  const token = process.env.HF_TOKEN || process.env.HUGGING_FACE_HUB_TOKEN ? "HF_TOKEN is set" : "HF_TOKEN is not set";
  return `${m.name} is gated on the Hub: accept its conditions on ${pages} while logged in, then set HF_TOKEN to a read token of that account (https://huggingface.co/settings/tokens) — ${token}.`;
}

function summary(m: ModelManifest, dir: string): string {
  if (m.kind === "inference-free") {
    const w = m.static_weights;
    return `${dir}: ${m.source.repo}, inference-free (${w.weighting} weights from ${w.origin}, ${w.weighted_tokens} tokens weighted), vocab ${m.vocab_size}, max length ${m.max_length}, ${w.file} ${(w.bytes / 1024).toFixed(1)} KiB`;
  }
  const onnx = m.files["model.onnx"];
  return `${dir}: ${m.source.repo}, ${m.architecture} ${m.config.numLayers}×${m.config.hiddenSize}, vocab ${m.vocab_size}, max length ${m.max_length}, model.onnx ${(onnx.bytes / 1048576).toFixed(1)} MiB`;
}

/**
 * --max-length, else the catalogue's length for the half (`fallback`), else undefined: convert then takes a transformer
 * query encoder's DEFAULT_MAX_LENGTH, a document encoder's own (as sentence-transformers reads it), an inference-free
 * tokenizer's model_max_length.
 */
function maxLength(value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2) throw new CliError("usage", `--max-length must be an integer ≥ 2, got ${value}`);
  return n;
}

function stepLogger(quiet: boolean): ConvertOptions["onStep"] {
  const what = { read: "reading", build: "building ONNX for", write: "writing" } as const;
  return (step, detail) => {
    if (!quiet) console.error(`  ${what[step]} ${detail}`);
  };
}

const NAME_ARG = {
  type: "string",
  description: "The model's public name, shown by the Worker (default: config.json's _name_or_path when it is a Hub id, else the input folder's name)",
} as const;

function checkName(name: string | undefined): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a name goes into HTTP answers and headers, one line.
  if (name !== undefined && (name.trim() === "" || /[\u0000-\u001f\u007f]/.test(name)))
    throw new CliError("usage", `--name must be a non-empty name on one line, got ${JSON.stringify(name)}`);
}

const fetchCommand = defineCommand({
  meta: {
    name: "fetch",
    description: "Download a catalogue model's query and document halves from the Hugging Face Hub and convert them (`npm run model -- list` names them)",
  },
  args: {
    model: { type: "string", description: `The catalogue model (default ${DEFAULT_MODEL.name})`, default: DEFAULT_MODEL.name },
    "query-repo": { type: "string", description: "Hub id of the query half (default: the catalogue's)" },
    "doc-repo": { type: "string", description: "Hub id of the document half (default: the catalogue's)" },
    revision: { type: "string", description: "Branch, tag or commit to pin (both repos; default: the catalogue's revision of each, else main)" },
    only: { type: "enum", options: ["query", "doc"], description: "Fetch just one half" },
    out: { type: "string", description: "Folder for the converted models", default: "model" },
    "max-length": { type: "string", description: `Tokens per text (default: the catalogue's for each half, else ${DEFAULT_MAX_LENGTH})` },
    name: NAME_ARG,
    quiet: { type: "boolean", description: "No progress output" },
  },
  async run({ args }) {
    checkName(args.name);
    const entry = catalogueEntry(args.model);
    const roles: ModelRole[] = args.only ? [args.only] : ["query", "doc"];
    const out = resolve(args.out);
    const show = interactive({ quiet: args.quiet });
    // Shown even with --quiet: nobody should download these weights without seeing their terms.
    console.error(`${licenseNotice(entry)}\n`);
    if (entry.gated.value) console.error(`${gatedNotice(entry)}\n`);
    for (const role of roles) {
      const half: QueryHalf | TransformerHalf = role === "query" ? entry.query : entry.document;
      const repo = (role === "query" ? args["query-repo"] : args["doc-repo"]) ?? half.hub.repo;
      // The catalogue pins its own repo; another repo is read at its default branch, as the Hub serves it.
      const ours = repo === half.hub.repo;
      const revision = args.revision ?? (ours ? half.hub.revision : "main");
      const { sha } = await listRepoFiles(repo, { revision });
      if (ours && args.revision === undefined && !half.hub.pinned) {
        console.error(
          `warning: the catalogue pins no commit of ${repo} (${half.hub.note ?? "none was read"}): fetching ${revision} as it is now, commit ${sha} — ` +
            `its files may differ from what the catalogue describes; --revision ${sha} fetches the same again`,
        );
      }
      const cache = hubCacheFolder(out, repo, sha, role);
      if (!args.quiet) console.error(`${role}: ${repo}@${revision} (${sha.slice(0, 12)})`);
      let bar = byteBar("", false);
      const fetched = await fetchModel(repo, role, cache, {
        revision: sha,
        inferenceFree: "kind" in half && half.kind === "inference-free" ? half.weights.value.weighting : undefined,
        onFile: (f) => {
          bar.stop();
          bar = byteBar(basename(f.path).padEnd(24), show);
        },
        onProgress: (p) => bar.update(p.received, p.total),
      });
      bar.stop();
      const target = join(out, role);
      const { model, ...rules } = halfRules(entry, role);
      const manifest = await convertFolder(cache, target, {
        // queryWeights, activation and dropSpecialIds: the converter's options for the half's SPLADE rules.
        ...rules,
        role,
        maxLength: maxLength(args["max-length"], rules.maxLength),
        source: { repo, revision, commit: sha, folder: fetched.folder },
        name: args.name,
        // A half fetched from another repo than the catalogue's is not that model's.
        model: ours ? model : undefined,
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
    "max-length": {
      type: "string",
      description: `Tokens per text (default: the --model's for the half; else a query encoder ${DEFAULT_MAX_LENGTH}, as trained; a document encoder its own, as sentence-transformers reads it; an inference-free query model its tokenizer's model_max_length)`,
    },
    "query-weights": {
      type: "enum",
      options: ["per-token", "uniform"],
      description:
        "An inference-free query model: per-token (the folder's idf.json, query_token_weights.txt or sentence-transformers query module; the default when it has one) or uniform (every token 1, [CLS]/[SEP]/[MASK] 0: naver/splade-v3-doc)",
    },
    model: { type: "string", description: "The catalogue model the folder is a half of: its rules and licence apply, and the manifest names it" },
    name: NAME_ARG,
    quiet: { type: "boolean", description: "No progress output" },
  },
  async run({ args }) {
    checkName(args.name);
    const role = args.role ?? (basename(args.output) === "doc" ? "doc" : basename(args.output) === "query" ? "query" : undefined);
    if (args.model !== undefined && role === undefined) {
      throw new CliError("usage", `--model needs the half: pass --role query|doc, or name the output folder query or doc (got ${args.output})`);
    }
    const rules = args.model !== undefined && role !== undefined ? halfRules(catalogueEntry(args.model), role) : undefined;
    const started = performance.now();
    const manifest = await convertFolder(resolve(args.input), resolve(args.output), {
      // queryWeights, activation and dropSpecialIds: the converter's options for the half's SPLADE rules.
      ...rules,
      role,
      maxLength: maxLength(args["max-length"], rules?.maxLength),
      queryWeights: args["query-weights"] ?? rules?.queryWeights,
      name: args.name,
      onStep: stepLogger(Boolean(args.quiet)),
    });
    console.log(`${summary(manifest, args.output)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  },
});

/** "BertForMaskedLM 2×128", or the architecture alone where the shape was not read. */
function architecture(half: ModelDescription["document"]): string {
  const shape = half.shape.value;
  return shape ? `${half.architecture.value} ${shape.layers}×${shape.hidden}` : half.architecture.value;
}

function where(hub: ModelDescription["document"]["hub"]): string {
  return `${hub.repo}@${hub.pinned ? hub.revision.slice(0, 12) : `${hub.revision}, unpinned`}`;
}

/** Each metric once, its distinct published values joined ("133 / 137"). */
function figures(list: ReadonlyArray<{ metric: string; value: number }>, format: (value: number) => string): string {
  const byMetric = new Map<string, Set<string>>();
  for (const { metric, value } of list) byMetric.set(metric, (byMetric.get(metric) ?? new Set()).add(format(value)));
  return [...byMetric].map(([metric, values]) => `${metric} ${[...values].join(" / ")}`).join("; ");
}

function describeModel(m: ModelDescription): string[] {
  const { query, document, license } = m;
  const tags = [m === DEFAULT_MODEL && "default", servable(m) ? "served by splade-edge" : "not served", m.gated.value && "gated on the Hub"];
  const queryLine =
    query.kind === "transformer"
      ? `transformer: ${architecture(query)}, ${query.activation.value} (${where(query.hub)})`
      : `inference-free: ${query.weights.value.weighting === "uniform" ? "every token weighs 1" : "a weight per token"} (${where(query.hub)})`;
  const maxLength = document.maxLength.value ?? "not read";
  const size = m.sizes.map((s) => `${s.half} ${s.file} ${s.size}`).join(", ");
  return [
    `${m.name}  (${tags.filter(Boolean).join(", ")})`,
    `  query      ${queryLine}`,
    `  document   ${architecture(document)}, ${document.activation.value}, max length ${maxLength} (${where(document.hub)})`,
    `  licence    ${license.name}${license.commercial ? "" : " — NON-COMMERCIAL: not for use in a product"} (${license.url})`,
    `  quality    ${figures(m.quality, (v) => v.toFixed(1)) || "none published"}`,
    `  size       ${[figures(m.parameters, (v) => `${v}M`), size].filter(Boolean).join("; ") || "none published"}`,
  ];
}

const listCommand = defineCommand({
  meta: { name: "list", description: "List the model catalogue: each model's halves, licence, published quality and size" },
  args: { json: { type: "boolean", description: "Print the catalogue as JSON on stdout" } },
  run({ args }) {
    if (args.json) {
      printJson({ models: CATALOGUE.map((m) => ({ ...m, default: m === DEFAULT_MODEL, servable: servable(m) })) });
      return;
    }
    console.log(CATALOGUE.map((m) => describeModel(m).join("\n")).join("\n\n"));
  },
});

export const modelCommand = defineCommand({
  meta: { name: "model", description: "Fetch, convert and list splade-edge models" },
  subCommands: { fetch: fetchCommand, convert: convertCommand, list: listCommand },
});

await runCli(modelCommand);
