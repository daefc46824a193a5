// Preloaded into Portkey's gateway process (`node --import`): its start-server.js listens on every
// interface and has no host flag, so every TCP listen() in that process is forced onto 127.0.0.1.
// The bound address is reported on stderr for the harness ("BENCH_LISTENING {...}"), which also
// checks it with `ss -ltnp` before sending any traffic. It also ends the process when the harness goes
// away (its stdin, a pipe from the harness, closes), so Portkey never outlives a benchmark run.
import { fstatSync } from "node:fs";
import net from "node:net";

const stdin = fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) process.stdin.on("close", () => process.exit(0)).resume();

const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const callback = typeof args[args.length - 1] === "function" ? args.pop() : undefined;
  const options = args[0] !== null && typeof args[0] === "object" ? { ...args[0] } : { port: Number(args[0] ?? 0) };
  if (options.path === undefined) {
    options.host = "127.0.0.1";
    delete options.ipv6Only;
    this.once("listening", () => process.stderr.write(`BENCH_LISTENING ${JSON.stringify(this.address())}\n`));
  }
  return listen.call(this, options, callback);
};
