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
//   --soak-seconds N [300]    soak length per soaked arm, RSS sampled every second
//   --soak-arms list [null,full]  arms to soak one after the other (the null Worker is the reference)
//   --arms list               subset of direct,null,gateway,full,guarded,observed,portkey,cachehit,cachemiss (default all;
//                             observed = the full path with Prometheus and a webhook callback, bench/configs/observed.yaml)
//   --wrangler-dev            also run the arm-3 gateway under `wrangler dev` (what `npm start` runs)
//   --phases list             subset of guardrails,latency,stream,load,soak (default all)
//   --no-pin                  do not pin processes to CPUs
//   A full run takes about 17 minutes on a 2-CPU machine (10 of them soaking); --quick about 3.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Arm, type ArmKey, cacheArm, directArm, gatewayArm, killChildren, nullArm, portkeyArm, startMockProcess, wranglerDevArm } from "./arms";
import { type StreamSample, answeredBy, closedLoop, newAgent, postStream, sequential } from "./client";
import { ROOT, cpuMs, descendants, hasCommand, listeners, pin, rssMiB } from "./proc";
import { type ArmResult, type Results, renderReport } from "./report";
import { median, percentile, slope } from "./stats";
import { benchVirtualKey, buildGatewayBundle, runtimeVersions } from "./workerd";
import { WORKLOAD, measureGuardrails } from "./guardrails";

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
    arms: { type: "string", default: "direct,null,gateway,full,guarded,observed,portkey,cachehit,cachemiss" },
    "wrangler-dev": { type: "boolean", default: false },
    "no-pin": { type: "boolean", default: false },
    phases: { type: "string", default: "guardrails,latency,stream,load,soak" },
    "soak-arms": { type: "string", default: "null,full" },
    help: { type: "boolean", default: false },
  },
});
if (flags.help) {
  // The usage is this file's opening comment.
  const lines = readFileSync(new URL(import.meta.url), "utf8").split("\n");
  console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith("//"))).map((l) => l.slice(3)).join("\n") + "\n  --help                    this text");
  process.exit(0);
}
const phases = new Set(flags.phases!.split(","));

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


let builtFrom = "";
function gitDescribe(): string {
  const run = spawnSync("git", ["log", "-1", "--format=%h %s"], { cwd: ROOT, encoding: "utf8" });
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src"], { cwd: ROOT, encoding: "utf8" }).stdout.trim() ? " + uncommitted src/ changes" : "";
  return `commit ${run.stdout.trim()}${dirty}`;
}

