// One key in full: live spend against its budget, limits, per-model budgets and its latest calls.
// Admins open any key; a virtual key's session sees its own (/key/info without ?key=).
import { useApi, withQuery } from "../api";
import { Badge, BudgetBar, Json, Loading, Notice } from "../components";
import { limit, num, usd, when } from "../format";
import type { Key } from "./keys";
import type { LogRow } from "./logs";

function Facts(props: { rows: [string, preact.ComponentChildren][] }) {
  return (
    <dl class="facts">
      {props.rows.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </>
      ))}
    </dl>
  );
}

export function KeyDetails(props: { token?: string }) {
  const { data, error } = useApi<{ key: string; info: Key }>(withQuery("/key/info", { key: props.token }));
  const logs = useApi<{ data: LogRow[]; total: number }>(data ? withQuery("/spend/logs/ui", { api_key: data.key, page_size: 10 }) : null);
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!data) return <Loading />;
  const k = data.info;
  const modelBudgets = Object.entries(k.model_max_budget ?? {}) as [string, { budget_limit: number; time_period?: string }][];
  return (
    <div class="key-details" data-testid="key-details">
      <div class="grid2">
        <section>
          <h3>Key</h3>
          <Facts
            rows={[
              ["Alias", k.key_alias ?? "–"],
              ["Name", <code>{k.key_name}</code>],
              ["Token (SHA-256)", <code class="small">{k.token}</code>],
              ["Status", k.blocked ? <Badge kind="bad">blocked</Badge> : <Badge kind="ok">active</Badge>],
              ["Team", k.team_id ?? "–"],
              ["User", k.user_id ?? "–"],
              ["Models", k.models.length ? k.models.join(", ") : "all"],
              ["Tags", k.tags.length ? k.tags.join(", ") : "–"],
              ["Created", when(k.created_at)],
              ["Expires", k.expires ? when(k.expires) : "never"],
            ]}
          />
        </section>
        <section>
          <h3>Spend and limits</h3>
          <BudgetBar spend={k.spend} max={k.max_budget} />
          <Facts
            rows={[
              ["Spend", usd(k.spend)],
              ["Budget", k.max_budget === null ? "no budget" : `${usd(k.max_budget)}${k.budget_duration ? ` every ${k.budget_duration}` : ""}`],
              ["Budget resets", k.budget_reset_at ? when(k.budget_reset_at) : "–"],
              ["Soft budget", k.soft_budget === null ? "–" : usd(k.soft_budget)],
              ["Requests / minute", limit(k.rpm_limit)],
              ["Tokens / minute", limit(k.tpm_limit)],
              ["Parallel requests", limit(k.max_parallel_requests)],
            ]}
          />
        </section>
      </div>
      {(modelBudgets.length > 0 || Object.keys(k.model_spend ?? {}).length > 0) && (
        <section>
          <h3>Per model</h3>
          <table>
            <thead>
              <tr>
                <th>Model</th>
                <th>Spend / budget</th>
                <th class="num">rpm</th>
                <th class="num">tpm</th>
              </tr>
            </thead>
            <tbody>
              {[...new Set([...modelBudgets.map(([m]) => m), ...Object.keys(k.model_spend ?? {})])].map((m) => {
                const budget = modelBudgets.find(([name]) => name === m)?.[1];
                return (
                  <tr>
                    <td>{m}</td>
                    <td>
                      <BudgetBar spend={k.model_spend?.[m] ?? 0} max={budget?.budget_limit} />
                    </td>
                    <td class="num">{num(k.model_rpm_limit?.[m])}</td>
                    <td class="num">{num(k.model_tpm_limit?.[m])}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}
      {Object.keys(k.metadata ?? {}).length > 0 && (
        <section>
          <h3>Metadata</h3>
          <Json value={k.metadata} />
        </section>
      )}
      <section>
        <h3>Latest calls</h3>
        {!logs.data ? (
          <Loading />
        ) : logs.data.data.length === 0 ? (
          <p class="muted">No calls yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Time</th>
                <th>Model</th>
                <th>Status</th>
                <th class="num">Tokens</th>
                <th class="num">Spend</th>
              </tr>
            </thead>
            <tbody>
              {logs.data.data.map((r) => (
                <tr>
                  <td>{when(r.startTime)}</td>
                  <td>{r.model_group}</td>
                  <td>{r.status === "success" ? <Badge kind="ok">success</Badge> : <Badge kind="bad">{r.status}</Badge>}</td>
                  <td class="num">{num(r.total_tokens)}</td>
                  <td class="num">{usd(r.spend)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
