// `npm run bench [-- --quick] [flags]`: what the gateway adds to a request, next to the physical floor
// (direct to the mock), the platform floor (a null Worker in the same workerd) and Portkey's gateway.
// Prints the report (markdown tables) on stdout and writes it to bench/results/. Progress goes to stderr.
// Flags (full-run defaults in brackets):
//   --quick                   short run for checking the harness (3 rounds x 50, 1 s load runs, 10 s soak)
//   --rounds N [7]            interleaved rounds at concurrency 1;  --requests N [200] per arm per round
//   --warmup N [20]           requests dropped per arm per round (and 10x that once before round 1)
//   --concurrency a,b,c [8,32,64]   --load-seconds N [5]   --load-rounds N [3]
//   --streams N [5]           streaming requests per arm per round;  --chunks N [20]  --chunk-ms N [10]
//   --delay-ms N [0]          mock upstream delay for JSON answers
//   --soak-seconds N [300]    soak of the full-path gateway, RSS sampled every second
//   --arms list               subset of direct,null,gateway,full,portkey (default all)
//   --wrangler-dev            also run the arm-3 gateway under `wrangler dev` (what `npm start` runs)
//   --no-pin                  do not pin processes to CPUs
import { readFileSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { compileConfig } from "../src/config/compile";
import { ROOT } from "../scripts/build-config";
import { type Arm, type ArmKey, directArm, gatewayArm, killChildren, nullArm, portkeyArm, startMockProcess, wranglerDevArm } from "./arms";
import { type Sample, type StreamSample, closedLoop, newAgent, post, postStream, sequential } from "./client";
import { cpuMs, descendants, hasCommand, listeners, pin, rssMiB } from "./proc";
import { fmt, median, percentile, signed, slope, table } from "./stats";
import { buildGatewayBundle, runtimeVersions } from "./workerd";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    requests: { type: "string" },
    warmup: { type: "string" },
    concurrency: { type: "string" },
    "load-seconds": { type: "string" },
    "load-rounds": { type: "string" },
    streams: { type: "string" },
    chunks: { type: "string", default: "20" },
    "chunk-ms": { type: "string", default: "10" },
    "delay-ms": { type: "string", default: "0" },
    "soak-seconds": { type: "string" },
    arms: { type: "string", default: "direct,null,gateway,full,portkey" },
    "wrangler-dev": { type: "boolean", default: false },
    "no-pin": { type: "boolean", default: false },
  },
});

const quick = flags.quick;
const num = (value: string | undefined, full: number, short: number) => (value !== undefined ? Number(value) : quick ? short : full);
const P = {
  rounds: num(flags.rounds, 7, 3),
  requests: num(flags.requests, 200, 50),
  warmup: num(flags.warmup, 20, 10),
  concurrency: (flags.concurrency ?? (quick ? "8,32" : "8,32,64")).split(",").map(Number),
  loadSeconds: num(flags["load-seconds"], 5, 1),
  loadRounds: num(flags["load-rounds"], 3, 1),
  streams: num(flags.streams, 5, 2),
  chunks: Number(flags.chunks),
  chunkMs: Number(flags["chunk-ms"]),
  delayMs: Number(flags["delay-ms"]),
  soakSeconds: num(flags["soak-seconds"], 300, 10),
};
const wantedArms = new Set(flags.arms!.split(",") as ArmKey[]);
if (flags["wrangler-dev"]) wantedArms.add("wranglerdev");
const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

// --- CPU pinning: the load generator (this process) on CPU 0; servers under test and the mock on CPU 1. ---
const cpuCount = os.cpus().length;
const pinning = !flags["no-pin"] && cpuCount >= 2 && hasCommand("taskset");
const SERVER_CPUS = pinning ? String(cpuCount - 1) : undefined;
const pinNote = pinning
  ? `taskset: load generator (harness) on CPU 0; mock upstream and every server under test on CPU ${SERVER_CPUS} (one at a time is busy)`
  : flags["no-pin"]
    ? "no CPU pinning (--no-pin)"
    : `no CPU pinning (${cpuCount < 2 ? "fewer than 2 CPUs" : "taskset not installed"})`;
if (pinning) pin(process.pid, "0");

process.on("SIGINT", () => {
  killChildren();
  process.exit(130);
});

