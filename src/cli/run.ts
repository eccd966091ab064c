// Runs a citty command the way users expect from a CLI: their mistakes get one clear line (no stack trace)
// and a distinct exit code; only a bug in splade-edge itself prints a stack.
//
// Strict arguments. citty 0.2.2 reads argv with node:util parseArgs in non-strict mode and keeps only what the
// command declares, so an unknown option, an extra positional or `--no-X` of an option that takes a value passed
// silently (`--top_k 2`: an unknown flag, and "2" a positional nobody reads). checkArgs reads the arguments first,
// with the same parseArgs tokens and the spellings citty's own parser reads into each option (asked of citty, which
// adds camelCase and kebab-case forms: `--topK` is `--top-k`), and refuses, worded for the user with a suggestion:
//   • any other spelling (`--top_k`, `--topk`, `--TOP-K`), a value outside an enum's, a positional too many;
//   • an option without its value, and a value that starts with "-" unless written `--x=-value` (citty would take
//     the next option as the value: `-o --quiet` writes a file named --quiet; `-o --no-quiet FILE` is refused too);
//   • `--no-X` but for a flag (citty sets any X to false, even a string), a flag's value but true or false;
//   • an option before a subcommand's name, which citty ignores (the name is where citty looks: the first
//     positional before `--`).
// parseArgs({ strict: true }) would stop at the first problem with node's words and no option to suggest, refuse the
// `--flag=false` citty reads, and know neither enums nor how many positionals a command takes: hence the tokens.
// The "did you mean" suggestion is an optimal-string-alignment distance below, not a dependency.
//
// Colour: citty colours its usage and some messages with its own escape codes, decided once at import (off only
// for NO_COLOR=1, TERM=dumb, TEST or CI; never for a pipe). Its usage is rendered here and the codes stripped
// unless the stream is a terminal and NO_COLOR is unset (any non-empty value turns colour off, as no-color.org says).
//
// --json: a command with a `json` flag prints JSON on stdout on every exit path; a failure is
// {"ok": false, "error": "…", "exit_code": N}, and so is an exit while the command still runs (an interrupt).
import { parseArgs as cittyParseArgs, renderUsage, runCommand, type ArgDef, type ArgsDef, type CommandDef, type Resolvable } from "citty";
import { parseArgs, type ParseArgsConfig } from "node:util";
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

const VARIADIC = new WeakSet<ArgDef>();

/**
 * Marks a positional as taking every remaining argument (`splade-index build INPUT…`), when it is the command's last:
 * citty keeps the extra ones in `args._`.
 */
export function variadic<T extends ArgDef>(def: T): T {
  VARIADIC.add(def);
  return def;
}

interface Option {
  name: string;
  def: ArgDef;
  flag: boolean;
  values?: string[];
}

interface OptionTable {
  options: Option[];
  /** Every long spelling citty reads into an option → that option. */
  spellings: Map<string, Option>;
  positionals: string[];
  /** The last positional takes every remaining argument (declared with variadic()). */
  variadic: boolean;
  /** node:util parseArgs options: what takes a value, and the short forms, as citty's parser has them. */
  config: NonNullable<ParseArgsConfig["options"]>;
}

function optionTable(argsDef: ArgsDef): OptionTable {
  const table: OptionTable = { options: [], spellings: new Map(), positionals: [], variadic: false, config: {} };
  for (const [name, def] of Object.entries(argsDef)) {
    if (def.type === "positional") {
      table.positionals.push(name);
      table.variadic = VARIADIC.has(def);
    } else table.options.push({ name, def, flag: def.type === "boolean", values: def.type === "enum" ? def.options : undefined });
  }
  // citty reads an option under more spellings than it declares (its aliases, and the camelCase and kebab-case forms
  // scule makes of its name): its own parser says which, given `--NAME=i` for the i-th option, by filling each one with i.
  const probe: ArgsDef = Object.fromEntries(table.options.map((o) => [o.name, { type: "string", alias: aliasesOf(o.def) }]));
  const read = cittyParseArgs(
    table.options.map((o, i) => `--${o.name}=${i}`),
    probe,
  );
  for (const [spelling, index] of Object.entries(read)) {
    if (spelling === "_") continue;
    const option = table.options[Number(index)];
    table.spellings.set(spelling, option);
    table.config[spelling] = { type: option.flag ? "boolean" : "string" };
  }
  // citty gives the declared option a one-letter alias as its short form (and keeps --o as a long one too).
  for (const [spelling, option] of table.spellings) if (spelling.length === 1) table.config[option.name].short = spelling;
  return table;
}

