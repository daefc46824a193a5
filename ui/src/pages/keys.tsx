// Virtual keys: list with search and paging; create (every /key/generate field), edit, block and
// unblock, regenerate, delete; each key's spend, budget and limits. A new or regenerated key is shown
// once, with a copy button.
import { useEffect, useState } from "preact/hooks";
import { post, useApi, withQuery, type Session } from "../api";
import { Badge, BudgetBar, Confirm, DataTable, LimitsCell, ListTop, Loading, Modal, PagedFoot, RowActions, ShownOnceDialog, usePageDialog } from "../components";
import { EntityForm, type FieldSpec } from "../form";
import { LIMIT_SPECS, METADATA_SPEC, modelsSpec, type Limited } from "../limits";
import { when } from "../format";
import { KeyDetails } from "./key-details";

export interface Key extends Limited {
  token: string;
  key_name: string;
  key_alias: string | null;
  soft_budget: number | null;
  budget_reset_at: string | null;
  expires: string | null;
  model_max_budget: Record<string, unknown>;
  model_rpm_limit: Record<string, number>;
  model_tpm_limit: Record<string, number>;
  model_spend: Record<string, number>;
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
    modelsSpec(models, "None checked: every model (or the team's)"),
    ...LIMIT_SPECS,
    { name: "soft_budget", label: "Soft budget (USD)", kind: "number" },
    { name: "duration", label: "Expires in", kind: "text", placeholder: "never", omitEmpty: true, hint: "From now: 30d, 1mo…; editing: empty keeps the current expiry" },
    { name: "tags", label: "Tags", kind: "list", placeholder: "agents, ci" },
    { name: "model_max_budget", label: "Budget per model", kind: "json", placeholder: '{"gpt-4o": {"budget_limit": 10, "time_period": "1d"}}' },
    { name: "model_rpm_limit", label: "Requests / minute per model", kind: "json", placeholder: '{"gpt-4o": 60}' },
    { name: "model_tpm_limit", label: "Tokens / minute per model", kind: "json", placeholder: '{"gpt-4o": 100000}' },
    METADATA_SPEC,
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
  const { dialog, setDialog, message, setMessage, close, done } = usePageDialog<Dialog>(reload);

  const act = (k: Key, action: "block" | "unblock" | "regenerate" | "delete") => {
    const name = keyLabel(k);
    if (action === "block" || action === "unblock") {
      post(`/key/${action}`, { key: k.token }).then(() => done(`Key ${name} ${action}ed.`), (err: Error) => setMessage(err.message));
    } else if (action === "delete") {
      setDialog({ kind: "confirm", title: "Delete key", message: `Delete ${name}? Calls with it stop working at once.`, action: "Delete", run: () => post("/key/delete", { keys: [k.token] }).then(() => done(`Key ${name} deleted.`)) });
    } else {
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
    }
  };

  return (
    <>
      <ListTop title="Virtual keys" create="Create key" onCreate={() => setDialog({ kind: "create" })} message={message} error={error}>
        <input type="search" class="search" placeholder="Search alias, name, user or team" aria-label="Search keys" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
      </ListTop>
      {!data ? (
        <Loading />
      ) : (
        <DataTable
          head={["Key", "Team / user", "Spend / budget", "Limits", "Models", "Expires", "Status", ""]}
          empty={query ? "No key matches." : "No keys yet: create one."}
          foot={<PagedFoot total={data.total_count} noun="key" page={data.current_page} totalPages={data.total_pages} onPage={setPage} />}
        >
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
              <LimitsCell rpm={k.rpm_limit} tpm={k.tpm_limit} />
              <td class="small">{k.models.length ? k.models.join(", ") : <span class="muted">all</span>}</td>
              <td class="small">{k.expires ? when(k.expires) : <span class="muted">never</span>}</td>
              <td>{k.blocked ? <Badge kind="bad">blocked</Badge> : <Badge kind="ok">active</Badge>}</td>
              <RowActions onEdit={() => setDialog({ kind: "edit", key: k })} onDelete={() => act(k, "delete")}>
                <button onClick={() => act(k, k.blocked ? "unblock" : "block")}>{k.blocked ? "Unblock" : "Block"}</button>
                <button onClick={() => act(k, "regenerate")}>Regenerate</button>
              </RowActions>
            </tr>
          ))}
        </DataTable>
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
            onSubmit={async (body) => done(`Key ${keyLabel(await post<Key>("/key/update", { ...body, key: dialog.key.token }))} saved.`)}
          />
        </Modal>
      )}
      {dialog?.kind === "details" && (
        <Modal title={keyLabel(dialog.key)} onClose={close} wide>
          <KeyDetails token={dialog.key.token} />
        </Modal>
      )}
      {dialog?.kind === "shown" && <ShownOnceDialog title={dialog.title} value={dialog.key} onClose={close} />}
      {dialog?.kind === "confirm" && <Confirm title={dialog.title} message={dialog.message} action={dialog.action} onConfirm={async () => void (await dialog.run())} onClose={close} />}
    </>
  );
}