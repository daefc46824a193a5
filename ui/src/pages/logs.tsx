// The request log (/spend/logs/ui), filtered by key, model, status and time, newest first. A row
// opens the call in full, with the request and the answer when store_prompts_in_spend_logs is on.
import { useState } from "preact/hooks";
import { useApi, withQuery, type Session } from "../api";
import { Badge, DataTable, Json, Loading, Modal, Notice, PageHeader, PagedFoot } from "../components";
import { num, usd, when } from "../format";
import { useModelNames } from "./keys";

export interface LogRow {
  request_id: string;
  call_type: string;
  api_key: string;
  spend: number;
  total_tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
  startTime: string;
  endTime: string;
  duration_ms: number;
  model: string;
  model_id: string | null;
  model_group: string;
  custom_llm_provider: string | null;
  api_base: string | null;
  user: string | null;
  team_id: string | null;
  status: string;
  request_tags: string[];
  metadata: Record<string, unknown>;
  messages: unknown;
  response: unknown;
}

interface LogPage {
  data: LogRow[];
  total: number;
  page: number;
  total_pages: number;
}

/** A datetime-local value (viewer's time) as the UTC "YYYY-MM-DD HH:MM:SS" LiteLLM's log route takes. */
const toUtc = (local: string) => (local ? new Date(local).toISOString().slice(0, 19).replace("T", " ") : undefined);

const keyOf = (r: LogRow) => (r.metadata?.user_api_key_alias as string | undefined) ?? `${r.api_key.slice(0, 10)}…`;

export function Logs(props: { session: Session }) {
  const admin = props.session.role === "admin";
  const models = useModelNames();
  const [filters, setFilters] = useState({ key: new URLSearchParams(location.hash.split("?")[1]).get("key") ?? "", model: "", status: "", from: "", to: "" });
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<LogRow | null>(null);
  const set = (k: keyof typeof filters, v: string) => {
    setFilters((f) => ({ ...f, [k]: v }));
    setPage(1);
  };
  const key = filters.key.trim();
  const path = withQuery("/spend/logs/ui", {
    ...(key.startsWith("sk-") || /^[0-9a-f]{64}$/.test(key) ? { api_key: key } : { key_alias: key }),
    model: filters.model,
    status_filter: filters.status,
    start_date: toUtc(filters.from),
    end_date: toUtc(filters.to),
    page,
    page_size: 25,
  });
  const { data, error, loading, reload } = useApi<LogPage>(path);

  return (
    <>
      <PageHeader title={admin ? "Logs" : "My logs"}>
        <button onClick={reload}>Refresh</button>
      </PageHeader>
      <div class="filters">
        {admin && <input placeholder="Key alias, key or token" aria-label="Key" value={filters.key} onChange={(e) => set("key", e.currentTarget.value)} />}
        <select aria-label="Model" value={filters.model} onChange={(e) => set("model", e.currentTarget.value)}>
          <option value="">All models</option>
          {models.map((m) => (
            <option value={m}>{m}</option>
          ))}
        </select>
        <select aria-label="Status" value={filters.status} onChange={(e) => set("status", e.currentTarget.value)}>
          <option value="">Any status</option>
          <option value="success">Success</option>
          <option value="failure">Failure</option>
        </select>
        <input type="datetime-local" aria-label="From" value={filters.from} onChange={(e) => set("from", e.currentTarget.value)} />
        <input type="datetime-local" aria-label="To" value={filters.to} onChange={(e) => set("to", e.currentTarget.value)} />
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {loading && !data && <Loading />}
      {data && (
        <DataTable
          head={["Time", "Status", "Key", "Model", "Provider", "#Tokens", "#Spend", "#Duration"]}
          empty="No calls match."
          foot={<PagedFoot total={data.total} noun="call" page={data.page} totalPages={data.total_pages} onPage={setPage} />}
        >
          {data.data.map((r) => (
            <tr class="clickable" data-testid="log-row" onClick={() => setOpen(r)}>
              <td>{when(r.startTime)}</td>
              <td>{r.status === "success" ? <Badge kind="ok">success</Badge> : <Badge kind="bad">{r.status}</Badge>}</td>
              <td>{keyOf(r)}</td>
              <td>{r.model_group}</td>
              <td>{r.custom_llm_provider ?? "–"}</td>
              <td class="num">{num(r.total_tokens)}</td>
              <td class="num">{usd(r.spend)}</td>
              <td class="num">{num(r.duration_ms)} ms</td>
            </tr>
          ))}
        </DataTable>
      )}
      {open && (
        <Modal title={`Call ${open.request_id}`} onClose={() => setOpen(null)} wide>
          <dl class="facts">
            <dt>Time</dt>
            <dd>
              {when(open.startTime)} → {when(open.endTime)} ({num(open.duration_ms)} ms)
            </dd>
            <dt>Key</dt>
            <dd>
              {keyOf(open)} <code class="small">{open.api_key}</code>
            </dd>
            <dt>Model</dt>
            <dd>
              {open.model_group} → {open.custom_llm_provider}/{open.model} {open.model_id && <span class="muted small">({open.model_id})</span>}
            </dd>
            <dt>API base</dt>
            <dd>{open.api_base ?? "–"}</dd>
            <dt>Tokens</dt>
            <dd>
              {num(open.prompt_tokens)} prompt + {num(open.completion_tokens)} completion
            </dd>
            <dt>Spend</dt>
            <dd>{usd(open.spend)}</dd>
            <dt>Team / user</dt>
            <dd>
              {open.team_id ?? "–"} / {open.user ?? "–"}
            </dd>
            <dt>Tags</dt>
            <dd>{open.request_tags.length ? open.request_tags.join(", ") : "–"}</dd>
          </dl>
          {open.messages || open.response ? (
            <div class="grid2">
              <section>
                <h3>Request</h3>
                <Json value={open.messages} />
              </section>
              <section>
                <h3>Answer</h3>
                <Json value={open.response} />
              </section>
            </div>
          ) : (
            <Notice kind="info">
              Prompts and answers are not stored
              {props.session.settings.store_prompts_in_spend_logs ? " for this call." : ": set general_settings.store_prompts_in_spend_logs: true to keep them."}
            </Notice>
          )}
          <h3>Metadata</h3>
          <Json value={open.metadata} />
        </Modal>
      )}
    </>
  );
}
