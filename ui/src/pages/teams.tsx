// Teams (/team/*): budgets and limits shared by all their keys, and their members.
import { useState } from "preact/hooks";
import { post, useApi, type Session } from "../api";
import { Badge, BudgetBar, Confirm, DataTable, Field, LimitsCell, ListTop, Loading, Modal, Notice, RowActions, usePageDialog } from "../components";
import { EntityForm, type FieldSpec } from "../form";
import { LIMIT_SPECS, METADATA_SPEC, modelsSpec, type Limited } from "../limits";
import { useModelNames } from "./keys";

interface Team extends Limited {
  team_id: string;
  team_alias: string | null;
  blocked: boolean;
  members_with_roles: { user_id: string; role: string }[];
}

const teamSpecs = (models: string[]): FieldSpec[] => [
  { name: "team_alias", label: "Name", kind: "text" },
  { name: "team_id", label: "Team id", kind: "text", createOnly: true, hint: "Optional: generated when empty" },
  modelsSpec(models),
  ...LIMIT_SPECS,
  METADATA_SPEC,
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
              <td class="num row-actions">
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
  const { dialog, setDialog, message, close, done } = usePageDialog<{ kind: "create" } | { kind: "edit" | "members" | "delete"; team: Team }>(reload);
  // The open team as last loaded (members change while its dialog is open).
  const current = dialog && dialog.kind !== "create" ? (data?.find((t) => t.team_id === dialog.team.team_id) ?? dialog.team) : undefined;

  return (
    <>
      <ListTop title="Teams" create="Create team" onCreate={() => setDialog({ kind: "create" })} message={message} error={error} />
      {!data ? (
        <Loading />
      ) : (
        <DataTable head={["Team", "Spend / budget", "Limits", "Models", "#Members", "Status", ""]} empty="No teams yet.">
          {data.map((t) => (
            <tr>
              <td>
                <div>{teamName(t)}</div>
                <div class="muted small">{t.team_id}</div>
              </td>
              <td>
                <BudgetBar spend={t.spend} max={t.max_budget} />
              </td>
              <LimitsCell rpm={t.rpm_limit} tpm={t.tpm_limit} />
              <td class="small">{t.models.length ? t.models.join(", ") : <span class="muted">all</span>}</td>
              <td class="num">{t.members_with_roles.length}</td>
              <td>{t.blocked ? <Badge kind="bad">blocked</Badge> : <Badge kind="ok">active</Badge>}</td>
              <RowActions onEdit={() => setDialog({ kind: "edit", team: t })} onDelete={() => setDialog({ kind: "delete", team: t })}>
                <button onClick={() => setDialog({ kind: "members", team: t })}>Members</button>
              </RowActions>
            </tr>
          ))}
        </DataTable>
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
