// Every model group and deployment: provider, prices, limits, health and cooldown state; a health
// check on demand. With general_settings.store_model_in_db, admins add, edit and delete models through
// LiteLLM's /model/new, /model/update and /model/delete (stored in D1, served at once); config.yaml's
// models change with the file.
import { useState } from "preact/hooks";
import { api, post, useApi, withQuery, type Session } from "../api";
import { Badge, Confirm, DataTable, Loading, Modal, Notice, PageHeader, RowActions } from "../components";
import { EntityForm, type FieldSpec } from "../form";
import { limit, num, when } from "../format";

interface Deployment {
  model_name: string;
  model_id: string;
  provider: string;
  model: string;
  api_base: string | null;
  mode: string;
  price: { input_cost_per_token: number | null; output_cost_per_token: number | null; source: string };
  limits: { rpm: number | null; tpm: number | null; max_parallel_requests: number | null; timeout: number | null };
  max_input_tokens: number | null;
  max_output_tokens: number | null;
  cooldown: { until: string; status: number; reason: string } | null;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown>;
  source: string;
}

interface HealthEntry {
  model_id: string;
  error?: string;
}
interface Health {
  healthy_endpoints: HealthEntry[];
  unhealthy_endpoints: HealthEntry[];
}

const perMillion = (p: number | null) => (p === null ? "?" : `$${(p * 1e6).toFixed(p * 1e6 >= 1 ? 2 : 4).replace(/\.?0+$/, "")}`);

const modelSpecs: FieldSpec[] = [
  { name: "model_name", label: "Public name (model group)", kind: "text", placeholder: "gpt-4o" },
  { name: "model", label: "Provider/model", kind: "text", placeholder: "openai/gpt-4o" },
  { name: "api_base", label: "API base", kind: "text", placeholder: "https://api.openai.com/v1" },
  { name: "api_key", label: "API key", kind: "password", hint: "Or os.environ/NAME; editing: empty keeps the stored one" },
  { name: "input_cost_per_token", label: "Input price per token (USD)", kind: "number", placeholder: "0.0000025" },
  { name: "output_cost_per_token", label: "Output price per token (USD)", kind: "number", placeholder: "0.00001" },
  { name: "rpm", label: "Requests / minute", kind: "number" },
  { name: "tpm", label: "Tokens / minute", kind: "number" },
  { name: "max_parallel_requests", label: "Parallel requests", kind: "number" },
  { name: "timeout", label: "Timeout (s)", kind: "number" },
  { name: "mock_response", label: "Mock response", kind: "text", hint: "Answer with this text, no upstream" },
  { name: "model_info", label: "model_info", kind: "json", placeholder: '{"mode": "chat", "max_input_tokens": 128000}', emptyValue: {} },
];

/** model_info without what the gateway sets (its id, db_model): the form edits the rest. */
function withoutServerFields(info: Record<string, unknown>) {
  const { id: _id, db_model: _db, ...rest } = info;
  return rest;
}

/** The flat form as LiteLLM's {model_name, litellm_params, model_info}. */
function modelBody(flat: Record<string, unknown>) {
  const { model_name, model_info, ...params } = flat;
  const litellm_params = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null && v !== undefined));
  return { model_name, litellm_params, model_info: (model_info as Record<string, unknown> | null) ?? {} };
}

