// encode-corpus's core: read → parse → tokenize → batch by length → encode → write in input order → checkpoint.
// UI-free: it reports through callbacks and throws CorpusError for what the user must fix.
//
// The input is cut into windows of `sortWindow` records at fixed positions (k·W from the start of the input). A
// window is tokenized, sorted by length into batches, encoded, then written in input order as one durable flush
// followed by a checkpoint. Fixed windows make the batches a pure function of the input and the settings, so a
// resumed run and every shard run the same batches as one uninterrupted run: their outputs match byte for byte.
//
// Overlap: the encoder's backend runs on another thread (onnxruntime-node's run() blocks the thread that calls it),
// and up to two windows are in flight, so while the model encodes window w this thread reads and tokenizes window
// w+1 and writes window w−1.
import { dirname, resolve } from "node:path";
import type { EncodedText, SpladeEncoder } from "../encoder/encoder.ts";
import { FormatError, idProblem, optionProblems, renderDocument, type Format, type FormatContext, type FormatOptions } from "../encoder/formats/index.ts";
import type { SparsifyOptions } from "../encoder/sparse.ts";
import { planBatches } from "./batching.ts";
import { CorpusError } from "./errors.ts";
import { CHECKPOINT_FORMAT, readCheckpoint, settingsChange, SKIPPED_DETAIL, writeCheckpoint, ZERO_TOTALS, type Checkpoint, type CorpusTotals } from "./checkpoint.ts";
import { openInput, type Input } from "./input.ts";
import { createDirectory, existingParts, OutputSink, planOutput, refuseInputAsOutput, START, type OutputPosition } from "./output.ts";
import { formatFromLine, formatFromName, parseRecord, type CorpusDocument, type InputFormat, type ParsedRecord } from "./records.ts";
import { shardRange, type Shard } from "./shard.ts";

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
}

export interface CorpusProgress {
  /** Documents encoded so far (the resumed ones included). */
  documents: number;
  tokens: number;
  /** Fraction of the work done, when it can be known (input bytes, or the shard's record count). */
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

interface WindowEntry {
  line: number;
  doc?: CorpusDocument;
  duplicate?: boolean;
  reason?: string;
}

interface Window {
  entries: WindowEntry[];
  /** Input record index (0-based, whole input) just past the window. */
  end: number;
  /** Input bytes read when the window was complete (within a read chunk of its end). */
  bytes: number;
}

interface EncodedWindow {
  window: Window;
  /** One per entry with a document, in entry order. */
  vectors: EncodedText[];
}

function errnoMessage(error: unknown, path: string): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `${path}: no such file`;
  if (code === "EISDIR") return `${path} is a directory; give a collection file (or - for stdin)`;
  if (code === "EACCES") return `${path}: permission denied`;
  return undefined;
}

async function open(path: string, stdin?: NodeJS.ReadableStream): Promise<Input> {
  try {
    return await openInput(path, stdin);
  } catch (error) {
    const message = errnoMessage(error, path);
    throw message ? new CorpusError("usage", message) : error;
  }
}

/**
 * Runs one write of the output or the checkpoint; a failure of the file system (disk full, I/O error, permissions)
 * becomes an "output" error naming the file. The checkpoint is only ever replaced after a durable write, so the
 * previous one still names complete documents and --resume continues from it.
 */
async function writing<T>(file: string, durableDocuments: number, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new CorpusError(
      "output",
      `writing ${file} failed (${code}: ${(error as Error).message.replace(/^\w+: /, "").split(",")[0]}): the checkpoint still holds the ${durableDocuments} documents written before — fix that and rerun the same command with --resume`,
      { cause: error },
    );
  }
}

