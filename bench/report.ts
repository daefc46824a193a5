// Turns what bench/run.ts measured into the markdown report it prints and saves. Only measured
// values appear; a phase that did not run leaves its section out.
import type { GuardrailCost, WORKLOAD } from "./guardrails";
import { fmt, median, signed, table } from "./stats";

export interface ArmResult {
  key: string;
  label: string;
  mode: string;
  notes: string[];
  /** Per round: that round's percentiles at concurrency 1, ms. */
  latency: { p50: number[]; p90: number[]; p99: number[]; errors: number; firstError?: string };
  streams: { firstChunkByRound: number[]; firstChunk: number[]; worstGap: number[]; chunkCounts: number[]; errors: number; firstError?: string; count: number };
  load: Record<string, { rps: number; p50: number; p99: number; errors: number; requests: number; firstError?: string; cpuUs: number; mockCpuUs: number }[]>;
  rssIdleMiB?: number;
}

export interface Results {
  startedAt: string;
  quick: boolean;
  machine: string;
  software: string;
  pinning: string;
  loopback: string;
  parameters: { rounds: number; requests: number; warmup: number; concurrency: number[]; loadSeconds: number; loadRounds: number; streams: number; chunks: number; chunkMs: number; delayMs: number; soakSeconds: number };
  phases: string[];
  arms: ArmResult[];
  soaks: { label: string; before: number; first: number; max: number; end: number; after: number; growthMiBPerMin: number; lateGrowthMiBPerMin: number; requests: number; streams: number; errors: number; firstError?: string }[];
  bundle: { wranglerPrinted: string; file: string; kib: number; gzipKib: number };
  /** The "guardrails" phase: each built-in on the 27 KB agent prompt (bench/guardrails.ts). */
  guardrails?: { workload: typeof WORKLOAD; costs: GuardrailCost[] };
}

/** Median over rounds of (arm − base) for one percentile: drift between rounds cancels out. */
export function delta(arm: ArmResult, base: ArmResult | undefined, stat: "p50" | "p90" | "p99"): number {
  if (!base) return NaN;
  const b = base.latency[stat];
  return median(arm.latency[stat].map((v, i) => v - b[i]));
}

/**
 * A hit never reaches the upstream: its latency over direct-to-mock must be below the null Worker's (the
 * platform's pass-through). A miss pays the lookup: the cache-miss arm minus the same gateway without the cache.
 */
function cacheLines(arms: ArmResult[]): string[] {
  const find = (key: string) => arms.find((a) => a.key === key);
  const [direct, nullWorker, gateway, hit, miss] = ["direct", "null", "gateway", "cachehit", "cachemiss"].map(find);
  const lines: string[] = [];
  if (hit && direct && nullWorker) {
    const ours = delta(hit, direct, "p50");
    const floor = delta(nullWorker, direct, "p50");
    lines.push(
      `- ${hit.label}: added p50 ${signed(ours)} ms (p99 ${signed(delta(hit, direct, "p99"))}) vs the null Worker's pass-through ${signed(floor)} ms (p99 ${signed(delta(nullWorker, direct, "p99"))}): ` +
        (ours < floor ? "PASS (a hit adds less than a Worker that only forwards)" : "FAIL (a hit adds more than a Worker that only forwards)"),
    );
  }
  if (miss && gateway) {
    lines.push(`- ${miss.label}: the cache's cost on a miss (minus ${gateway.label}, same round): p50 ${signed(delta(miss, gateway, "p50"))} ms, p90 ${signed(delta(miss, gateway, "p90"))} ms, p99 ${signed(delta(miss, gateway, "p99"))} ms`);
  }
  return lines;
}

const GOAL_P50_MS = 0.3;
const GOAL_P99_MS = 1;

