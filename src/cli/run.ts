// Runs a citty command the way users expect from a CLI: their mistakes get one clear line (no stack trace)
// and a distinct exit code; only a bug in splade-edge itself prints a stack.
//
// Strict arguments. citty 0.2.2 reads argv with node:util parseArgs in non-strict mode and keeps only what the
// command declares, so an unknown option, an extra positional or `--no-X` of an option that takes a value passed
// silently (`--top_k 2`: an unknown flag, and "2" a positional nobody reads). checkArgs reads the arguments again
// with the option table citty builds and the same parseArgs tokens, so it accepts exactly what citty reads:
//   • an option's declared name, its aliases (a one-letter alias works as -o and as --o, -oVALUE too), and the
//     camelCase and kebab-case spellings citty adds itself (scule's: `--topK` is `--top-k`). These all work in
//     citty, so they are accepted; anything else (`--top_k`, `--topk`, `--TOP-K`) is an unknown option;
//   • `--x=value` and `--x value`; a value that starts with "-" only as `--x=-value` (citty would take the next
//     option as the value: `-o --quiet` writes a file named --quiet);
//   • `--no-X` only for a flag (citty sets any X to false, even a string, before parsing), `--flag=true|false`;
//   • `--` ends the options: what follows is positional, and counts against the command's positionals;
//   • subcommands found where citty finds them; an option before a subcommand's name (which citty ignores) is refused.
// The "did you mean" suggestion is an optimal-string-alignment distance below, not a dependency.
//
// Colour: citty colours its usage and some messages with its own escape codes, decided once at import (off only
// for NO_COLOR=1, TERM=dumb, TEST or CI; never for a pipe). Its usage is rendered here and the codes stripped
// unless the stream is a terminal and NO_COLOR is unset (any non-empty value turns colour off, as no-color.org says).
//
// --json: a command with a `json` flag prints JSON on stdout on every exit path; a failure is
// {"ok": false, "error": "…", "exit_code": N}, and so is an exit while the command still runs (an interrupt).
import { renderUsage, runCommand, type ArgDef, type ArgsDef, type CommandDef, type Resolvable } from "citty";
import { parseArgs } from "node:util";
import { CliError, EXIT_USAGE, exitCodeOf } from "./exit-codes.ts";

export { CliError, EXIT_USAGE } from "./exit-codes.ts";

// biome-ignore lint/suspicious/noExplicitAny: a command of any arguments; CommandDef<ArgsDef> would refuse the narrower ones.
type AnyCommand = CommandDef<any>;

async function resolved<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

const toArray = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const aliasesOf = (def: ArgDef): string[] => toArray((def as { alias?: string | string[] }).alias);

// ── Colour ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** Colour for a person at a terminal only: `stream` is a TTY, NO_COLOR is unset or empty, TERM is not "dumb". */
export function useColour(stream: { isTTY?: boolean }): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb";
}

