// The run state: what one encode-corpus run has made durable. It owns the totals, the output position and the
// checkpoint commits, so "written" always means "in the output, fsynced, and recorded in the checkpoint".
import { dirname } from "node:path";
import { FormatError, renderDocument, type Format, type FormatContext, type FormatOptions } from "../encoder/formats/index.ts";
import { CHECKPOINT_FORMAT, SKIPPED_DETAIL, writeCheckpoint, ZERO_TOTALS, type Checkpoint, type CorpusTotals, type SkippedLine } from "./checkpoint.ts";
import { CorpusError } from "./errors.ts";
import { createDirectory, OutputSink, START, type OutputPlan, type OutputPosition } from "./output.ts";
import type { EncodedWindow } from "./window-encoder.ts";

/** One window as the lines its documents become, and what it adds to the totals. */
export interface RenderedWindow {
  lines: string[];
  added: Omit<CorpusTotals, "skippedLines">;
  skipped: SkippedLine[];
}

export interface RenderSettings {
  format: Format;
  formatOptions: FormatOptions;
  context: FormatContext;
  onError: "stop" | "skip";
  /** How messages name the input ("collection.tsv", "<stdin>"). */
  inputName: string;
  onWarning?(message: string): void;
}

/**
 * Renders a window's documents in entry order. A document the engine would refuse (over its non-zero limit, empty
 * where it needs terms) is a line to fix, like a malformed one: CorpusError("input") naming file:line, or skipped
 * and counted with onError "skip".
 */
export function renderWindow({ window, vectors }: EncodedWindow, settings: RenderSettings): RenderedWindow {
  const { skippedLines: _, ...added } = ZERO_TOTALS;
  const skipped: SkippedLine[] = [];
  const lines: string[] = [];
  let v = 0;
  for (const entry of window.entries) {
    if (!entry.doc) {
      skipped.push({ line: entry.line, reason: entry.reason ?? "" });
      continue;
    }
    const vector = vectors[v++];
    let rendered: { text: string; terms: number };
    try {
      rendered = renderDocument(settings.format, { vector, id: entry.doc.id, text: entry.doc.text }, settings.context, settings.formatOptions);
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      const where = `${settings.inputName}:${entry.line}`;
      if (settings.onError !== "skip") throw new CorpusError("input", `${where}: ${error.message} (--on-error skip leaves such documents out)`);
      settings.onWarning?.(`${where}: ${error.message} — skipped`);
      skipped.push({ line: entry.line, reason: error.message });
      continue;
    }
    lines.push(rendered.text);
    added.documents++;
    added.terms += rendered.terms;
    added.tokens += vector.tokens;
    if (vector.truncated) added.truncated++;
    if (entry.duplicate) added.duplicates++;
  }
  added.skipped = skipped.length;
  return { lines, added, skipped };
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
    const reason = (error as Error).message.replace(/^\w+: /, "").split(",")[0];
    throw new CorpusError(
      "output",
      `writing ${file} failed (${code}: ${reason}): the checkpoint still holds the ${durableDocuments} documents written before — fix that and rerun the same command with --resume`,
      { cause: error },
    );
  }
}

export class CorpusRun {
  private constructor(
    private readonly plan: OutputPlan,
    private readonly settings: Checkpoint["settings"],
    private readonly sink: OutputSink,
    readonly totals: CorpusTotals,
    private position: OutputPosition,
    /** Records of the range whose output is durable. */
    public records: number,
  ) {}

  /**
   * A fresh run (`resumed` undefined) writes its checkpoint before the first output byte, so every output this tool
   * creates is accounted for: a run killed before its first window is an unfinished run that --resume continues, not
   * a stranger's file. A resumed run cuts the output back to the checkpoint's position.
   */
  static async begin(plan: OutputPlan, settings: Checkpoint["settings"], resumed: Checkpoint | undefined): Promise<CorpusRun> {
    const totals: CorpusTotals = structuredClone(resumed?.totals ?? ZERO_TOTALS);
    const from = resumed?.output ?? START;
    if (!resumed) {
      await createDirectory(dirname(plan.checkpoint));
      await writing(plan.checkpoint, 0, () =>
        writeCheckpoint(plan.checkpoint, { format: CHECKPOINT_FORMAT, settings, records: 0, output: START, totals, files: [], done: false }),
      );
    }
    const sink = await writing(plan.file(from.part), totals.documents, () => OutputSink.open(plan, from));
    return new CorpusRun(plan, settings, sink, totals, { ...from }, resumed?.records ?? 0);
  }

  /** Makes a rendered window durable: its lines in the output, then the checkpoint that counts them. */
  async commit(rendered: RenderedWindow, records: number): Promise<void> {
    const durable = this.totals.documents;
    this.position = await writing(this.plan.file(this.position.part), durable, () => this.sink.write(rendered.lines));
    const t = this.totals;
    for (const key of ["documents", "skipped", "duplicates", "tokens", "terms", "truncated"] as const) t[key] += rendered.added[key];
    t.skippedLines.push(...rendered.skipped.slice(0, Math.max(0, SKIPPED_DETAIL - t.skippedLines.length)));
    this.records = records;
    await this.checkpoint(durable, false);
  }

  /** Closes the output and marks the run done. */
  async finish(records: number): Promise<void> {
    await writing(this.plan.file(this.position.part), this.totals.documents, () => this.sink.close());
    this.records = records;
    await this.checkpoint(this.totals.documents, true);
  }

  files(): string[] {
    return this.sink.files();
  }

  /** Closes the output file if finish() did not (a run that stopped early); writes nothing. */
  release(): Promise<void> {
    return this.sink.release();
  }

  private checkpoint(durable: number, done: boolean): Promise<void> {
    const checkpoint: Checkpoint = {
      format: CHECKPOINT_FORMAT,
      settings: this.settings,
      records: this.records,
      output: this.position,
      totals: this.totals,
      files: this.files(),
      done,
    };
    return writing(this.plan.checkpoint, durable, () => writeCheckpoint(this.plan.checkpoint, checkpoint));
  }
}
