// Strict arguments in every CLI, as users meet them: the real processes (tsx, as `npm run` does). An unknown option,
// an extra positional or a bad enum value is a usage error (exit 2) that names it and suggests the closest option;
// --help carries no colour unless stdout is a terminal and NO_COLOR is unset; --json prints JSON on every exit path.
// The last block checks the one argument check (src/cli/run.ts) against citty's own parser in-process.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs as cittyParseArgs, runCommand, type ArgsDef, type CommandDef } from "citty";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { ROOT, runScript, type CliResult } from "./run-script.ts";

const ENCODE = "src/cli/encode-corpus.ts";
const VERIFY = "src/cli/verify.ts";
const MODEL_CLI = "src/cli/model.ts";
const DOC_MODEL = resolve(FIXTURE_ROOT, "model", "doc");
const HF_QUERY = resolve(FIXTURE_ROOT, "hf", "query");
/** Small and quick: the generated doc model, short documents. */
const FAST = ["--model", DOC_MODEL, "--max-length", "32", "--quiet", "--format", "anserini"];
/**
 * The environment of a user's shell: citty turns its colours off by itself under TEST or CI (which vitest and CI
 * runners set), so they are removed here, or the colour tests would pass whatever the CLI did.
 */
const USER_ENV: NodeJS.ProcessEnv = { TEST: undefined, CI: undefined, NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: "xterm-256color" };
const ANSI = "\x1b[";

const tmp = mkdtempSync(join(tmpdir(), "splade-strict-args-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const path = (name: string) => join(tmp, name);
writeFileSync(path("in.tsv"), "d0\tthe red planet\nd1\tmars is red\n");
writeFileSync(path("b.tsv"), "d2\tvenus\n");

function expectUsageError(r: CliResult, message: string): void {
  expect(r.stderr).toContain(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code, r.stderr).toBe(2);
}

function vectors(file: string): Array<Record<string, number>> {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { vector: Record<string, number> }).vector);
}

interface JsonError {
  ok: boolean;
  error: string;
  exit_code: number;
}

