// LiteLLM's team and user routes: /team/new|update|delete|info|list, /team/member_add|member_delete,
// /user/new|update|delete|info|list. A change to a team or user re-configures its guard and the
// guards of its keys (their models and limits depend on it).
import { and, count, eq, inArray, sql } from "drizzle-orm";
import { Hono } from "hono";
import type { GatewayEnv } from "../../core/hono-env";
import { database, keys, teamMembers, teams, users, type TeamMemberRow, type TeamRow, type UserRow } from "../../schema/database";
import type { Env } from "../../env";
import { badRequest } from "../../errors";
import { nextBudgetReset } from "../../lib/duration";
import { refreshGuards } from "../../limits/refresh";
import { adminOnly, body, iso, notFound, query } from "./admin";
import { usableMetadata } from "../../keys/config";
import {
  deleteTeamsSchema,
  deleteUsersSchema,
  listUsersQuery,
  memberAddSchema,
  memberDeleteSchema,
  newTeamSchema,
  newUserSchema,
  teamQuery,
  updateTeamSchema,
  updateUserSchema,
  userQuery,
  type MemberInput,
} from "../../keys/fields";
import { applyKeySettings, createKey, keyView, timeZoneOf } from "./keys";

export const teamAndUserRoutes = new Hono<GatewayEnv>();

/** Copies the fields the body set; a new budget_duration starts a new budget period now. */
function patchOf<T extends Record<string, unknown>>(input: T, skip: string[], tz: string): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (v !== undefined && !skip.includes(k)) patch[k] = v;
  if (typeof input.budget_duration === "string") patch.budget_reset_at = nextBudgetReset(input.budget_duration, Date.now(), tz);
  else if (input.budget_duration === null) patch.budget_reset_at = null;
  return patch;
}

const bump = (version: typeof teams.version | typeof users.version) => ({ version: sql`${version} + 1`, updated_at: Date.now() });

function teamView(team: TeamRow, members: TeamMemberRow[]) {
  return {
    team_id: team.team_id,
    team_alias: team.team_alias,
    models: team.models,
    max_budget: team.max_budget,
    spend: team.spend,
    budget_duration: team.budget_duration,
    budget_reset_at: iso(team.budget_reset_at),
    tpm_limit: team.tpm_limit,
    rpm_limit: team.rpm_limit,
    max_parallel_requests: team.max_parallel_requests,
    max_token_budget: team.max_token_budget,
    token_spend: team.token_spend,
    metadata: usableMetadata(team.metadata, `team ${team.team_id}`),
    guardrails: team.guardrails,
    blocked: team.blocked,
    object_permission: team.object_permission ?? null,
    members_with_roles: members.map((m) => ({ user_id: m.user_id, role: m.role })),
    created_at: iso(team.created_at),
    updated_at: iso(team.updated_at),
  };
}

export function userView(user: UserRow, teamIds: string[]) {
  return {
    user_id: user.user_id,
    user_email: user.user_email,
    user_alias: user.user_alias,
    user_role: user.user_role,
    models: user.models,
    max_budget: user.max_budget,
    spend: user.spend,
    budget_duration: user.budget_duration,
    budget_reset_at: iso(user.budget_reset_at),
    tpm_limit: user.tpm_limit,
    rpm_limit: user.rpm_limit,
    max_parallel_requests: user.max_parallel_requests,
    max_token_budget: user.max_token_budget,
    token_spend: user.token_spend,
    metadata: usableMetadata(user.metadata, `user ${user.user_id}`),
    teams: teamIds,
    created_at: iso(user.created_at),
    updated_at: iso(user.updated_at),
  };
}

async function findTeam(env: Env, teamId: string) {
  const db = database(env.DB);
  const [team, members] = await Promise.all([
    db.select().from(teams).where(eq(teams.team_id, teamId)).get(),
    db.select().from(teamMembers).where(eq(teamMembers.team_id, teamId)).all(),
  ]);
  if (!team) throw notFound(`Team '${teamId}'`);
  return { team, members };
}

async function findUser(env: Env, userId: string): Promise<UserRow> {
  const user = await database(env.DB).select().from(users).where(eq(users.user_id, userId)).get();
  if (!user) throw notFound(`User '${userId}'`);
  return user;
}