export function renderReport(r: Results): string {
  const P = r.parameters;
  const has = (phase: string) => r.phases.includes(phase);
  const direct = r.arms.find((a) => a.key === "direct");
  const nullWorker = r.arms.find((a) => a.key === "null");
  const portkey = r.arms.find((a) => a.key === "portkey");
  const gateways = r.arms.filter((a) => a.key === "gateway" || a.key === "full" || a.key === "guarded" || a.key === "observed" || a.key === "wranglerdev");
  const out: string[] = [];
  // Blocks (tables, paragraphs, lists) are separated by blank lines so that markdown keeps them apart.
  const section = (title: string, ...blocks: string[]) => out.push(`## ${title}`, "", ...blocks.flatMap((b) => [b, ""]));

  out.push(`# Gateway benchmark, ${r.startedAt}${r.quick ? " (QUICK RUN: for checking the harness, not for publication)" : ""}`, "");
  out.push(
    `- Machine: ${r.machine}`,
    `- Software: ${r.software}`,
    `- CPU pinning: ${r.pinning}`,
    `- ${r.loopback}`,
    `- Parameters: ${P.rounds} rounds × ${P.requests} requests per arm at concurrency 1 (+${P.warmup} dropped per arm per round, ${P.warmup * 10} dropped per arm before round 1); ` +
      `load ${P.concurrency.join("/")} connections × ${P.loadSeconds} s × ${P.loadRounds} round(s); ${P.streams} streams per arm per round, ${P.chunks} chunks every ${P.chunkMs} ms; ` +
      `mock JSON delay ${P.delayMs} ms; soak ${P.soakSeconds} s; phases: ${r.phases.join(", ")}`,
    "",
  );

  section("Arms", table(["arm", "runs as"], r.arms.map((a) => [a.label, a.mode])), r.arms.flatMap((a) => a.notes.map((n) => `- ${a.label}: ${n}`)).join("\n"));

  if (has("latency")) {
    section(
      "Latency at concurrency 1 (ms; median over rounds of each round's percentile; \"added\" = minus direct-to-mock in the same round)",
      table(
        ["arm", "p50", "p90", "p99", "added p50", "added p90", "added p99", "errors"],
        r.arms.map((a) => [
          a.label,
          fmt(median(a.latency.p50)),
          fmt(median(a.latency.p90)),
          fmt(median(a.latency.p99)),
          signed(delta(a, direct, "p50")),
          signed(delta(a, direct, "p90")),
          signed(delta(a, direct, "p99")),
          a.latency.errors ? `${a.latency.errors} (${a.latency.firstError})` : "0",
        ]),
      ),
    );
    if (nullWorker && gateways.length) {
      section(
        "The gateway's own cost: minus the null Worker in the same workerd and the same round (ms)",
        table(
          ["arm", "own p50", "own p90", "own p99", `goal p50 ≤ ${GOAL_P50_MS}`, `goal p99 ≤ ${GOAL_P99_MS}`],
          gateways.map((a) => {
            const p50 = delta(a, nullWorker, "p50");
            const p99 = delta(a, nullWorker, "p99");
            return [a.label, signed(p50), signed(delta(a, nullWorker, "p90")), signed(p99), p50 <= GOAL_P50_MS ? "PASS" : "FAIL", p99 <= GOAL_P99_MS ? "PASS" : "FAIL"];
          }),
        ),
      );
    }
    if (portkey && direct) {
      const pk = delta(portkey, direct, "p50");
      section(
        "Against Portkey in the same run (added p50 over direct)",
        gateways
          .filter((a) => a.key !== "wranglerdev")
          .map((a) => {
            const ours = delta(a, direct, "p50");
            return `- ${a.label}: ${signed(ours)} ms vs Portkey ${signed(pk)} ms: ${ours < pk ? "PASS (adds less than Portkey)" : "FAIL (does not add less than Portkey)"}`;
          })
          .join("\n"),
      );
    }
  }

  if (has("latency")) {
    const lines = cacheLines(r.arms);
    if (lines.length) section("Response cache (issue #17): a hit against the null Worker's pass-through, and what a miss costs", lines.join("\n"));
  }

  if (has("stream")) {
    const upstreamEnd = (P.chunks - 1) * P.chunkMs;
    const directCount = direct?.streams.chunkCounts[0];
    section(
      `Streaming (${P.chunks} chunks, one every ${P.chunkMs} ms: the upstream's last chunk leaves ${upstreamEnd} ms after its first; ms)`,
      table(
        ["arm", "first chunk p50", "added first chunk", "worst gap p50", "worst gap max", "chunks", "same count as direct", "first chunk before upstream end", "errors"],
        r.arms.map((a) => {
          const s = a.streams;
          const counts = [...new Set(s.chunkCounts)];
          return [
            a.label,
            fmt(median(s.firstChunk)),
            direct ? signed(median(s.firstChunkByRound.map((v, i) => v - direct.streams.firstChunkByRound[i]))) : "n/a",
            fmt(median(s.worstGap)),
            fmt(Math.max(...s.worstGap)),
            counts.join("/") || "n/a",
            directCount === undefined ? "n/a" : counts.length === 1 && counts[0] === directCount ? "yes" : "NO",
            `${s.firstChunk.filter((t) => t < upstreamEnd).length}/${s.firstChunk.length}`,
            s.errors ? `${s.errors} (${s.firstError})` : "0",
          ];
        }),
      ),
      "\"added first chunk\" is per round against direct-to-mock, median over rounds. \"worst gap\" is the longest wait between two consecutive chunks of one stream.",
    );
  }

  if (has("load")) {
    const rows: (string | number)[][] = [];
    for (const c of P.concurrency) {
      for (const a of r.arms) {
        const runs = a.load[c] ?? [];
        const errors = runs.reduce((n, x) => n + x.errors, 0);
        const requests = runs.reduce((n, x) => n + x.requests, 0);
        rows.push([
          a.label,
          c,
          fmt(median(runs.map((x) => x.rps)), 0),
          fmt(median(runs.map((x) => x.p50))),
          fmt(median(runs.map((x) => x.p99))),
          errors ? `${errors}/${requests} (${runs.find((x) => x.firstError)?.firstError})` : `0/${requests}`,
          a.key === "direct" || a.key === "wranglerdev" ? "—" : fmt(median(runs.map((x) => x.cpuUs)), 0),
          fmt(median(runs.map((x) => x.mockCpuUs)), 0),
        ]);
      }
    }
    section(
      `Throughput under load (closed loop; median over ${P.loadRounds} round(s) of ${P.loadSeconds} s; errors summed)`,
      table(["arm", "connections", "req/s", "p50 ms", "p99 ms", "errors", "server CPU µs/req", "mock CPU µs/req"], rows),
      "\"server CPU\": user+system time of the process under test (workerd for arms 2–4, all threads; Node for Portkey) per request, from /proc (10 ms ticks). The mock's own CPU is listed apart.",
    );
  }

  const full = r.arms.find((a) => a.key === "full");
  const observed = r.arms.find((a) => a.key === "observed");
  if (full && observed) {
    // Same run, same rounds: arm 4o minus arm 4 is what Prometheus and one callback add to the full path.
    const rows: string[][] = [];
    if (has("latency")) rows.push(["concurrency 1", signed(delta(observed, full, "p50")), signed(delta(observed, full, "p99")), "", ""]);
    for (const c of has("load") ? P.concurrency : []) {
      const cpu = (a: ArmResult) => median((a.load[c] ?? []).map((x) => x.cpuUs));
      const rps = (a: ArmResult) => median((a.load[c] ?? []).map((x) => x.rps));
      rows.push([`${c} connections`, "", "", signed(cpu(observed) - cpu(full), 0), signed(rps(observed) - rps(full), 0)]);
    }
    section(
      "Feature cost: observability (arm 4o minus arm 4, same run)",
      table(["load", "p50 ms", "p99 ms", "server CPU µs/req", "req/s"], rows),
      "Both arms log one JSON line per call (on by default, dropped by the harness after workerd wrote it); 4o adds Prometheus metrics (deltas to the metrics hub every 2 s) and a generic API webhook callback (batched).",
    );
  }

  const idle = r.arms.filter((a) => a.rssIdleMiB !== undefined);
  section(
    "Memory (RSS, MiB)",
    table(["process", "RSS after warm-up"], idle.map((a) => [a.key === "direct" ? "mock upstream (Node)" : a.label, fmt(a.rssIdleMiB!, 1)])),
    ...(r.soaks.length
      ? [
          `Soak: ${P.soakSeconds} s per arm, one arm at a time, 7 JSON loops + 1 streaming loop:`,
          table(
            ["arm", "requests + streams", "errors", "RSS before", "first second", "max during", "at end", "10 s after", "growth MiB/min", "growth MiB/min, 2nd half"],
            r.soaks.map((s) => [
              s.label,
              `${s.requests} + ${s.streams}`,
              s.errors ? `${s.errors} (${s.firstError})` : "0",
              fmt(s.before, 1),
              fmt(s.first, 1),
              fmt(s.max, 1),
              fmt(s.end, 1),
              fmt(s.after, 1),
              signed(s.growthMiBPerMin, 2),
              signed(s.lateGrowthMiBPerMin, 2),
            ]),
          ),
          "Growth is the least-squares slope of RSS sampled every second, leaving out the soak's first tenth; the last column fits the second half only (a leak keeps growing there, a heap settling into its size does not). Compare the gateway with the null Worker: both run in workerd, whose RSS under load grows by itself.",
        ]
      : []),
  );

  const guarded = r.arms.find((a) => a.key === "guarded");
  if (r.guardrails || (full && guarded)) section("Feature cost: guardrails", ...guardrailBlocks(r, full, guarded));

  section(
    "Worker bundle (wrangler deploy --dry-run)",
    `- wrangler printed: \`${r.bundle.wranglerPrinted}\`\n- ${r.bundle.file}: ${fmt(r.bundle.kib, 1)} KiB, ${fmt(r.bundle.gzipKib, 1)} KiB gzipped (gzip level 6, by the harness)`,
  );
  return out.join("\n");
}