// citty's colours are SGR sequences (ESC [ … m) and nothing else.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what this strips.
const SGR = /\u001b\[[0-9;]*m/g;

/** `text` without colour codes. */
export function plain(text: string): string {
  return text.replace(SGR, "");
}

// ── JSON ────────────────────────────────────────────────────────────────────────────────────────────────────────

/** The one way a --json command prints: one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** What a --json command prints when it fails, whatever the failure. */
export function printJsonError(message: string, exitCode: number): void {
  printJson({ ok: false, error: plain(message), exit_code: exitCode });
}

// ── Spellings (scule 1.3.0, MIT, which citty bundles: how citty derives camelCase and kebab-case aliases) ──────

function words(text: string): string[] {
  const parts: string[] = [];
  let buffer = "";
  let previousUpper: boolean | undefined;
  let previousSplitter: boolean | undefined;
  for (const char of text) {
    if ("-_/.".includes(char)) {
      parts.push(buffer);
      buffer = "";
      previousUpper = undefined;
      continue;
    }
    const upper = /\d/.test(char) ? undefined : char !== char.toLowerCase();
    if (previousSplitter === false) {
      if (previousUpper === false && upper === true) {
        parts.push(buffer);
        buffer = char;
        previousUpper = upper;
        continue;
      }
      if (previousUpper === true && upper === false && buffer.length > 1) {
        parts.push(buffer.slice(0, -1));
        buffer = buffer.slice(-1) + char;
        previousUpper = upper;
        continue;
      }
    }
    buffer += char;
    previousUpper = upper;
    previousSplitter = false;
  }
  parts.push(buffer);
  return parts;
}

function camelCase(text: string): string {
  const pascal = words(text)
    .map((w) => (w ? w[0].toUpperCase() + w.slice(1) : ""))
    .join("");
  return pascal ? pascal[0].toLowerCase() + pascal.slice(1) : "";
}

const kebabCase = (text: string): string =>
  words(text)
    .map((w) => w.toLowerCase())
    .join("-");

// ── Suggestions ─────────────────────────────────────────────────────────────────────────────────────────────────

/** Edits (insert, delete, substitute, swap two neighbours) from a to b: optimal string alignment distance. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

const normal = (text: string) => text.toLowerCase().replace(/[-_]/g, "");

/**
 * The candidate `input` most likely meant: the same up to case, "-" and "_" (top_k, topk → top-k), else within one
 * edit per four characters, else one it begins (3+ characters: --batch → --batch-size). The first declared wins ties.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const wanted = normal(input);
  if (wanted.length < 2) return undefined;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const known = normal(candidate);
    const limit = Math.max(1, Math.floor(Math.max(wanted.length, known.length) / 4));
    const d = distance(wanted, known);
    const score = d <= limit ? d : wanted.length >= 3 && known.startsWith(wanted) ? limit + 0.5 : Infinity;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** "a, b or c" / "a or b" */
function either(values: readonly string[]): string {
  return values.length <= 2 ? values.join(" or ") : `one of ${values.join(", ")}`;
}

// ── The argument check ──────────────────────────────────────────────────────────────────────────────────────────

interface Option {
  name: string;
  def: ArgDef;
  flag: boolean;
  values?: string[];
}

interface OptionTable {
  options: Option[];
  /** Every long spelling citty accepts (name, aliases, camelCase, kebab-case) → its option. */
  spellings: Map<string, Option>;
  positionals: string[];
  /** node:util parseArgs options, as citty's parser builds them. */
  config: Record<string, { type: "string" | "boolean"; short?: string }>;
}

function optionTable(argsDef: ArgsDef): OptionTable {
  const table: OptionTable = { options: [], spellings: new Map(), positionals: [], config: {} };
  for (const [name, def] of Object.entries(argsDef)) {
    if (def.type === "positional") {
      table.positionals.push(name);
      continue;
    }
    const option: Option = { name, def, flag: def.type === "boolean", values: def.type === "enum" ? def.options : undefined };
    table.options.push(option);
    const aliases = aliasesOf(def);
    for (const spelling of new Set([name, ...aliases, camelCase(name), kebabCase(name)])) {
      table.spellings.set(spelling, option);
      table.config[spelling] = { type: option.flag ? "boolean" : "string" };
    }
    // citty gives the declared option a one-letter alias as its short form (and keeps --o as a long one too).
    for (const alias of aliases) if (alias.length === 1) table.config[name].short = alias;
  }
  return table;
}

function describeOptions(table: OptionTable, who: string): string {
  if (table.options.length === 0) return `${who} takes no options`;
  if (table.options.length > 8) return `see ${who} --help`;
  const shown = table.options.map((o) =>
    [
      ...aliasesOf(o.def)
        .filter((a) => a.length === 1)
        .map((a) => `-${a}`),
      `--${o.name}`,
    ].join("/"),
  );
  return `${who} takes ${shown.join(", ")}`;
}

function unknownOption(raw: string, argument: string, table: OptionTable, who: string): string {
  // -top-k is parsed as the short options -t -o… ; name the whole argument and suggest its long form.
  const shown = !argument.startsWith("--") && argument.length > 2 && argument.startsWith("-") && !argument.includes("=") ? argument : raw;
  const bare = shown.replace(/^-+/, "").replace(/=.*/, "");
  const positional = table.positionals.find((p) => normal(p) === normal(bare));
  if (positional && shown.startsWith("--")) return `unknown option ${shown} — ${positional.toUpperCase()} is a positional argument: give it without ${shown}`;
  const candidates = table.options.flatMap((o) => (o.flag ? [o.name, `no-${o.name}`] : [o.name]));
  const suggestion = closest(bare, candidates);
  return `unknown option ${shown} — ${suggestion ? `did you mean --${suggestion}?` : describeOptions(table, who)}`;
}

function badValue(option: Option, value: string): string | undefined {
  if (!option.values || option.values.includes(value)) return undefined;
  const suggestion = closest(value, option.values);
  return `--${option.name} must be ${either(option.values)}, got ${value}${suggestion ? ` — did you mean ${suggestion}?` : ""}`;
}

const COUNT = ["no", "one", "two", "three", "four"];

function positionalsTaken(table: OptionTable, who: string): string {
  const n = table.positionals.length;
  if (n === 0) return `${who} takes no positional arguments`;
  const names = table.positionals.map((p) => p.toUpperCase());
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  return `${who} takes ${COUNT[n] ?? n} positional argument${n === 1 ? "" : "s"}, ${list}`;
}

interface SegmentResult {
  json: boolean;
  problem?: string;
}

/** One command's own arguments (after its name), read as citty reads them; the first problem in argv order. */
function checkSegment(args: string[], table: OptionTable, who: string): SegmentResult {
  const problems: Array<{ at: number; message: string }> = [];
  // citty takes every --no-X out before parsing (up to --) and sets X to false.
  const kept: string[] = [];
  const origin: number[] = [];
  let negatedJson = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      for (let j = i; j < args.length; j++) {
        kept.push(args[j]);
        origin.push(j);
      }
      break;
    }
    if (!arg.startsWith("--no-")) {
      kept.push(arg);
      origin.push(i);
      continue;
    }
    const [name, value] = arg.slice(5).split(/=(.*)/s);
    const option = table.spellings.get(name);
    if (!option) problems.push({ at: i, message: unknownOption(arg.replace(/=.*/s, ""), arg, table, who) });
    else if (!option.flag) problems.push({ at: i, message: `--no-${name}: --${option.name} takes a value, it has no --no- form` });
    else if (value !== undefined) problems.push({ at: i, message: `--no-${name} takes no value, got ${arg}` });
    else if (option.name === "json") negatedJson = true;
  }
  let tokens: NonNullable<ReturnType<typeof parseArgs>["tokens"]>;
  try {
    tokens = parseArgs({ args: kept, options: table.config, strict: false, allowPositionals: true, tokens: true }).tokens;
  } catch (error) {
    return { json: false, problem: `cannot read the arguments: ${(error as Error).message}` };
  }
  let json = false;
  const positionals: Array<{ at: number; value: string }> = [];
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    const at = origin[token.index];
    if (token.kind === "positional") {
      positionals.push({ at, value: token.value });
      continue;
    }
    const option = table.spellings.get(token.name);
    if (!option) {
      problems.push({ at, message: unknownOption(token.rawName, args[at], table, who) });
    } else if (option.flag) {
      if (token.inlineValue && token.value !== "true" && token.value !== "false") {
        problems.push({ at, message: `--${option.name} takes no value (--${option.name} or --no-${option.name}), got ${token.rawName}=${token.value}` });
      }
      if (option.name === "json") json = token.value !== "false";
    } else if (token.value === undefined) {
      problems.push({ at, message: `${token.rawName} needs a value${option.values ? `: ${either(option.values)}` : ""}` });
    } else if (!token.inlineValue && token.value.startsWith("-") && token.value !== "-") {
      problems.push({ at, message: `${token.rawName} needs a value, got ${token.value} (write --${option.name}=${token.value} if that is the value)` });
    } else {
      const bad = badValue(option, token.value);
      if (bad) problems.push({ at, message: bad });
    }
  }
  const extra = positionals[table.positionals.length];
  if (extra) problems.push({ at: extra.at, message: `unexpected argument ${extra.value} — ${positionalsTaken(table, who)}` });
  problems.sort((a, b) => a.at - b.at);
  return { json: json && !negatedJson, problem: problems[0]?.message };
}

