// Preloaded (`node --import`, or NODE_OPTIONS for every Node process a command starts) into a CLI under test: every
// DNS lookup and outgoing connection beyond this machine's loopback is refused and written, one line each, to the
// file NET_GUARD_LOG names, as is each process it loads into. Loopback passes: `wrangler dev` talks to its own workerd
// that way. Node passes --import on to the CLI process that wrangler's bin script spawns (the bin forwards
// process.execArgv).
import { appendFileSync } from "node:fs";
import dns from "node:dns";
import net from "node:net";

const logFile = process.env.NET_GUARD_LOG;
if (!logFile) throw new Error("no-network.mjs: NET_GUARD_LOG is not set");
const record = (line) => appendFileSync(logFile, `${line}\n`);
// Which processes it guards: the tests check that wrangler's CLI process is among them.
record(`guarding ${process.pid} ${process.argv[1] ?? ""}`);

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1"]);

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  // net.connect() hands over its normalized [options, callback]; a direct call passes (options) or (port, host).
  const [first, second] = Array.isArray(args[0]) ? args[0] : args;
  const options = typeof first === "object" && first !== null ? first : { port: first, host: second };
  const host = options.host ?? "localhost";
  if (options.path === undefined && LOOPBACK.has(host)) return connect.apply(this, args);
  const target = options.path ?? `${host}:${options.port}`;
  record(`connect ${target}`);
  // As a refused connection: asynchronously, through the socket's own error path.
  process.nextTick(() => this.destroy(Object.assign(new Error(`network blocked: ${target}`), { code: "ECONNREFUSED" })));
  return this;
};

const lookup = dns.lookup;
dns.lookup = (host, ...rest) => {
  if (LOOPBACK.has(host)) return lookup(host, ...rest);
  record(`lookup ${host}`);
  const callback = rest.at(-1);
  const error = Object.assign(new Error(`network blocked: lookup ${host}`), { code: "ENOTFOUND" });
  if (typeof callback === "function") process.nextTick(() => callback(error));
};
const lookupPromise = dns.promises.lookup;
dns.promises.lookup = async (host, ...rest) => {
  if (LOOPBACK.has(host)) return lookupPromise(host, ...rest);
  record(`lookup ${host}`);
  throw Object.assign(new Error(`network blocked: lookup ${host}`), { code: "ENOTFOUND" });
};
