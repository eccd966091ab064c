// encode-corpus never destroys its input or finished work, and says what matters: each case a user hit (or could),
// run through the real CLI process. Every refused run must leave the files it was pointed at byte for byte as they were.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { BASE, CLI, corpus, encode, expectOk, RANDOM_WEIGHTS_WARNING, tsv } from "./corpus-support.ts";
import { runScript } from "./run-script.ts";

const tmp = mkdtempSync(join(tmpdir(), "splade-corpus-safety-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const path = (name: string) => join(tmp, name);

const DOCS = tsv(corpus(12, 11));
writeFileSync(path("in.tsv"), DOCS);

describe.concurrent("never writes over the input", () => {
  it.each([
    ["the same path", () => path("in.tsv")],
    ["a path through ..", () => `${tmp}/sub/../in.tsv`],
    [
      "a symlink to it",
      () => {
        symlinkSync(path("in.tsv"), path("link.tsv"));
        return path("link.tsv");
      },
    ],
    [
      "a hard link to it",
      () => {
        linkSync(path("in.tsv"), path("hard.tsv"));
        return path("hard.tsv");
      },
    ],
  ])("refuses %s as --output (exit 2) and leaves the input intact", async (_, makeOutput) => {
    mkdirSync(path("sub"), { recursive: true });
    const output = makeOutput();
    const r = await encode([path("in.tsv"), "--output", output, "--force"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`is the input file ${path("in.tsv")}`);
    expect(r.stderr).toContain("refusing to write over it");
    expect(readFileSync(path("in.tsv"), "utf8")).toBe(DOCS);
    expect(existsSync(`${output}.checkpoint`)).toBe(false);
  });
});

describe("never writes over finished work or a stranger's file without --force", () => {
  it("refuses an existing file no checkpoint accounts for; --force writes over it", async () => {
    const out = path("theirs.jsonl");
    writeFileSync(out, "someone's data\n");
    const r = await encode([path("in.tsv"), "--output", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${out} exists and no checkpoint of encode-corpus accounts for it: choose another --output, or add --force`);
    expect(readFileSync(out, "utf8")).toBe("someone's data\n");
    // --resume does not make it ours either.
    expect((await encode([path("in.tsv"), "--output", out, "--resume"])).code).toBe(2);
    expect(readFileSync(out, "utf8")).toBe("someone's data\n");
    expectOk(await encode([path("in.tsv"), "--output", out, "--force"]));
    expect(readFileSync(out, "utf8").split("\n")).toHaveLength(13);
  });

  it("refuses to run again over a finished output, with the same or other settings; --force starts over", async () => {
    const out = path("done.jsonl");
    expectOk(await encode([path("in.tsv"), "--output", out]));
    const finished = readFileSync(out);
    for (const extra of [[], ["--format", "jsonl"]]) {
      const r = await encode([path("in.tsv"), "--output", out, ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${out} holds a finished run (12 documents): choose another --output, or add --force to write over it`);
      expect(readFileSync(out).equals(finished)).toBe(true);
    }
    expectOk(await encode([path("in.tsv"), "--output", out, "--format", "jsonl", "--force"]));
    expect(readFileSync(out, "utf8")).toMatch(/^\{"id":"d0","vector":/);
  });

  it("names a directory given as --output instead of failing with EISDIR", async () => {
    mkdirSync(path("a-dir"));
    const r = await encode([path("in.tsv"), "--output", path("a-dir")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path("a-dir")} is a directory: give a file name for --output (or --split-size N`);
  });

  it("stops at once where the output directory cannot be created (procfs made Node's recursive mkdir spin)", async () => {
    const started = Date.now();
    const r = await encode([path("in.tsv"), "--output", "/proc/nope/out.jsonl"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot create the output directory /proc/nope:");
    expect(Date.now() - started).toBeLessThan(30_000);
    const file = await encode([path("in.tsv"), "--output", join(path("in.tsv"), "out.jsonl")]);
    expect(file.code).toBe(2);
    expect(file.stderr).toContain(`${path("in.tsv")} is not a directory`);
  });
});

describe("says what matters", () => {
  it("warns about random weights even with --quiet, and says so in --json", async () => {
    const r = await runScript(CLI, [path("in.tsv"), "--output", path("random.jsonl"), ...BASE, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(RANDOM_WEIGHTS_WARNING);
    expect(JSON.parse(r.stdout)).toMatchObject({ random_weights: true, documents: 12 });
  });

  it("warns about an empty input and an empty shard", async () => {
    writeFileSync(path("empty.tsv"), "");
    const empty = await runScript(CLI, [path("empty.tsv"), "--output", path("empty.out"), ...BASE.filter((a) => a !== "--quiet")]);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain(`${path("empty.tsv")} holds no documents: the output is empty`);
    // 12 records in windows of 6: two windows for four shards, so shards 0 and 2 are empty.
    const shard = await runScript(CLI, [path("in.tsv"), "--output", path("shard2.out"), "--shard", "2/4", ...BASE.filter((a) => a !== "--quiet")]);
    expect(shard.code).toBe(0);
    expect(shard.stderr).toContain(`shard 2/4 of ${path("in.tsv")} holds no records (the input's 12 fall in other shards: windows of 6 are kept whole)`);
  });
});

describe.concurrent("an input it cannot read: one line naming the file, never a stack trace", () => {
  /** Exactly one line on stderr besides the random-weights warning, and no trace of a stack. */
  function oneLine(stderr: string): string {
    const rest = stderr.replace(RANDOM_WEIGHTS_WARNING, "").split("\n").filter(Boolean);
    expect(rest, stderr).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at |Unhandled|node:internal/);
    return rest[0];
  }

  it("a file it may not read (EACCES; as root, the run is another user's): exit 2", async () => {
    // mkdtemp makes 0700 folders: another user needs to pass through, and to write the output.
    const shared = path("shared");
    mkdirSync(shared, { mode: 0o777 });
    chmodSync(tmp, 0o755);
    chmodSync(shared, 0o777);
    const secret = join(shared, "secret.tsv");
    writeFileSync(secret, DOCS, { mode: 0o000 });
    chmodSync(secret, 0o000);
    // Root reads a 000 file anyway (CAP_DAC_OVERRIDE): the run is then the unprivileged `nobody` (65534).
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534, env: { HOME: shared } } : {};
    const r = await runScript(CLI, [secret, "--output", join(shared, "secret.out"), ...BASE], asNobody);
    expect(oneLine(r.stderr)).toBe(`✖ ${secret}: permission denied`);
    expect(r.code).toBe(2);
    expect(existsSync(join(shared, "secret.out"))).toBe(false);
  });

  it.each([
    ["a truncated .gz", () => gzipSync(DOCS.repeat(40)).subarray(0, 400), /: the gzip data ends early \(unexpected end of file\): the file is truncated$/],
    ["a corrupt .gz", () => Buffer.concat([gzipSync(DOCS).subarray(0, 10), Buffer.alloc(200, 0xff)]), /: corrupt gzip data \(.+\)$/],
  ])("%s: exit 65", async (name, bytes, message) => {
    const file = path(`${name.replaceAll(/\W/g, "")}.tsv.gz`);
    writeFileSync(file, bytes());
    const r = await encode([file, "--output", `${file}.out`]);
    const line = oneLine(r.stderr);
    expect(line.startsWith(`✖ ${file}: `), line).toBe(true);
    expect(line).toMatch(message);
    expect(r.code).toBe(65);
  });

  it("a read that fails after the open (EIO from /proc/self/mem): exit 65", async () => {
    const r = await encode(["/proc/self/mem", "--output", path("mem.out")]);
    expect(oneLine(r.stderr)).toMatch(/^✖ \/proc\/self\/mem: cannot be read \(EIO: i\/o error, read\)$/);
    expect(r.code).toBe(65);
  });
});

// A real full file system: a tmpfs too small for the output. Mounting needs root, as CI and the dev machines run.
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("a full disk", () => {
  const disk = path("disk");
  mkdirSync(disk);
  const mounted = mountTmpfs(disk, "48k");
  afterAll(() => {
    if (mounted) execFileSync("umount", [disk]);
  });

  it.skipIf(!mounted)("stops naming the file (exit 74) with the checkpoint valid; --resume after space is freed equals an uninterrupted run", async () => {
    const docs = tsv(corpus(60, 5, 30));
    writeFileSync(path("many.tsv"), docs);
    const whole = path("whole.jsonl");
    expectOk(await encode([path("many.tsv"), "--output", whole, "--format", "jsonl"]));
    expect(readFileSync(whole).length).toBeGreaterThan(64 * 1024);

    const out = join(disk, "out.jsonl");
    const full = await encode([path("many.tsv"), "--output", out, "--format", "jsonl"]);
    expect(full.code).toBe(74);
    expect(full.stderr).toMatch(
      new RegExp(
        `writing ${out}(\\.checkpoint)? failed \\(ENOSPC: no space left on device\\): the checkpoint still holds the \\d+ documents written before — fix that and rerun the same command with --resume`,
      ),
    );
    const checkpoint = JSON.parse(readFileSync(`${out}.checkpoint`, "utf8")) as { done: boolean; records: number; output: { bytes: number } };
    expect(checkpoint.done).toBe(false);
    expect(checkpoint.records).toBeGreaterThan(0);
    expect(readFileSync(whole).subarray(0, checkpoint.output.bytes).equals(readFileSync(out).subarray(0, checkpoint.output.bytes))).toBe(true);

    execFileSync("mount", ["-o", "remount,size=4m", disk]);
    const resumed = await encode([path("many.tsv"), "--output", out, "--format", "jsonl", "--resume"]);
    expectOk(resumed);
    expect(readFileSync(out).equals(readFileSync(whole))).toBe(true);
  });
});
