// Spend and requests over time, and who spent it: by key, team, model and provider. Admins read
// /team/daily/activity (every key, with teams); a virtual key reads its own /user/daily/activity.
import { useMemo, useState } from "preact/hooks";
import { useApi, withQuery, type Session } from "../api";
import { PALETTE, TimeChart, type Series } from "../chart";
import { DateRange, Loading, Notice, PageHeader } from "../components";
import { daysAgo, daysBetween, num, usd, utcDay } from "../format";

interface Metrics {
  spend: number;
  total_tokens: number;
  api_requests: number;
  successful_requests: number;
  failed_requests: number;
}
type Entry = { metrics: Metrics; metadata: Record<string, string | null> };
type Breakdown = Record<"models" | "providers" | "api_keys", Record<string, Entry>> & { entities?: Record<string, Entry> };
export interface Activity {
  results: { date: string; metrics: Metrics; breakdown: Breakdown }[];
  metadata: { total_spend: number; total_tokens: number; total_api_requests: number; total_failed_requests: number };
}

interface Row {
  id: string;
  name: string;
  spend: number;
  requests: number;
  tokens: number;
}

/** Sums one breakdown over all days, biggest spender first. */
function totalsOf(activity: Activity, part: keyof Breakdown, name: (id: string, e: Entry) => string): Row[] {
  const rows = new Map<string, Row>();
  for (const day of activity.results) {
    for (const [id, e] of Object.entries(day.breakdown[part] ?? {})) {
      const row = rows.get(id) ?? rows.set(id, { id, name: name(id, e), spend: 0, requests: 0, tokens: 0 }).get(id)!;
      row.spend += e.metrics.spend;
      row.requests += e.metrics.api_requests;
      row.tokens += e.metrics.total_tokens;
    }
  }
  return [...rows.values()].sort((a, b) => b.spend - a.spend || b.requests - a.requests);
}

function BreakdownTable(props: { title: string; rows: Row[]; testId: string }) {
  const top = props.rows.slice(0, 10);
  const max = Math.max(...top.map((r) => r.spend), 0);
  return (
    <section class="card" data-testid={props.testId}>
      <h3>{props.title}</h3>
      {top.length === 0 ? (
        <p class="muted">No requests in this range.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th class="num">Spend</th>
              <th class="num">Requests</th>
              <th class="num">Tokens</th>
            </tr>
          </thead>
          <tbody>
            {top.map((r) => (
              <tr>
                <td>
                  <div class="share">
                    <span>{r.name}</span>
                    <div class="bar thin">
                      <div class="fill ok" style={{ width: `${max > 0 ? (r.spend / max) * 100 : 0}%` }} />
                    </div>
                  </div>
                </td>
                <td class="num">{usd(r.spend)}</td>
                <td class="num">{num(r.requests)}</td>
                <td class="num">{num(r.tokens)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const keyName = (id: string, e: Entry) => e.metadata.key_alias ?? e.metadata.key_name ?? `${id.slice(0, 10)}…`;

export function Dashboard(props: { session: Session }) {
  const admin = props.session.role === "admin";
  const [range, setRange] = useState({ start: daysAgo(29), end: utcDay(new Date()) });
  const path = withQuery(admin ? "/team/daily/activity" : "/user/daily/activity", { start_date: range.start, end_date: range.end });
  const { data, error, loading } = useApi<Activity>(path);

  const view = useMemo(() => {
    if (!data) return undefined;
    const days = daysBetween(range.start, range.end);
    const byDay = new Map(data.results.map((r) => [r.date, r]));
    const daily = (f: (m: Metrics) => number) => days.map((d) => (byDay.has(d) ? f(byDay.get(d)!.metrics) : 0));
    const models = totalsOf(data, "models", (id) => id);
    const modelSeries: Series[] = models.slice(0, 5).map((m, i) => ({
      label: m.name,
      color: PALETTE[i],
      values: days.map((d) => byDay.get(d)?.breakdown.models[m.id]?.metrics.spend ?? 0),
    }));
    return {
      days,
      spend: [{ label: "Spend", color: PALETTE[0], values: daily((m) => m.spend) }],
      requests: [
        { label: "Successful", color: PALETTE[1], values: daily((m) => m.successful_requests) },
        { label: "Failed", color: PALETTE[3], values: daily((m) => m.failed_requests) },
      ],
      modelSeries,
      models,
      providers: totalsOf(data, "providers", (id) => id),
      keys: totalsOf(data, "api_keys", keyName),
      teams: admin ? totalsOf(data, "entities", (id, e) => (id ? (e.metadata.team_alias ?? id) : "no team")) : [],
    };
  }, [data, range.start, range.end, admin]);

  return (
    <>
      <PageHeader title={admin ? "Dashboard" : "My usage"}>
        <DateRange start={range.start} end={range.end} onChange={(start, end) => setRange({ start, end })} />
      </PageHeader>
      {error && <Notice kind="error">{error}</Notice>}
      {loading && !data && <Loading />}
      {data && view && (
        <>
          <div class="stats">
            <div class="stat" data-testid="total-spend">
              <span>Spend</span>
              <strong>{usd(data.metadata.total_spend)}</strong>
            </div>
            <div class="stat" data-testid="total-requests">
              <span>Requests</span>
              <strong>{num(data.metadata.total_api_requests)}</strong>
            </div>
            <div class="stat">
              <span>Failed</span>
              <strong>{num(data.metadata.total_failed_requests)}</strong>
            </div>
            <div class="stat">
              <span>Tokens</span>
              <strong>{num(data.metadata.total_tokens)}</strong>
            </div>
          </div>
          <div class="grid2">
            <section class="card">
              <h3>Spend per day (UTC)</h3>
              <TimeChart label="Spend per day" days={view.days} series={view.spend} money bars />
            </section>
            <section class="card">
              <h3>Requests per day</h3>
              <TimeChart label="Requests per day" days={view.days} series={view.requests} />
            </section>
          </div>
          {view.modelSeries.length > 0 && (
            <section class="card">
              <h3>Spend per day by model</h3>
              <TimeChart label="Spend per day by model" days={view.days} series={view.modelSeries} money />
            </section>
          )}
          <div class="grid2">
            <BreakdownTable title="By key" rows={view.keys} testId="by-key" />
            {admin && <BreakdownTable title="By team" rows={view.teams} testId="by-team" />}
            <BreakdownTable title="By model" rows={view.models} testId="by-model" />
            <BreakdownTable title="By provider" rows={view.providers} testId="by-provider" />
          </div>
          <p class="muted small">Reports are built from daily totals and trail live spend by about a second.</p>
        </>
      )}
    </>
  );
}
