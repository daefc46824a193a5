// The daily spend report (alert types daily_reports / spend_reports), sent by the Worker's cron trigger
// (wrangler.toml [triggers]): yesterday's (UTC) spend, requests and failures from D1's daily_spend sums,
// with the top model groups and keys. Claimed in the alerts hub first, so a repeated trigger sends it once.
import { Alerts } from "./rules";
import { hubFor } from "../hub-rpc";
import type { Env } from "../../env";
import type { AlertSettings } from "../settings";

const DAY_MS = 86_400_000;
const TOP = 5;

interface Totals {
  spend: number | null;
  requests: number | null;
  failures: number | null;
  tokens: number | null;
}

const money = (usd: number | null) => `$${(usd ?? 0).toFixed(4)}`;

export async function sendDailyReport(settings: AlertSettings | undefined, env: Env, at: number): Promise<void> {
  if (!settings || !(settings.types.has("daily_reports") || settings.types.has("spend_reports"))) return;
  const day = new Date(at - DAY_MS).toISOString().slice(0, 10);
  const [totals, groups, keys] = await env.DB.batch([
    env.DB.prepare(`SELECT sum(spend) AS spend, sum(requests) AS requests, sum(failures) AS failures, sum(prompt_tokens + completion_tokens) AS tokens FROM daily_spend WHERE date = ?`).bind(day),
    env.DB.prepare(`SELECT model_group AS name, sum(spend) AS spend, sum(requests) AS requests FROM daily_spend WHERE date = ? GROUP BY model_group ORDER BY spend DESC, requests DESC LIMIT ${TOP}`).bind(day),
    env.DB.prepare(
      `SELECT coalesce(${settings.redactKeyInfo ? "" : "k.key_alias, "}k.key_name, substr(d.api_key, 1, 12)) AS name, sum(d.spend) AS spend, sum(d.requests) AS requests
       FROM daily_spend d LEFT JOIN keys k ON k.token = d.api_key WHERE d.date = ? GROUP BY d.api_key ORDER BY spend DESC, requests DESC LIMIT ${TOP}`,
    ).bind(day),
  ]);
  const t = (totals.results[0] ?? {}) as Totals;
  const list = (rows: unknown[]) => (rows as { name: string; spend: number; requests: number }[]).map((r, i) => `${i + 1}. ${r.name}: ${money(r.spend)} (${r.requests} requests)`).join("\n") || "none";
  const type = settings.types.has("daily_reports") ? "daily_reports" : "spend_reports";
  const alerts = new Alerts(settings, () => hubFor(env, "alerts"), 0, () => {});
  await alerts.sendOnce(
    `daily_report:${day}`,
    2 * DAY_MS,
    type,
    "Low",
    `Daily spend report for ${day} (UTC)\nSpend: ${money(t.spend)} over ${t.requests ?? 0} requests (${t.failures ?? 0} failed), ${t.tokens ?? 0} tokens\n\nTop model groups:\n${list(groups.results)}\n\nTop keys:\n${list(keys.results)}`,
  );
  await alerts.flush();
}
