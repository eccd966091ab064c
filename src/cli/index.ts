// `splade-index build INPUT… --output DIR`: an index@1 folder (docs/search.md) from encode-corpus `ids` output, for
// `/search`. The work is src/index/build.ts; this command parses options, wires the progress bar and prints the summary.
import { defineCommand } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { buildIndex, DEFAULT_MEMORY_BYTES, type BuildSummary } from "../index/build.ts";
import { indexBytes } from "../index/format.ts";
import { documentBar, interactive } from "./progress.ts";
import { CliError, positiveInt, printJson, runCli, variadic } from "./run.ts";

const MIB = 1024 * 1024;

function describe({ manifest: m, runs, seconds }: BuildSummary, output: string): string[] {
  const bytes = indexBytes(m);
  return [
    `indexed ${m.documents.toLocaleString("en-US")} documents, ${m.postings.toLocaleString("en-US")} postings over ${m.terms.toLocaleString("en-US")} terms → ${output}`,
    `  ${Object.keys(m.files).length} files, ${(bytes / MIB).toFixed(1)} MiB; scale ${m.quantization.scale.toPrecision(6)} (largest weight ${m.quantization.max_weight.toPrecision(6)})`,
    ...(m.stored.length > 0 ? [`  stored ${m.stored.join(", ")}: ${m.fields.length} part${m.fields.length === 1 ? "" : "s"}`] : []),
    `  ${seconds.toFixed(1)} s, ${runs} sorted run${runs === 1 ? "" : "s"}`,
  ];
}

/** citty keeps only the last of a repeated option: a second --corpus would drop the first one's files unsaid. */
function refuseRepeated(rawArgs: readonly string[], names: readonly string[]): void {
  const end = rawArgs.indexOf("--");
  const given = end === -1 ? rawArgs : rawArgs.slice(0, end);
  for (const name of names) {
    if (given.filter((a) => a === `--${name}` || a.startsWith(`--${name}=`)).length > 1) {
      throw new CliError("usage", `--${name} is given more than once: give its values once, comma-separated`);
    }
  }
}

const buildCommand = defineCommand({
  meta: { name: "build", description: "Build a search index from encode-corpus --format ids output (shards in order)" },
  args: {
    input: variadic({ type: "positional", description: "encode-corpus --format ids files (.gz read as such), in order; - for stdin", required: true }),
    output: { type: "string", alias: "o", description: "The index folder to write (model/index for the Worker)", required: true },
    model: { type: "string", description: "The doc model folder the input was encoded with (recorded, so the Worker pairs it)", default: "model/doc" },
    store: { type: "string", description: "Fields to store for /search to return, comma-separated (title,url), taken from --corpus" },
    corpus: {
      type: "string",
      description: "The corpus files the input was encoded from (JSONL or TSV, .gz read as such), comma-separated, in order: where --store reads",
    },
    memory: { type: "string", description: `MiB of postings held before a sorted run is spilled to disk (default ${DEFAULT_MEMORY_BYTES / MIB})` },
    force: { type: "boolean", description: "Replace a finished index at --output; never an input" },
    quiet: { type: "boolean", description: "No progress bar" },
    json: { type: "boolean", description: "Print the summary as JSON on stdout" },
  },
  async run({ args, rawArgs }) {
    refuseRepeated(rawArgs, ["store", "corpus"]);
    const memory = positiveInt("memory", args.memory);
    const bar = documentBar(interactive({ quiet: args.quiet, json: args.json }), "postings");
    // Ctrl-C: the core stops at its next document or term, removes its staging folder and fails "interrupted" (130).
    const controller = new AbortController();
    const onInterrupt = () => controller.abort();
    process.once("SIGINT", onInterrupt);
    let summary: BuildSummary;
    try {
      summary = await buildIndex(
        {
          inputs: [args.input, ...args._.slice(1)],
          output: args.output,
          model: args.model,
          force: Boolean(args.force),
          memoryBytes: memory === undefined ? undefined : memory * MIB,
          store: args.store?.split(",").map((name) => name.trim()),
          corpus: args.corpus?.split(","),
          signal: controller.signal,
          builder: { name: "splade-index", version: pkg.version },
        },
        {
          onProgress: (p) => bar.update(p.documents, p.postings, p.terms && p.terms.done / p.terms.total),
          onWarning: (message) => bar.log(`⚠ ${message}`),
        },
      );
    } finally {
      process.off("SIGINT", onInterrupt);
      bar.stop();
    }
    if (summary.manifest.document_model.random_weights) {
      console.error(`⚠ ${args.model} holds random weights (a generated test model): this index's scores mean nothing`);
    }
    if (args.json) printJson({ ok: true, output: args.output, runs: summary.runs, seconds: Number(summary.seconds.toFixed(3)), ...summary.manifest });
    else for (const line of describe(summary, args.output)) console.log(line);
  },
});

export const indexCommand = defineCommand({
  meta: { name: "splade-index", description: "Build the search index /search answers from" },
  subCommands: { build: buildCommand },
});

await runCli(indexCommand);
