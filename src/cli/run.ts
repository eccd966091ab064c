// Runs a citty command the way users expect from a CLI: their mistakes get one clear line (no stack trace)
// and a distinct exit code; only a bug in splade-edge itself prints a stack.
import { runCommand, runMain, showUsage, type CommandDef } from "citty";

/** A failure the user can act on; `exitCode` lets a command say "not applicable" apart from "failed". */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UserError";
  }
}

/** Errors whose message already says what is wrong and what to do. */
const EXPLAINED = new Set(["UserError", "CheckpointError", "HubError"]);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function runCli(cmd: CommandDef<any>): Promise<void> {
  const rawArgs = process.argv.slice(2);
  if (rawArgs.includes("--help") || rawArgs.includes("-h")) return runMain(cmd, { rawArgs });
  try {
    await runCommand(cmd, { rawArgs });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    if (e.name === "CLIError") {
      await showUsage(cmd);
      console.error(`\n✖ ${e.message}`);
      process.exitCode = 2;
    } else if (EXPLAINED.has(e.name) || e.name === "Error") {
      console.error(`✖ ${e.message}`);
      process.exitCode = e instanceof UserError ? e.exitCode : 1;
    } else {
      console.error(e);
      process.exitCode = 1;
    }
  }
}
