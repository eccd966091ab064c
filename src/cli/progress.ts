// Progress display for the CLIs: a cli-progress bar on an interactive terminal, nothing otherwise
// (pipes, CI logs, --quiet, --json), so the commands' cores never draw.
import cliProgress from "cli-progress";

export interface ByteProgress {
  update(done: number, total?: number): void;
  stop(): void;
}

/** Whether to draw at all: a TTY on stderr and no --quiet/--json. */
export function interactive(flags: { quiet?: boolean; json?: boolean } = {}): boolean {
  return Boolean(process.stderr.isTTY) && !flags.quiet && !flags.json;
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
