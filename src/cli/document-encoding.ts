// What encode-corpus and eval share around encode-corpus's core (src/corpus/encode.ts): the doc model loaded and run
// on its inference thread, the progress bar and the warnings wired to the core's callbacks, and Ctrl-C. The first
// Ctrl-C aborts the core's signal: no batch goes to the model after it, the ones there finish, the checkpoint keeps
// everything written, and the command ends with the core's "interrupted" error (exit 130). A second one quits at
// once, which a checkpointed run also survives (a kill at any point resumes byte for byte).
import type { CorpusProgress } from "../corpus/encode.ts";
import type { SpladeEncoder } from "../encoder/encoder.ts";
import { loadDocModel, startDocEncoder, type DocModel } from "../node/doc-model.ts";
import type { Engine } from "../node/inference-thread.ts";
import { EXIT_INTERRUPTED } from "./exit-codes.ts";
import { documentBar, interactive } from "./progress.ts";

/** Warnings printed one by one before the rest are only counted (the summary has the totals). */
const WARNINGS_SHOWN = 20;

export interface DocumentEncodingOptions {
  /** The converted doc model folder, and the option that named it (for messages). */
  model: string;
  option: string;
  maxLength?: number;
  engine: Engine;
  threads?: number;
  quiet: boolean;
  json: boolean;
  /** How to go on after Ctrl-C, e.g. "run the same command with --resume". */
  resume: string;
}

export interface DocumentEncoding {
  model: DocModel;
  encoder: SpladeEncoder;
  /** What a checkpoint records as the model. */
  modelId: string;
  randomWeights: boolean;
  /** Aborted by the first Ctrl-C. */
  signal: AbortSignal;
  /** The core's callbacks: progress to the bar, warnings above it. */
  events: { onProgress(progress: CorpusProgress): void; onWarning(message: string): void };
  /** Shows a warning above the bar (none with --quiet; past WARNINGS_SHOWN only counted). */
  warn(message: string): void;
  /** Removes the bar and the Ctrl-C handler, and ends the inference thread. */
  close(): Promise<void>;
}

/** Loads the doc model, starts its inference thread, and wires progress, warnings and Ctrl-C. */
export async function startDocumentEncoding(options: DocumentEncodingOptions): Promise<DocumentEncoding> {
  const model = await loadDocModel(options.model, { maxLength: options.maxLength, option: options.option });
  const { encoder, backend } = await startDocEncoder(model, { engine: options.engine, threads: options.threads });
  const bar = documentBar(interactive({ quiet: options.quiet, json: options.json }));
  let warnings = 0;
  const warn = (message: string) => {
    warnings++;
    if (options.quiet) return;
    if (warnings <= WARNINGS_SHOWN) bar.log(`⚠ ${message}`);
    else if (warnings === WARNINGS_SHOWN + 1) bar.log("⚠ further warnings are counted in the summary, not shown");
  };
  const controller = new AbortController();
  const onInterrupt = () => {
    bar.stop();
    if (controller.signal.aborted) {
      console.error("✖ interrupted again: quitting now (the last checkpoint stays valid)");
      process.exit(EXIT_INTERRUPTED);
    }
    console.error(`\n✖ interrupted — finishing the batches in progress, then stopping; ${options.resume} (Ctrl-C again quits at once)`);
    controller.abort();
  };
  process.on("SIGINT", onInterrupt);
  return {
    model,
    encoder,
    modelId: model.modelId,
    randomWeights: model.randomWeights,
    signal: controller.signal,
    events: { onProgress: (p) => bar.update(p.documents, p.tokens, p.fraction), onWarning: warn },
    warn,
    async close() {
      process.off("SIGINT", onInterrupt);
      bar.stop();
      await backend.close();
    },
  };
}
