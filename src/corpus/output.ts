// Where encoded documents go: one file, or numbered parts of --split-size documents; gzip when the name ends in
// .gz. Every write is one flush of whole documents, made durable (fsync) before the caller records it in the
// checkpoint, so a position in the checkpoint always names complete documents on disk.
//
// Gzip output stays resumable because each flush is written as its own gzip member: members concatenate into one
// valid gzip stream (RFC 1952 §2.2; gunzip, zcat, Java's GZIPInputStream and Python's gzip read them all), and every
// member boundary is a place the file can be cut back to. The cost is a slightly lower ratio than one member.
import { existsSync, statSync, type Stats } from "node:fs";
import { mkdir, open, rm, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { CorpusError } from "./errors.ts";

const gzip = promisify(gzipCallback);

/** Where the next document goes: part number, bytes of that part already durable, documents in it. */
export interface OutputPosition {
  part: number;
  bytes: number;
  documents: number;
}

export const START: OutputPosition = { part: 0, bytes: 0, documents: 0 };

export interface OutputPlan {
  /** Documents per file; undefined = one file. */
  splitSize: number | undefined;
  gzip: boolean;
  /** Path of part n (always `output` itself without --split-size). */
  file(part: number): string;
  /** The checkpoint next to the output; its suffix is one no collection reader picks up as data. */
  checkpoint: string;
}

/**
 * One file: OUT itself. With --split-size: OUT names a directory (an existing one, a path ending in "/", or a name
 * without an extension) holding part-00000.jsonl, part-00001.jsonl, …, or a file pattern whose parts are numbered
 * before the extension (out/vectors.jsonl.gz → out/vectors-00000.jsonl.gz, …).
 */
export function planOutput(output: string, splitSize?: number): OutputPlan {
  if (splitSize === undefined) {
    return { splitSize, gzip: output.endsWith(".gz"), file: () => output, checkpoint: `${output}.checkpoint` };
  }
  const isDirectory = output.endsWith("/") || !basename(output).includes(".", 1) || (existsSync(output) && statSync(output).isDirectory());
  const dir = isDirectory ? output : dirname(output);
  const name = isDirectory ? "part.jsonl" : basename(output);
  const dot = name.indexOf(".", 1);
  const [stem, ext] = dot === -1 ? [name, ""] : [name.slice(0, dot), name.slice(dot)];
  return {
    splitSize,
    gzip: ext.endsWith(".gz"),
    file: (part) => join(dir, `${stem}-${String(part).padStart(5, "0")}${ext}`),
    checkpoint: join(dir, `${stem}${ext}.checkpoint`),
  };
}

/** The file's stats, or undefined where nothing is (ENOTDIR: a parent on the way is a file). */
async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/** Every path a run with this plan may write (parts that exist now, the first part, the checkpoint and its temp). */
function writtenPaths(plan: OutputPlan): string[] {
  const parts = [plan.file(0)];
  if (plan.splitSize !== undefined) for (let part = 1; existsSync(plan.file(part)); part++) parts.push(plan.file(part));
  return [...parts, plan.checkpoint, `${plan.checkpoint}.tmp`];
}

/**
 * Throws a usage CorpusError when a path this run writes is the input file itself — by name, through a symlink or `..`,
 * or as a hard link (same device and inode) — or when the single output file names a directory.
 */
export async function refuseInputAsOutput(plan: OutputPlan, input: string | undefined): Promise<void> {
  const inputStat = input === undefined ? undefined : await statOrUndefined(input);
  for (const path of writtenPaths(plan)) {
    const target = await statOrUndefined(path);
    if (!target) continue;
    if (inputStat && target.dev === inputStat.dev && target.ino === inputStat.ino) {
      throw new CorpusError(
        "usage",
        `${path} is the input file ${input}${resolve(path) === resolve(input as string) ? "" : " (the same file under another name)"}: refusing to write over it — choose another --output`,
      );
    }
    if (path === plan.file(0) && plan.splitSize === undefined && target.isDirectory()) {
      throw new CorpusError("usage", `${path} is a directory: give a file name for --output (or --split-size N to write numbered parts into it)`);
    }
  }
}

/** The output parts that exist already (what a run that did not start them would write over). */
export function existingParts(plan: OutputPlan): string[] {
  return writtenPaths(plan).filter((path) => path !== plan.checkpoint && path !== `${plan.checkpoint}.tmp` && existsSync(path));
}

/**
 * Creates `dir` and its missing parents one level at a time: Node's recursive mkdir spins forever where a parent
 * exists but refuses children in a way it misreads (procfs answers ENOENT), so each level is created and checked here.
 */
export async function createDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    const found = await statOrUndefined(at);
    if (found) {
      if (!found.isDirectory()) throw new CorpusError("usage", `cannot create ${dir}: ${at} is not a directory`);
      break;
    }
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const path of missing) {
    try {
      await mkdir(path);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === "EEXIST") continue;
      throw new CorpusError("usage", `cannot create the output directory ${path}: ${e.code ?? e.message}`);
    }
  }
}

