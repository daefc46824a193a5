// Gauges read where they live when Prometheus scrapes, at a bounded cost per scrape:
//   budgets of keys, teams and users with a max_budget: one D1 batch of three reads (at most MAX_ROWS
//     each), from the totals the guards flush to D1 about every second;
//   deployment state: 2 (complete outage) while a deployment cools down (the router's view of KV's
//     cooldowns, one bulk read per model group), else the last state isolates reported (0 after a
//     success, 1 after a failure), else 0;
//   deployment rpm/tpm limits: from the config.
import { F, type Family } from "./families";
import { label, type Series } from "./series";

const MAX_ROWS = 5_000;
const HOUR_MS = 3_600_000;

export interface DeploymentGaugeInput {
  labels: [model: string, id: string, apiBase: string, provider: string];
  rpm?: number;
  tpm?: number;
  cooling: boolean;
}

interface BudgetRow {
  id: string;
  alias: string | null;
  spend: number;
  max_budget: number;
  budget_reset_at: number | null;
}

const budgetQuery = (table: string, id: string, alias: string) =>
  `SELECT ${id} AS id, ${alias} AS alias, spend, max_budget, budget_reset_at FROM ${table} WHERE max_budget IS NOT NULL ORDER BY ${id} LIMIT ${MAX_ROWS}`;

function budgetSeries(rows: BudgetRow[], remaining: Family, max: Family, hours: Family, labelsOf: (r: BudgetRow) => string[], now: number, out: Series[]): void {
  for (const r of rows) {
    const labels = labelsOf(r);
    out.push([remaining.name, labels, [r.max_budget - r.spend, now]]);
    out.push([max.name, labels, [r.max_budget, now]]);
    if (r.budget_reset_at !== null) out.push([hours.name, labels, [Math.max(0, (r.budget_reset_at - now) / HOUR_MS), now]]);
  }
}

/** Budget gauges from D1; none (with a log line) when D1 cannot be read. */
export async function budgetGauges(db: D1Database, now: number): Promise<Series[]> {
  const out: Series[] = [];
  try {
    const [keys, teams, users] = await db.batch<BudgetRow>([
      db.prepare(budgetQuery("keys", "token", "key_alias")),
      db.prepare(budgetQuery("teams", "team_id", "team_alias")),
      db.prepare(budgetQuery("users", "user_id", "user_alias")),
    ]);
    budgetSeries(keys.results, F.keyRemainingBudget, F.keyMaxBudget, F.keyBudgetHours, (r) => [r.id, label(r.alias)], now, out);
    budgetSeries(teams.results, F.teamRemainingBudget, F.teamMaxBudget, F.teamBudgetHours, (r) => [r.id, label(r.alias)], now, out);
    budgetSeries(users.results, F.userRemainingBudget, F.userMaxBudget, F.userBudgetHours, (r) => [r.id], now, out);
  } catch (err) {
    console.warn(`[metrics] budget gauges left out of this scrape: D1 could not be read (${(err as Error).message})`);
  }
  return out;
}

/**
 * The configured deployments' state and limits. `reported` are the series from the hub: their
 * deployment-state readings are replaced by these (a cooling deployment is a complete outage).
 */
export function deploymentGauges(deployments: readonly DeploymentGaugeInput[], reported: Series[], now: number): Series[] {
  const lastState = new Map<string, number>();
  const rest: Series[] = [];
  for (const s of reported) {
    if (s[0] === F.deploymentState.name) lastState.set(s[1].join("\u0000"), s[2][0]);
    else rest.push(s);
  }
  const seen = new Set<string>();
  for (const d of deployments) {
    const key = d.labels.join("\u0000");
    if (seen.has(key)) continue;
    seen.add(key);
    rest.push([F.deploymentState.name, d.labels, [d.cooling ? 2 : (lastState.get(key) ?? 0), now]]);
    lastState.delete(key);
    if (d.rpm !== undefined) rest.push([F.rpmLimit.name, d.labels, [d.rpm, now]]);
    if (d.tpm !== undefined) rest.push([F.tpmLimit.name, d.labels, [d.tpm, now]]);
  }
  // Deployments reported but not in the config (wildcard groups made on demand) keep their last state.
  for (const [key, state] of lastState) rest.push([F.deploymentState.name, key.split("\u0000"), [state, now]]);
  return rest;
}