/** Members by user_id, or by email (an unknown email becomes a new user, as in LiteLLM). */
async function resolveMember(env: Env, m: { user_id?: string; user_email?: string }): Promise<string> {
  const db = database(env.DB);
  const now = Date.now();
  if (m.user_id) {
    await db.insert(users).values({ user_id: m.user_id, user_email: m.user_email ?? null, created_at: now, updated_at: now }).onConflictDoNothing();
    return m.user_id;
  }
  const existing = await db.select({ user_id: users.user_id }).from(users).where(eq(users.user_email, m.user_email!)).get();
  if (existing) return existing.user_id;
  const userId = crypto.randomUUID();
  await db.insert(users).values({ user_id: userId, user_email: m.user_email!, created_at: now, updated_at: now });
  return userId;
}

async function addMembers(env: Env, teamId: string, members: MemberInput[], maxBudgetInTeam: number | null | undefined): Promise<void> {
  const db = database(env.DB);
  for (const m of members) {
    const userId = await resolveMember(env, m);
    await db
      .insert(teamMembers)
      .values({ team_id: teamId, user_id: userId, role: m.role, max_budget_in_team: maxBudgetInTeam ?? null, created_at: Date.now() })
      .onConflictDoUpdate({ target: [teamMembers.team_id, teamMembers.user_id], set: { role: m.role, ...(maxBudgetInTeam !== undefined ? { max_budget_in_team: maxBudgetInTeam } : {}) } });
  }
}

/** Re-configures a team's guard and its keys' guards. */
async function teamChanged(env: Env, teamId: string): Promise<void> {
  const teamKeys = await database(env.DB).select({ token: keys.token }).from(keys).where(eq(keys.team_id, teamId)).all();
  await refreshGuards(env, { teams: [teamId], keys: teamKeys.map((k) => k.token) });
}

async function userChanged(env: Env, userId: string): Promise<void> {
  const userKeys = await database(env.DB).select({ token: keys.token }).from(keys).where(eq(keys.user_id, userId)).all();
  await refreshGuards(env, { users: [userId], keys: userKeys.map((k) => k.token) });
}

// ---------------------------------------------------------------- teams

teamAndUserRoutes.post("/team/new", ...adminOnly, async (c) => {
  const input = await body(c, newTeamSchema);
  const teamId = input.team_id ?? crypto.randomUUID();
  const now = Date.now();
  const db = database(c.env.DB);
  const inserted = await db
    .insert(teams)
    .values({ team_id: teamId, created_at: now, updated_at: now, ...patchOf(input, ["team_id", "members_with_roles"], timeZoneOf(c)) })
    .onConflictDoNothing()
    .returning()
    .get();
  if (!inserted) throw badRequest(`team_id '${teamId}' already exists`, "team_id");
  if (input.members_with_roles?.length) await addMembers(c.env, teamId, input.members_with_roles, undefined);
  await teamChanged(c.env, teamId);
  const { team, members } = await findTeam(c.env, teamId);
  return c.json(teamView(team, members));
});

teamAndUserRoutes.post("/team/update", ...adminOnly, async (c) => {
  const input = await body(c, updateTeamSchema);
  const db = database(c.env.DB);
  const updated = await db.update(teams).set({ ...patchOf(input, ["team_id"], timeZoneOf(c)), ...bump(teams.version) }).where(eq(teams.team_id, input.team_id)).returning().get();
  if (!updated) throw notFound(`Team '${input.team_id}'`);
  await teamChanged(c.env, input.team_id);
  const { team, members } = await findTeam(c.env, input.team_id);
  return c.json(teamView(team, members));
});

