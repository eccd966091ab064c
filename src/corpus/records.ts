// Input lines → documents: the MS MARCO collection TSV (`id<TAB>text`) and BEIR-style JSONL (`_id`/`id`,
// `text`/`contents`, optional `title`).

export type InputFormat = "tsv" | "jsonl";
export const INPUT_FORMATS: readonly InputFormat[] = ["tsv", "jsonl"];

export interface CorpusDocument {
  id: string;
  /** What the model reads: the text, or "title text" as BEIR joins them. */
  text: string;
}

/** A document, or why the line is not one. */
export type ParsedRecord = { ok: true; doc: CorpusDocument } | { ok: false; reason: string };

/** The format a file name says (.tsv, .jsonl, .json, optionally .gz), or undefined. */
export function formatFromName(path: string): InputFormat | undefined {
  const name = path.toLowerCase().replace(/\.gz$/, "");
  if (name.endsWith(".tsv")) return "tsv";
  if (name.endsWith(".jsonl") || name.endsWith(".json")) return "jsonl";
  return undefined;
}

/** The format a first line looks like: a JSON object opens with "{", a TSV line with its id. */
export function formatFromLine(text: string): InputFormat {
  return text.trimStart().startsWith("{") ? "jsonl" : "tsv";
}

function parseTsv(text: string): ParsedRecord {
  const columns = text.split("\t");
  if (columns.length !== 2) {
    return { ok: false, reason: `expected 2 tab-separated columns (id, text), found ${columns.length}` };
  }
  const [id, body] = columns;
  if (id.trim() === "") return { ok: false, reason: "empty id" };
  return { ok: true, doc: { id, text: body } };
}

function field(object: Record<string, unknown>, names: readonly string[]): [string, unknown] | undefined {
  const name = names.find((n) => Object.hasOwn(object, n));
  return name === undefined ? undefined : [name, object[name]];
}

function parseJsonl(text: string): ParsedRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `invalid JSON (${(error as Error).message})` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, reason: "not a JSON object" };
  const object = value as Record<string, unknown>;
  const id = field(object, ["_id", "id"]);
  if (!id) return { ok: false, reason: 'no "_id" or "id"' };
  if ((typeof id[1] !== "string" && typeof id[1] !== "number") || String(id[1]).trim() === "") {
    return { ok: false, reason: `"${id[0]}" must be a non-empty string or a number, got ${JSON.stringify(id[1])}` };
  }
  const body = field(object, ["text", "contents"]);
  if (!body) return { ok: false, reason: 'no "text" or "contents"' };
  if (typeof body[1] !== "string") return { ok: false, reason: `"${body[0]}" must be a string, got ${JSON.stringify(body[1])}` };
  const title = object.title;
  if (title !== undefined && title !== null && typeof title !== "string") {
    return { ok: false, reason: `"title" must be a string, got ${JSON.stringify(title)}` };
  }
  // beir/retrieval/models/util.py extract_corpus_sentences: (title + " " + text).strip() when there is a title.
  const joined = typeof title === "string" ? `${title} ${body[1]}`.trim() : body[1].trim();
  return { ok: true, doc: { id: String(id[1]), text: joined } };
}

/** Parses one non-blank line. */
export function parseRecord(text: string, format: InputFormat): ParsedRecord {
  return format === "tsv" ? parseTsv(text) : parseJsonl(text);
}
