// Progress display for the CLIs: a cli-progress bar on an interactive terminal, nothing otherwise
// (pipes, CI logs, --quiet, --json), so the commands' cores never draw. The bars carry no colour (the shades_classic
// characters and formats without escape codes; only cursor movement, on a TTY), so NO_COLOR needs nothing here:
// colour is decided in one place, run.ts's useColour.
import cliProgress from "cli-progress";

export interface ByteProgress {
  update(done: number, total?: number): void;
  stop(): void;
}

/**
 * Whether to draw at all: a person at a terminal (stdout and stderr both TTYs: a redirected stdout means a script
 * or a file is taking the results) and no --quiet/--json.
 */
export function interactive(flags: { quiet?: boolean; json?: boolean } = {}): boolean {
  return Boolean(process.stderr.isTTY && process.stdout.isTTY) && !flags.quiet && !flags.json;
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

/** A bar for one download; a no-op when not interactive. */
export function byteBar(label: string, enabled: boolean): ByteProgress {
  if (!enabled) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {percentage}% | {done}/{all} MiB | {speed} MiB/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let running = false;
  return {
    update(done, total) {
      const all = total ?? done;
      const speed = mib(done / Math.max(0.001, (Date.now() - started) / 1000));
      if (!running) {
        bar.start(all, done, { done: mib(done), all: mib(all), speed });
        running = true;
      }
      bar.setTotal(all);
      bar.update(done, { done: mib(done), all: mib(all), speed });
    },
    stop() {
      if (running) bar.stop();
    },
  };
}

export interface DocumentProgress {
  /** Documents done, tokens done, and the fraction of the work done when it is known (for the bar and ETA). */
  update(documents: number, tokens: number, fraction?: number): void;
  /** Prints a line above the bar (or to stderr when there is none). */
  log(line: string): void;
  stop(): void;
}

function rate(n: number, seconds: number): string {
  return Math.round(n / Math.max(seconds, 0.001)).toLocaleString("en-US");
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/**
 * Documents, docs/s, tokens/s and an ETA from the fraction done (which may come from input bytes, so it is not a
 * document count); without a known fraction, just the counters. A no-op bar when not interactive.
 */
export function documentBar(enabled: boolean): DocumentProgress {
  if (!enabled) return { update() {}, log: (line) => console.error(line), stop() {} };
  const bars = new cliProgress.MultiBar(
    {
      format: "{bar} {percent}% | {documents} docs | {dps} docs/s | {tps} tokens/s | ETA {left}",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(1000, 0, { percent: "0.0", documents: 0, dps: 0, tps: 0, left: "?" });
  let first: { at: number; documents: number; tokens: number; fraction: number } | undefined;
  return {
    update(documents, tokens, fraction) {
      const now = performance.now();
      // Rates and ETA from the first report on: a resumed run starts part-way, and model loading is not throughput.
      first ??= { at: now, documents, tokens, fraction: fraction ?? 0 };
      const seconds = (now - first.at) / 1000;
      const speed = fraction === undefined ? 0 : (fraction - first.fraction) / Math.max(seconds, 0.001);
      bar.update(Math.round((fraction ?? 0) * 1000), {
        percent: fraction === undefined ? "?" : (fraction * 100).toFixed(1),
        documents: documents.toLocaleString("en-US"),
        dps: rate(documents - first.documents, seconds),
        tps: rate(tokens - first.tokens, seconds),
        left: fraction === undefined || speed <= 0 ? "?" : duration((1 - fraction) / speed),
      });
    },
    log: (line) => bars.log(`${line}\n`),
    stop: () => bars.stop(),
  };
}