/** citty's findSubCommandIndex: the first argument that is neither an option nor a value of one; -1 after --. */
function subCommandIndex(args: string[], argsDef: ArgsDef): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return -1;
    if (arg.startsWith("-")) {
      if (!arg.includes("=") && takesValue(arg, argsDef)) i++;
      continue;
    }
    return i;
  }
  return -1;
}

function takesValue(flag: string, argsDef: ArgsDef): boolean {
  const name = flag.replace(/^-{1,2}/, "");
  return Object.entries(argsDef).some(
    ([key, def]) => (def.type === "string" || def.type === "enum") && (camelCase(name) === camelCase(key) || aliasesOf(def).includes(name)),
  );
}

async function findSubCommand(subCommands: Record<string, Resolvable<AnyCommand>>, name: string): Promise<AnyCommand | undefined> {
  if (name in subCommands) return resolved(subCommands[name]);
  for (const sub of Object.values(subCommands)) {
    const command = await resolved(sub);
    if (toArray((await resolved(command.meta ?? {})).alias).includes(name)) return command;
  }
  return undefined;
}

export interface Invocation {
  /** The command as typed, e.g. "model convert" (a default subcommand adds nothing). */
  name: string;
  /** The command --help describes, and its parent: the last one named, as citty's help picks it. */
  usage: [AnyCommand, AnyCommand | undefined];
  /** The command that runs has a `json` flag and it is set. */
  json: boolean;
  /** The first usage error, worded for the user. */
  problem?: string;
}

