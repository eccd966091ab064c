// The workerd processes of a `wrangler dev` started by src/node/wrangler-dev.ts, found by its inspector port, and what
// /proc says of them: resident memory and CPU time. For the benchmarks that measure the Worker from outside
// (worker-memory.ts, search.ts).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Resident set of a process, bytes (/proc/PID/status VmRSS), or its peak so far (VmHWM). */
export function rss(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number {
  const kib = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kib) * 1024;
}

/**
 * The two workerd processes of the `wrangler dev` whose inspector is on `inspectorPort`: both children of that wrangler
 * (whose command line holds the port); the Worker's is the one with an inspector of its own, the other is wrangler's
 * proxy. (startWorker asks for `--port 0`, so the proxy's address says nothing before it is bound.)
 */
export function workerdPids(inspectorPort: number): { worker: number; proxy: number } {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map(([, pid, ppid, args]) => ({ pid: Number(pid), ppid: Number(ppid), args }));
  // wrangler's bin re-executes its cli: two processes with that command line; workerd's parent is the second.
  const wrangler = new Set(rows.filter((r) => r.args.includes(" dev ") && r.args.includes(`--inspector-port ${inspectorPort} `)).map((r) => r.pid));
  const children = rows.filter((r) => r.args.includes("workerd serve") && wrangler.has(r.ppid));
  const worker = children.find((r) => r.args.includes("--inspector-addr"));
  const proxy = children.find((r) => r !== worker);
  if (!worker || !proxy) throw new Error(`no workerd processes found for the wrangler dev with inspector port ${inspectorPort}`);
  return { worker: worker.pid, proxy: proxy.pid };
}

/** CPU time a process has used so far, ms (/proc/PID/stat utime + stime, in clock ticks of 10 ms: Linux's USER_HZ). */
export function cpuMs(pid: number): number {
  // The fields after the command (which may hold spaces), from its closing parenthesis: state is field 3, utime 14.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
