// `npx tsx bench/costs.ts [--calls N] [--concurrency 1,8] [--disable-spend-logs]`: what one call costs in Cloudflare's billed units, counted on a
// local `npm start` (wrangler dev: the same code and the same local D1/KV/Durable Objects) whose bindings
// are wrapped by bench/costs/counting-worker.ts. For each way a call can be authorised, N calls, then a
// wait for the guards' settlement batches, lease returns and D1 flushes, then the counts divided by N.
// Prints a markdown table (README.md "What it costs").
import { startGateway } from "../test/node/start";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const calls = Number(flag("--calls", "500"));
const concurrencies = flag("--concurrency", "1,8").split(",").map(Number);
const MASTER = "sk-costs-master-0000000000000000";
const SETTLE_MS = 6000; // past the lease time (2 s), a settlement batch (20 ms) and a flush (~1 s), with margin

const noSpendLogs = args.includes("--disable-spend-logs");
const config = `
model_list:
  - model_name: m
    litellm_params: { model: openai/m, mock_response: "Hello from the cost run.", input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
  disable_spend_logs: ${noSpendLogs}
`;

const gw = await startGateway(config, { LITELLM_MASTER_KEY: MASTER }, { extraArgs: ["bench/costs/counting-worker.ts"] });
const post = async (path: string, key: string, body: unknown) => {
  const res = await fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
};
const newKey = async (fields: object) => (await post("/key/generate", MASTER, fields)).key as string;

interface Counts {
  workerRequests: number;
  doRequests: Record<string, number>;
  doAlarms: Record<string, number>;
  d1: { queries: number; batches: number; rowsRead: number; rowsWritten: number };
  kv: { get: number; put: number; delete: number; list: number };
  doSql: { rowsRead: number; rowsWritten: number };
}

// Workers Free daily caps and Workers Paid prices beyond what $5/month includes (developers.cloudflare.com
// pricing pages of Workers, Durable Objects (SQLite storage billed since January 2026), D1 and KV).
const FREE_PER_DAY = { workerRequests: 100_000, doRequests: 100_000, doRowsWritten: 100_000, d1RowsWritten: 100_000, d1RowsRead: 5_000_000, kvReads: 100_000, kvWrites: 1_000 };
const PAID_INCLUDED_PER_MONTH = { workerRequests: 10_000_000, doRequests: 1_000_000, doRowsWritten: 50_000_000, d1RowsWritten: 50_000_000, d1RowsRead: 25_000_000_000, kvReads: 10_000_000, kvWrites: 1_000_000 };
const PAID_PER_MILLION = { workerRequests: 0.3, doRequests: 0.15, doRowsWritten: 1, d1RowsWritten: 1, d1RowsRead: 0.001, kvReads: 0.5, kvWrites: 5 };

try {
  const scenarios: [string, string][] = [
    ["master key", MASTER],
    ["virtual key, no limits", await newKey({ key_alias: "plain" })],
    ["virtual key, max_budget + rpm_limit (leases)", await newKey({ key_alias: "lease", max_budget: 1000, rpm_limit: 100000 })],
    ["virtual key, tpm_limit (guard per call)", await newKey({ key_alias: "exact", tpm_limit: 100000000 })],
  ];
  const rows: string[] = [];
  for (const concurrency of concurrencies) {
    for (const [name, key] of scenarios) {
      await new Promise((r) => setTimeout(r, SETTLE_MS)); // the previous run's (or key creation's) background work
      await fetch(`${gw.url}/__costs/reset`, { method: "POST" });
      let next = 0;
      const client = async () => {
        while (next < calls) await post("/v1/chat/completions", key, { model: "m", messages: [{ role: "user", content: `call ${next++}` }] });
      };
      await Promise.all(Array.from({ length: concurrency }, client));
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const c = (await (await fetch(`${gw.url}/__costs`)).json()) as Counts;
      const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
      const per = {
        workerRequests: c.workerRequests / calls,
        doRequests: (sum(c.doRequests) + sum(c.doAlarms)) / calls,
        doRowsWritten: c.doSql.rowsWritten / calls,
        d1RowsWritten: c.d1.rowsWritten / calls,
        d1RowsRead: c.d1.rowsRead / calls,
        kvReads: c.kv.get / calls,
        kvWrites: (c.kv.put + c.kv.delete) / calls,
      };
      const keys = Object.keys(per) as (keyof typeof per)[];
      const freeCalls = Math.min(...keys.filter((k) => per[k] > 0).map((k) => FREE_PER_DAY[k] / per[k]));
      const binding = keys.filter((k) => per[k] > 0).sort((x, y) => FREE_PER_DAY[x] / per[x] - FREE_PER_DAY[y] / per[y])[0];
      const dollars = keys.reduce((s, k) => s + per[k] * PAID_PER_MILLION[k], 0);
      const paidIncluded = Math.min(...keys.filter((k) => per[k] > 0).map((k) => PAID_INCLUDED_PER_MONTH[k] / per[k]));
      const f = (n: number) => n.toFixed(2);
      rows.push(
        `| ${name} | ${concurrency} | ${f(per.doRequests)} | ${f(per.doRowsWritten)} | ${f(per.d1RowsWritten)} | ${f(per.d1RowsRead)} | ${f(per.kvReads)} / ${f(per.kvWrites)} | ${Math.floor(freeCalls).toLocaleString("en-US")} (${binding}) | ${(paidIncluded / 1e6).toFixed(1)} M | $${f(dollars)} |`,
      );
      console.log(rows.at(-1), JSON.stringify({ doRequests: c.doRequests, doAlarms: c.doAlarms, d1: c.d1 }));
    }
  }
  console.log(
    `\n${calls} calls per row, mock_response model, local npm start (wrangler dev)${noSpendLogs ? ", disable_spend_logs" : ""}.\n` +
      "| authorised by | concurrent clients | DO requests | DO SQLite rows written | D1 rows written | D1 rows read | KV reads / writes | calls/day on Workers Free (first cap hit) | Paid: calls/month in the $5 | Paid: $ per million calls beyond |\n" +
      `|---|---|---|---|---|---|---|---|---|---|\n${rows.join("\n")}`,
  );
} catch (err) {
  await new Promise((r) => setTimeout(r, 1500));
  console.error(gw.output().slice(-3000));
  throw err;
} finally {
  await gw.stop();
}
