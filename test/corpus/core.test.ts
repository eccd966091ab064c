// encode-corpus's core, piece by piece, without the model or a child process: shard ranges, output planning, the
// window reader, rendering a window, truncate-and-resume in the sink, and the run state on a write error.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ZERO_TOTALS, readCheckpoint } from "../../src/corpus/checkpoint.ts";
import { CorpusError } from "../../src/corpus/errors.ts";
import type { Input } from "../../src/corpus/input.ts";
import { OutputSink, planOutput, START } from "../../src/corpus/output.ts";
import { CorpusRun, renderWindow, type RenderSettings } from "../../src/corpus/run-state.ts";
import { shardRange } from "../../src/corpus/shard.ts";
import { readWindows, type Window, type WindowReaderOptions } from "../../src/corpus/windows.ts";
import type { EncodedText } from "../../src/encoder/encoder.ts";
import { FORMATS } from "../../src/encoder/formats/index.ts";

const tmp = mkdtempSync(join(tmpdir(), "splade-corpus-core-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("shardRange", () => {
  it("cuts contiguous runs at window boundaries that cover the input exactly once", () => {
    // 10 records in windows of 3 → 4 windows (3, 3, 3, 1) over 3 shards: 1, 1, 2 windows.
    const ranges = [0, 1, 2].map((index) => shardRange(10, 3, { index, count: 3 }));
    expect(ranges).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 6 },
      { start: 6, end: 10 },
    ]);
    // More shards than windows: some are empty, none overlaps.
    expect([0, 1, 2, 3].map((index) => shardRange(12, 6, { index, count: 4 }))).toEqual([
      { start: 0, end: 0 },
      { start: 0, end: 6 },
      { start: 6, end: 6 },
      { start: 6, end: 12 },
    ]);
    expect(shardRange(0, 6, { index: 0, count: 1 })).toEqual({ start: 0, end: 0 });
  });
});

describe("planOutput", () => {
  it("one file: the path itself, gzip by name, the checkpoint beside it", () => {
    const plan = planOutput("out/v.jsonl.gz");
    expect([plan.file(0), plan.file(3), plan.gzip, plan.checkpoint]).toEqual(["out/v.jsonl.gz", "out/v.jsonl.gz", true, "out/v.jsonl.gz.checkpoint"]);
  });

  it("split into a directory or a pattern, parts numbered before the extension", () => {
    const dir = planOutput("out/", 100);
    expect([dir.file(0), dir.file(12), dir.checkpoint, dir.gzip]).toEqual(["out/part-00000.jsonl", "out/part-00012.jsonl", "out/part.jsonl.checkpoint", false]);
    expect(planOutput("out", 100).file(1)).toBe("out/part-00001.jsonl");
    const pattern = planOutput("out/msmarco.jsonl.gz", 100);
    expect([pattern.file(2), pattern.checkpoint, pattern.gzip]).toEqual(["out/msmarco-00002.jsonl.gz", "out/msmarco.jsonl.gz.checkpoint", true]);
  });
});

function linesInput(lines: string[]): Input {
  return {
    name: "c.tsv",
    size: undefined,
    async *lines() {
      for (const [i, text] of lines.entries()) yield { line: i + 1, text };
    },
    close() {},
  };
}

/** The windows the reader yields; `out` holds those yielded before a throw. */
async function windowsOf(lines: string[], options: Partial<WindowReaderOptions> = {}, out: Window[] = []): Promise<Window[]> {
  const reader = readWindows(linesInput(lines), {
    range: { start: 0, end: Infinity },
    resumedAt: 0,
    sortWindow: 3,
    inputFormat: "tsv",
    idProblem: () => undefined,
    onError: "stop",
    ...options,
  });
  for await (const window of reader) out.push(window);
  return out;
}

const docLines = (n: number) => Array.from({ length: n }, (_, i) => `d${i}\ttext ${i}`);
const ids = (w: Window) => w.entries.map((e) => e.doc?.id ?? `!${e.line}`);

