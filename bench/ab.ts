// `npx tsx bench/ab.ts <bundle.js>[+compat_flag,...] [<bundle.js> ...] [--model bench] [--seconds 2] [--rounds 10] [--connections 8] [--virtual-key]`
// (the full path: bundles built from bench/configs/full.yaml, `--model bench-pair --virtual-key`;
// `--json-floor` adds bench/json-worker: a Worker that only parses and re-serialises the JSON both ways)
// A/B of gateway builds: each bundle (from `wrangler deploy --dry-run --outdir`) runs in its own
// workerd, and the harness compares workerd CPU per request and throughput, interleaved in rounds, with
// the null Worker as the floor. For "make it fast": try a change, bundle it, compare against the old bundle.
import { basename, dirname } from "node:path";
import { parseArgs } from "node:util";
import { type Arm, killChildren, nullArm, startMockProcess } from "./arms";
import { closedLoop, type Target } from "./client";
import { cpuMs, hasCommand, pin } from "./proc";
import { fmt, median, percentile, table } from "./stats";
import { benchVirtualKey, startGateway, startNullWorker } from "./workerd";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: "string", default: "bench" },
    seconds: { type: "string", default: "2" },
    rounds: { type: "string", default: "10" },
    connections: { type: "string", default: "8" },
    "virtual-key": { type: "boolean", default: false },
    "json-floor": { type: "boolean", default: false },
  },
});
const cpus = hasCommand("taskset") ? "1" : undefined;
if (cpus) pin(process.pid, "0");
const masterKey = "sk-bench-ab";
try {
  const mock = await startMockProcess({ cpus, delayMs: 0, chunks: 20, chunkMs: 10 });
  const arms: Pick<Arm, "label" | "target" | "pid" | "stop">[] = [await nullArm(mock, cpus)];
  if (values["json-floor"]) {
    const floor = await startNullWorker(mock.url, "bench/json-worker/index.js");
    if (cpus) pin(floor.pid, cpus);
    arms.push({ label: "JSON-only Worker", target: { url: new URL(`${floor.url}/v1/chat/completions`), headers: {}, model: values.model! }, pid: floor.pid, stop: floor.dispose });
  }
  for (const [i, arg] of positionals.entries()) {
    // `bundle.js+flag,flag`: that build with extra compatibility flags (to measure a flag before wrangler.toml gets it).
    const [path, flags] = arg.split("+");
    const gw = await startGateway(`ab${i}`, { path, wranglerSize: "", warnings: [], bytes: 0, gzipBytes: 0 }, { LITELLM_MASTER_KEY: masterKey, BENCH_UPSTREAM: `${mock.url}/v1`, BENCH_CALLBACK: `${mock.url}/callback` }, false, flags ? flags.split(",") : []);
    if (cpus) pin(gw.pid, cpus);
    const key = values["virtual-key"] ? await benchVirtualKey(gw.url, masterKey, values.model) : masterKey;
    const target: Target = { url: new URL(`${gw.url}/v1/chat/completions`), headers: { authorization: `Bearer ${key}` }, model: values.model! };
    arms.push({ label: `${basename(dirname(path))}/${basename(path)}${flags ? ` +${flags}` : ""}`, target, pid: gw.pid, stop: gw.dispose });
  }
  const cpu = new Map(arms.map((a) => [a, [] as number[]]));
  const rps = new Map(arms.map((a) => [a, [] as number[]]));
  const p50 = new Map(arms.map((a) => [a, [] as number[]]));
  const p99 = new Map(arms.map((a) => [a, [] as number[]]));
  for (const a of arms) await closedLoop(a.target, 8, 2000); // warm-up
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const a of arms.map((_, i) => arms[(i + round) % arms.length])) {
      const c0 = cpuMs(a.pid!);
      const { samples, elapsedMs } = await closedLoop(a.target, Number(values.connections), Number(values.seconds) * 1000);
      const bad = samples.find((s) => !s.ok);
      if (bad) throw new Error(`${a.label}: ${bad.error}`);
      cpu.get(a)!.push(((cpuMs(a.pid!) - c0) * 1000) / samples.length);
      rps.get(a)!.push((samples.length * 1000) / elapsedMs);
      const ms = samples.map((x) => x.ms);
      p50.get(a)!.push(median(ms));
      p99.get(a)!.push(percentile(ms, 99));
    }
  }
  // Per round, minus the null Worker of the same round; median over rounds (drift cancels out).
  const minusNull = (m: Map<unknown, number[]>, a: unknown) => median(m.get(a)!.map((v, i) => v - m.get(arms[0])![i]));
  console.log(
    table(
      ["build", "workerd CPU µs/req", "minus null Worker", "req/s", "latency p50 ms", "minus null Worker", "latency p99 ms", "minus null Worker"],
      arms.map((a) => [a.label, fmt(median(cpu.get(a)!), 0), fmt(minusNull(cpu, a), 0), fmt(median(rps.get(a)!), 0), fmt(median(p50.get(a)!)), fmt(minusNull(p50, a)), fmt(median(p99.get(a)!)), fmt(minusNull(p99, a))]),
    ),
  );
  for (const a of arms) await a.stop();
  await mock.stop();
} finally {
  killChildren();
}
