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
  /** Documents done, tokens done, and the fraction of the work done when it is known (for the percent and ETA). */
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

/** Seconds of recent progress the ETA is taken over. */
const ETA_WINDOW_SECONDS = 30;

/**
 * Time left, from the pace of the last `windowSeconds`: progress comes a batch at a time, and a pace taken between
 * two reports would swing with each one; over the window it is steady, yet follows a real change of pace (longer
 * documents later in the input) within the window.
 */
export class EtaEstimate {
  private readonly samples: Array<{ at: number; fraction: number }> = [];

  constructor(private readonly windowSeconds = ETA_WINDOW_SECONDS) {}

  /** Records `fraction` done at `at` seconds; returns the seconds left, undefined until a pace is known. */
  add(at: number, fraction: number): number | undefined {
    this.samples.push({ at, fraction });
    // Keep one sample at or before the window's start, so the pace always spans the whole window once it can.
    while (this.samples.length > 2 && this.samples[1].at <= at - this.windowSeconds) this.samples.shift();
    const first = this.samples[0];
    const pace = (fraction - first.fraction) / (at - first.at);
    if (fraction >= 1) return 0;
    return at > first.at && pace > 0 ? (1 - fraction) / pace : undefined;
  }
}

/**
 * Documents, docs/s, `unit`s/s (tokens, postings), the percent done (records done over the run's records, from the core) and an ETA
 * from the recent pace; without a known fraction, just the counters. A no-op bar when not interactive.
 */
export function documentBar(enabled: boolean, unit = "tokens"): DocumentProgress {
  if (!enabled) return { update() {}, log: (line) => console.error(line), stop() {} };
  const bars = new cliProgress.MultiBar(
    {
      format: `{bar} {percent}% | {documents} docs | {dps} docs/s | {tps} ${unit}/s | ETA {left}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(1000, 0, { percent: "?", documents: 0, dps: 0, tps: 0, left: "?" });
  const eta = new EtaEstimate();
  let first: { at: number; documents: number; tokens: number } | undefined;
  return {
    update(documents, tokens, fraction) {
      const now = performance.now() / 1000;
      // Rates from the first report on: a resumed run starts part-way, and model loading is not throughput.
      first ??= { at: now, documents, tokens };
      const seconds = now - first.at;
      const left = fraction === undefined ? undefined : eta.add(now, fraction);
      bar.update(Math.round((fraction ?? 0) * 1000), {
        percent: fraction === undefined ? "?" : (fraction * 100).toFixed(1),
        documents: documents.toLocaleString("en-US"),
        dps: rate(documents - first.documents, seconds),
        tps: rate(tokens - first.tokens, seconds),
        left: left === undefined ? "?" : duration(left),
      });
    },
    log: (line) => bars.log(`${line}\n`),
    stop: () => bars.stop(),
  };
}