teamAndUserRoutes.post("/team/delete", ...adminOnly, async (c) => {
  const { team_ids } = await body(c, deleteTeamsSchema);
  const db = database(c.env.DB);
  const found = await db.select({ team_id: teams.team_id }).from(teams).where(inArray(teams.team_id, team_ids)).all();
  const missing = team_ids.filter((id) => !found.some((t) => t.team_id === id));
  if (missing.length) throw notFound(`Teams ${JSON.stringify(missing)}`);
  // As LiteLLM: a team's keys go with it.
  const teamKeys = await db.select({ token: keys.token }).from(keys).where(inArray(keys.team_id, team_ids)).all();
  await db.batch([
    db.delete(keys).where(inArray(keys.team_id, team_ids)),
    db.delete(teamMembers).where(inArray(teamMembers.team_id, team_ids)),
    db.delete(teams).where(inArray(teams.team_id, team_ids)),
  ]);
  await refreshGuards(c.env, { teams: team_ids, keys: teamKeys.map((k) => k.token) });
  return c.json({ deleted_teams: team_ids, deleted_keys: teamKeys.length });
});

teamAndUserRoutes.get("/team/info", ...adminOnly, async (c) => {
  const { team_id } = query(c, teamQuery);
  const { team, members } = await findTeam(c.env, team_id);
  const teamKeys = await database(c.env.DB).select().from(keys).where(eq(keys.team_id, team_id)).all();
  return c.json({
    team_id,
    team_info: teamView(team, members),
    keys: teamKeys.map((k) => keyView(k)),
    team_memberships: members.map((m) => ({ team_id: m.team_id, user_id: m.user_id, role: m.role, max_budget_in_team: m.max_budget_in_team, spend: m.spend })),
  });
});

teamAndUserRoutes.get("/team/list", ...adminOnly, async (c) => {
  const db = database(c.env.DB);
  const [all, members] = await Promise.all([db.select().from(teams).orderBy(teams.created_at).all(), db.select().from(teamMembers).all()]);
  return c.json(all.map((t) => teamView(t, members.filter((m) => m.team_id === t.team_id))));
});

teamAndUserRoutes.post("/team/member_add", ...adminOnly, async (c) => {
  const input = await body(c, memberAddSchema);
  await findTeam(c.env, input.team_id);
  await addMembers(c.env, input.team_id, Array.isArray(input.member) ? input.member : [input.member], input.max_budget_in_team);
  await database(c.env.DB).update(teams).set(bump(teams.version)).where(eq(teams.team_id, input.team_id));
  await teamChanged(c.env, input.team_id);
  const { team, members } = await findTeam(c.env, input.team_id);
  return c.json(teamView(team, members));
});

teamAndUserRoutes.post("/team/member_delete", ...adminOnly, async (c) => {
  const input = await body(c, memberDeleteSchema);
  const db = database(c.env.DB);
  const userId = input.user_id ?? (await db.select({ user_id: users.user_id }).from(users).where(eq(users.user_email, input.user_email!)).get())?.user_id;
  const removed = userId ? await db.delete(teamMembers).where(and(eq(teamMembers.team_id, input.team_id), eq(teamMembers.user_id, userId))).returning().get() : undefined;
  if (!removed) throw notFound(`Member '${input.user_id ?? input.user_email}' of team '${input.team_id}'`);
  await db.update(teams).set(bump(teams.version)).where(eq(teams.team_id, input.team_id));
  await teamChanged(c.env, input.team_id);
  const { team, members } = await findTeam(c.env, input.team_id);
  return c.json(teamView(team, members));
});

// ---------------------------------------------------------------- users

teamAndUserRoutes.post("/user/new", ...adminOnly, async (c) => {
  const input = await body(c, newUserSchema);
  const userId = input.user_id ?? crypto.randomUUID();
  const now = Date.now();
  const db = database(c.env.DB);
  for (const teamId of input.teams ?? []) await findTeam(c.env, teamId);
  const inserted = await db
    .insert(users)
    .values({ user_id: userId, created_at: now, updated_at: now, ...patchOf(input, ["user_id", "teams", "auto_create_key", "key_alias", "duration", "send_invite_email"], timeZoneOf(c)) })
    .onConflictDoNothing()
    .returning()
    .get();
  if (!inserted) throw badRequest(`user_id '${userId}' already exists`, "user_id");
  for (const teamId of input.teams ?? []) {
    await addMembers(c.env, teamId, [{ user_id: userId, role: "user" }], undefined);
    await db.update(teams).set(bump(teams.version)).where(eq(teams.team_id, teamId));
    await teamChanged(c.env, teamId);
  }
  let created: { key: string; key_name: string; token: string } | undefined;
  if (input.auto_create_key) {
    const fields = applyKeySettings({ user_id: userId, models: input.models, key_alias: input.key_alias, duration: input.duration }, c.var.runtime.config.litellm_settings, now);
    const { key, row } = await createKey(c.env, fields, now, timeZoneOf(c));
    created = { key, key_name: row.key_name, token: row.token };
  }
  await userChanged(c.env, userId);
  return c.json({ ...userView(await findUser(c.env, userId), input.teams ?? []), ...(created ?? {}) });
});

