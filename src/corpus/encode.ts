// encode-corpus's core: read → parse → tokenize → batch by length → encode → write in input order → checkpoint.
// UI-free: it reports through callbacks and throws CorpusError for what the user must fix.
//
// This file decides whether a run may start (the input is not the output, a finished run or a stranger's file is not
// written over, a resume fits its checkpoint) and wires three pieces:
// - windows.ts reads the input as windows of `sortWindow` records at fixed positions (k·W from the start), so the
//   batches are a pure function of the input and the settings, and a resumed run or a shard runs exactly the
//   batches one uninterrupted run would: their outputs match byte for byte;
// - window-encoder.ts tokenizes a window, sorts it by length into batches and encodes them;
// - run-state.ts renders a window and makes it durable: the output flush, then the checkpoint.
//
// Overlap: the encoder's backend runs on another thread (onnxruntime-node's run() blocks the thread that calls it),
// and up to two windows are in flight, so while the model encodes window w this thread reads and tokenizes window
// w+1 and writes window w−1; at most two batches wait at the backend (window-encoder.ts's BatchGate).
//
// Interrupt (`signal`): no batch goes to the backend after it, the batches there finish, nothing more is written, and
// the run ends with CorpusError("interrupted"): the checkpoint holds every window written, so --resume goes on.
import { resolve } from "node:path";
import type { SpladeEncoder } from "../encoder/encoder.ts";
import { idProblem, optionProblems, type Format, type FormatOptions } from "../encoder/formats/index.ts";
import type { SparsifyOptions } from "../encoder/sparse.ts";
import { readCheckpoint, settingsChange, type Checkpoint, type CorpusTotals } from "./checkpoint.ts";
import { CorpusError } from "./errors.ts";
import { openInput, openProblem, type Input } from "./input.ts";
import { existingParts, planOutput, refuseInputAsOutput } from "./output.ts";
import { formatFromName, type InputFormat } from "./records.ts";
import { CorpusRun, renderWindow, type RenderSettings } from "./run-state.ts";
import { shardRange, type Shard } from "./shard.ts";
import { BatchGate, encodeWindow, Interrupted, type EncodedWindow } from "./window-encoder.ts";
import { readWindows } from "./windows.ts";

export interface EncodeCorpusOptions {
  /** A path, or "-" for stdin. */
  input: string;
  /** File, directory or part pattern (see planOutput). */
  output: string;
  /** A format with a document side, and its options (field, quantize, index, …). */
  format: Format;
  formatOptions: FormatOptions;
  /** Default: from the input's name, else from its first line. */
  inputFormat?: InputFormat;
  encoder: SpladeEncoder;
  /** What the checkpoint records as the model (e.g. model.onnx's sha256) and engine, so a resume uses the same. */
  model: string;
  engine: string;
  sparsify: SparsifyOptions;
  batchSize: number;
  /** Records per window: the unit sorted by length, written, and checkpointed. */
  sortWindow: number;
  /** False batches each window in input order instead (the baseline `npm run bench -- corpus` measures against). */
  byLength?: boolean;
  shard?: Shard;
  splitSize?: number;
  resume: boolean;
  /** Write over an output this run did not start (a finished run, or files no checkpoint accounts for). */
  force?: boolean;
  onError: "stop" | "skip";
  stdin?: NodeJS.ReadableStream;
  /** Aborting it stops the run promptly, resumable (Ctrl-C). */
  signal?: AbortSignal;
}

export interface CorpusProgress {
  /** Documents encoded so far (the resumed ones included). */
  documents: number;
  tokens: number;
  /**
   * Records done (encoded or skipped, the resumed ones included) over the run's records: a shard's range, or the
   * whole input, counted alongside the run. Undefined until that count is known, and for stdin.
   */
  fraction?: number;
}

export interface EncodeCorpusEvents {
  /** The input is open and the resume point known. */
  onStart?(info: { resumedAt: number; records?: number }): void;
  onProgress?(progress: CorpusProgress): void;
  /** Something the user should see but that does not stop the run (duplicate ids, skipped lines). */
  onWarning?(message: string): void;
}

export interface CorpusSummary {
  totals: CorpusTotals;
  files: string[];
  checkpoint: string;
  /** Records of the shard's range already done by earlier runs (0 for a fresh run). */
  resumedAt: number;
  /** True when --resume found the run already complete (nothing was encoded). */
  alreadyDone: boolean;
  /** This run only. */
  encoded: number;
  tokens: number;
  seconds: number;
}

async function open(path: string, stdin?: NodeJS.ReadableStream): Promise<Input> {
  try {
    return await openInput(path, stdin);
  } catch (error) {
    const problem = openProblem(error);
    if (problem === undefined) throw error;
    throw new CorpusError(
      "usage",
      `${path}: ${problem}${(error as NodeJS.ErrnoException).code === "EISDIR" ? "; give a collection file (or - for stdin)" : ""}`,
    );
  }
}

