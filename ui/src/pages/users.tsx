// Internal users (/user/*): budgets and limits across all their keys; /user/new also makes a key
// (shown once) unless told not to.
import { useState } from "preact/hooks";
import { post, useApi, withQuery, type Session } from "../api";
import { BudgetBar, Confirm, DataTable, LimitsCell, ListTop, Loading, Modal, PagedFoot, RowActions, ShownOnceDialog, usePageDialog } from "../components";
import { EntityForm, type FieldSpec } from "../form";
import { LIMIT_SPECS, METADATA_SPEC, modelsSpec, type Limited } from "../limits";
import { useModelNames, useTeamOptions } from "./keys";

interface User extends Limited {
  user_id: string;
  user_email: string | null;
  user_alias: string | null;
  user_role: string;
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
    modelsSpec(models),
    ...LIMIT_SPECS,
    METADATA_SPEC,
    { name: "auto_create_key", label: "Create a key for this user", kind: "bool", createOnly: true },
  ];
}

const userName = (u: Pick<User, "user_alias" | "user_email" | "user_id">) => u.user_alias ?? u.user_email ?? u.user_id;

export function Users(_props: { session: Session }) {
  const [page, setPage] = useState(1);
  const { data, error, reload } = useApi<{ users: User[]; total: number; page: number; total_pages: number }>(withQuery("/user/list", { page, page_size: 25 }));
  const models = useModelNames();
  const teams = useTeamOptions();
  const { dialog, setDialog, message, close, done } = usePageDialog<{ kind: "create" } | { kind: "edit" | "delete"; user: User } | { kind: "shown"; title: string; key: string }>(reload);

  return (
    <>
      <ListTop title="Users" create="Create user" onCreate={() => setDialog({ kind: "create" })} message={message} error={error} />
      {!data ? (
        <Loading />
      ) : (
        <DataTable
          head={["User", "Role", "Teams", "Spend / budget", "Limits", ""]}
          empty="No users yet."
          foot={<PagedFoot total={data.total} noun="user" page={data.page} totalPages={data.total_pages} onPage={setPage} />}
        >
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
              <LimitsCell rpm={u.rpm_limit} tpm={u.tpm_limit} />
              <RowActions onEdit={() => setDialog({ kind: "edit", user: u })} onDelete={() => setDialog({ kind: "delete", user: u })} />
            </tr>
          ))}
        </DataTable>
      )}
      {dialog?.kind === "create" && (
        <Modal title="Create user" onClose={close} wide>
          <EntityForm
            specs={userSpecs(models, teams)}
            submitLabel="Create user"
            onCancel={close}
            onSubmit={async (body) => {
              const created = await post<User & { key?: string }>("/user/new", { auto_create_key: false, ...body });
              if (!created.key) return done(`User ${userName(created)} created.`);
              reload();
              setDialog({ kind: "shown", title: `Key for ${userName(created)}`, key: created.key });
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
      {dialog?.kind === "shown" && <ShownOnceDialog title={dialog.title} value={dialog.key} onClose={close} />}
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