/** fsync a directory, so that files created or renamed in it survive a power cut too. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class OutputSink {
  private closed = false;

  private constructor(
    private readonly plan: OutputPlan,
    private handle: FileHandle,
    private position: OutputPosition,
  ) {}

  /**
   * Opens the output at `from`: START writes afresh (removing parts an earlier run left), a checkpoint's position
   * cuts the current part back to its last durable flush and removes any later part — what a killed run wrote
   * after its last checkpoint.
   */
  static async open(plan: OutputPlan, from: OutputPosition = START): Promise<OutputSink> {
    await createDirectory(dirname(plan.file(0)));
    await removeParts(plan, from.part + 1);
    const file = plan.file(from.part);
    const fresh = from.bytes === 0;
    const handle = await open(file, fresh ? "w" : "r+");
    const { size } = await handle.stat();
    if (size < from.bytes) {
      await handle.close();
      throw new CorpusError("changed", `${file} holds ${size} bytes but the checkpoint recorded ${from.bytes}: it was changed since`);
    }
    await handle.truncate(from.bytes);
    await handle.sync();
    await syncDirectory(dirname(file));
    return new OutputSink(plan, handle, { ...from });
  }

  /** Appends documents (one line each, no newline) and makes them durable; returns the new position. */
  async write(lines: readonly string[]): Promise<OutputPosition> {
    let start = 0;
    while (start < lines.length) {
      if (this.plan.splitSize !== undefined && this.position.documents === this.plan.splitSize) await this.nextPart();
      const room = this.plan.splitSize === undefined ? lines.length : this.plan.splitSize - this.position.documents;
      const chunk = lines.slice(start, start + room);
      await this.append(Buffer.from(chunk.map((l) => `${l}\n`).join("")));
      this.position.documents += chunk.length;
      start += chunk.length;
    }
    await this.handle.sync();
    return { ...this.position };
  }

  /** Closes the last part; a gzip part with no documents gets an empty member, so that it still gunzips. */
  async close(): Promise<void> {
    if (this.plan.gzip && this.position.bytes === 0) {
      await this.append(Buffer.alloc(0));
      await this.handle.sync();
    }
    await this.handle.close();
    this.closed = true;
  }

  /** Closes the file handle if close() did not (a run that stopped early); writes nothing. */
  async release(): Promise<void> {
    if (!this.closed) await this.handle.close();
    this.closed = true;
  }

  /** Every part written so far, in order. */
  files(): string[] {
    return Array.from({ length: this.position.part + 1 }, (_, i) => this.plan.file(i));
  }

  private async append(data: Buffer): Promise<void> {
    const bytes = this.plan.gzip ? await gzip(data) : data;
    // A write may be short (a file system that fills up mid-write): keep writing until it errors, so the position
    // never counts bytes that are not in the file.
    for (let done = 0; done < bytes.length; ) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, this.position.bytes + done);
      if (bytesWritten === 0) throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: "ENOSPC" });
      done += bytesWritten;
    }
    this.position.bytes += bytes.length;
  }

  private async nextPart(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
    this.position = { part: this.position.part + 1, bytes: 0, documents: 0 };
    const file = this.plan.file(this.position.part);
    this.handle = await open(file, "w");
    await syncDirectory(dirname(file));
  }
}

async function removeParts(plan: OutputPlan, from: number): Promise<void> {
  if (plan.splitSize === undefined) return;
  for (let part = from; existsSync(plan.file(part)); part++) await rm(plan.file(part));
}