async function countRecords(path: string): Promise<number> {
  let count = 0;
  for await (const _ of (await open(path)).lines()) count++;
  return count;
}

/**
 * The input's record count, read alongside the run for the progress fraction (a few seconds for millions of lines,
 * next to hours of encoding); undefined when `stopped()` says the run is over first. A file it cannot read gives
 * undefined too: the run reads the same file, and reports what is wrong with it.
 */
async function countAlongside(path: string, stopped: () => boolean): Promise<number | undefined> {
  let count = 0;
  try {
    for await (const _ of (await openInput(path)).lines()) {
      if (stopped()) return undefined;
      count++;
    }
  } catch {
    return undefined;
  }
  return count;
}

/** At most this many batches wait at the backend (BatchGate): one running, one queued behind it. */
const BATCHES_AT_BACKEND = 2;

function settingsOf(options: EncodeCorpusOptions, input: Input): Checkpoint["settings"] {
  return {
    input: options.input === "-" ? "-" : resolve(options.input),
    input_bytes: input.size ?? null,
    input_format: options.inputFormat ?? null,
    format: options.format.name,
    quantize: options.formatOptions.quantize ?? options.format.defaultQuantize ?? null,
    field: options.formatOptions.field ?? null,
    index: options.formatOptions.index ?? null,
    namespace: options.formatOptions.namespace ?? null,
    doctype: options.formatOptions.doctype ?? null,
    top_k: options.sparsify.topK ?? null,
    min_weight: options.sparsify.minWeight ?? null,
    max_length: options.encoder.tokenizer.maxLength,
    batch_size: options.batchSize,
    sort_window: options.sortWindow,
    batching: options.byLength === false ? "input order" : "by length",
    shard: options.shard ? `${options.shard.index}/${options.shard.count}` : null,
    split_size: options.splitSize ?? null,
    model: options.model,
    engine: options.engine,
  };
}