teamAndUserRoutes.post("/user/update", ...adminOnly, async (c) => {
  const input = await body(c, updateUserSchema);
  const updated = await database(c.env.DB).update(users).set({ ...patchOf(input, ["user_id"], timeZoneOf(c)), ...bump(users.version) }).where(eq(users.user_id, input.user_id)).returning().get();
  if (!updated) throw notFound(`User '${input.user_id}'`);
  await userChanged(c.env, input.user_id);
  return c.json(userView(updated, await teamsOf(c.env, input.user_id)));
});

teamAndUserRoutes.post("/user/delete", ...adminOnly, async (c) => {
  const { user_ids } = await body(c, deleteUsersSchema);
  const db = database(c.env.DB);
  const found = await db.select({ user_id: users.user_id }).from(users).where(inArray(users.user_id, user_ids)).all();
  const missing = user_ids.filter((id) => !found.some((u) => u.user_id === id));
  if (missing.length) throw notFound(`Users ${JSON.stringify(missing)}`);
  const [userKeys, memberships] = await Promise.all([
    db.select({ token: keys.token }).from(keys).where(inArray(keys.user_id, user_ids)).all(),
    db.select({ team_id: teamMembers.team_id }).from(teamMembers).where(inArray(teamMembers.user_id, user_ids)).all(),
  ]);
  await db.batch([
    db.delete(keys).where(inArray(keys.user_id, user_ids)),
    db.delete(teamMembers).where(inArray(teamMembers.user_id, user_ids)),
    db.delete(users).where(inArray(users.user_id, user_ids)),
  ]);
  const teamIds = [...new Set(memberships.map((m) => m.team_id))];
  if (teamIds.length) await db.update(teams).set(bump(teams.version)).where(inArray(teams.team_id, teamIds));
  await refreshGuards(c.env, { users: user_ids, keys: userKeys.map((k) => k.token), teams: teamIds });
  return c.json({ deleted_users: user_ids, deleted_keys: userKeys.length });
});

async function teamsOf(env: Env, userId: string): Promise<string[]> {
  const rows = await database(env.DB).select({ team_id: teamMembers.team_id }).from(teamMembers).where(eq(teamMembers.user_id, userId)).all();
  return rows.map((r) => r.team_id);
}

teamAndUserRoutes.get("/user/info", ...adminOnly, async (c) => {
  const { user_id } = query(c, userQuery);
  const user = await findUser(c.env, user_id);
  const userKeys = await database(c.env.DB).select().from(keys).where(eq(keys.user_id, user_id)).all();
  const teamIds = await teamsOf(c.env, user_id);
  return c.json({ user_id, user_info: userView(user, teamIds), keys: userKeys.map((k) => keyView(k)), teams: teamIds });
});

teamAndUserRoutes.get("/user/list", ...adminOnly, async (c) => {
  const q = query(c, listUsersQuery);
  const db = database(c.env.DB);
  const where = q.role ? eq(users.user_role, q.role) : undefined;
  const [{ total }] = await db.select({ total: count() }).from(users).where(where).all();
  const rows = await db.select().from(users).where(where).orderBy(users.created_at, users.user_id).limit(q.page_size).offset((q.page - 1) * q.page_size).all();
  const memberships = rows.length ? await db.select().from(teamMembers).where(inArray(teamMembers.user_id, rows.map((u) => u.user_id))).all() : [];
  return c.json({
    users: rows.map((u) => userView(u, memberships.filter((m) => m.user_id === u.user_id).map((m) => m.team_id))),
    total,
    page: q.page,
    page_size: q.page_size,
    total_pages: Math.ceil(total / q.page_size),
  });
});
