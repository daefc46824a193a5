// Teams (/team/*): budgets and limits shared by all their keys, and their members.
import { useState } from "preact/hooks";
import { post, useApi, type Session } from "../api";
import { Badge, BudgetBar, Confirm, Field, Loading, Modal, Notice, PageHeader } from "../components";
import { EntityForm, type FieldSpec } from "../form";
import { limit } from "../format";
import { useModelNames } from "./keys";

interface Team {
  team_id: string;
  team_alias: string | null;
  models: string[];
  max_budget: number | null;
  spend: number;
  budget_duration: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  metadata: Record<string, unknown>;
  blocked: boolean;
  members_with_roles: { user_id: string; role: string }[];
}

const teamSpecs = (models: string[]): FieldSpec[] => [
  { name: "team_alias", label: "Name", kind: "text" },
  { name: "team_id", label: "Team id", kind: "text", createOnly: true, hint: "Optional: generated when empty" },
  { name: "models", label: "Models", kind: "models", options: models, hint: "None checked: every model" },
  { name: "max_budget", label: "Max budget (USD)", kind: "number" },
  { name: "budget_duration", label: "Budget resets every", kind: "text", placeholder: "30d" },
  { name: "rpm_limit", label: "Requests / minute", kind: "number" },
  { name: "tpm_limit", label: "Tokens / minute", kind: "number" },
  { name: "max_parallel_requests", label: "Parallel requests", kind: "number" },
  { name: "metadata", label: "Metadata", kind: "json", emptyValue: {} },
  { name: "blocked", label: "Blocked", kind: "bool" },
];

const teamName = (t: Team) => t.team_alias ?? t.team_id;

function Members(props: { team: Team; changed: () => void }) {
  const [userId, setUserId] = useState("");
  const [role, setRole] = useState("user");
  const [error, setError] = useState<string>();
  const run = (work: Promise<unknown>) => work.then(props.changed, (err: Error) => setError(err.message));
  const add = (e: Event) => {
    e.preventDefault();
    const member = userId.includes("@") ? { user_email: userId.trim(), role } : { user_id: userId.trim(), role };
    run(post("/team/member_add", { team_id: props.team.team_id, member }).then(() => setUserId("")));
  };
  return (
    <>
      <table>
        <thead>
          <tr>
            <th>User</th>
            <th>Role</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.team.members_with_roles.length === 0 && (
            <tr>
              <td colSpan={3} class="muted">
                No members.
              </td>
            </tr>
          )}
          {props.team.members_with_roles.map((m) => (
            <tr>
              <td>{m.user_id}</td>
              <td>{m.role}</td>
              <td class="row-actions">
                <button class="danger" onClick={() => run(post("/team/member_delete", { team_id: props.team.team_id, user_id: m.user_id }))}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="inline-form" onSubmit={add}>
        <Field label="User id or email">
          <input value={userId} onInput={(e) => setUserId(e.currentTarget.value)} required />
        </Field>
        <Field label="Role">
          <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
        </Field>
        <button class="primary" type="submit">
          Add member
        </button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
    </>
  );
}

export function Teams(_props: { session: Session }) {
  const { data, error, reload } = useApi<Team[]>("/team/list");
  const models = useModelNames();
  const [dialog, setDialog] = useState<{ kind: "create" } | { kind: "edit" | "members" | "delete"; team: Team } | null>(null);
  const [message, setMessage] = useState<string>();
  const close = () => setDialog(null);
  const done = (text: string) => {
    setMessage(text);
    close();
    reload();
  };
  const current = dialog && dialog.kind !== "create" ? (data?.find((t) => t.team_id === dialog.team.team_id) ?? dialog.team) : undefined;

  return (
    <>
      <PageHeader title="Teams">
        <button class="primary" onClick={() => setDialog({ kind: "create" })}>
          + Create team
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
                <th>Team</th>
                <th>Spend / budget</th>
                <th>Limits</th>
                <th>Models</th>
                <th class="num">Members</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.length === 0 && (
                <tr>
                  <td colSpan={7} class="muted">
                    No teams yet.
                  </td>
                </tr>
              )}
              {data.map((t) => (
                <tr>
                  <td>
                    <div>{teamName(t)}</div>
                    <div class="muted small">{t.team_id}</div>
                  </td>
                  <td>
                    <BudgetBar spend={t.spend} max={t.max_budget} />
                  </td>
                  <td class="small nowrap">
                    <div>{limit(t.rpm_limit, "rpm")}</div>
                    <div>{limit(t.tpm_limit, "tpm")}</div>
                  </td>
                  <td class="small">{t.models.length ? t.models.join(", ") : <span class="muted">all</span>}</td>
                  <td class="num">{t.members_with_roles.length}</td>
                  <td>{t.blocked ? <Badge kind="bad">blocked</Badge> : <Badge kind="ok">active</Badge>}</td>
                  <td class="row-actions">
                    <button onClick={() => setDialog({ kind: "members", team: t })}>Members</button>
                    <button onClick={() => setDialog({ kind: "edit", team: t })}>Edit</button>
                    <button class="danger" onClick={() => setDialog({ kind: "delete", team: t })}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {dialog?.kind === "create" && (
        <Modal title="Create team" onClose={close} wide>
          <EntityForm specs={teamSpecs(models)} submitLabel="Create team" onCancel={close} onSubmit={async (body) => done(`Team ${teamName(await post<Team>("/team/new", body))} created.`)} />
        </Modal>
      )}
      {dialog?.kind === "edit" && current && (
        <Modal title={`Edit ${teamName(current)}`} onClose={close} wide>
          <EntityForm
            specs={teamSpecs(models)}
            initial={current as unknown as Record<string, unknown>}
            submitLabel="Save"
            onCancel={close}
            onSubmit={async (body) => done(`Team ${teamName(await post<Team>("/team/update", { ...body, team_id: current.team_id }))} saved.`)}
          />
        </Modal>
      )}
      {dialog?.kind === "members" && current && (
        <Modal title={`Members of ${teamName(current)}`} onClose={close}>
          <Members team={current} changed={reload} />
        </Modal>
      )}
      {dialog?.kind === "delete" && current && (
        <Confirm
          title="Delete team"
          message={`Delete ${teamName(current)}? Its keys are deleted with it.`}
          action="Delete"
          onClose={close}
          onConfirm={async () => done(`Team ${teamName(current)} deleted (${(await post<{ deleted_keys: number }>("/team/delete", { team_ids: [current.team_id] })).deleted_keys} keys).`)}
        />
      )}
    </>
  );
}