/** How citty's parser (node:util parseArgs, not strict) splits `args`. */
const tokenize = (args: string[], table: OptionTable) => parseArgs({ args, options: table.config, strict: false, allowPositionals: true, tokens: true }).tokens;

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
  const bare = shown.replace(/^-+/, "");
  const positional = table.positionals.find((p) => normal(p) === normal(bare));
  if (positional && shown.startsWith("--")) return `unknown option ${shown} — ${positional.toUpperCase()} is a positional argument: give it without ${shown}`;
  const candidates = table.options.flatMap((o) => (o.flag ? [o.name, `no-${o.name}`] : [o.name]));
  const suggestion = closest(bare, candidates);
  return `unknown option ${shown} — ${suggestion ? `did you mean --${suggestion}?` : describeOptions(table, who)}`;
}

type OptionToken = Extract<ReturnType<typeof tokenize>[number], { kind: "option" }>;

/** The option `token` names (undefined: none), and whether it is its --no- form. */
function optionOf(token: OptionToken, table: OptionTable): { option?: Option; negated: boolean } {
  // citty takes every --no-X out before parsing (up to --) and sets X to false after it.
  const negated = token.rawName.startsWith("--no-");
  return { option: table.spellings.get(negated ? token.rawName.slice(5) : token.name), negated };
}

/** What is wrong with `token` (from `argument`), if anything. */
function optionProblem(token: OptionToken, argument: string, table: OptionTable, who: string): string | undefined {
  const { option, negated } = optionOf(token, table);
  const { rawName, value } = token;
  if (!option) return unknownOption(rawName, argument, table, who);
  if (negated) {
    if (!option.flag) return `${rawName}: --${option.name} takes a value, it has no --no- form`;
    return value === undefined ? undefined : `${rawName} takes no value, got ${argument}`;
  }
  if (option.flag) {
    const ok = !token.inlineValue || value === "true" || value === "false";
    return ok ? undefined : `--${option.name} takes no value (--${option.name} or --no-${option.name}), got ${rawName}=${value}`;
  }
  if (value === undefined) return `${rawName} needs a value${option.values ? `: ${either(option.values)}` : ""}`;
  // citty would take the next option as the value: `-o --quiet` writes a file named --quiet.
  if (!token.inlineValue && value.startsWith("-") && value !== "-") {
    return `${rawName} needs a value, got ${value} (write --${option.name}=${value} if that is the value)`;
  }
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
  let problem: string | undefined;
  let json = false;
  let negatedJson = false;
  let positionals = 0;
  for (const token of tokenize(args, table)) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      if (++positionals > table.positionals.length && !table.variadic) problem ??= `unexpected argument ${token.value} — ${positionalsTaken(table, who)}`;
      continue;
    }
    problem ??= optionProblem(token, args[token.index], table, who);
    const { option, negated } = optionOf(token, table);
    if (option?.flag && option.name === "json") {
      if (!negated) json = token.value !== "false";
      else if (token.value === undefined) negatedJson = true;
    }
  }
  return { json: json && !negatedJson, problem };
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
  const invocation = (result: SegmentResult): Invocation => ({ name, usage: [command, parent], ...result });
  for (;;) {
    const table = optionTable(await resolved(command.args ?? {}));
    const subCommands = (await resolved(command.subCommands ?? {})) as Record<string, Resolvable<AnyCommand>>;
    if (Object.keys(subCommands).length === 0) return invocation(checkSegment(args, table, name));
    // Where citty looks for the subcommand's name: the first positional before any `--` ("-" starts with "-": skipped).
    const named = tokenize(args, table).find((t) => (t.kind === "positional" && t.value !== "-") || t.kind === "option-terminator");
    if (named?.kind !== "positional") {
      const fallback = await resolved(command.default);
      const sub = fallback === undefined ? undefined : await findSubCommand(subCommands, fallback);
      // The default subcommand gets every argument; --help still describes the command named. With no default, citty
      // says "No command specified."; the options are still checked.
      return invocation(checkSegment(args, sub ? optionTable(await resolved(sub.args ?? {})) : table, name));
    }
    const sub = await findSubCommand(subCommands, named.value);
    if (!sub) {
      const suggestion = closest(named.value, Object.keys(subCommands));
      const problem = `unknown command ${named.value} — ${suggestion ? `did you mean ${suggestion}?` : `${name} has ${Object.keys(subCommands).join(", ")}`}`;
      return invocation({ json: false, problem });
    }
    const before = args.slice(0, named.index);
    // citty runs a parent's own run() after its subcommand's; without one, options given to it go nowhere.
    const own = command.run ? checkSegment(before, table, name).problem : undefined;
    const misplaced = command.run ? undefined : before.find((a) => a.startsWith("-"));
    if (own || misplaced) {
      return invocation({
        json: false,
        problem: own ?? `option ${misplaced} before the command ${named.value}: options go after it (${name} ${named.value} --help lists them)`,
      });
    }
    parent = command;
    command = sub;
    args = args.slice(named.index + 1);
    name = `${name} ${named.value}`;
  }
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
