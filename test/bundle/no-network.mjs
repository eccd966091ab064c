// Preloaded (`node --import`) into the wrangler CLI under test: every outgoing connection and DNS lookup is refused
// and written, one line each, to the file NET_GUARD_LOG names, as is each process it loads into. Node passes --import
// on to the CLI process that wrangler's bin script spawns (the bin forwards process.execArgv).
import { appendFileSync } from "node:fs";
import dns from "node:dns";
import net from "node:net";

const logFile = process.env.NET_GUARD_LOG;
if (!logFile) throw new Error("no-network.mjs: NET_GUARD_LOG is not set");
const record = (line) => appendFileSync(logFile, `${line}\n`);
// Which processes it guards: the test checks that wrangler's CLI process is among them.
record(`guarding ${process.pid} ${process.argv[1] ?? ""}`);

net.Socket.prototype.connect = function (...args) {
  const [first, second] = args;
  const target =
    typeof first === "object" && first !== null ? (first.path ?? `${first.host ?? "localhost"}:${first.port}`) : `${second ?? "localhost"}:${first}`;
  record(`connect ${target}`);
  // As a refused connection: asynchronously, through the socket's own error path.
  process.nextTick(() => this.destroy(Object.assign(new Error(`network blocked: ${target}`), { code: "ECONNREFUSED" })));
  return this;
};

const refuseLookup = (host, ...rest) => {
  record(`lookup ${host}`);
  const callback = rest.at(-1);
  const error = Object.assign(new Error(`network blocked: lookup ${host}`), { code: "ENOTFOUND" });
  if (typeof callback === "function") process.nextTick(() => callback(error));
};
dns.lookup = refuseLookup;
dns.promises.lookup = async (host) => {
  record(`lookup ${host}`);
  throw Object.assign(new Error(`network blocked: lookup ${host}`), { code: "ENOTFOUND" });
};
