// Internal users (/user/*): budgets and limits across all their keys; /user/new also makes a key
// (shown once) unless told not to.
import { useState } from "preact/hooks";
import { post, useApi, withQuery, type Session } from "../api";
import { BudgetBar, Confirm, Loading, Modal, Notice, PageHeader, Pager, ShownOnce } from "../components";
import { EntityForm, type FieldSpec } from "../form";
import { count, limit } from "../format";
import { useModelNames, useTeamOptions } from "./keys";

interface User {
  user_id: string;
  user_email: string | null;
  user_alias: string | null;
  user_role: string;
  models: string[];
  max_budget: number | null;
  spend: number;
  budget_duration: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  metadata: Record<string, unknown>;
  teams: string[];
}

const ROLES = ["internal_user", "internal_user_viewer", "proxy_admin", "proxy_admin_viewer"].map((r) => ({ value: r, label: r }));

function userSpecs(models: string[], teams: { value: string; label: string }[]): FieldSpec[] {
  return [
    { name: "user_id", label: "User id", kind: "text", createOnly: true, hint: "Optional: generated when empty" },
    { name: "user_email", label: "Email", kind: "text" },
    { name: "user_alias", label: "Name", kind: "text" },
    { name: "user_role", label: "Role", kind: "select", options: ROLES, omitEmpty: true },
    { name: "teams", label: "Teams", kind: "models", options: teams.map((t) => t.value), createOnly: true, hint: "Team ids" },
    { name: "models", label: "Models", kind: "models", options: models, hint: "None checked: every model" },
    { name: "max_budget", label: "Max budget (USD)", kind: "number" },
    { name: "budget_duration", label: "Budget resets every", kind: "text", placeholder: "30d" },
    { name: "rpm_limit", label: "Requests / minute", kind: "number" },
    { name: "tpm_limit", label: "Tokens / minute", kind: "number" },
    { name: "max_parallel_requests", label: "Parallel requests", kind: "number" },
    { name: "metadata", label: "Metadata", kind: "json", emptyValue: {} },
    { name: "auto_create_key", label: "Create a key for this user", kind: "bool", createOnly: true },
  ];
}

const userName = (u: Pick<User, "user_alias" | "user_email" | "user_id">) => u.user_alias ?? u.user_email ?? u.user_id;

export function Users(_props: { session: Session }) {
  const [page, setPage] = useState(1);
  const { data, error, reload } = useApi<{ users: User[]; total: number; page: number; total_pages: number }>(withQuery("/user/list", { page, page_size: 25 }));
  const models = useModelNames();
  const teams = useTeamOptions();
  const [dialog, setDialog] = useState<{ kind: "create" } | { kind: "edit" | "delete"; user: User } | { kind: "shown"; title: string; key: string } | null>(null);
  const [message, setMessage] = useState<string>();
  const close = () => setDialog(null);
  const done = (text: string) => {
    setMessage(text);
    close();
    reload();
  };

  return (
    <>
      <PageHeader title="Users">
        <button class="primary" onClick={() => setDialog({ kind: "create" })}>
          + Create user
        </button>
      </PageHeader>
      {message && <Notice kind="info">{message}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      {!data ? (
        <Loading />
      ) : (
        <section class="card flush">
          <table>
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th>Teams</th>
                <th>Spend / budget</th>
                <th>Limits</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.users.length === 0 && (
                <tr>
                  <td colSpan={6} class="muted">
                    No users yet.
                  </td>
                </tr>
              )}
              {data.users.map((u) => (
                <tr>
                  <td>
                    <div>{userName(u)}</div>
                    <div class="muted small">{u.user_id}</div>
                  </td>
                  <td>{u.user_role}</td>
                  <td class="small">{u.teams.length ? u.teams.join(", ") : "–"}</td>
                  <td>
                    <BudgetBar spend={u.spend} max={u.max_budget} />
                  </td>
                  <td class="small nowrap">
                    <div>{limit(u.rpm_limit, "rpm")}</div>
                    <div>{limit(u.tpm_limit, "tpm")}</div>
                  </td>
                  <td class="row-actions">
                    <button onClick={() => setDialog({ kind: "edit", user: u })}>Edit</button>
                    <button class="danger" onClick={() => setDialog({ kind: "delete", user: u })}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="table-foot">
            <span class="muted">{count(data.total, "user")}</span>
            <Pager page={data.page} totalPages={data.total_pages} onPage={setPage} />
          </div>
        </section>
      )}
      {dialog?.kind === "create" && (
        <Modal title="Create user" onClose={close} wide>
          <EntityForm
            specs={userSpecs(models, teams)}
            submitLabel="Create user"
            onCancel={close}
            onSubmit={async (body) => {
              const created = await post<User & { key?: string }>("/user/new", { auto_create_key: false, ...body });
              reload();
              if (created.key) setDialog({ kind: "shown", title: `Key for ${userName(created)}`, key: created.key });
              else done(`User ${userName(created)} created.`);
            }}
          />
        </Modal>
      )}
      {dialog?.kind === "edit" && (
        <Modal title={`Edit ${userName(dialog.user)}`} onClose={close} wide>
          <EntityForm
            specs={userSpecs(models, teams)}
            initial={dialog.user as unknown as Record<string, unknown>}
            submitLabel="Save"
            onCancel={close}
            onSubmit={async (body) => done(`User ${userName(await post<User>("/user/update", { ...body, user_id: dialog.user.user_id }))} saved.`)}
          />
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
      {dialog?.kind === "delete" && (
        <Confirm
          title="Delete user"
          message={`Delete ${userName(dialog.user)}? Their keys are deleted with them.`}
          action="Delete"
          onClose={close}
          onConfirm={async () => done(`User ${userName(dialog.user)} deleted (${(await post<{ deleted_keys: number }>("/user/delete", { user_ids: [dialog.user.user_id] })).deleted_keys} keys).`)}
        />
      )}
    </>
  );
}
