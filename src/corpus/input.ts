// Collection files as numbered lines: a path or "-" (stdin), gzip recognized by its magic bytes rather than its
// name (a pipe has no name, and `zcat`-less pipelines send .gz bytes to stdin), multi-member gzip included.
//
// What can go wrong with a file is found where it happens and named: openInput opens the file (so an unreadable
// one fails there, with its errno), and the file's read stream is made only when its lines are read — a stream
// made earlier reports its open error as an 'error' event nobody listens to yet, which Node turns into an uncaught
// "Unhandled 'error' event". A failure while reading (a truncated or corrupt gzip, an I/O error) becomes one
// CorpusError naming the file.
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { CorpusError } from "./errors.ts";

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
  /** The non-blank lines, in order; can be iterated once. */
  lines(): AsyncGenerator<InputLine>;
  /** Stops reading (a read waiting for stdin ends): the process can exit. */
  close(): void;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Opens a collection file, or stdin for "-". Throws a NodeJS.ErrnoException (ENOENT, EISDIR, EACCES…) for a bad path. */
export async function openInput(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<Input> {
  let size: number | undefined;
  if (path !== "-") {
    const file = await open(path);
    try {
      const info = await file.stat();
      if (info.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: "EISDIR" });
      size = info.isFile() ? info.size : undefined;
    } finally {
      await file.close();
    }
  }
  const name = path === "-" ? "<stdin>" : path;
  let source: NodeJS.ReadableStream | undefined;
  return {
    name,
    size,
    lines() {
      if (source) throw new Error("an input can be read once");
      source = path === "-" ? stdin : createReadStream(path);
      return named(splitLines(decompressed(chunks(source))), name);
    },
    close() {
      (source as Readable | undefined)?.destroy?.();
    },
  };
}

/** What is wrong with a path openInput refused, worded to follow it ("PATH: no such file"); undefined for another error. */
export function openProblem(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "is a directory, not a file";
  if (code === "EACCES") return "permission denied";
  return undefined;
}

/** The lines, with a failure to read them as one CorpusError naming the input. */
async function* named(lines: AsyncGenerator<InputLine>, name: string): AsyncGenerator<InputLine> {
  try {
    yield* lines;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    // zlib's errors carry Z_* codes: Z_BUF_ERROR is input that ends inside the gzip stream, the others corrupt data.
    if (code === "Z_BUF_ERROR") throw new CorpusError("input", `${name}: the gzip data ends early (${message}): the file is truncated`, { cause: error });
    if (code?.startsWith("Z_")) throw new CorpusError("input", `${name}: corrupt gzip data (${message})`, { cause: error });
    if (code) throw new CorpusError("input", `${name}: cannot be read (${message})`, { cause: error });
    throw error;
  }
}

async function* chunks(source: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Buffer | string>) yield typeof chunk === "string" ? Buffer.from(chunk) : chunk;
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
