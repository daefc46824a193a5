// Virtual keys: list with search and paging; create (every /key/generate field), edit, block and
// unblock, regenerate, delete; each key's spend, budget and limits. A new or regenerated key is shown
// once, with a copy button.
import { useEffect, useState } from "preact/hooks";
import { api, post, useApi, withQuery, type Session } from "../api";
import { Badge, BudgetBar, Confirm, Loading, Modal, Notice, PageHeader, Pager, ShownOnce } from "../components";
import { EntityForm, type FieldSpec } from "../form";
import { count, limit, when } from "../format";
import { KeyDetails } from "./key-details";

export interface Key {
  token: string;
  key_name: string;
  key_alias: string | null;
  spend: number;
  max_budget: number | null;
  soft_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  expires: string | null;
  models: string[];
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  model_max_budget: Record<string, unknown>;
  model_rpm_limit: Record<string, number>;
  model_tpm_limit: Record<string, number>;
  model_spend: Record<string, number>;
  metadata: Record<string, unknown>;
  tags: string[];
  user_id: string | null;
  team_id: string | null;
  blocked: boolean;
  created_at: string;
}

interface KeyList {
  keys: Key[];
  total_count: number;
  current_page: number;
  total_pages: number;
}

export const keyLabel = (k: Pick<Key, "key_alias" | "key_name">) => k.key_alias ?? k.key_name;

/** Model names for the pickers: every group the signed-in session may use. */
export function useModelNames(): string[] {
  const { data } = useApi<{ data: { id: string }[] }>("/v1/models");
  return (data?.data ?? []).map((m) => m.id);
}

export function useTeamOptions(): { value: string; label: string }[] {
  const { data } = useApi<{ team_id: string; team_alias: string | null }[]>("/team/list");
  return (data ?? []).map((t) => ({ value: t.team_id, label: t.team_alias ?? t.team_id }));
}

function keySpecs(models: string[], teams: { value: string; label: string }[]): FieldSpec[] {
  return [
    { name: "key_alias", label: "Alias", kind: "text", placeholder: "agent-1" },
    { name: "key", label: "Custom key", kind: "password", createOnly: true, hint: "Optional: sk- and 22+ characters; generated when empty" },
    { name: "team_id", label: "Team", kind: "select", options: teams },
    { name: "user_id", label: "User id", kind: "text" },
    { name: "models", label: "Models", kind: "models", options: models, hint: "None checked: every model (or the team's)" },
    { name: "max_budget", label: "Max budget (USD)", kind: "number" },
    { name: "budget_duration", label: "Budget resets every", kind: "text", placeholder: "30d", hint: "30s, 30m, 30h, 30d, 1w, 1mo" },
    { name: "soft_budget", label: "Soft budget (USD)", kind: "number" },
    { name: "duration", label: "Expires in", kind: "text", placeholder: "never", omitEmpty: true, hint: "From now: 30d, 1mo…; editing: empty keeps the current expiry" },
    { name: "rpm_limit", label: "Requests / minute", kind: "number" },
    { name: "tpm_limit", label: "Tokens / minute", kind: "number" },
    { name: "max_parallel_requests", label: "Parallel requests", kind: "number" },
    { name: "tags", label: "Tags", kind: "list", placeholder: "agents, ci" },
    { name: "model_max_budget", label: "Budget per model", kind: "json", placeholder: '{"gpt-4o": {"budget_limit": 10, "time_period": "1d"}}' },
    { name: "model_rpm_limit", label: "Requests / minute per model", kind: "json", placeholder: '{"gpt-4o": 60}' },
    { name: "model_tpm_limit", label: "Tokens / minute per model", kind: "json", placeholder: '{"gpt-4o": 100000}' },
    { name: "metadata", label: "Metadata", kind: "json", placeholder: '{"owner": "ci"}', emptyValue: {} },
    { name: "blocked", label: "Blocked", kind: "bool" },
  ];
}

type Dialog =
  | { kind: "create" }
  | { kind: "edit"; key: Key }
  | { kind: "details"; key: Key }
  | { kind: "shown"; title: string; key: string }
  | { kind: "confirm"; title: string; message: string; action: string; run: () => Promise<unknown> };

