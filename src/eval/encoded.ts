// An encode-corpus output as the `ids` JSONL the eval index loads. `--format ids` is used as it is; the formats
// that also carry every term and its float32 weight are converted, streaming, into the work folder:
// - jsonl: {"id","vector":{term: weight}}, terms as the vocabulary spells them (mapped back through the tokenizer's
//   vocabulary, which the query model shares);
// - pgvector: COPY text rows `id<TAB>{index:weight,…}/N`, 1-based indices (token id = index − 1), the id unescaped.
// Quantized formats (anserini, pisa: integer impacts) are refused: their scores are not the model's dot products.
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rename } from "node:fs/promises";
import { openInput, openProblem, type Input } from "../corpus/input.ts";
import { idsLine } from "../encoder/formats/terms.ts";
import { inputError } from "./errors.ts";

export type EncodedFormat = "ids" | "jsonl" | "pgvector";

/** The format of an encode-corpus output, from its first line; undefined for one eval cannot score. */
export async function sniffEncoded(path: string): Promise<{ format: EncodedFormat } | { problem: string }> {
  let input: Input;
  try {
    input = await openInput(path);
  } catch (error) {
    const problem = openProblem(error);
    if (problem) return { problem: `${path}: ${problem}` };
    throw error;
  }
  for await (const { text } of input.lines()) {
    if (/^[^\t]*\t\{[^}]*\}\/\d+$/.test(text)) return { format: "pgvector" };
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { problem: `${path}: the first line is neither JSON nor a pgvector COPY row` };
    }
    if (Array.isArray(value.indices) && Array.isArray(value.values)) return { format: "ids" };
    if (value.vector && typeof value.vector === "object") {
      const weights = Object.values(value.vector as Record<string, unknown>);
      if (weights.length > 0 && weights.every((w) => Number.isInteger(w)) && "contents" in value) {
        return { problem: `${path} looks like --format anserini (integer impacts): eval needs the float weights — encode with --format ids` };
      }
      return { format: "jsonl" };
    }
    return { problem: `${path}: not an encode-corpus output eval reads (--format ids, jsonl or pgvector)` };
  }
  return { problem: `${path} is empty` };
}

/** One COPY text field unescaped (backslash sequences; \N alone is NULL). */
function unescapeCopy(field: string): string | null {
  if (field === "\\N") return null;
  return field.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))/gs, (_, octal?: string, hex?: string, c?: string) => {
    if (octal !== undefined) return String.fromCharCode(parseInt(octal, 8));
    if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16));
    return ({ b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" } as Record<string, string>)[c!] ?? c!;
  });
}

/** Writes `source` (jsonl or pgvector) as ids JSONL at `target`; `tokenId` maps a vocabulary term to its id. */
export async function convertToIds(
  source: string,
  format: Exclude<EncodedFormat, "ids">,
  target: string,
  tokenId: (term: string) => number | undefined,
): Promise<number> {
  const input = await openInput(source);
  const partial = `${target}.part`;
  const out = createWriteStream(partial);
  let records = 0;
  let buffer: string[] = [];
  const flush = async () => {
    if (!out.write(buffer.join(""))) await once(out, "drain");
    buffer = [];
  };
  for await (const { line, text } of input.lines()) {
    let id: string;
    const indices: number[] = [];
    const values: number[] = [];
    if (format === "pgvector") {
      const tab = text.indexOf("\t");
      const m = /^\{([^}]*)\}\/\d+$/.exec(text.slice(tab + 1));
      const unescaped = tab < 0 ? null : unescapeCopy(text.slice(0, tab));
      if (!m || unescaped === null) throw inputError(source, line, "not a pgvector COPY row id<TAB>{index:weight,…}/N");
      id = unescaped;
      for (const entry of m[1] === "" ? [] : m[1].split(",")) {
        const colon = entry.indexOf(":");
        indices.push(Number(entry.slice(0, colon)) - 1);
        values.push(Number(entry.slice(colon + 1)));
      }
    } else {
      let record: { id?: unknown; vector?: Record<string, number> };
      try {
        record = JSON.parse(text);
      } catch (error) {
        throw inputError(source, line, `invalid JSON (${(error as Error).message})`);
      }
      if ((typeof record.id !== "string" && typeof record.id !== "number") || !record.vector)
        throw inputError(source, line, 'not a jsonl record {"id","vector":{term: weight}}');
      id = String(record.id);
      for (const [term, weight] of Object.entries(record.vector)) {
        const t = tokenId(term);
        if (t === undefined) throw inputError(source, line, `term ${JSON.stringify(term)} is not in the model's vocabulary`);
        indices.push(t);
        values.push(weight);
      }
    }
    buffer.push(`${idsLine({ id, indices, values })}\n`);
    records++;
    if (buffer.length === 1000) await flush();
  }
  await flush();
  out.end();
  await once(out, "finish");
  await rename(partial, target);
  return records;
}
