// `npx tsx bench/flush.ts [<flush.ts> ...] [--rows 200] [--flushes 20] [--rounds 5]`
// What writing settled calls to D1 costs per row: a Worker built around a version of
// src/spend/flush.ts (default: the current one; pass an older copy to compare) runs `writeFlush` on
// local D1 in workerd, `--flushes` flushes of `--rows` spend log rows each (as a key's guard sends
// them, with the key's totals), and the harness reads workerd's CPU time (user + system, /proc)
// around them. The rows are made before the clock starts: only the flush is measured. Local D1 is
// Miniflare's D1 object over SQLite in the same workerd, so this is D1's work as run locally (the
// bench's and `npm start`'s), which in production runs in D1, not in the Worker.
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { cpuMs, pin, ROOT } from "./proc";
import { fmt, median, table } from "./stats";
import { startWithD1 } from "./workerd";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rows: { type: "string", default: "200" }, flushes: { type: "string", default: "20" }, rounds: { type: "string", default: "5" } },
});
const ROWS = Number(values.rows);
const FLUSHES = Number(values.flushes);
const ROUNDS = Number(values.rounds);
const versions = positionals.length ? positionals.map((p) => resolve(p)) : [resolve(ROOT, "src/spend/flush.ts")];

/** The Worker: GET /make?rows=N&flushes=F makes the rows, GET /flush writes them, one flush at a time. */
const entry = (flushModule: string) => `
import * as flush from ${JSON.stringify(flushModule)};
let batches = [];
let scope = 0;
function log(token, i, now) {
  return {
    request_id: token + "-" + i, api_key: token, user: null, team_id: null, end_user: null, model: "gpt-4o-mini", model_group: "bench",
    model_id: "bench-1", custom_llm_provider: "openai", api_base: "http://127.0.0.1/v1", call_type: "acompletion", prompt_tokens: 12,
    completion_tokens: 9, cached_tokens: 0, total_tokens: 21, spend: 0.0000123, cache_hit: false, status: "success", start_time: now,
    end_time: now + 3, duration_ms: 3, request_tags: [], messages: null, response: null, metadata: { user_api_key_alias: "bench" },
  };
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/make") {
      const rows = Number(url.searchParams.get("rows"));
      const now = Date.now();
      batches = Array.from({ length: Number(url.searchParams.get("flushes")) }, () => {
        const token = "bench-" + ++scope;
        const logs = Array.from({ length: rows }, (_, i) => log(token, i, now));
        // Before settlements carried daily rows, outboxRow took (log, store, unpriced) and the batch had no daily sums.
        const texts = logs.map((l) => flush.outboxRow(l, true, false));
        const batch = { scope: "key:" + token + ":e", firstSeq: 1, lastSeq: 1, rows: texts, count: rows };
        if (flush.dailyRow) batch.daily = [...flush.sumDaily(new Map(), logs.map((l) => flush.dailyRow(l, false))).values()];
        return { batch, totals: { kind: "key", token, spend: 1, budgetResetAt: null, modelSpend: { bench: 1 } } };
      });
      return new Response("made");
    }
    for (const { batch, totals } of batches) await flush.writeFlush(env.DB, batch, totals);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM spend_logs").first("n");
    return new Response(String(n));
  },
};
`;

async function bundleFor(flushModule: string, dir: string): Promise<string> {
  const src = join(dir, "entry.js");
  writeFileSync(src, entry(flushModule));
  const out = join(dir, "index.js");
  await build({ entryPoints: [src], bundle: true, format: "esm", platform: "neutral", target: "es2022", outfile: out, logLevel: "error", mainFields: ["module", "main"] });
  return out;
}

const results: Record<string, number[]> = {};
for (const version of versions) {
  const name = relative(ROOT, version);
  const dir = mkdtempSync(join(tmpdir(), "bench-flush-"));
  const arm = await startWithD1("flush", await bundleFor(version, dir));
  pin(arm.pid, "1");
  results[name] = [];
  let total = 0;
  try {
    for (let round = 0; round < ROUNDS + 1; round++) {
      await (await fetch(`${arm.url}/make?rows=${ROWS}&flushes=${FLUSHES}`)).text();
      const before = cpuMs(arm.pid);
      const written = Number(await (await fetch(`${arm.url}/flush`)).text());
      const perRow = ((cpuMs(arm.pid) - before) * 1000) / (ROWS * FLUSHES);
      if (written !== (total += ROWS * FLUSHES)) throw new Error(`${name}: D1 holds ${written} rows, expected ${total}`);
      if (round > 0) results[name].push(perRow); // round 0 warms up
    }
  } finally {
    await arm.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${FLUSHES} flushes of ${ROWS} rows per round, ${ROUNDS} rounds after one warm-up, workerd pinned to CPU 1; CPU µs per row flushed (workerd process), median over rounds`);
console.log(
  table(
    ["flush module", "CPU µs/row", "range over rounds"],
    Object.entries(results).map(([name, r]) => [name, fmt(median(r), 1), `${fmt(Math.min(...r), 1)}–${fmt(Math.max(...r), 1)}`]),
  ),
);