/** Each built-in on the agent prompt, and arm 4g (a default_on guardrail) against arm 4 in the same run. */
function guardrailBlocks(r: Results, full: ArmResult | undefined, guarded: ArmResult | undefined): string[] {
  const blocks: string[] = [];
  if (r.guardrails) {
    const w = r.guardrails.workload;
    blocks.push(
      `Each built-in on a ${fmt(w.requestKiB, 1)} KB coding-agent request (test/worker/fixtures/agent-prompt.ts) and the same ${w.answerChars} characters as the answer, streamed in ${w.deltas} deltas of ${w.deltaChars}; CPU µs per call in the harness's Node (V8), best of 7 batches:`,
      table(
        ["built-in", "pre_call", "JSON answer", "stream guard (per delta)", "SSE step (per delta)"],
        r.guardrails.costs.map((c) => [c.name, fmt(c.preCall, 0), fmt(c.jsonAnswer, 0), `${fmt(c.stream, 0)} (${fmt(c.stream / w.deltas, 2)})`, `${fmt(c.sse, 0)} (${fmt(c.sse / w.deltas, 2)})`]),
      ),
      "\"SSE step\" is what the request path runs on a streamed answer: the client's SSE parsed, each chunk through the stream guard, re-serialised (src/guardrails/sse.ts).",
    );
  }
  if (full && guarded) {
    const perRound = (stat: "p50" | "p99") => median(guarded.latency[stat].map((v, i) => v - full.latency[stat][i]));
    const cpu = (a: ArmResult, c: number) => median((a.load[c] ?? []).map((x) => x.cpuUs));
    blocks.push(
      table(
        ["", "added p50 ms", "added p99 ms", ...r.parameters.concurrency.map((c) => `server CPU µs/req at ${c}`)],
        [
          ["4g minus 4 (same rounds)", signed(perRound("p50")), signed(perRound("p99")), ...r.parameters.concurrency.map((c) => signed(cpu(guarded, c) - cpu(full, c), 0))],
        ],
      ),
    );
  }
  return blocks;
}