async function countRecords(path: string): Promise<number> {
  let count = 0;
  for await (const _ of (await open(path)).lines()) count++;
  return count;
}

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
  const total = options.shard ? await countRecords(options.input) : undefined;
  const range = options.shard && total !== undefined ? shardRange(total, sortWindow, options.shard) : { start: 0, end: Infinity };
  const settings = settingsOf(options, input);

  const previous = await readCheckpoint(plan.checkpoint);
  let resumed: Checkpoint | undefined;
  if (previous && options.resume) {
    const change = settingsChange(previous.settings, settings);
    if (change) {
      throw new CorpusError("resume", `${plan.checkpoint} belongs to a run with other settings (${change}): rerun with the same options, or delete it to start over`);
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
      throw new CorpusError("usage", `${existing[0]} exists and no checkpoint of encode-corpus accounts for it: choose another --output, or add --force to write over it`);
    }
    if (options.resume) events.onWarning?.(`no checkpoint at ${plan.checkpoint}: starting from the first record`);
  }
  const resumedAt = resumed?.records ?? 0;
  if (resumed?.done) {
    return { totals: resumed.totals, files: resumed.files, checkpoint: plan.checkpoint, resumedAt, alreadyDone: true, encoded: 0, tokens: 0, seconds: 0 };
  }

  const totals: CorpusTotals = structuredClone(resumed?.totals ?? ZERO_TOTALS);
  if (!resumed) {
    // The checkpoint comes before the first output byte, so every output this tool creates is accounted for: a run
    // killed before its first window is an unfinished run that --resume continues, not a stranger's file.
    await createDirectory(dirname(plan.checkpoint));
    await writing(plan.checkpoint, 0, () =>
      writeCheckpoint(plan.checkpoint, { format: CHECKPOINT_FORMAT, settings, records: 0, output: START, totals, files: [], done: false }),
    );
  }
  const sink = await writing(plan.file(resumed?.output.part ?? 0), totals.documents, () => OutputSink.open(plan, resumed?.output ?? START));
  const rangeSize = Number.isFinite(range.end) ? range.end - range.start : undefined;
  events.onStart?.({ resumedAt, records: rangeSize });

  let encoded = 0;
  let tokens = 0;
  let position: OutputPosition = resumed?.output ?? START;
  let recordsDone = resumedAt;
  const resumedDocuments = totals.documents;
  // Done so far: records of a known range, else input bytes read up to the last written window (reading runs ahead).
  let bytesDone = 0;
  const fraction = () =>
    rangeSize !== undefined ? (rangeSize === 0 ? 1 : recordsDone / rangeSize) : input.size ? bytesDone / input.size : undefined;
  const progress = () => events.onProgress?.({ documents: resumedDocuments + encoded, tokens, fraction: fraction() });

  const encodeWindow = async (window: Window): Promise<EncodedWindow> => {
    const docs = window.entries.filter((e) => e.doc);
    const tokenized = docs.map((e) => encoder.tokenizer.encode((e.doc as CorpusDocument).text));
    const vectors: EncodedText[] = new Array(docs.length);
    await Promise.all(
      planBatches(tokenized.map((t) => t.ids.length), batchSize, options.byLength ?? true).map(async (batch) => {
        const out = await encoder.encodeTokenized(batch.map((i) => tokenized[i]), options.sparsify);
        batch.forEach((i, k) => (vectors[i] = out[k]));
        encoded += batch.length;
        tokens += out.reduce((n, v) => n + v.tokens, 0);
        progress();
      }),
    );
    return { window, vectors };
  };

  const context: FormatContext = { token: (id) => encoder.tokenizer.token(id), model: options.model, vocabSize: encoder.vocabSize };
  const skip = (line: number, reason: string) => {
    totals.skipped++;
    if (totals.skippedLines.length < SKIPPED_DETAIL) totals.skippedLines.push({ line, reason });
  };

  const writeWindow = async ({ window, vectors }: EncodedWindow): Promise<void> => {
    const lines: string[] = [];
    let v = 0;
    for (const entry of window.entries) {
      if (!entry.doc) {
        skip(entry.line, entry.reason ?? "");
        continue;
      }
      const vector = vectors[v++];
      let rendered: { text: string; terms: number };
      try {
        rendered = renderDocument(format, { vector, id: entry.doc.id, text: entry.doc.text }, context, options.formatOptions);
      } catch (error) {
        // The engine would refuse this document (e.g. over its non-zero limit): a line to fix, like a malformed one.
        if (!(error instanceof FormatError)) throw error;
        if (options.onError !== "skip") throw new CorpusError("input", `${input.name}:${entry.line}: ${error.message} (--on-error skip leaves such documents out)`);
        events.onWarning?.(`${input.name}:${entry.line}: ${error.message} — skipped`);
        skip(entry.line, error.message);
        continue;
      }
      lines.push(rendered.text);
      totals.documents++;
      totals.terms += rendered.terms;
      totals.tokens += vector.tokens;
      if (vector.truncated) totals.truncated++;
      if (entry.duplicate) totals.duplicates++;
    }
    const durable = totals.documents - lines.length;
    position = await writing(sink.files().at(-1) as string, durable, () => sink.write(lines));
    recordsDone = Math.min(window.end, range.end) - range.start;
    bytesDone = window.bytes;
    await writing(plan.checkpoint, durable, () =>
      writeCheckpoint(plan.checkpoint, { format: CHECKPOINT_FORMAT, settings, records: recordsDone, output: position, totals, files: sink.files(), done: false }),
    );
    progress();
  };

  const inflight: Array<Promise<EncodedWindow>> = [];
  const submit = (window: Window) => {
    const encoding = encodeWindow(window);
    // Awaited in order below; this only keeps a failure from being reported as unhandled before then.
    encoding.catch(() => {});
    inflight.push(encoding);
  };

  // An id the engine cannot take is a line to fix before the model runs, like a malformed one.
  const checkId = (parsed: ParsedRecord): ParsedRecord => {
    const problem = parsed.ok ? idProblem(format, "document", parsed.doc.id) : undefined;
    return problem === undefined ? parsed : { ok: false, reason: problem };
  };
  const seen = new Set<string>();
  let inputFormat = options.inputFormat ?? (options.input === "-" ? undefined : formatFromName(options.input));
  let record = -1;
  let window: Window = { entries: [], end: 0, bytes: 0 };
  let stop: CorpusError | undefined;
  try {
    for await (const { line, text } of input.lines()) {
      record++;
      inputFormat ??= formatFromLine(text);
      if (record < range.start) continue;
      if (record >= range.end) break;
      const parsed = checkId(parseRecord(text, inputFormat));
      if (record < range.start + resumedAt) {
        // Already written by an earlier run: only its id matters, for the duplicate check.
        if (parsed.ok) seen.add(parsed.doc.id);
        continue;
      }
      if (parsed.ok) {
        const duplicate = seen.has(parsed.doc.id);
        if (duplicate) events.onWarning?.(`${input.name}:${line}: duplicate id ${JSON.stringify(parsed.doc.id)} (encoded again)`);
        seen.add(parsed.doc.id);
        window.entries.push({ line, doc: parsed.doc, duplicate });
      } else if (options.onError === "skip") {
        events.onWarning?.(`${input.name}:${line}: ${parsed.reason} — skipped`);
        window.entries.push({ line, reason: parsed.reason });
      } else {
        stop = new CorpusError("input", `${input.name}:${line}: ${parsed.reason} (--on-error skip records such lines and goes on)`);
        break;
      }
      if ((record + 1) % sortWindow === 0) {
        submit({ entries: window.entries, end: record + 1, bytes: input.bytesRead() });
        window = { entries: [], end: 0, bytes: 0 };
        if (inflight.length > 1) await writeWindow(await (inflight.shift() as Promise<EncodedWindow>));
      }
    }
    // The records before a malformed line in its own window stay unwritten: windows are written whole.
    if (!stop && window.entries.length > 0) submit({ entries: window.entries, end: record + (record >= range.end ? 0 : 1), bytes: input.bytesRead() });
    while (inflight.length > 0) await writeWindow(await (inflight.shift() as Promise<EncodedWindow>));
    if (stop) throw stop;
    recordsDone = rangeSize ?? record + 1 - range.start;
    await writing(sink.files().at(-1) as string, totals.documents, () => sink.close());
    await writing(plan.checkpoint, totals.documents, () =>
      writeCheckpoint(plan.checkpoint, { format: CHECKPOINT_FORMAT, settings, records: recordsDone, output: position, totals, files: sink.files(), done: true }),
    );
    if (totals.documents === 0 && totals.skipped === 0) {
      events.onWarning?.(
        options.shard
          ? `shard ${options.shard.index}/${options.shard.count} of ${input.name} holds no records (the input's ${total} fall in other shards: windows of ${sortWindow} are kept whole): its output is empty`
          : `${input.name} holds no documents: the output is empty`,
      );
    }
    return {
      totals,
      files: sink.files(),
      checkpoint: plan.checkpoint,
      resumedAt,
      alreadyDone: false,
      encoded,
      tokens,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await Promise.allSettled(inflight);
    await sink.release();
  }
}