describe("readWindows", () => {
  it("cuts windows at fixed positions k·W of the whole input, the last one short", async () => {
    const windows = await windowsOf(docLines(7));
    expect(windows.map(ids)).toEqual([["d0", "d1", "d2"], ["d3", "d4", "d5"], ["d6"]]);
    expect(windows.map((w) => w.end)).toEqual([3, 6, 7]);
  });

  it("reads a shard's range and skips what a resumed run already wrote, keeping its ids for the duplicate check", async () => {
    const lines = [...docLines(9), "d4\tagain"];
    const warnings: string[] = [];
    const windows = await windowsOf(lines, { range: { start: 3, end: 10 }, resumedAt: 3, onWarning: (m) => warnings.push(m) });
    expect(windows.map(ids)).toEqual([["d6", "d7", "d8"], ["d4"]]);
    expect(windows.map((w) => w.end)).toEqual([9, 10]);
    expect(windows[1].entries[0].duplicate).toBe(true);
    expect(warnings).toEqual(['c.tsv:10: duplicate id "d4" (encoded again)']);
    // A range that ends inside the input stops there.
    expect((await windowsOf(docLines(9), { range: { start: 0, end: 5 } })).map((w) => w.end)).toEqual([3, 5]);
  });

  it("stops at a malformed line after the windows before it, or skips it with onError skip", async () => {
    const lines = [...docLines(4), "no tab here", ...docLines(2)];
    const seen: Window[] = [];
    await expect(windowsOf(lines, {}, seen)).rejects.toThrow(
      new CorpusError("input", "c.tsv:5: expected 2 tab-separated columns (id, text), found 1 (--on-error skip records such lines and goes on)"),
    );
    expect(seen.map(ids)).toEqual([["d0", "d1", "d2"]]);
    const skipped = await windowsOf(lines, { onError: "skip" });
    expect(skipped.map(ids)).toEqual([["d0", "d1", "d2"], ["d3", "!5", "d0"], ["d1"]]);
  });

  it("treats an id the engine refuses like a malformed line", async () => {
    const windows = await windowsOf(["a b\tx", "ok\ty"], { onError: "skip", idProblem: (id) => (id.includes(" ") ? "no spaces" : undefined) });
    expect(windows[0].entries.map((e) => e.reason ?? e.doc?.id)).toEqual(["no spaces", "ok"]);
  });
});

const vector = (n: number): EncodedText => ({
  indices: Array.from({ length: n }, (_, i) => 2000 + i),
  values: Array.from({ length: n }, (_, i) => 2 - i / n),
  tokens: 5,
  truncated: n > 1000,
});