const armLines: string[] = [];
const arms: Arm[] = [];
let failed = false;
try {
  // --- Bundles, exactly as `wrangler deploy` would upload them. ---
  const bundleDir = join(os.tmpdir(), `bench-bundles-${process.pid}`);
  const gatewayConfig = resolve(ROOT, "bench/configs/gateway.yaml");
  const fullConfig = resolve(ROOT, "bench/configs/full.yaml");
  progress("bundling the gateway with wrangler deploy --dry-run ...");
  const gatewayBundle = buildGatewayBundle(gatewayConfig, join(bundleDir, "gateway"));
  const fullBundle = buildGatewayBundle(fullConfig, join(bundleDir, "full"));

  // What this build does with the full-path config: which of its keys are not acted on yet.
  const fullWarnings = (await compileConfig(parse(readFileSync(fullConfig, "utf8")))).warnings;

  const masterKey = `sk-bench-master-${crypto.randomUUID()}`;
  progress("starting the mock upstream and the arms ...");
  const mock = await startMockProcess({ cpus: SERVER_CPUS, delayMs: P.delayMs, chunks: P.chunks, chunkMs: P.chunkMs });
  if (wantedArms.has("direct")) arms.push(directArm(mock));
  if (wantedArms.has("null")) arms.push(await nullArm(mock, SERVER_CPUS));
  if (wantedArms.has("gateway")) arms.push(await gatewayArm("gateway", gatewayBundle, mock, masterKey, SERVER_CPUS));
  let full: Awaited<ReturnType<typeof gatewayArm>> | undefined;
  if (wantedArms.has("full")) arms.push((full = await gatewayArm("full", fullBundle, mock, masterKey, SERVER_CPUS)));
  if (wantedArms.has("portkey")) arms.push(await portkeyArm(mock, SERVER_CPUS));
  const compiledPath = resolve(ROOT, "build/config.json");
  const savedCompiled = existsSync(compiledPath) ? readFileSync(compiledPath) : undefined;
  if (wantedArms.has("wranglerdev")) {
    const arm = await wranglerDevArm(mock, masterKey, gatewayConfig, SERVER_CPUS);
    const stop = arm.stop;
    // wrangler dev's [build] step rewrote build/config.json for the bench config; put it back once it is gone.
    arm.stop = async () => {
      await stop();
      if (savedCompiled) writeFileSync(compiledPath, savedCompiled);
    };
    arms.push(arm);
  }

  // --- Everything listens on 127.0.0.1 only. ---
  const ours = [process.pid, ...descendants(process.pid)];
  const sockets = listeners(ours);
  const exposed = sockets.filter((s) => !s.address.startsWith("127.0.0.1:"));
  if (exposed.length) throw new Error(`refusing to run: listening beyond loopback: ${exposed.map((s) => `${s.process}(${s.pid}) ${s.address}`).join(", ")}`);
  const loopbackNote = `ss -ltnp: all ${sockets.length} listening sockets of the harness and its children are on 127.0.0.1 (${[...new Set(sockets.map((s) => s.process))].join(", ")})`;
  progress(loopbackNote);

  // --- Arm 4: a virtual key with rpm_limit and max_budget; say plainly what this build lacks. ---
  let virtualKey: string | undefined;
  if (full) {
    const res = await fetch(`${full.baseUrl}/key/generate`, {
      method: "POST",
      headers: { authorization: `Bearer ${masterKey}`, "content-type": "application/json" },
      body: JSON.stringify({ rpm_limit: 1_000_000, max_budget: 1_000_000, models: ["bench-pair"] }),
    });
    const body = (await res.json().catch(() => ({}))) as { key?: string };
    if (res.ok && typeof body.key === "string") {
      virtualKey = body.key;
      full.target.headers.authorization = `Bearer ${virtualKey}`;
      full.notes.push("virtual key from POST /key/generate (rpm_limit 1000000, max_budget 1000000)");
    } else {
      full.notes.push(`RAN WITHOUT VIRTUAL KEYS: POST /key/generate answered HTTP ${res.status} on this build, so arm 4 used the master key (no per-key limits or budget)`);
    }
    if (!full.migrated) full.notes.push("no D1 migrations in this build (migrations/ is empty)");
    // compileConfig's warning names every config key this build accepts but does not act on.
    const ignored = fullWarnings.flatMap((w) => w.replace(/^[^:]*:\s*/, "").split(/,\s*/));
    const strategy = ignored.find((k) => k.includes("routing_strategy"));
    full.notes.push(strategy ? `RAN WITHOUT LEAST-BUSY: this build ignores ${strategy} (config warning), so simple-shuffle picked the deployment` : "least-busy routing over two deployments");
    const prices = ignored.filter((k) => k.includes("cost_per_token"));
    if (prices.length) full.notes.push(`this build ignores the per-token prices (${prices.join(", ")}), so no spend can be computed`);
  }

  // --- Warm-up (dropped): JIT, connection pools, the gateway's per-isolate runtime. ---
  progress(`warm-up: ${P.warmup * 10} requests per arm`);
  const agents = new Map(arms.map((a) => [a, newAgent(1)]));
  for (const arm of arms) {
    const warm = await sequential(arm.target, agents.get(arm)!, P.warmup * 10);
    const bad = warm.filter((s) => !s.ok);
    if (bad.length) throw new Error(`${arm.label}: ${bad.length}/${warm.length} warm-up requests failed, e.g. ${bad[0].error}`);
    await postStream(arm.target, agents.get(arm)!);
  }
  const idleRss = new Map(arms.filter((a) => a.pid).map((a) => [a, rssMiB(a.pid!)]));

  // --- Latency at concurrency 1, interleaved rounds (arm order rotates every round). ---
  const rotate = <T>(list: T[], by: number) => list.map((_, i) => list[(i + by) % list.length]);
  const latency = new Map<Arm, { p50: number[]; p90: number[]; p99: number[]; errors: number; firstError?: string; modelIds: Map<string, number> }>(
    arms.map((a) => [a, { p50: [], p90: [], p99: [], errors: 0, modelIds: new Map() }]),
  );
  for (let round = 0; round < P.rounds; round++) {
    progress(`latency round ${round + 1}/${P.rounds}`);
    for (const arm of rotate(arms, round)) {
      const agent = agents.get(arm)!;
      await sequential(arm.target, agent, P.warmup);
      const samples = await sequential(arm.target, agent, P.requests);
      const r = latency.get(arm)!;
      const ok = samples.filter((s) => s.ok).map((s) => s.ms);
      r.errors += samples.length - ok.length;
      r.firstError ??= samples.find((s) => !s.ok)?.error;
      for (const s of samples) if (s.modelId) r.modelIds.set(s.modelId, (r.modelIds.get(s.modelId) ?? 0) + 1);
      r.p50.push(percentile(ok, 50));
      r.p90.push(percentile(ok, 90));
      r.p99.push(percentile(ok, 99));
    }
  }

  // --- Streaming, interleaved the same way. ---
  const streamResults = new Map<Arm, { firstChunk: number[]; samples: StreamSample[] }>(arms.map((a) => [a, { firstChunk: [], samples: [] }]));
  for (let round = 0; round < P.rounds; round++) {
    progress(`streaming round ${round + 1}/${P.rounds}`);
    for (const arm of rotate(arms, round)) {
      const r = streamResults.get(arm)!;
      const batch: StreamSample[] = [];
      for (let i = 0; i < P.streams; i++) batch.push(await postStream(arm.target, agents.get(arm)!));
      r.samples.push(...batch);
      r.firstChunk.push(median(batch.filter((s) => s.ok).map((s) => s.firstChunkMs)));
    }
  }
  for (const agent of agents.values()) agent.destroy();

  // --- Throughput and tail latency under load, CPU per request of each server process. ---
  interface LoadRun { rps: number; p50: number; p99: number; errors: number; requests: number; firstError?: string; cpuUs: number; mockCpuUs: number }
  const load = new Map<string, LoadRun[]>();
  for (const c of P.concurrency) {
    for (let round = 0; round < P.loadRounds; round++) {
      progress(`load c=${c} round ${round + 1}/${P.loadRounds}`);
      for (const arm of rotate(arms, round)) {
        const cpu0 = arm.pid ? cpuMs(arm.pid) : NaN;
        const mock0 = cpuMs(mock.pid);
        const { samples, elapsedMs } = await closedLoop(arm.target, c, P.loadSeconds * 1000);
        const ok = samples.filter((s) => s.ok);
        const runs = load.get(`${arm.key}:${c}`) ?? [];
        runs.push({
          rps: (ok.length * 1000) / elapsedMs,
          p50: percentile(ok.map((s) => s.ms), 50),
          p99: percentile(ok.map((s) => s.ms), 99),
          errors: samples.length - ok.length,
          requests: samples.length,
          firstError: samples.find((s) => !s.ok)?.error,
          cpuUs: arm.key === "direct" ? NaN : ((cpuMs(arm.pid ?? 0) - cpu0) * 1000) / samples.length,
          mockCpuUs: ((cpuMs(mock.pid) - mock0) * 1000) / samples.length,
        });
        load.set(`${arm.key}:${c}`, runs);
      }
    }
  }

  // --- Soak: the full-path gateway (else the plain one) under steady load; workerd RSS every second. ---
  const soakArm = arms.find((a) => a.key === "full") ?? arms.find((a) => a.key === "gateway");
  let soak: { arm: Arm; idle: number; start: number; max: number; end: number; after: number; growth: number; requests: number; errors: number; streams: number; streamErrors: number; firstError?: string } | undefined;
  if (soakArm?.pid && P.soakSeconds > 0) {
    progress(`soak: ${P.soakSeconds} s on "${soakArm.label}" (7 JSON loops + 1 streaming loop)`);
    const pid = soakArm.pid;
    const idle = rssMiB(pid);
    const times: number[] = [];
    const rss: number[] = [];
    const t0 = Date.now();
    const sampler = setInterval(() => {
      times.push((Date.now() - t0) / 60_000);
      rss.push(rssMiB(pid));
    }, 1000);
    const result = await closedLoop(soakArm.target, 8, P.soakSeconds * 1000, 1);
    clearInterval(sampler);
    const end = rssMiB(pid);
    await new Promise((r) => setTimeout(r, 10_000));
    const after = rssMiB(pid);
    // Growth over the soak, leaving out its first tenth (isolate warm-up, pools filling).
    const from = Math.floor(times.length / 10);
    const all = [...result.samples, ...result.streams] as Sample[];
    soak = {
      arm: soakArm,
      idle,
      start: rss[0] ?? NaN,
      max: Math.max(...rss),
      end,
      after,
      growth: slope(times.slice(from), rss.slice(from)),
      requests: result.samples.length,
      errors: result.samples.filter((s) => !s.ok).length,
      streams: result.streams.length,
      streamErrors: result.streams.filter((s) => !s.ok).length,
      firstError: all.find((s) => !s.ok)?.error,
    };
  }

  // --- Spend: did the full path record what it was asked to? ---
  if (full && virtualKey) {
    const res = await fetch(`${full.baseUrl}/key/info?key=${encodeURIComponent(virtualKey)}`, { headers: { authorization: `Bearer ${masterKey}` } });
    const body = (await res.json().catch(() => ({}))) as { info?: { spend?: number } };
    full.notes.push(
      res.ok && typeof body.info?.spend === "number"
        ? `spend recorded for the key after the run: $${body.info.spend.toFixed(6)}`
        : `could not read spend back: GET /key/info answered HTTP ${res.status}`,
    );
  }
  const fullIds = full ? latency.get(full)?.modelIds : undefined;
  if (full && fullIds) full.notes.push(`deployments that answered at concurrency 1: ${[...fullIds.entries()].map(([id, n]) => `${id.slice(0, 8)}… ×${n}`).join(", ") || "(no x-litellm-model-id header)"}`);

  // ==================================== report ====================================
  const direct = arms.find((a) => a.key === "direct");
  const nullWorker = arms.find((a) => a.key === "null");
  /** Median over rounds of (arm − base) for one statistic, so drift between rounds cancels out. */
  const delta = (arm: Arm, base: Arm | undefined, stat: "p50" | "p90" | "p99") => {
    if (!base) return NaN;
    const a = latency.get(arm)![stat];
    const b = latency.get(base)![stat];
    return median(a.map((v, i) => v - b[i]));
  };
  const out: string[] = [];
  const versions = runtimeVersions();
  const portkeyVersion = (JSON.parse(readFileSync(resolve(ROOT, "node_modules/@portkey-ai/gateway/package.json"), "utf8")) as { version: string }).version;
  out.push(`# Gateway benchmark — ${new Date().toISOString()}${quick ? " (QUICK RUN: not for publication)" : ""}`);
  out.push("");
  out.push(`- Machine: ${os.cpus()[0]?.model} × ${cpuCount} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${os.release()}; load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  out.push(`- Software: Node ${process.version}, wrangler ${versions.wrangler}, miniflare ${versions.miniflare}, workerd ${versions.workerd}, @portkey-ai/gateway ${portkeyVersion}`);
  out.push(`- CPU pinning: ${pinNote}`);
  out.push(`- ${loopbackNote}`);
  out.push(`- Parameters: ${P.rounds} rounds × ${P.requests} requests at concurrency 1 (+${P.warmup} dropped per arm per round, ${P.warmup * 10} dropped per arm before round 1); load ${P.concurrency.join("/")} connections × ${P.loadSeconds} s × ${P.loadRounds} rounds; ${P.streams} streams per arm per round of ${P.chunks} chunks every ${P.chunkMs} ms; mock JSON delay ${P.delayMs} ms; soak ${P.soakSeconds} s`);
  out.push("");
  out.push("## Arms");
  out.push("");
  out.push(table(["arm", "runs as"], arms.map((a) => [a.label, a.mode])));
  out.push("");
  for (const a of arms) for (const note of a.notes) out.push(`- ${a.label}: ${note}`);
  if (arms.some((a) => a.notes.length)) out.push("");
  out.push("## Latency at concurrency 1 (ms; each figure is the median over rounds of that round's percentile)");
  out.push("");
  out.push(
    table(
      ["arm", "p50", "p90", "p99", "added p50", "added p90", "added p99", "errors"],
      arms.map((a) => {
        const r = latency.get(a)!;
        const errors = r.errors ? `${r.errors} (${r.firstError})` : "0";
        return [a.label, fmt(median(r.p50)), fmt(median(r.p90)), fmt(median(r.p99)), signed(delta(a, direct, "p50")), signed(delta(a, direct, "p90")), signed(delta(a, direct, "p99")), errors];
      }),
    ),
  );
  out.push("");
  out.push("\"added\" = over direct-to-mock, per round, median over rounds.");
  out.push("");
  if (nullWorker) {
    out.push("## The gateway's own cost: over the null Worker in the same workerd (ms, median over rounds of per-round differences)");
    out.push("");
    const rows = arms
      .filter((a) => a.key === "gateway" || a.key === "full" || a.key === "wranglerdev")
      .map((a) => {
        const p50 = delta(a, nullWorker, "p50");
        const p99 = delta(a, nullWorker, "p99");
        return [a.label, signed(p50), signed(delta(a, nullWorker, "p90")), signed(p99), p50 <= 0.3 ? "PASS" : "FAIL", p99 <= 1 ? "PASS" : "FAIL"];
      });
    out.push(table(["arm", "own p50", "own p90", "own p99", "goal p50 ≤ 0.3", "goal p99 ≤ 1"], rows));
    out.push("");
  }
  const portkey = arms.find((a) => a.key === "portkey");
  if (portkey && direct) {
    const pk = delta(portkey, direct, "p50");
    const lines = arms
      .filter((a) => a.key === "gateway" || a.key === "full")
      .map((a) => `- ${a.label} adds ${signed(delta(a, direct, "p50"))} ms p50 vs Portkey's ${signed(pk)} ms: ${delta(a, direct, "p50") < pk ? "PASS (less than Portkey)" : "FAIL (not less than Portkey)"}`);
    out.push("## Against Portkey in the same run");
    out.push("");
    out.push(...lines);
    out.push("");
  }
  out.push(`## Streaming (${P.chunks} chunks every ${P.chunkMs} ms; the upstream finishes ${(P.chunks - 1) * P.chunkMs} ms after its first chunk)`);
  out.push("");
  const directStreams = direct ? streamResults.get(direct)! : undefined;
  const directChunks = directStreams?.samples.find((s) => s.ok)?.chunks;
  out.push(
    table(
      ["arm", "first chunk p50", "added first chunk", "worst gap p50", "worst gap max", "chunks", "same count as direct", "first byte before upstream end", "errors"],
      arms.map((a) => {
        const r = streamResults.get(a)!;
        const ok = r.samples.filter((s) => s.ok);
        const added = directStreams ? median(r.firstChunk.map((v, i) => v - directStreams.firstChunk[i])) : NaN;
        const counts = [...new Set(ok.map((s) => s.chunks))];
        const early = ok.filter((s) => s.firstChunkMs < (P.chunks - 1) * P.chunkMs).length;
        const errors = r.samples.length - ok.length;
        return [
          a.label,
          fmt(median(r.firstChunk)),
          signed(added),
          fmt(median(ok.map((s) => s.worstGapMs))),
          fmt(Math.max(...ok.map((s) => s.worstGapMs))),
          counts.join("/") || "n/a",
          directChunks === undefined ? "n/a" : counts.length === 1 && counts[0] === directChunks ? "yes" : "NO",
          `${early}/${ok.length}`,
          errors ? `${errors} (${r.samples.find((s) => !s.ok)?.error})` : "0",
        ];
      }),
    ),
  );
  out.push("");
  out.push(`## Throughput under load (closed loop; median over ${P.loadRounds} round(s) of ${P.loadSeconds} s; errors summed)`);
  out.push("");
  const loadRows: (string | number)[][] = [];
  for (const c of P.concurrency) {
    for (const a of arms) {
      const runs = load.get(`${a.key}:${c}`) ?? [];
      const errors = runs.reduce((n, r) => n + r.errors, 0);
      const requests = runs.reduce((n, r) => n + r.requests, 0);
      loadRows.push([
        a.label,
        c,
        fmt(median(runs.map((r) => r.rps)), 0),
        fmt(median(runs.map((r) => r.p50))),
        fmt(median(runs.map((r) => r.p99))),
        errors ? `${errors}/${requests} (${runs.find((r) => r.firstError)?.firstError})` : `0/${requests}`,
        a.key === "direct" ? "—" : fmt(median(runs.map((r) => r.cpuUs)), 0),
        fmt(median(runs.map((r) => r.mockCpuUs)), 0),
      ]);
    }
  }
  out.push(table(["arm", "connections", "req/s", "p50 ms", "p99 ms", "errors", "server CPU µs/req", "mock CPU µs/req"], loadRows));
  out.push("");
  out.push("\"server CPU\" = user+system time of the process under test (workerd for arms 2–4, all its threads) over the run, per request; from /proc, 10 ms ticks.");
  out.push("");
  out.push("## Memory (RSS, MiB)");
  out.push("");
  out.push(table(["arm", "RSS idle after warm-up"], [...idleRss.entries()].map(([a, v]) => [a.label, fmt(v, 1)])));
  out.push("");
  if (soak) {
    const errors = soak.errors + soak.streamErrors;
    out.push(`Soak of "${soak.arm.label}" for ${P.soakSeconds} s (${soak.requests} JSON requests + ${soak.streams} streams, ${errors} errors${errors ? `: ${soak.firstError}` : ""}):`);
    out.push("");
    out.push(
      table(
        ["workerd RSS", "before soak", "first second", "max during", "at end", "10 s after", "growth MiB/min (slope, first 10% left out)"],
        [["MiB", fmt(soak.idle, 1), fmt(soak.start, 1), fmt(soak.max, 1), fmt(soak.end, 1), fmt(soak.after, 1), signed(soak.growth, 2)]],
      ),
    );
    out.push("");
  }
  out.push("## Worker bundle (wrangler deploy --dry-run)");
  out.push("");
  out.push(`- wrangler printed: \`${gatewayBundle.wranglerSize}\``);
  out.push(`- ${gatewayBundle.path.split("/").pop()}: ${fmt(gatewayBundle.bytes / 1024, 1)} KiB, ${fmt(gatewayBundle.gzipBytes / 1024, 1)} KiB gzipped (gzip -6 by this harness)`);
  out.push("");
  armLines.push(...out);
} catch (err) {
  failed = true;
  process.stderr.write(`[bench] FAILED: ${(err as Error).stack ?? err}\n`);
} finally {
  for (const arm of arms) await arm.stop().catch(() => {});
  killChildren();
}

if (!failed) {
  const report = armLines.join("\n");
  process.stdout.write(report + "\n");
  const dir = resolve(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}${quick ? "-quick" : ""}.md`);
  writeFileSync(file, report + "\n");
  writeFileSync(join(dir, "latest.md"), report + "\n");
  progress(`written to ${file} (and bench/results/latest.md)`);
}
process.exit(failed ? 1 : 0);