export function Keys(_props: { session: Session }) {
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [page, setPage] = useState(1);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [message, setMessage] = useState<string>();
  const models = useModelNames();
  const teams = useTeamOptions();
  useEffect(() => {
    const t = setTimeout(() => {
      setQuery(search.trim());
      setPage(1);
    }, 250);
    return () => clearTimeout(t);
  }, [search]);
  const { data, error, reload } = useApi<KeyList>(withQuery("/key/list", { return_full_object: true, page, size: 20, search: query }));
  const close = () => setDialog(null);
  const done = (text: string) => {
    setMessage(text);
    close();
    reload();
  };

  const act = (k: Key, action: "block" | "unblock" | "regenerate" | "delete") => {
    const name = keyLabel(k);
    if (action === "block" || action === "unblock") {
      post(`/key/${action}`, { key: k.token }).then(() => {
        setMessage(`Key ${name} ${action}ed.`);
        reload();
      }, (err: Error) => setMessage(err.message));
      return;
    }
    if (action === "delete")
      setDialog({ kind: "confirm", title: "Delete key", message: `Delete ${name}? Calls with it stop working at once.`, action: "Delete", run: () => post("/key/delete", { keys: [k.token] }).then(() => done(`Key ${name} deleted.`)) });
    else
      setDialog({
        kind: "confirm",
        title: "Regenerate key",
        message: `Make a new key for ${name}? The old key stops working at once; settings and spend carry over.`,
        action: "Regenerate",
        run: async () => {
          const res = await post<{ key: string }>("/key/regenerate", { key: k.token });
          reload();
          setDialog({ kind: "shown", title: `New key for ${name}`, key: res.key });
        },
      });
  };

  return (
    <>
      <PageHeader title="Virtual keys">
        <input type="search" class="search" placeholder="Search alias, name, user or team" aria-label="Search keys" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        <button class="primary" onClick={() => setDialog({ kind: "create" })}>
          + Create key
        </button>
      </PageHeader>
      {message && <Notice kind="info">{message}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      {!data ? (
        <Loading />
      ) : (
        <section class="card flush">
          <table class="keys">
            <thead>
              <tr>
                <th>Key</th>
                <th>Team / user</th>
                <th>Spend / budget</th>
                <th>Limits</th>
                <th>Models</th>
                <th>Expires</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.keys.length === 0 && (
                <tr>
                  <td colSpan={8} class="muted">
                    {query ? "No key matches." : "No keys yet: create one."}
                  </td>
                </tr>
              )}
              {data.keys.map((k) => (
                <tr data-testid="key-row">
                  <td>
                    <button class="link" onClick={() => setDialog({ kind: "details", key: k })}>
                      {keyLabel(k)}
                    </button>
                    <div class="muted small">{k.key_name}</div>
                  </td>
                  <td>
                    <div>{k.team_id ?? "–"}</div>
                    <div class="muted small">{k.user_id ?? ""}</div>
                  </td>
                  <td>
                    <BudgetBar spend={k.spend} max={k.max_budget} />
                    {k.budget_duration && <div class="muted small">resets every {k.budget_duration}</div>}
                  </td>
                  <td class="small nowrap">
                    <div>{limit(k.rpm_limit, "rpm")}</div>
                    <div>{limit(k.tpm_limit, "tpm")}</div>
                  </td>
                  <td class="small">{k.models.length ? k.models.join(", ") : <span class="muted">all</span>}</td>
                  <td class="small">{k.expires ? when(k.expires) : <span class="muted">never</span>}</td>
                  <td>{k.blocked ? <Badge kind="bad">blocked</Badge> : <Badge kind="ok">active</Badge>}</td>
                  <td class="row-actions">
                    <button onClick={() => setDialog({ kind: "edit", key: k })}>Edit</button>
                    <button onClick={() => act(k, k.blocked ? "unblock" : "block")}>{k.blocked ? "Unblock" : "Block"}</button>
                    <button onClick={() => act(k, "regenerate")}>Regenerate</button>
                    <button class="danger" onClick={() => act(k, "delete")}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="table-foot">
            <span class="muted">{count(data.total_count, "key")}</span>
            <Pager page={data.current_page} totalPages={data.total_pages} onPage={setPage} />
          </div>
        </section>
      )}

      {dialog?.kind === "create" && (
        <Modal title="Create key" onClose={close} wide>
          <EntityForm
            specs={keySpecs(models, teams)}
            submitLabel="Create key"
            onCancel={close}
            onSubmit={async (body) => {
              const created = await post<Key & { key: string }>("/key/generate", body);
              reload();
              setDialog({ kind: "shown", title: `Key ${keyLabel(created)} created`, key: created.key });
            }}
          />
        </Modal>
      )}
      {dialog?.kind === "edit" && (
        <Modal title={`Edit ${keyLabel(dialog.key)}`} onClose={close} wide>
          <EntityForm
            specs={keySpecs(models, teams)}
            initial={dialog.key as unknown as Record<string, unknown>}
            submitLabel="Save"
            onCancel={close}
            onSubmit={async (body) => {
              await post("/key/update", { ...body, key: dialog.key.token });
              done(`Key ${keyLabel(dialog.key)} saved.`);
            }}
          />
        </Modal>
      )}
      {dialog?.kind === "details" && (
        <Modal title={keyLabel(dialog.key)} onClose={close} wide>
          <KeyDetails token={dialog.key.token} />
        </Modal>
      )}
      {dialog?.kind === "shown" && (
        <Modal title={dialog.title} onClose={close}>
          <ShownOnce label="Key" value={dialog.key} />
          <div class="actions">
            <button class="primary" onClick={close}>
              Done
            </button>
          </div>
        </Modal>
      )}
      {dialog?.kind === "confirm" && <Confirm title={dialog.title} message={dialog.message} action={dialog.action} onConfirm={async () => void (await dialog.run())} onClose={close} />}
    </>
  );
}

export const fetchKeyInfo = (token?: string) => api<{ key: string; info: Key }>(withQuery("/key/info", { key: token }));
