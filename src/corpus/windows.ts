// The window reader: input lines → documents, cut into windows of `sortWindow` records at fixed positions (k·W from
// the start of the input), so the batches of a window are a pure function of the input and the settings and a resumed
// run or a shard runs exactly the batches one uninterrupted run would.
import { CorpusError } from "./errors.ts";
import type { Input } from "./input.ts";
import { formatFromLine, parseRecord, type CorpusDocument, type InputFormat } from "./records.ts";

export interface WindowEntry {
  /** 1-based line of the input, for messages. */
  line: number;
  doc?: CorpusDocument;
  duplicate?: boolean;
  /** Why the line is no document (only with onError "skip"). */
  reason?: string;
}

export interface Window {
  entries: WindowEntry[];
  /** Input record index (0-based, whole input) just past the window. */
  end: number;
}

export interface WindowReaderOptions {
  /** Records [start, end) of the input this run encodes (a shard's range, or all of it). */
  range: { start: number; end: number };
  /** Records of the range an earlier run already wrote: read only for the duplicate check. */
  resumedAt: number;
  sortWindow: number;
  /** Known from the name or the option; else taken from the first line. */
  inputFormat?: InputFormat;
  /** Why the chosen engine cannot take this document id, or undefined. */
  idProblem(id: string): string | undefined;
  onError: "stop" | "skip";
  onWarning?(message: string): void;
}

/**
 * Yields the windows of the range in input order, the last one possibly short. A malformed line (or an id the engine
 * refuses) with onError "stop" throws CorpusError("input") naming file:line once the windows before it are yielded;
 * the records before it in its own window are not yielded, since windows are written whole.
 */
export async function* readWindows(input: Input, options: WindowReaderOptions): AsyncGenerator<Window> {
  const { range, resumedAt, sortWindow } = options;
  const seen = new Set<string>();
  let inputFormat = options.inputFormat;
  let record = -1;
  let entries: WindowEntry[] = [];
  for await (const { line, text } of input.lines()) {
    record++;
    inputFormat ??= formatFromLine(text);
    if (record < range.start) continue;
    if (record >= range.end) {
      record--;
      break;
    }
    let parsed = parseRecord(text, inputFormat);
    const problem = parsed.ok ? options.idProblem(parsed.doc.id) : undefined;
    if (problem !== undefined) parsed = { ok: false, reason: problem };
    if (record < range.start + resumedAt) {
      // Already written by an earlier run: only its id matters, for the duplicate check.
      if (parsed.ok) seen.add(parsed.doc.id);
      continue;
    }
    if (parsed.ok) {
      const duplicate = seen.has(parsed.doc.id);
      if (duplicate) options.onWarning?.(`${input.name}:${line}: duplicate id ${JSON.stringify(parsed.doc.id)} (encoded again)`);
      seen.add(parsed.doc.id);
      entries.push({ line, doc: parsed.doc, duplicate });
    } else if (options.onError === "skip") {
      options.onWarning?.(`${input.name}:${line}: ${parsed.reason} — skipped`);
      entries.push({ line, reason: parsed.reason });
    } else {
      throw new CorpusError("input", `${input.name}:${line}: ${parsed.reason} (--on-error skip records such lines and goes on)`);
    }
    if ((record + 1) % sortWindow === 0) {
      yield { entries, end: record + 1 };
      entries = [];
    }
  }
  if (entries.length > 0) yield { entries, end: record + 1 };
}
