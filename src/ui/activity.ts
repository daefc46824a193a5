// Spend and requests per day with breakdowns by model, provider, key and team, in the shape of
// LiteLLM's /user/daily/activity (and /team/daily/activity): read from the daily aggregates
// (daily_spend), never from the request log. The aggregates are per model group, so a provider is
// the group's provider as configured (a group mixing providers shows them joined with "+").
import { and, eq, gte, inArray, lte, sql } from "drizzle-orm";
import type { Runtime } from "../core/provider";
import { dailySpend, keys, teams } from "../schema/db";
import type { database } from "../schema/database";

export interface ActivityFilter {
  start: string;
  end: string;
  /** A key's token. */
  apiKey?: string;
  /** A model group. */
  model?: string;
  teamIds?: string[];
}

export interface Metrics {
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  api_requests: number;
  successful_requests: number;
  failed_requests: number;
}

type Entry = { metrics: Metrics; metadata: Record<string, unknown> };
type Breakdown = Record<"models" | "providers" | "api_keys", Record<string, Entry>> & { entities?: Record<string, Entry> };

const zero = (): Metrics => ({ spend: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, api_requests: 0, successful_requests: 0, failed_requests: 0 });

function add(into: Metrics, row: AggregateRow): void {
  into.spend += row.spend;
  into.prompt_tokens += row.prompt;
  into.completion_tokens += row.completion;
  into.total_tokens += row.prompt + row.completion;
  into.api_requests += row.requests;
  into.failed_requests += row.failures;
  into.successful_requests += row.requests - row.failures;
}

interface AggregateRow {
  date: string;
  group: string;
  spend: number;
  prompt: number;
  completion: number;
  requests: number;
  failures: number;
}

const sums = {
  spend: sql<number>`sum(${dailySpend.spend})`,
  prompt: sql<number>`sum(${dailySpend.prompt_tokens})`,
  completion: sql<number>`sum(${dailySpend.completion_tokens})`,
  requests: sql<number>`sum(${dailySpend.requests})`,
  failures: sql<number>`sum(${dailySpend.failures})`,
};

/** D1 binds at most 100 parameters per statement. */
const CHUNK = 90;

async function inChunks<T, R>(items: T[], run: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(...(await run(items.slice(i, i + CHUNK))));
  return out;
}

/** The provider(s) of a model group, as configured. */
function providerOf(runtime: Runtime, group: string): string {
  const deployments = runtime.resolveModel(group)?.deployments;
  if (!deployments?.length) return "unknown";
  return [...new Set(deployments.map((d) => d.provider))].join("+");
}

export async function dailyActivity(db: ReturnType<typeof database>, runtime: Runtime, f: ActivityFilter, byTeam: boolean) {
  const where = and(
    gte(dailySpend.date, f.start),
    lte(dailySpend.date, f.end),
    f.apiKey ? eq(dailySpend.api_key, f.apiKey) : undefined,
    f.model ? eq(dailySpend.model_group, f.model) : undefined,
    f.teamIds?.length ? inArray(dailySpend.team_id, f.teamIds) : undefined,
  );
  const grouped = (column: typeof dailySpend.model_group | typeof dailySpend.api_key | typeof dailySpend.team_id) =>
    db.select({ date: dailySpend.date, group: sql<string>`${column}`, ...sums }).from(dailySpend).where(where).groupBy(dailySpend.date, column).orderBy(dailySpend.date);
  const [byModel, byKey, byTeamRows] = await db.batch([grouped(dailySpend.model_group), grouped(dailySpend.api_key), grouped(dailySpend.team_id)]);

  const days = new Map<string, { metrics: Metrics; breakdown: Breakdown }>();
  const day = (date: string) => days.get(date) ?? days.set(date, { metrics: zero(), breakdown: { models: {}, providers: {}, api_keys: {}, ...(byTeam ? { entities: {} } : {}) } }).get(date)!;
  const entry = (into: Record<string, Entry>, name: string, metadata: Record<string, unknown> = {}) => (into[name] ??= { metrics: zero(), metadata });

  for (const row of byModel) {
    const d = day(row.date);
    add(d.metrics, row);
    add(entry(d.breakdown.models, row.group).metrics, row);
    add(entry(d.breakdown.providers, providerOf(runtime, row.group)).metrics, row);
  }
  const tokens = [...new Set(byKey.map((r) => r.group))];
  const keyInfo = new Map(
    (await inChunks(tokens, (chunk) => db.select({ token: keys.token, alias: keys.key_alias, name: keys.key_name, team: keys.team_id }).from(keys).where(inArray(keys.token, chunk)).all())).map((k) => [k.token, k]),
  );
  for (const row of byKey) {
    const k = keyInfo.get(row.group);
    add(entry(day(row.date).breakdown.api_keys, row.group, { key_alias: k?.alias ?? null, key_name: k?.name ?? null, team_id: k?.team ?? null }).metrics, row);
  }
  if (byTeam) {
    const teamIds = [...new Set(byTeamRows.map((r) => r.group).filter(Boolean))];
    const aliases = new Map(
      (await inChunks(teamIds, (chunk) => db.select({ id: teams.team_id, alias: teams.team_alias }).from(teams).where(inArray(teams.team_id, chunk)).all())).map((t) => [t.id, t.alias]),
    );
    for (const row of byTeamRows) {
      add(entry(day(row.date).breakdown.entities!, row.group, { team_alias: row.group ? (aliases.get(row.group) ?? null) : null }).metrics, row);
    }
  }

  const results = [...days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, d]) => ({ date, ...d }));
  const total = zero();
  for (const r of results) for (const k of Object.keys(total) as (keyof Metrics)[]) total[k] += r.metrics[k];
  return {
    results,
    metadata: {
      total_spend: total.spend,
      total_prompt_tokens: total.prompt_tokens,
      total_completion_tokens: total.completion_tokens,
      total_tokens: total.total_tokens,
      total_api_requests: total.api_requests,
      total_successful_requests: total.successful_requests,
      total_failed_requests: total.failed_requests,
      page: 1,
      total_pages: 1,
      has_more: false,
    },
  };
}
