// `npx tsx bench/loop.ts <bundle.js>[+compat_flag,...] [<bundle.js> ...] [--calls 2000] [--rounds 9] [--model bench] [--virtual-key] [--callgrind] [--body-extra JSON]`
// (--body-extra adds fields to every call's body, e.g. '{"cache":{"no-store":true}}' for the response cache's misses)
// CPU per call of gateway builds with no client in the way: each Worker (the builds, the null Worker
// and the JSON-only Worker as floors) is wrapped in a module that, on GET /__loop?n=N, calls the
// Worker's own fetch handler N times in a row inside workerd, each call a real chat request that goes
// to the mock upstream, and reads every answer to its end. The harness reads the workerd process's
// CPU time (user + system, /proc) around each loop. No client sockets, no HTTP parsing on the way in,
// and CPU time is not wall time: what other processes do (or the host steals) hardly shows, so this
// resolves changes that bench/ab.ts's latency cannot. What it measures is the Worker's work per call,
// the guard's and local D1's settlement work included (they run in the same workerd, as in ab.ts).
//
// CPU time still moves ±10% between rounds on a shared VM. `--callgrind` counts instructions instead:
// every workerd runs under valgrind's callgrind (about 25 times slower, so use --calls 300 --rounds 3),
// and each loop is charged the instructions the whole process executed from its start to its end, JIT
// code, Durable Objects and D1 included. Repeatable to a few per cent where time is not.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { killChildren, startMockProcess } from "./arms";
import { cpuMs, hasCommand, pin, ROOT } from "./proc";
import { fmt, median, table } from "./stats";
import { benchVirtualKey, startGateway, startNullWorker, type WorkerdArm } from "./workerd";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    calls: { type: "string", default: "2000" },
    rounds: { type: "string", default: "9" },
    model: { type: "string", default: "bench" },
    "virtual-key": { type: "boolean", default: false },
    callgrind: { type: "boolean", default: false },
    "body-extra": { type: "string", default: "{}" },
  },
});

/** --callgrind: Miniflare starts workerd through this script, which runs it under callgrind. */
function useCallgrind(): string {
  const dir = mkdtempSync(join(tmpdir(), "bench-callgrind-"));
  const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
  const workerd = createRequire(requireFromWrangler.resolve("miniflare"))("workerd").default as string;
  const script = join(dir, "workerd.sh");
  writeFileSync(
    script,
    `#!/bin/sh\nexec valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=${dir}/out.%p --dump-instr=no --collect-jumps=no -q ${workerd} "$@"\n`,
  );
  chmodSync(script, 0o755);
  process.env.MINIFLARE_WORKERD_PATH = script;
  return dir;
}

/** Instructions the process executed since the last call (callgrind dumps and zeroes its counters). */
function instructionsSinceLast(dir: string, pid: number): number {
  execFileSync("callgrind_control", ["-d", String(pid)], { stdio: "ignore" });
  const dumps = readdirSync(dir).filter((f) => f.startsWith(`out.${pid}.`));
  const last = dumps.sort((a, b) => Number(a.split(".").pop()) - Number(b.split(".").pop())).at(-1)!;
  const totals = /^totals: (\d+)/m.exec(readFileSync(join(dir, last), "utf8"));
  if (!totals) throw new Error(`no totals in callgrind dump ${last}`);
  return Number(totals[1]);
}

/** The wrapper: the Worker as it is, plus GET /__loop, which runs N chat calls through its own fetch handler. */
const LOOP_ENTRY = `import worker from "./index.js";
export * from "./index.js";
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== "/__loop") return worker.fetch(request, env, ctx);
    const n = Number(url.searchParams.get("n"));
    const body = url.searchParams.get("body");
    // As an HTTP client sends it: a Request made here has no content-length of its own.
    const headers = { authorization: request.headers.get("x-loop-authorization"), "content-type": "application/json", "content-length": String(new TextEncoder().encode(body).byteLength) };
    for (let i = 0; i < n; i++) {
      const res = await worker.fetch(new Request("http://gateway/v1/chat/completions", { method: "POST", headers, body }), env, ctx);
      const text = await res.text();
      if (res.status !== 200) return new Response(\`call \${i}: HTTP \${res.status}: \${text}\`, { status: 500 });
    }
    return new Response("ok");
  },
};
`;

/** A copy of the Worker's module in a temp dir next to the wrapper (which imports it as ./index.js). */
function wrap(script: string): { entry: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "bench-loop-"));
  copyFileSync(script, join(dir, "index.js"));
  writeFileSync(join(dir, "__loop.js"), LOOP_ENTRY);
  return { entry: join(dir, "__loop.js"), dir };
}

interface LoopArm {
  label: string;
  worker: WorkerdArm;
  authorization: string;
  dir: string;
}