/** stdout must be one JSON document, nothing else. */
function json(r: CliResult): JsonError {
  try {
    return JSON.parse(r.stdout) as JsonError;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr:\n${r.stderr}`);
  }
}

describe.concurrent("encode-corpus: unknown options and extra arguments", () => {
  for (const [spelling, args] of [
    ["--top_k", ["--top_k", "2"]],
    ["--topk", ["--topk", "2"]],
    ["--top_k", ["--top_k=2"]],
    ["--TOP-K", ["--TOP-K", "2"]],
  ] as const) {
    it(`refuses ${args.join(" ")} (exit 2, suggests --top-k) and writes nothing`, async () => {
      const out = path(`unknown-${args.join("").replace(/\W/g, "")}.jsonl`);
      const r = await runScript(ENCODE, [path("in.tsv"), "-o", out, ...args, ...FAST]);
      expectUsageError(r, `unknown option ${spelling} — did you mean --top-k?`);
      expect(r.stdout).toBe("");
      expect(existsSync(out)).toBe(false);
    });
  }

  it("refuses a second positional input (exit 2) instead of dropping it", async () => {
    const out = path("two-inputs.jsonl");
    const r = await runScript(ENCODE, [path("in.tsv"), path("b.tsv"), "-o", out, ...FAST]);
    expectUsageError(r, `unexpected argument ${path("b.tsv")} — encode-corpus takes one positional argument, INPUT`);
    expect(existsSync(out)).toBe(false);
  });

  it("treats everything after -- as positional: an option there is an extra argument", async () => {
    const out = path("after-dashdash.jsonl");
    const r = await runScript(ENCODE, ["-o", out, ...FAST, "--", path("in.tsv"), "--top-k", "2"]);
    expectUsageError(r, "unexpected argument --top-k — encode-corpus takes one positional argument, INPUT");
    expect(existsSync(out)).toBe(false);
  });

  it("refuses --no-X of an option that takes a value, an option without its value, and a value on a flag", async () => {
    expectUsageError(
      await runScript(ENCODE, [path("in.tsv"), "-o", path("n1.jsonl"), "--no-format", ...FAST]),
      "--no-format: --format takes a value, it has no --no- form",
    );
    expectUsageError(await runScript(ENCODE, [path("in.tsv"), ...FAST, "--output"]), "--output needs a value");
    expectUsageError(
      await runScript(ENCODE, [path("in.tsv"), "-o", path("n3.jsonl"), "--quiet=yes", ...FAST]),
      "--quiet takes no value (--quiet or --no-quiet), got --quiet=yes",
    );
    expectUsageError(
      await runScript(ENCODE, [path("in.tsv"), "-o", path("n4.jsonl"), "--no-quite", ...FAST]),
      "unknown option --no-quite — did you mean --no-quiet?",
    );
    expectUsageError(
      await runScript(ENCODE, ["--input", path("in.tsv"), "-o", path("n5.jsonl"), ...FAST]),
      "unknown option --input — INPUT is a positional argument: give it without --input",
    );
  });

  it("refuses a value outside an enum option's values, naming them", async () => {
    expectUsageError(await runScript(ENCODE, [path("in.tsv"), "-o", path("e1.jsonl"), ...FAST, "--engine", "gpu"]), "--engine must be node or web, got gpu");
    expectUsageError(
      await runScript(ENCODE, [path("in.tsv"), "-o", path("e2.jsonl"), ...FAST, "--on-error", "skipp"]),
      "--on-error must be stop or skip, got skipp — did you mean skip?",
    );
    expectUsageError(
      await runScript(ENCODE, [path("in.tsv"), "-o", path("e3.jsonl"), ...FAST, "--input-format", "csv"]),
      "--input-format must be one of auto, tsv, jsonl, got csv",
    );
    expectUsageError(await runScript(ENCODE, [path("in.tsv"), "-o", path("e4.jsonl"), ...FAST, "--format", "anserni"]), "got anserni — did you mean anserini?");
  });

  it("accepts what citty parses: -o, --x=value, camelCase, --no-X of a flag, --flag=false, and -- before a dash-named input", async () => {
    const out = path("valid.jsonl");
    const r = await runScript(ENCODE, [path("in.tsv"), `-o${out}`, "--topK", "3", "--no-json", "--resume=false", ...FAST]);
    expect(r.code, r.stderr).toBe(0);
    expect(vectors(out).map((v) => Object.keys(v).length)).toEqual([3, 3]);
    const eq = await runScript(ENCODE, [path("in.tsv"), `--output=${path("eq.jsonl")}`, "--top-k=2", ...FAST]);
    expect(eq.code, eq.stderr).toBe(0);
    expect(vectors(path("eq.jsonl")).map((v) => Object.keys(v).length)).toEqual([2, 2]);
    // A folder of its own (tsx resolves from the working directory) holding an input whose name starts with a dash.
    const folder = path("dash");
    mkdirSync(folder);
    symlinkSync(join(ROOT, "node_modules"), join(folder, "node_modules"));
    writeFileSync(join(folder, "-dash.tsv"), "d3\tjupiter\n");
    const dash = await runScript(ENCODE, ["-o", path("dash.jsonl"), "--top-k", "1", ...FAST, "--", "-dash.tsv"], { cwd: folder });
    expect(dash.code, dash.stderr).toBe(0);
    expect(vectors(path("dash.jsonl"))).toHaveLength(1);
  });
});

describe.concurrent("the other CLIs", () => {
  it("verify --query x: unknown option, exit 2, listing the options", async () => {
    const r = await runScript(VERIFY, ["--query", "x", "--dir", resolve(FIXTURE_ROOT, "model")]);
    expectUsageError(r, "unknown option --query — verify takes --dir, --json");
  });

  it("model convert: an unknown option is exit 2 before anything is converted", async () => {
    const out = path("converted");
    const r = await runScript(MODEL_CLI, ["convert", HF_QUERY, out, "--max-lenght", "64", "--quiet"]);
    expectUsageError(r, "unknown option --max-lenght — did you mean --max-length?");
    expect(existsSync(out)).toBe(false);
  });

  // One CLI run per test: on a busy 2-core machine a run takes seconds, and five or six of them in a row went past
  // the 60 s a test has.
  const unconverted = path("converted-2");
  for (const [what, args, message] of [
    ["an option before the command name", ["--quiet", "convert", HF_QUERY, unconverted], "option --quiet before the command convert"],
    ["an unknown command", ["convrt", HF_QUERY, unconverted], "unknown command convrt — did you mean convert?"],
    [
      "an extra positional",
      ["convert", HF_QUERY, unconverted, "extra"],
      "unexpected argument extra — model convert takes two positional arguments, INPUT and OUTPUT",
    ],
    ["a bad --role", ["convert", HF_QUERY, unconverted, "--role", "passage"], "--role must be query or doc, got passage"],
    ["a bad --only", ["fetch", "--only", "passage"], "--only must be query or doc, got passage"],
  ] as const) {
    it(`model: ${what} is exit 2, and nothing is converted`, async () => {
      expectUsageError(await runScript(MODEL_CLI, [...args]), message);
      expect(existsSync(unconverted)).toBe(false);
    });
  }

  // An empty project: before the check, deploy stopped at the missing model (exit 1) without reaching wrangler.
  const project = path("project");
  mkdirSync(project);
  symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
  for (const [command, script, args, message, cwd] of [
    ["bench corpus --quik", "bench/run.ts", ["corpus", "--model", path("no-model"), "--quik"], "unknown option --quik", ROOT],
    ["bench corpus --engine gpu", "bench/run.ts", ["corpus", "--model", path("no-model"), "--engine", "gpu"], "--engine must be node or web, got gpu", ROOT],
    ["fixture --ot", "src/cli/fixture.ts", ["--ot", path("fixture")], "unknown option --ot — did you mean --out?", ROOT],
    ["serve deploy --force", "src/cli/serve.ts", ["deploy", "--force"], "unknown option --force — serve deploy takes --dry-run", project],
    ["serve start --prot", "src/cli/serve.ts", ["start", "--prot", "9000"], "unknown option --prot — did you mean --port?", project],
  ] as const) {
    it(`${command}: refused before it does anything`, async () => {
      expectUsageError(await runScript(script, [...args], { cwd }), message);
      expect(existsSync(path("fixture"))).toBe(false);
    });
  }
});

describe.concurrent("--json prints JSON on every exit path", () => {
  it("verify --json on generated weights (nothing to verify, exit 3)", async () => {
    const r = await runScript(VERIFY, ["--json", "--dir", resolve(FIXTURE_ROOT, "model")]);
    expect(r.code).toBe(3);
    const out = json(r);
    expect(out).toMatchObject({ ok: false, exit_code: 3 });
    expect(out.error).toMatch(/query and doc in .* hold generated random weights/);
  });

  it("verify --json with no models (exit 3) and with an unknown option (exit 2)", async () => {
    const none = await runScript(VERIFY, ["--json", "--dir", path("empty")]);
    expect(none.code).toBe(3);
    expect(json(none)).toMatchObject({ ok: false, exit_code: 3 });
    const bad = await runScript(VERIFY, ["--json", "--query", "x"]);
    expect(bad.code).toBe(2);
    expect(json(bad)).toEqual({ ok: false, error: "unknown option --query — verify takes --dir, --json", exit_code: 2 });
  });

  it("encode-corpus --json: a usage error is JSON with exit 2 and no usage text on stdout", async () => {
    const out = path("json-usage.jsonl");
    const unknown = await runScript(ENCODE, ["--json", path("in.tsv"), "-o", out, "--topk", "2", ...FAST]);
    expect(unknown.code).toBe(2);
    expect(json(unknown)).toEqual({ ok: false, error: "unknown option --topk — did you mean --top-k?", exit_code: 2 });
    const missing = await runScript(ENCODE, ["--json", "-o", out, ...FAST]);
    expect(missing.code).toBe(2);
    expect(json(missing)).toMatchObject({ ok: false, exit_code: 2, error: "Missing required positional argument: INPUT" });
    const enumValue = await runScript(ENCODE, ["--json", path("in.tsv"), "-o", out, ...FAST, "--format", "csv"]);
    expect(enumValue.code).toBe(2);
    expect(json(enumValue).error).toContain("--format must be one of ");
    expect(existsSync(out)).toBe(false);
  });

  it("encode-corpus --json: a user error (missing model, exit 1) and bad input (exit 2) are JSON too", async () => {
    const nomodel = await runScript(ENCODE, ["--json", path("in.tsv"), "-o", path("json-nomodel.jsonl"), "--model", path("no-model")]);
    expect(nomodel.code).toBe(1);
    expect(json(nomodel)).toMatchObject({ ok: false, exit_code: 1 });
    expect(json(nomodel).error).toContain("npm run model -- fetch --only doc");
    const noinput = await runScript(ENCODE, ["--json", path("nope.tsv"), "-o", path("json-noinput.jsonl"), ...FAST]);
    expect(noinput.code).toBe(2);
    expect(json(noinput).error).toContain(`${path("nope.tsv")}: no such file`);
  });
});

const HELP: Array<[string, string[]]> = [
  [ENCODE, ["--help"]],
  [VERIFY, ["--help"]],
  [MODEL_CLI, ["--help"]],
  [MODEL_CLI, ["fetch", "--help"]],
  ["bench/run.ts", ["corpus", "-h"]],
  ["src/cli/fixture.ts", ["--help"]],
  ["src/cli/serve.ts", ["start", "--help"]],
];

describe.concurrent("no colour unless stdout is a terminal and NO_COLOR is unset", () => {
  for (const [script, args] of HELP) {
    it(`${script} ${args.join(" ")} | cat: usage without escape codes, exit 0`, async () => {
      for (const env of [USER_ENV, { ...USER_ENV, NO_COLOR: "1" }]) {
        const r = await runScript(script, args, { env });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toContain("USAGE");
        expect(r.stdout).not.toContain(ANSI);
        expect(r.stderr).not.toContain(ANSI);
      }
    });
  }

  it("encode-corpus --help shows every enum option's values", async () => {
    const r = await runScript(ENCODE, ["--help"], { env: USER_ENV });
    expect(r.stdout).toContain("--format=<ids|jsonl|");
    expect(r.stdout).toContain("--engine=<node|web>");
    expect(r.stdout).toContain("--input-format=<auto|tsv|jsonl>");
    expect(r.stdout).toContain("--on-error=<stop|skip>");
  });

  it("a usage error's text carries no escape codes either (citty colours its own messages)", async () => {
    const r = await runScript(MODEL_CLI, ["convert"], { env: USER_ENV });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Missing required positional argument: INPUT");
    expect(r.stdout + r.stderr).not.toContain(ANSI);
  });

  // util-linux `script` gives the child a pseudo-terminal: colour there, unless NO_COLOR says otherwise.
  const hasScript = spawnSync("script", ["--version"]).status === 0;
  it.skipIf(!hasScript)("on a terminal: colour, and none with NO_COLOR set to any non-empty value", () => {
    const onTty = (env: NodeJS.ProcessEnv) => {
      const command = `${JSON.stringify(process.execPath)} --import tsx ${ENCODE} --help`;
      const merged = { ...process.env, ...env };
      for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
      return execFileSync("script", ["-qec", command, "/dev/null"], { cwd: ROOT, env: merged, encoding: "utf8" });
    };
    expect(onTty(USER_ENV)).toContain(ANSI);
    for (const value of ["1", "true"]) {
      const out = onTty({ ...USER_ENV, NO_COLOR: value });
      expect(out).toContain("USAGE");
      expect(out).not.toContain(ANSI);
    }
  });
});

describe("the argument check agrees with citty's parser", () => {
  const args = {
    input: { type: "positional", required: true },
    output: { type: "string", alias: "o" },
    "top-k": { type: "string" },
    quiet: { type: "boolean" },
    worker: { type: "boolean", default: true },
    engine: { type: "enum", options: ["node", "web"], default: "node" },
  } satisfies ArgsDef;
  const command: CommandDef<typeof args> = { meta: { name: "t" }, args };

  it("accepts every form citty reads into the option, with the value citty reads", async () => {
    const { checkArgs } = await import("../../src/cli/run.ts");
    const cases: Array<[string[], keyof typeof args, unknown]> = [
      [["in", "-o", "x"], "output", "x"],
      [["in", "-ox"], "output", "x"],
      [["in", "--o", "x"], "output", "x"],
      [["in", "--output=x"], "output", "x"],
      [["in", "--top-k", "2"], "top-k", "2"],
      [["in", "--topK", "2"], "top-k", "2"],
      [["in", "--topK=2"], "top-k", "2"],
      [["in", "--quiet"], "quiet", true],
      [["in", "--quiet=false"], "quiet", false],
      [["in", "--no-quiet"], "quiet", false],
      [["in", "--no-worker"], "worker", false],
      [["--engine", "web", "in"], "engine", "web"],
      [["--", "-in"], "input", "-in"],
      [["-o", "x", "--", "in"], "input", "in"],
    ];
    for (const [argv, name, value] of cases) {
      expect((await checkArgs(command, argv)).problem, argv.join(" ")).toBeUndefined();
      expect(cittyParseArgs(argv, args)[name], argv.join(" ")).toEqual(value);
    }
  });

  it("refuses what citty would drop or misread", async () => {
    const { checkArgs } = await import("../../src/cli/run.ts");
    const cases: Array<[string[], string]> = [
      [["in", "--top_k", "2"], "unknown option --top_k — did you mean --top-k?"],
      [["in", "--top_k=2"], "unknown option --top_k — did you mean --top-k?"],
      [["in", "-x"], "unknown option -x — t takes -o/--output, --top-k, --quiet, --worker, --engine"],
      [["in", "in2"], "unexpected argument in2 — t takes one positional argument, INPUT"],
      [["in", "--no-output"], "--no-output: --output takes a value, it has no --no- form"],
      [["in", "--no-wroker"], "unknown option --no-wroker — did you mean --no-worker?"],
      [["in", "--output"], "--output needs a value"],
      [["in", "--engine"], "--engine needs a value: node or web"],
      [["in", "--engine", "wbe"], "--engine must be node or web, got wbe — did you mean web?"],
      [["in", "--worker=maybe"], "--worker takes no value (--worker or --no-worker), got --worker=maybe"],
      // citty takes --no-quiet out first and reads -o x; written this way, -o reads as given no value.
      [["in", "-o", "--no-quiet", "x"], "-o needs a value, got --no-quiet (write --output=--no-quiet if that is the value)"],
    ];
    for (const [argv, message] of cases) expect((await checkArgs(command, argv)).problem, argv.join(" ")).toBe(message);
  });

  it("reads an option under every spelling citty reads it under, and no other", async () => {
    const { checkArgs } = await import("../../src/cli/run.ts");
    const spelled = { maxLength: { type: "string" }, "doc-model": { type: "string", alias: ["d", "dm"] } } satisfies ArgsDef;
    const command: CommandDef<typeof spelled> = { meta: { name: "s" }, args: spelled };
    const cases: Array<[string[], keyof typeof spelled]> = [
      [["--maxLength", "v"], "maxLength"],
      [["--max-length", "v"], "maxLength"],
      [["--doc-model", "v"], "doc-model"],
      [["--docModel", "v"], "doc-model"],
      [["-d", "v"], "doc-model"],
      [["--d", "v"], "doc-model"],
      [["--dm", "v"], "doc-model"],
    ];
    for (const [argv, name] of cases) {
      expect((await checkArgs(command, argv)).problem, argv.join(" ")).toBeUndefined();
      expect(cittyParseArgs(argv, spelled)[name], argv.join(" ")).toBe("v");
    }
    for (const typed of ["--max_length", "--maxlength", "--Doc-Model"]) {
      expect((await checkArgs(command, [typed, "v"])).problem).toMatch(new RegExp(`^unknown option ${typed} — did you mean --`));
    }
  });

  it("follows citty to the subcommand it runs, and checks the arguments that one gets", async () => {
    const { checkArgs } = await import("../../src/cli/run.ts");
    const ran: string[] = [];
    const sub = (name: string): CommandDef => ({
      meta: { name },
      args: { port: { type: "string" } },
      run: ({ args }) => void ran.push(`${name} ${args.port}`),
    });
    const root: CommandDef = { meta: { name: "r" }, default: "a", subCommands: { a: sub("a"), b: sub("b") } };
    const cases: Array<[string[], string, string]> = [
      [["b", "--port", "-"], "r b", "b -"],
      // No name before "--port -" (citty skips "-" as it skips an option): the default subcommand gets them all.
      [["--port", "-"], "r", "a -"],
      [["--port=1"], "r", "a 1"],
    ];
    for (const [argv, name, run] of cases) {
      expect(await checkArgs(root, argv), argv.join(" ")).toMatchObject({ name, problem: undefined });
      await runCommand(root, { rawArgs: argv });
      expect(ran.pop()).toBe(run);
    }
    expect((await checkArgs(root, ["--port", "1", "b"])).problem).toBe("unknown command 1 — r has a, b");
    expect((await checkArgs(root, ["--port=1", "b"])).problem).toBe("option --port=1 before the command b: options go after it (r b --help lists them)");
  });

  it("knows --json mode even when the arguments are wrong", async () => {
    const { checkArgs } = await import("../../src/cli/run.ts");
    const withJson: CommandDef = { meta: { name: "j" }, args: { json: { type: "boolean" } } };
    expect(await checkArgs(withJson, ["--json", "--bad"])).toMatchObject({ json: true, problem: "unknown option --bad — j takes --json" });
    expect(await checkArgs(withJson, ["--json", "--no-json"])).toMatchObject({ json: false });
    expect(await checkArgs(withJson, ["--json=false"])).toMatchObject({ json: false });
    const fileJson: CommandDef = { meta: { name: "f" }, args: { json: { type: "string" } } };
    expect(await checkArgs(fileJson, ["--json", "out.json"])).toMatchObject({ json: false });
  });
});