describe("renderWindow", () => {
  const window: Window = {
    entries: [
      { line: 1, doc: { id: "a", text: "x" } },
      { line: 2, reason: "empty id" },
      { line: 3, doc: { id: "b", text: "y" }, duplicate: true },
      { line: 4, doc: { id: "c", text: "z" } },
    ],
    end: 4,
  };
  const settings = (onError: "stop" | "skip"): RenderSettings => ({
    format: FORMATS.pinecone,
    formatOptions: {},
    context: { token: (id) => `t${id}`, model: "m", vocabSize: 30522 },
    onError,
    inputName: "c.tsv",
  });

  it("renders documents in entry order and counts what they add", () => {
    const rendered = renderWindow({ window, vectors: [vector(3), vector(2), vector(1)] }, settings("stop"));
    expect(rendered.lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(["a", "b", "c"]);
    expect(rendered.added).toEqual({ ...ZERO_TOTALS, skippedLines: undefined, documents: 3, terms: 6, tokens: 15, duplicates: 1, skipped: 1 });
    expect(rendered.skipped).toEqual([{ line: 2, reason: "empty id" }]);
  });

  it("a document the engine refuses stops the window naming file:line, or is skipped and counted", () => {
    const encoded = { window, vectors: [vector(3), vector(1001), vector(1)] };
    expect(() => renderWindow(encoded, settings("stop"))).toThrow(/^c\.tsv:3: document "b" has 1001 non-zero terms; Pinecone takes at most 1000/);
    const rendered = renderWindow(encoded, settings("skip"));
    expect(rendered.lines).toHaveLength(2);
    expect(rendered.added.skipped).toBe(2);
    expect(rendered.skipped[1].reason).toMatch(/^document "b" has 1001 non-zero terms/);
  });
});

describe("OutputSink: truncate and resume", () => {
  it("cuts the part back to the checkpoint's bytes and removes parts after it", async () => {
    const dir = join(tmp, "sink");
    const plan = planOutput(`${dir}/`, 2);
    const sink = await OutputSink.open(plan, START);
    const position = await sink.write(["a", "b", "c"]);
    expect(position).toEqual({ part: 1, bytes: 2, documents: 1 });
    await sink.write(["d", "e"]);
    await sink.close();
    expect(sink.files().map((f) => readFileSync(f, "utf8"))).toEqual(["a\nb\n", "c\nd\n", "e\n"]);
    // A kill after the first write: the checkpoint says part 1 holds 2 bytes (one document).
    writeFileSync(plan.file(1), "c\nd\ntorn");
    const resumed = await OutputSink.open(plan, position);
    expect(readFileSync(plan.file(1), "utf8")).toBe("c\n");
    expect(resumed.files()).toEqual([plan.file(0), plan.file(1)]);
    await resumed.write(["d", "e"]);
    await resumed.close();
    expect(resumed.files().map((f) => readFileSync(f, "utf8"))).toEqual(["a\nb\n", "c\nd\n", "e\n"]);
    // A part shorter than its checkpoint was changed by someone else: refused, not padded.
    writeFileSync(plan.file(0), "a");
    const changed = await OutputSink.open(plan, { part: 0, bytes: 4, documents: 2 }).catch((e: unknown) => e);
    expect(changed).toBeInstanceOf(CorpusError);
    expect((changed as CorpusError).kind).toBe("changed");
    expect((changed as CorpusError).message).toMatch(/holds 1 bytes but the checkpoint recorded 4: it was changed since/);
  });
});

describe("CorpusRun on a write error", () => {
  const disk = join(tmp, "disk");
  mkdirSync(disk);
  let mounted = true;
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", disk], { stdio: "ignore" });
  } catch {
    mounted = false;
  }
  afterAll(() => {
    if (mounted) execFileSync("umount", [disk]);
  });
  const rendered = (lines: string[]) => ({ lines, added: { ...ZERO_TOTALS, documents: lines.length }, skipped: [] });

  // A real full file system needs root to mount (CI and the dev machines run as root).
  it.skipIf(!mounted)("names the file (kind output), keeps the last checkpoint, and a resumed run cuts the torn tail", async () => {
    const plan = planOutput(join(disk, "out.jsonl"));
    const settings = { format: "test" };
    const run = await CorpusRun.begin(plan, settings, undefined);
    await run.commit(rendered(["x".repeat(1000)]), 1);
    const error = await run.commit(rendered(["y".repeat(64 * 1024)]), 2).catch((e: unknown) => e);
    await run.release();
    expect(error).toBeInstanceOf(CorpusError);
    expect((error as CorpusError).kind).toBe("output");
    expect((error as CorpusError).message).toMatch(
      /^writing \S+out\.jsonl failed \(ENOSPC: no space left on device\): the checkpoint still holds the 1 documents written before/,
    );
    const checkpoint = await readCheckpoint(plan.checkpoint);
    expect(checkpoint).toMatchObject({ records: 1, output: { part: 0, bytes: 1001, documents: 1 }, done: false });
    // The resumed run starts exactly at the checkpoint, whatever the failed write left after it.
    const resumed = await CorpusRun.begin(plan, settings, checkpoint);
    expect(readFileSync(plan.file(0)).length).toBe(1001);
    await resumed.commit(rendered(["z"]), 2);
    await resumed.finish(2);
    expect(readFileSync(plan.file(0), "utf8")).toBe(`${"x".repeat(1000)}\nz\n`);
    expect(resumed.totals.documents).toBe(2);
  });
});
