// `splade-index build --store NAMES --corpus FILES`: the stored fields of each indexed document, read from the corpus
// encode-corpus encoded (its `ids` output has no fields). Node: reads files through src/corpus/input.ts.
//
// The join walks the corpus alongside the ids input, holding one record: encode-corpus writes its documents in input
// order (src/corpus/encode.ts writes windows in order; shards are contiguous runs whose outputs, concatenated in order,
// are the unsharded output, src/corpus/shard.ts; a resumed run goes on from its checkpoint's record), so each ids line
// is the next corpus record with its id. Records it has no line for — lines encode-corpus skipped (`--on-error skip`),
// other shards' records when only some shards are indexed — are passed over; an id not found before the corpus ends
// means a corpus that does not match, named by the ids line that found it.
import { CorpusError } from "../corpus/errors.ts";
import type { Input } from "../corpus/input.ts";
import { formatFromLine, formatFromName, parseRecord, type InputFormat } from "../corpus/records.ts";
import { pickStoredFields } from "./format.ts";

interface CorpusRecord {
  id: string;
  /** The record as the corpus holds it: a JSONL line's object, or a TSV line's `text`. */
  fields: Record<string, unknown>;
  where: string;
}

/** Passed-over records between checks of the abort signal (a corpus that does not match is read to its end). */
const ABORT_CHECK = 10_000;

export class CorpusFields {
  private readonly records: AsyncGenerator<CorpusRecord>;
  /** The last record matched, for messages. */
  private last: string | undefined;
  private readonly seen = new Set<string>();
  /** The formats the corpus files were read as. */
  readonly formats = new Set<InputFormat>();

  constructor(
    private readonly inputs: readonly Input[],
    readonly names: readonly string[],
    private readonly stopIfAborted: () => void,
  ) {
    this.records = this.read();
  }

  private async *read(): AsyncGenerator<CorpusRecord> {
    for (const input of this.inputs) {
      let format = formatFromName(input.name);
      for await (const { line, text } of input.lines()) {
        if (!format) format = formatFromLine(text);
        this.formats.add(format);
        // A line encode-corpus would not encode is no document: it has no ids line to match.
        const parsed = parseRecord(text, format);
        if (!parsed.ok) continue;
        const fields = format === "jsonl" ? (JSON.parse(text) as Record<string, unknown>) : { text: parsed.doc.text };
        yield { id: parsed.doc.id, fields, where: `${input.name}:${line}` };
      }
    }
  }

  /**
   * The stored fields (JSON) of the next corpus record whose id is `id`, passing over the records before it; `where`
   * (the ids input's file:line) names the line whose id the corpus does not have.
   */
  async next(id: string, where: string): Promise<{ json: string; where: string }> {
    for (let passed = 1; ; passed++) {
      const { done, value } = await this.records.next();
      if (done) {
        const after = this.last === undefined ? "anywhere in" : `after ${this.last} in`;
        throw new CorpusError(
          "input",
          `${where}: id ${JSON.stringify(id)} is not ${after} --corpus ${this.inputs.map((i) => i.name).join(",")}: give the files encode-corpus read for this input, in the same order`,
        );
      }
      if (passed % ABORT_CHECK === 0) this.stopIfAborted();
      if (value.id !== id) continue;
      this.last = value.where;
      const fields = pickStoredFields(value.fields, this.names);
      for (const name of Object.keys(fields)) this.seen.add(name);
      return { json: JSON.stringify(fields), where: value.where };
    }
  }

  /** The names no matched record had. */
  missing(): string[] {
    return this.names.filter((name) => !this.seen.has(name));
  }

  close(): void {
    for (const input of this.inputs) input.close();
  }
}