/** Reads `rawArgs` the way citty will run them through `root` and its subcommands, and finds the first usage error. */
export async function checkArgs(root: AnyCommand, rawArgs: string[]): Promise<Invocation> {
  let command = root;
  let parent: AnyCommand | undefined;
  let args = rawArgs;
  let name = (await resolved(root.meta ?? {})).name ?? "command";
  const invocation = (result: SegmentResult, usage: Invocation["usage"] = [command, parent]): Invocation => ({ name, usage, ...result });
  for (;;) {
    const argsDef = await resolved(command.args ?? {});
    const subCommands = (await resolved(command.subCommands ?? {})) as Record<string, Resolvable<AnyCommand>>;
    if (Object.keys(subCommands).length === 0) break;
    const index = subCommandIndex(args, argsDef);
    if (index >= 0) {
      const typed = args[index];
      const sub = await findSubCommand(subCommands, typed);
      if (!sub) {
        const suggestion = closest(typed, Object.keys(subCommands));
        return invocation({
          json: false,
          problem: `unknown command ${typed} — ${suggestion ? `did you mean ${suggestion}?` : `${name} has ${Object.keys(subCommands).join(", ")}`}`,
        });
      }
      const before = args.slice(0, index);
      // citty runs a parent's own run() after its subcommand's; without one, options given to it go nowhere.
      const own = command.run ? checkSegment(before, optionTable(argsDef), name) : { json: false, problem: undefined };
      const misplaced = command.run ? undefined : before.find((a) => a.startsWith("-"));
      if (own.problem || misplaced) {
        return invocation({
          json: false,
          problem: own.problem ?? `option ${misplaced} before the command ${typed}: options go after it (${name} ${typed} --help lists them)`,
        });
      }
      parent = command;
      command = sub;
      args = args.slice(index + 1);
      name = `${name} ${typed}`;
      continue;
    }
    const fallback = await resolved(command.default);
    const sub = fallback === undefined ? undefined : await findSubCommand(subCommands, fallback);
    // No command named and no default: citty says "No command specified."; the options are still checked.
    if (!sub) break;
    // The default subcommand gets every argument; --help still describes the command named.
    const result = checkSegment(args, optionTable(await resolved(sub.args ?? {})), name);
    return invocation(result, [command, parent]);
  }
  return invocation(checkSegment(args, optionTable(await resolved(command.args ?? {})), name));
}

/** citty's built-in help flags: --help and -h, unless the command declares those names itself. */
async function helpFlags(root: AnyCommand): Promise<string[]> {
  const argsDef: ArgsDef = await resolved(root.args ?? {});
  const taken = new Set(Object.entries(argsDef).flatMap(([name, def]) => [name, ...aliasesOf(def)]));
  return taken.has("help") ? [] : taken.has("h") ? ["--help"] : ["--help", "-h"];
}

async function usageFor(invocation: Invocation, stream: { isTTY?: boolean }): Promise<string> {
  const text = await renderUsage(...invocation.usage);
  return useColour(stream) ? text : plain(text);
}

export async function runCli(cmd: AnyCommand): Promise<void> {
  const rawArgs = process.argv.slice(2);
  let invocation: Invocation | undefined;
  let settled = false;
  try {
    invocation = await checkArgs(cmd, rawArgs);
    const help = await helpFlags(cmd);
    if (rawArgs.some((arg) => help.includes(arg))) {
      console.log(`${await usageFor(invocation, process.stdout)}\n`);
      return;
    }
    if (invocation.json) {
      // An exit while the command still runs (an interrupt, a process.exit in a handler) is a failure in JSON too.
      const name = invocation.name;
      process.once("exit", (code) => {
        if (!settled && code !== 0) printJsonError(code === 130 ? `${name}: interrupted` : `${name} stopped before finishing (exit code ${code})`, code);
      });
    }
    if (invocation.problem) throw new CliError("usage", invocation.problem);
    await runCommand(cmd, { rawArgs });
    settled = true;
  } catch (error) {
    settled = true;
    await fail(error, invocation);
  }
}

async function fail(error: unknown, invocation: Invocation | undefined): Promise<void> {
  const e = error instanceof Error ? error : new Error(String(error));
  const message = plain(e.message);
  let exitCode = exitCodeOf(e);
  if (e.name === "CLIError") {
    // citty's own usage errors (a missing argument, no command named): the usage, then what is wrong.
    exitCode = EXIT_USAGE;
    if (invocation && !invocation.json) console.error(`${await usageFor(invocation, process.stderr)}\n`);
    console.error(`✖ ${message}`);
  } else if (exitCode !== undefined) {
    console.error(`✖ ${message}`);
  } else {
    // Not a failure the user can act on (exit-codes.ts lists those): a bug, shown with its stack.
    exitCode = 1;
    console.error(e);
  }
  if (invocation?.json) printJsonError(message, exitCode);
  process.exitCode = exitCode;
}

/** A usage error (exit 2): a bad value of a valid option. */
export function usage(message: string): never {
  throw new CliError("usage", message);
}

/** `--name`'s value as a positive integer, or undefined when it was not given. */
export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) usage(`--${name} must be a positive integer, got ${value}`);
  return n;
}

/** `--name`'s value as a number ≥ 0, or undefined when it was not given. */
export function nonNegative(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) usage(`--${name} must be a number ≥ 0, got ${value}`);
  return n;
}
