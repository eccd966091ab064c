// Runs one of the project's CLIs as a real child process (tsx, as `npm run` does) and captures its output.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { resolve } from "node:path";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ScriptOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group (needs root): what root can read, another user cannot. */
  uid?: number;
  gid?: number;
}

export const ROOT = resolve(import.meta.dirname, "../..");

/** Starts the script; stdin stays open for the caller to write (and end). */
export function startScript(script: string, args: string[], options: ScriptOptions = {}): { child: ChildProcessWithoutNullStreams; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ["--import", "tsx", resolve(ROOT, script), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
    uid: options.uid,
    gid: options.gid,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  // A child killed mid-write closes its stdin under us; that is what the caller asked for.
  child.stdin.on("error", () => {});
  const done = new Promise<CliResult>((resolveDone, fail) => {
    child.on("error", fail);
    child.on("close", (code, signal) => resolveDone({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runScript(script: string, args: string[], options: ScriptOptions & { input?: string | Uint8Array } = {}): Promise<CliResult> {
  const { child, done } = startScript(script, args, options);
  child.stdin.end(options.input);
  return done;
}