export function Models(props: { session: Session }) {
  const admin = props.session.role === "admin";
  const { data, error, reload } = useApi<{ data: Deployment[]; wildcard_patterns: string[]; routing_strategy: string; store_model_in_db: boolean }>("/ui/api/models");
  const [health, setHealth] = useState<Map<string, HealthEntry & { healthy: boolean }>>(new Map());
  const [checking, setChecking] = useState<string | null>(null);
  const [checkedAt, setCheckedAt] = useState<string>();
  const [healthError, setHealthError] = useState<string>();
  const [dialog, setDialog] = useState<{ kind: "add" } | { kind: "edit" | "delete"; d: Deployment } | null>(null);
  const [message, setMessage] = useState<string>();
  const close = () => setDialog(null);

  const check = async (model?: string) => {
    setChecking(model ?? "*");
    setHealthError(undefined);
    try {
      const result = await api<Health>(withQuery("/health", { model }));
      setHealth((old) => {
        const next = new Map(old);
        for (const e of result.healthy_endpoints) next.set(e.model_id, { ...e, healthy: true });
        for (const e of result.unhealthy_endpoints) next.set(e.model_id, { ...e, healthy: false });
        return next;
      });
      setCheckedAt(new Date().toISOString());
      reload(); // a healthy probe ends a cooldown
    } catch (err) {
      setHealthError((err as Error).message);
    }
    setChecking(null);
  };

  return (
    <>
      <PageHeader title="Models">
        {admin && (
          <>
            <button disabled={checking !== null} onClick={() => check()}>
              {checking === "*" ? "Checking…" : "Run health check"}
            </button>
            {data?.store_model_in_db && (
              <button class="primary" onClick={() => setDialog({ kind: "add" })}>
                + Add model
              </button>
            )}
          </>
        )}
      </PageHeader>
      {message && <Notice kind="info">{message}</Notice>}
      {(error || healthError) && <Notice kind="error">{error ?? healthError}</Notice>}
      {!data ? (
        <Loading />
      ) : (
        <>
          <p class="muted small">
            Routing: {data.routing_strategy}
            {data.wildcard_patterns.length > 0 && ` · wildcard names: ${data.wildcard_patterns.join(", ")}`}
            {checkedAt && ` · health checked ${when(checkedAt)}`}
            {admin && !data.store_model_in_db && " · models come from config.yaml (set general_settings.store_model_in_db: true to add and edit them here)"}
          </p>
          <DataTable head={["Model group", "Deployment", "Price in / out per 1M", "Limits", "Context", "Health", "Cooldown", ...(admin ? [""] : [])]} empty="No models in the config.">
            {data.data.map((d) => {
              const h = health.get(d.model_id);
              return (
                <tr data-testid="deployment-row">
                  <td>
                    <strong>{d.model_name}</strong>
                    <div class="muted small">{d.mode}</div>
                  </td>
                  <td>
                    <div>
                      <Badge>{d.provider}</Badge> {d.model}
                    </div>
                    <div class="muted small">{d.api_base ?? ""}</div>
                    <div class="muted small" title={d.model_id}>
                      id {d.model_id.slice(0, 12)} · {d.source}
                    </div>
                  </td>
                  <td>
                    {perMillion(d.price.input_cost_per_token)} / {perMillion(d.price.output_cost_per_token)}
                    <div class="muted small">{d.price.source}</div>
                  </td>
                  <td class="small nowrap">
                    <div>{limit(d.limits.rpm, "rpm")}</div>
                    <div>{limit(d.limits.tpm, "tpm")}</div>
                    {d.limits.max_parallel_requests !== null && <div>{num(d.limits.max_parallel_requests)} parallel</div>}
                  </td>
                  <td class="small">
                    {d.max_input_tokens ? `${num(d.max_input_tokens)} in` : "–"}
                    {d.max_output_tokens ? ` / ${num(d.max_output_tokens)} out` : ""}
                  </td>
                  <td>
                    {h ? h.healthy ? <Badge kind="ok">healthy</Badge> : <Badge kind="bad">unhealthy</Badge> : <span class="muted">not checked</span>}
                    {h?.error && <div class="small error-text">{h.error}</div>}
                    {admin && (
                      <div>
                        <button class="link small" disabled={checking !== null} onClick={() => check(d.model_name)}>
                          {checking === d.model_name ? "checking…" : "check"}
                        </button>
                      </div>
                    )}
                  </td>
                  <td>
                    {d.cooldown ? (
                      <>
                        <Badge kind="warn">cooling down</Badge>
                        <div class="small muted">
                          until {when(d.cooldown.until)} ({d.cooldown.reason})
                        </div>
                      </>
                    ) : (
                      <span class="muted">–</span>
                    )}
                  </td>
                  {admin &&
                    (d.source === "db" ? (
                      <RowActions onEdit={() => setDialog({ kind: "edit", d })} onDelete={() => setDialog({ kind: "delete", d })} />
                    ) : (
                      <td class="muted small">config.yaml</td>
                    ))}
                </tr>
              );
            })}
          </DataTable>
        </>
      )}
      {dialog?.kind === "add" && (
        <Modal title="Add model" onClose={close} wide>
          <EntityForm
            specs={modelSpecs}
            submitLabel="Add model"
            onCancel={close}
            onSubmit={async (flat) => {
              await post("/model/new", modelBody(flat));
              setMessage("Model added.");
              close();
              reload();
            }}
          />
        </Modal>
      )}
      {dialog?.kind === "edit" && (
        <Modal title={`Edit ${dialog.d.model_name}`} onClose={close} wide>
          <EntityForm
            specs={modelSpecs}
            initial={{ ...dialog.d.litellm_params, model_name: dialog.d.model_name, model_info: withoutServerFields(dialog.d.model_info) }}
            submitLabel="Save"
            onCancel={close}
            onSubmit={async (flat) => {
              const body = modelBody(flat);
              await post("/model/update", { ...body, model_info: { ...body.model_info, id: dialog.d.model_id } });
              setMessage("Model saved.");
              close();
              reload();
            }}
          />
        </Modal>
      )}
      {dialog?.kind === "delete" && (
        <Confirm
          title="Delete model"
          message={`Delete deployment ${dialog.d.model_id.slice(0, 12)} of ${dialog.d.model_name}?`}
          action="Delete"
          onClose={close}
          onConfirm={async () => {
            await post("/model/delete", { id: dialog.d.model_id });
            setMessage("Model deleted.");
            close();
            reload();
          }}
        />
      )}
    </>
  );
}