const cpus = hasCommand("taskset") ? "1" : undefined;
if (cpus) pin(process.pid, "0");
const masterKey = "sk-bench-loop";
const body = JSON.stringify({ model: values.model, messages: [{ role: "user", content: "Say hello." }], max_tokens: 16, ...JSON.parse(values["body-extra"]!) });
const arms: LoopArm[] = [];
const callgrindDir = values.callgrind ? useCallgrind() : undefined;
try {
  const mock = await startMockProcess({ cpus, delayMs: 0, chunks: 20, chunkMs: 10 });
  for (const [label, script] of [
    ["null Worker", "bench/null-worker/index.js"],
    ["JSON-only Worker", "bench/json-worker/index.js"],
  ]) {
    const { entry, dir } = wrap(resolve(ROOT, script));
    const worker = await startNullWorker(mock.url, entry);
    arms.push({ label, worker, authorization: "Bearer sk-bench-upstream", dir });
  }
  for (const [i, arg] of positionals.entries()) {
    const [path, flags] = arg.split("+");
    const { entry, dir } = wrap(resolve(path));
    const bundle = { path: entry, wranglerSize: "", warnings: [], bytes: 0, gzipBytes: 0 };
    const worker = await startGateway(`loop${i}`, bundle, { LITELLM_MASTER_KEY: masterKey, BENCH_UPSTREAM: `${mock.url}/v1`, BENCH_CALLBACK: `${mock.url}/callback` }, false, flags ? flags.split(",") : []);
    const key = values["virtual-key"] ? await benchVirtualKey(worker.url, masterKey, values.model) : masterKey;
    arms.push({ label: `${basename(dirname(path))}/${basename(path)}${flags ? ` +${flags}` : ""}`, worker, authorization: `Bearer ${key}`, dir });
  }
  for (const a of arms) if (cpus) pin(a.worker.pid, cpus);

  const loop = async (a: LoopArm, n: number): Promise<number> => {
    if (callgrindDir) instructionsSinceLast(callgrindDir, a.worker.pid);
    const c0 = cpuMs(a.worker.pid);
    const res = await fetch(`${a.worker.url}/__loop?n=${n}&body=${encodeURIComponent(body)}`, { headers: { "x-loop-authorization": a.authorization } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${a.label}: ${text}`);
    // Settlement batches leave up to 20 ms after the last call, and the guard flushes D1 a second later:
    // wait for them, so that each loop is charged its own background work.
    await new Promise((r) => setTimeout(r, callgrindDir ? 5_000 : 1_200));
    if (callgrindDir) return instructionsSinceLast(callgrindDir, a.worker.pid) / n / 1000;
    return ((cpuMs(a.worker.pid) - c0) * 1000) / n;
  };
  const n = Number(values.calls);
  // Warm-up; longer under callgrind, where the JIT's tiers (and so the counts) keep moving for a while.
  for (const a of arms) await loop(a, callgrindDir ? 2 * n : Math.min(n, 500));
  const cpu = new Map(arms.map((a) => [a, [] as number[]]));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const a of arms.map((_, i) => arms[(i + round) % arms.length])) cpu.get(a)!.push(await loop(a, n));
  }
  const minus = (a: LoopArm, floor: LoopArm) => median(cpu.get(a)!.map((v, i) => v - cpu.get(floor)![i]));
  const spread = (a: LoopArm) => {
    const v = [...cpu.get(a)!].sort((x, y) => x - y);
    return `${fmt(v[0], 0)}–${fmt(v.at(-1)!, 0)}`;
  };
  const unit = callgrindDir ? "k instructions" : "CPU µs";
  console.log(
    `${n} calls per loop, ${values.rounds} rounds, workerd ${cpus ? "pinned to CPU 1" : "not pinned"}; ${callgrindDir ? "thousands of instructions (callgrind)" : "CPU time (µs)"} per call of the workerd process, median over rounds`,
  );
  console.log(
    table(
      ["Worker", `${unit}/call`, "range over rounds", "minus null Worker", "minus JSON-only Worker"],
      arms.map((a) => [a.label, fmt(median(cpu.get(a)!), 0), spread(a), fmt(minus(a, arms[0]), 0), fmt(minus(a, arms[1]), 0)]),
    ),
  );
  console.log(`\nper round (${unit}/call, in round order):`);
  for (const a of arms) console.log(`${a.label}: ${cpu.get(a)!.map((v) => fmt(v, 0)).join(" ")}`);
  for (const a of arms) await a.worker.dispose();
  await mock.stop();
} finally {
  killChildren();
  for (const a of arms) rmSync(a.dir, { recursive: true, force: true });
  if (callgrindDir) rmSync(callgrindDir, { recursive: true, force: true });
}