const startedAt = new Date().toISOString();
const loadAtStart = os.loadavg().map((l) => l.toFixed(2)).join(" ");
const arms: Arm[] = [];
const bundleDir = join(os.tmpdir(), `bench-bundles-${process.pid}`);
let report: Results | undefined;
// Ctrl-C: stop the workerd instances (Miniflare's children) and the other servers this run started.
process.on("SIGINT", () => {
  progress("interrupted: stopping the servers this run started");
  const stopped = Promise.all(arms.map((a) => a.stop().catch(() => {})));
  void Promise.race([stopped, new Promise((r) => setTimeout(r, 5000))]).finally(() => {
    killChildren();
    rmSync(bundleDir, { recursive: true, force: true });
    process.exit(130);
  });
});
try {
  // --- Each built-in guardrail on the 27 KB agent prompt, in this process, before any server runs. ---
  const guardrailCosts = phases.has("guardrails") ? await measureGuardrails((line) => progress(`guardrails: ${line}`)) : [];

  // --- Bundles, exactly as `wrangler deploy` would upload them. ---
  const gatewayConfig = resolve(ROOT, "bench/configs/gateway.yaml");
  const fullConfig = resolve(ROOT, "bench/configs/full.yaml");
  progress("bundling the gateway with wrangler deploy --dry-run ...");
  // The commit the bundles are built from (read now: the tree may change during a long run).
  builtFrom = gitDescribe();
  const gatewayBundle = buildGatewayBundle(gatewayConfig, join(bundleDir, "gateway"));
  const fullBundle = buildGatewayBundle(fullConfig, join(bundleDir, "full"));
  const guardedBundle = wantedArms.has("guarded") ? buildGatewayBundle(resolve(ROOT, "bench/configs/guarded.yaml"), join(bundleDir, "guarded")) : undefined;
  const wantCache = wantedArms.has("cachehit") || wantedArms.has("cachemiss");
  const cacheBundle = wantCache ? buildGatewayBundle(resolve(ROOT, "bench/configs/cache.yaml"), join(bundleDir, "cache")) : undefined;
  const observedBundle = wantedArms.has("observed") ? buildGatewayBundle(resolve(ROOT, "bench/configs/observed.yaml"), join(bundleDir, "observed")) : undefined;

  const masterKey = `sk-bench-master-${crypto.randomUUID()}`;
  progress("starting the mock upstream and the arms ...");
  const mock = await startMockProcess({ cpus: SERVER_CPUS, delayMs: P.delayMs, chunks: P.chunks, chunkMs: P.chunkMs });
  if (wantedArms.has("direct")) arms.push(directArm(mock));
  if (wantedArms.has("null")) arms.push(await nullArm(mock, SERVER_CPUS));
  if (wantedArms.has("gateway")) arms.push(await gatewayArm("gateway", gatewayBundle, mock, masterKey, SERVER_CPUS));
  let full: Awaited<ReturnType<typeof gatewayArm>> | undefined;
  if (wantedArms.has("full")) arms.push((full = await gatewayArm("full", fullBundle, mock, masterKey, SERVER_CPUS)));
  let guarded: Awaited<ReturnType<typeof gatewayArm>> | undefined;
  if (guardedBundle) arms.push((guarded = await gatewayArm("guarded", guardedBundle, mock, masterKey, SERVER_CPUS)));
  let observed: Awaited<ReturnType<typeof gatewayArm>> | undefined;
  if (observedBundle) arms.push((observed = await gatewayArm("observed", observedBundle, mock, masterKey, SERVER_CPUS)));
  if (wantedArms.has("portkey")) arms.push(await portkeyArm(mock, SERVER_CPUS));
  for (const key of ["cachehit", "cachemiss"] as const) if (wantedArms.has(key)) arms.push(await cacheArm(key, cacheBundle!, mock, masterKey, SERVER_CPUS));
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
    // The build's config warning names every key this build accepts but does not act on.
    const ignored = fullBundle.warnings.flatMap((w) => w.replace(/^[^:]*:\s*/, "").split(/,\s*/));
    const strategy = ignored.find((k) => k.includes("routing_strategy"));
    full.notes.push(strategy ? `RAN WITHOUT LEAST-BUSY: this build ignores ${strategy} (config warning), so simple-shuffle picked the deployment` : "least-busy routing over two deployments");
    const prices = ignored.filter((k) => k.includes("cost_per_token"));
    if (prices.length) full.notes.push(`this build ignores the per-token prices (${prices.join(", ")}), so no spend can be computed`);
  }

  // --- Arm 4g: arm 4's virtual key and model, with the guardrail on. ---
  if (guarded) {
    guarded.target.headers.authorization = `Bearer ${await benchVirtualKey(guarded.baseUrl, masterKey, "bench-pair")}`;
    guarded.notes.push("as arm 4 (virtual key, least-busy, spend), plus hide-secrets on pre_call and post_call, default_on (bench/configs/guarded.yaml)");
  }
  // --- Arm 4o: the same kind of virtual key as arm 4. ---
  if (observed) {
    observed.target.headers.authorization = `Bearer ${await benchVirtualKey(observed.baseUrl, masterKey, "bench-pair")}`;
    observed.notes.push("as arm 4 (virtual key with rpm_limit and max_budget, least-busy over two deployments), plus litellm_settings.callbacks: [prometheus, webhook]");
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
  const results = new Map<Arm, ArmResult>(
    arms.map((a) => [
      a,
      {
        key: a.key,
        label: a.label,
        mode: a.mode,
        notes: a.notes,
        latency: { p50: [], p90: [], p99: [], errors: 0 },
        streams: { firstChunkByRound: [], firstChunk: [], worstGap: [], chunkCounts: [], errors: 0, count: 0 },
        load: {},
        rssIdleMiB: a.pid ? rssMiB(a.pid) : undefined,
      },
    ]),
  );
  const rotate = <T>(list: T[], by: number) => list.map((_, i) => list[(i + by) % list.length]);

  // --- Latency at concurrency 1, interleaved rounds (the arm order rotates every round). ---
  const modelIds = new Map<string, number>();
  for (let round = 0; round < (phases.has("latency") ? P.rounds : 0); round++) {
    progress(`latency round ${round + 1}/${P.rounds}`);
    for (const arm of rotate(arms, round)) {
      const agent = agents.get(arm)!;
      await sequential(arm.target, agent, P.warmup);
      const samples = await sequential(arm.target, agent, P.requests);
      const r = results.get(arm)!.latency;
      const ok = samples.filter((s) => s.ok).map((s) => s.ms);
      r.errors += samples.length - ok.length;
      r.firstError ??= samples.find((s) => !s.ok)?.error;
      if (arm.key === "full") for (const s of samples) if (s.modelId) modelIds.set(s.modelId, (modelIds.get(s.modelId) ?? 0) + 1);
      r.p50.push(percentile(ok, 50));
      r.p90.push(percentile(ok, 90));
      r.p99.push(percentile(ok, 99));
    }
  }

  // --- Streaming, interleaved the same way. ---
  for (let round = 0; round < (phases.has("stream") ? P.rounds : 0); round++) {
    progress(`streaming round ${round + 1}/${P.rounds}`);
    for (const arm of rotate(arms, round)) {
      const r = results.get(arm)!.streams;
      const batch: StreamSample[] = [];
      for (let i = 0; i < P.streams; i++) batch.push(await postStream(arm.target, agents.get(arm)!));
      const ok = batch.filter((s) => s.ok);
      r.count += batch.length;
      r.errors += batch.length - ok.length;
      r.firstError ??= batch.find((s) => !s.ok)?.error;
      r.firstChunkByRound.push(median(ok.map((s) => s.firstChunkMs)));
      r.firstChunk.push(...ok.map((s) => s.firstChunkMs));
      r.worstGap.push(...ok.map((s) => s.worstGapMs));
      r.chunkCounts.push(...ok.map((s) => s.chunks));
    }
  }
  for (const agent of agents.values()) agent.destroy();

  // --- Throughput and tail latency under load; CPU per request of each server process. ---
  for (const c of phases.has("load") ? P.concurrency : []) {
    for (let round = 0; round < P.loadRounds; round++) {
      progress(`load c=${c} round ${round + 1}/${P.loadRounds}`);
      for (const arm of rotate(arms, round)) {
        const cpu0 = arm.pid ? cpuMs(arm.pid) : NaN;
        const mock0 = cpuMs(mock.pid);
        const { samples, elapsedMs } = await closedLoop(arm.target, c, P.loadSeconds * 1000);
        const ok = samples.filter((s) => s.ok).map((s) => s.ms);
        const load = results.get(arm)!.load;
        (load[c] ??= []).push({
          rps: (ok.length * 1000) / elapsedMs,
          p50: percentile(ok, 50),
          p99: percentile(ok, 99),
          errors: samples.length - ok.length,
          requests: samples.length,
          firstError: samples.find((s) => !s.ok)?.error,
          cpuUs: arm.pid ? ((cpuMs(arm.pid) - cpu0) * 1000) / samples.length : NaN,
          mockCpuUs: ((cpuMs(mock.pid) - mock0) * 1000) / samples.length,
        });
      }
    }
  }

  // --- Soak: each --soak-arms arm in turn under steady load, its RSS sampled every second. The null
  // Worker goes first as the reference: workerd's own memory behaviour under load, without the gateway.
  const soaks: NonNullable<Results["soaks"]> = [];
  for (const key of phases.has("soak") && P.soakSeconds > 0 ? flags["soak-arms"]!.split(",") : []) {
    const arm = arms.find((a) => a.key === key);
    if (!arm?.pid) continue;
    progress(`soak: ${P.soakSeconds} s on "${arm.label}" (7 JSON loops + 1 streaming loop)`);
    const pid = arm.pid;
    const before = rssMiB(pid);
    const times: number[] = [];
    const rss: number[] = [];
    const t0 = Date.now();
    const sampler = setInterval(() => {
      times.push((Date.now() - t0) / 60_000);
      rss.push(rssMiB(pid));
    }, 1000);
    const run = await closedLoop(arm.target, 8, P.soakSeconds * 1000, 1);
    clearInterval(sampler);
    const end = rssMiB(pid);
    await new Promise((r) => setTimeout(r, 10_000));
    const from = Math.floor(times.length / 10); // leave out warm-up of pools and caches
    const half = times.length >> 1;
    const failures = [...run.samples, ...run.streams].filter((s) => !s.ok);
    soaks.push({
      label: arm.label,
      before,
      first: rss[0] ?? NaN,
      max: Math.max(...rss),
      end,
      after: rssMiB(pid),
      growthMiBPerMin: slope(times.slice(from), rss.slice(from)),
      lateGrowthMiBPerMin: slope(times.slice(half), rss.slice(half)),
      requests: run.samples.length,
      streams: run.streams.length,
      errors: failures.length,
      firstError: failures[0]?.error,
    });
  }

  // --- Arm 4: did it record spend, and which deployments answered? ---
  if (full && virtualKey) {
    // Leases come back 2 s after the last call, settlement batches within 20 ms: then the spend is complete.
    await new Promise((r) => setTimeout(r, 3000));
    const res = await fetch(`${full.baseUrl}/key/info?key=${encodeURIComponent(virtualKey)}`, { headers: { authorization: `Bearer ${masterKey}` } });
    const body = (await res.json().catch(() => ({}))) as { info?: { spend?: number } };
    if (res.ok && typeof body.info?.spend === "number") {
      // Every answer of the mock has the same usage (bench/mock-upstream.ts) at full.yaml's prices.
      const { json, streams } = answeredBy(full.target);
      const expected = json * (9 * 1e-6 + 7 * 2e-6) + streams * (9 * 1e-6 + 20 * 2e-6);
      const diff = body.info.spend - expected;
      full.notes.push(
        `spend recorded for the key after the run (GET /key/info): $${body.info.spend.toFixed(6)}; the ${json} JSON answers and ${streams} streams it received cost $${expected.toFixed(6)}: ` +
          (Math.abs(diff) < 1e-9 ? "exact" : `OFF BY $${diff.toFixed(6)} (${(diff / 2.3e-5).toFixed(1)} JSON calls' worth)`),
      );
    } else full.notes.push(`could not read the key's spend back: GET /key/info answered HTTP ${res.status}`);
  }
  // --- Arm 4o: did Prometheus count every answer? (Deltas reach the hub within 2 s; a scrape takes this isolate's along.) ---
  if (observed) {
    const text = await (await fetch(`${observed.baseUrl}/metrics`)).text().catch(() => "");
    const counted = [...text.matchAll(/^litellm_proxy_total_requests_metric_total\{[^}]*status_code="200"[^}]*\} (\S+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    const { json, streams } = answeredBy(observed.target);
    observed.notes.push(`GET /metrics after the run: litellm_proxy_total_requests_metric_total{status_code="200"} = ${counted}; the arm received ${json + streams} successful answers (warm-up included)`);
  }
  if (full && modelIds.size) full.notes.push(`deployments that answered at concurrency 1 (x-litellm-model-id): ${[...modelIds].map(([id, n]) => `${id.slice(0, 8)}… ×${n}`).join(", ")}`);

  const versions = runtimeVersions();
  const portkeyVersion = (JSON.parse(readFileSync(resolve(ROOT, "node_modules/@portkey-ai/gateway/package.json"), "utf8")) as { version: string }).version;
  report = {
    startedAt,
    quick,
    machine: `${os.cpus()[0]?.model} × ${cpuCount} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${os.release()}; load average at start ${loadAtStart}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    software: `Node ${process.version}, wrangler ${versions.wrangler}, miniflare ${versions.miniflare}, workerd ${versions.workerd}, @portkey-ai/gateway ${portkeyVersion}; gateway at ${builtFrom}`,
    pinning: pinNote,
    loopback: loopbackNote,
    parameters: P,
    phases: [...phases],
    arms: [...results.values()],
    soaks,
    guardrails: guardrailCosts.length ? { workload: WORKLOAD, costs: guardrailCosts } : undefined,
    bundle: {
      wranglerPrinted: gatewayBundle.wranglerSize,
      file: gatewayBundle.path.split("/").pop()!,
      kib: gatewayBundle.bytes / 1024,
      gzipKib: gatewayBundle.gzipBytes / 1024,
    },
  };
} catch (err) {
  process.stderr.write(`[bench] FAILED: ${(err as Error).stack ?? err}\n`);
} finally {
  for (const arm of arms) await arm.stop().catch(() => {});
  killChildren();
  rmSync(bundleDir, { recursive: true, force: true });
}

if (report) {
  const text = renderReport(report);
  process.stdout.write(text + "\n");
  const dir = resolve(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${startedAt.replace(/[:.]/g, "-")}${quick ? "-quick" : ""}`);
  writeFileSync(`${base}.md`, text + "\n");
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 1));
  writeFileSync(join(dir, "latest.md"), text + "\n");
  progress(`written to ${base}.md and .json (and bench/results/latest.md)`);
}
process.exit(report ? 0 : 1);
