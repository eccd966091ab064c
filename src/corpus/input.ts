// Collection files as numbered lines: a path or "-" (stdin), gzip recognized by its magic bytes rather than its
// name (a pipe has no name, and `zcat`-less pipelines send .gz bytes to stdin), multi-member gzip included.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";

/** One non-blank input line. */
export interface InputLine {
  /** 1-based physical line number, blank lines counted, for file:line messages. */
  line: number;
  text: string;
}

export interface Input {
  /** How messages name the input: the path as given, or "<stdin>". */
  name: string;
  /** Size on disk (compressed, for .gz) when the input is a regular file; undefined for stdin and pipes. */
  size: number | undefined;
  /** Bytes read from disk or stdin so far (compressed bytes for .gz): progress against `size`. */
  bytesRead(): number;
  /** The non-blank lines, in order; can be iterated once. */
  lines(): AsyncGenerator<InputLine>;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Opens a collection file, or stdin for "-". Throws a NodeJS.ErrnoException (ENOENT, EISDIR…) for a bad path. */
export async function openInput(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<Input> {
  let size: number | undefined;
  let source: NodeJS.ReadableStream;
  if (path === "-") {
    source = stdin;
  } else {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: "EISDIR" });
    size = info.isFile() ? info.size : undefined;
    source = createReadStream(path);
  }
  let read = 0;
  let used = false;
  return {
    name: path === "-" ? "<stdin>" : path,
    size,
    bytesRead: () => read,
    lines() {
      if (used) throw new Error("an input can be read once");
      used = true;
      return splitLines(decompressed(counted(source, (n) => (read += n))));
    },
  };
}

async function* counted(source: NodeJS.ReadableStream, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    onBytes(bytes.length);
    yield bytes;
  }
}

/** The bytes as they are, or gunzipped when they start with the gzip magic. */
async function* decompressed(chunks: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  while (head.length < GZIP_MAGIC.length) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    yield* chunks;
  }
  if (GZIP_MAGIC.every((b, i) => head[i] === b)) {
    yield* Readable.from(all()).pipe(createGunzip()) as AsyncIterable<Buffer>;
  } else {
    yield* all();
  }
}

/** Splits bytes into lines (LF or CRLF), decoding each as UTF-8; skips blank lines but keeps counting them. */
async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<InputLine> {
  let carry: Buffer | undefined;
  let line = 0;
  const decode = (bytes: Buffer, start: number, end: number): InputLine | undefined => {
    line++;
    if (end > start && bytes[end - 1] === CARRIAGE_RETURN) end--;
    let text = bytes.toString("utf8", start, end);
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text.trim() === "" ? undefined : { line, text };
  };
  for await (const chunk of chunks) {
    const bytes: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = bytes.indexOf(NEWLINE, start); nl !== -1; nl = bytes.indexOf(NEWLINE, start)) {
      const out = decode(bytes, start, nl);
      if (out) yield out;
      start = nl + 1;
    }
    carry = start < bytes.length ? bytes.subarray(start) : undefined;
  }
  if (carry) {
    const out = decode(carry, 0, carry.length);
    if (out) yield out;
  }
}