/** Encodes a collection into `options.output`; resumable after a kill at any point with `resume: true`. */
export async function encodeCorpus(options: EncodeCorpusOptions, events: EncodeCorpusEvents = {}): Promise<CorpusSummary> {
  const started = performance.now();
  const { encoder, format, batchSize, sortWindow } = options;
  if (options.shard && options.input === "-") {
    throw new CorpusError("usage", "--shard needs a file, not stdin: shards are cut by position, which takes counting the records first");
  }
  const formatProblems = optionProblems(format, "document", options.formatOptions, (name) => `--${name}`);
  if (formatProblems.length > 0) throw new CorpusError("usage", formatProblems.join("; "));
  const plan = planOutput(options.output, options.splitSize);
  await refuseInputAsOutput(plan, options.input === "-" ? undefined : options.input);
  const input = await open(options.input, options.stdin);
  const rangeTotal = options.shard ? await countRecords(options.input) : undefined;
  const range = options.shard && rangeTotal !== undefined ? shardRange(rangeTotal, sortWindow, options.shard) : { start: 0, end: Infinity };
  const settings = settingsOf(options, input);

  const previous = await readCheckpoint(plan.checkpoint);
  let resumed: Checkpoint | undefined;
  if (previous && options.resume) {
    const change = settingsChange(previous.settings, settings);
    if (change) {
      throw new CorpusError(
        "resume",
        `${plan.checkpoint} belongs to a run with other settings (${change}): rerun with the same options, or delete it to start over`,
      );
    }
    resumed = previous;
  } else if (previous && !options.force) {
    throw new CorpusError(
      previous.done ? "usage" : "resume",
      previous.done
        ? `${options.output} holds a finished run (${previous.totals.documents} documents): choose another --output, or add --force to write over it`
        : `${options.output} holds an unfinished run (${previous.totals.documents} documents written): add --resume to continue it, or --force to start over`,
    );
  } else if (!previous && !options.force) {
    const existing = existingParts(plan);
    if (existing.length > 0) {
      throw new CorpusError(
        "usage",
        `${existing[0]} exists and no checkpoint of encode-corpus accounts for it: choose another --output, or add --force to write over it`,
      );
    }
    if (options.resume) events.onWarning?.(`no checkpoint at ${plan.checkpoint}: starting from the first record`);
  }
  const resumedAt = resumed?.records ?? 0;
  if (resumed?.done) {
    return { totals: resumed.totals, files: resumed.files, checkpoint: plan.checkpoint, resumedAt, alreadyDone: true, encoded: 0, tokens: 0, seconds: 0 };
  }

  const run = await CorpusRun.begin(plan, settings, resumed);
  const rangeSize = Number.isFinite(range.end) ? range.end - range.start : undefined;
  events.onStart?.({ resumedAt, records: rangeSize });

  let encoded = 0;
  let tokens = 0;
  let recordsDone = 0;
  let encodedWhileStopping = 0;
  let total = rangeSize;
  let over = false;
  if (total === undefined && options.input !== "-") {
    void countAlongside(options.input, () => over).then((count) => {
      total = count;
    });
  }
  const resumedDocuments = run.totals.documents;
  const fraction = () => (total === undefined ? undefined : total === 0 ? 1 : Math.min(1, (resumedAt + recordsDone) / total));
  const progress = () => events.onProgress?.({ documents: resumedDocuments + encoded, tokens, fraction: fraction() });

  const encoding = { batchSize, byLength: options.byLength ?? true, sparsify: options.sparsify };
  const gate = new BatchGate(BATCHES_AT_BACKEND, options.signal);
  const rendering: RenderSettings = {
    format,
    formatOptions: options.formatOptions,
    context: { token: (id) => encoder.tokenizer.token(id), model: options.model, vocabSize: encoder.dimensions },
    onError: options.onError,
    inputName: input.name,
    onWarning: events.onWarning,
  };
  const write = async (encodedWindow: EncodedWindow) => {
    const { window } = encodedWindow;
    await run.commit(renderWindow(encodedWindow, rendering), Math.min(window.end, range.end) - range.start);
    progress();
  };
  // Waiting for input (stdin that has not sent more yet) ends at an interrupt too.
  const interrupt = new Promise<never>((_, reject) => {
    if (options.signal?.aborted) reject(new Interrupted("interrupted"));
    options.signal?.addEventListener("abort", () => reject(new Interrupted("interrupted")), { once: true });
  });
  interrupt.catch(() => {});

  // Up to two windows in flight: while the model encodes window w, this thread reads and tokenizes w+1 and writes
  // w−1. They are written in input order, each as one durable flush and checkpoint.
  const inflight: Array<Promise<EncodedWindow>> = [];
  const windows = readWindows(input, {
    range,
    resumedAt,
    sortWindow,
    inputFormat: options.inputFormat ?? (options.input === "-" ? undefined : formatFromName(options.input)),
    idProblem: (id) => idProblem(format, "document", id),
    onError: options.onError,
    onWarning: events.onWarning,
  });
  let lastEnd: number | undefined;
  let stop: CorpusError | undefined;
  // A malformed line ends the reading; the windows before it are still written, then the run stops on it.
  const nextWindow = async () => {
    const reading = windows.next();
    reading.catch(() => {});
    try {
      return await Promise.race([reading, interrupt]);
    } catch (error) {
      if (!(error instanceof CorpusError && error.kind === "input")) throw error;
      stop = error;
      return { done: true as const, value: undefined };
    }
  };
  try {
    for (let next = await nextWindow(); !next.done; next = await nextWindow()) {
      const window = next.value;
      lastEnd = window.end;
      const pending = encodeWindow(encoder, window, encoding, gate, (records, documents, batchTokens) => {
        encoded += documents;
        recordsDone += records;
        tokens += batchTokens;
        if (options.signal?.aborted) encodedWhileStopping += documents;
        progress();
      });
      // Awaited in order below; this only keeps a failure from being reported as unhandled before then.
      pending.catch(() => {});
      inflight.push(pending);
      if (inflight.length > 1) await write(await (inflight.shift() as Promise<EncodedWindow>));
    }
    while (inflight.length > 0) await write(await (inflight.shift() as Promise<EncodedWindow>));
    if (stop) throw stop;
    await run.finish(rangeSize ?? (lastEnd ?? range.start + resumedAt) - range.start);
    const totals = run.totals;
    if (totals.documents === 0 && totals.skipped === 0) {
      events.onWarning?.(
        options.shard
          ? `shard ${options.shard.index}/${options.shard.count} of ${input.name} holds no records (the input's ${rangeTotal} fall in other shards: windows of ${sortWindow} are kept whole): its output is empty`
          : `${input.name} holds no documents: the output is empty`,
      );
    }
    return {
      totals,
      files: run.files(),
      checkpoint: plan.checkpoint,
      resumedAt,
      alreadyDone: false,
      encoded,
      tokens,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    if (!options.signal?.aborted) throw error;
    // The batches at the backend finish (each window waits for its own), then the run ends where it was written.
    await Promise.allSettled(inflight);
    throw new CorpusError(
      "interrupted",
      `interrupted: ${run.totals.documents.toLocaleString("en-US")} documents are written and checkpointed in ${plan.checkpoint}` +
        (encodedWhileStopping > 0 ? `; the ${encodedWhileStopping} encoded while stopping (the batches in progress) are not` : ""),
      { cause: error },
    );
  } finally {
    over = true;
    input.close();
    await Promise.allSettled(inflight);
    await run.release();
  }
}
