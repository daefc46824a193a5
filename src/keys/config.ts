// Builds what a guard enforces from D1 rows: a key's config (key + its team + its user) and a
// team's or user's config. Guards call these when they start and whenever an admin route changes a row.
import { eq } from "drizzle-orm";
import { database, keys, teamMembers, teams, users, type KeyRow, type TeamRow, type UserRow } from "../schema/database";
import type { KeyConfig, Limits, ScopeConfig } from "../core/guard-rpc";
import type { JsonObject } from "../schema/db";
import { storedJsonProblem } from "../lib/input-limits";
import { logText } from "../lib/safe-text";

const warnedRows = new Set<string>();

/**
 * A stored metadata object as the gateway uses it. Rows written before the input limits existed may hold
 * metadata nested deep enough to overflow a serialiser: such metadata is ignored (the key keeps working)
 * and named once in the log, so an admin can replace it with /key/update.
 */
export function usableMetadata(metadata: JsonObject, row: string): JsonObject {
  const problem = storedJsonProblem(metadata);
  if (!problem) return metadata;
  if (!warnedRows.has(row) && warnedRows.size < 1000) {
    warnedRows.add(row);
    console.warn(`[keys] metadata of ${logText(row, 300)} ${problem}: ignored until it is replaced (/key/update, /team/update, /user/update)`);
  }
  return {};
}

type LimitColumns = Pick<KeyRow, "max_budget" | "budget_duration" | "rpm_limit" | "tpm_limit" | "max_parallel_requests" | "max_token_budget">;

function limitsOf(row: LimitColumns): Limits {
  return {
    max_budget: row.max_budget,
    budget_duration: row.budget_duration,
    rpm_limit: row.rpm_limit,
    tpm_limit: row.tpm_limit,
    max_parallel_requests: row.max_parallel_requests,
    max_token_budget: row.max_token_budget,
  };
}

const hasLimits = (l: Limits) => l.max_budget !== null || l.rpm_limit !== null || l.tpm_limit !== null || l.max_parallel_requests !== null || (l.max_token_budget ?? null) !== null;

export function keyConfigOf(key: KeyRow, team: TeamRow | undefined, user: UserRow | undefined, teamHasMemberBudgets: boolean): KeyConfig {
  const guardrails = [...new Set([...(key.guardrails ?? []), ...(team?.guardrails ?? [])])];
  return {
    token: key.token,
    key_name: key.key_name,
    key_alias: key.key_alias,
    user_id: key.user_id,
    team_id: key.team_id,
    models: key.models.length ? key.models : team?.models.length ? team.models : (user?.models ?? []),
    expires: key.expires,
    blocked: key.blocked,
    team_blocked: team?.blocked ?? false,
    limits: { ...limitsOf(key), model_max_budget: key.model_max_budget, model_rpm_limit: key.model_rpm_limit, model_tpm_limit: key.model_tpm_limit },
    soft_budget: key.soft_budget,
    metadata: usableMetadata(key.metadata, `key ${key.key_name}`),
    tags: key.tags,
    ...(guardrails.length ? { guardrails } : {}),
    allowed_cache_controls: key.allowed_cache_controls,
    team_metadata: team?.metadata,
    team_limited: !!team && (hasLimits(limitsOf(team)) || teamHasMemberBudgets),
    user_limited: !!user && hasLimits(limitsOf(user)),
    version: `${key.version}.${team?.version ?? 0}.${user?.version ?? 0}`,
    object_permission: { key: key.object_permission ?? null, team: team?.object_permission ?? null },
  };
}

/** The key's config, or undefined when no such key exists. */
export async function loadKeyConfig(d1: D1Database, token: string): Promise<{ config: KeyConfig; spend: number; tokenSpend: number; budgetResetAt: number | null; modelSpend: Record<string, number> } | undefined> {
  const db = database(d1);
  const key = await db.select().from(keys).where(eq(keys.token, token)).get();
  if (!key) return undefined;
  const [team, user, budgets] = await Promise.all([
    key.team_id ? db.select().from(teams).where(eq(teams.team_id, key.team_id)).get() : undefined,
    key.user_id ? db.select().from(users).where(eq(users.user_id, key.user_id)).get() : undefined,
    key.team_id && key.user_id
      ? db.select({ b: teamMembers.max_budget_in_team }).from(teamMembers).where(eq(teamMembers.team_id, key.team_id)).all()
      : [],
  ]);
  const memberBudgets = budgets.some((m) => m.b !== null);
  return { config: keyConfigOf(key, team, user, memberBudgets), spend: key.spend, tokenSpend: key.token_spend, budgetResetAt: key.budget_reset_at, modelSpend: key.model_spend ?? {} };
}

/** A team's or user's config, or undefined when it does not exist. */
export async function loadScopeConfig(d1: D1Database, kind: "team" | "user", id: string): Promise<{ config: ScopeConfig; spend: number; tokenSpend: number; budgetResetAt: number | null; memberSpend: Record<string, number> } | undefined> {
  const db = database(d1);
  if (kind === "user") {
    const user = await db.select().from(users).where(eq(users.user_id, id)).get();
    if (!user) return undefined;
    return {
      config: { kind, id, blocked: false, limits: limitsOf(user), member_budgets: {}, version: String(user.version) },
      spend: user.spend,
      tokenSpend: user.token_spend,
      budgetResetAt: user.budget_reset_at,
      memberSpend: {},
    };
  }
  const [team, members] = await Promise.all([
    db.select().from(teams).where(eq(teams.team_id, id)).get(),
    db.select().from(teamMembers).where(eq(teamMembers.team_id, id)).all(),
  ]);
  if (!team) return undefined;
  return {
    config: {
      kind,
      id,
      blocked: team.blocked,
      limits: limitsOf(team),
      member_budgets: Object.fromEntries(members.map((m) => [m.user_id, m.max_budget_in_team])),
      version: String(team.version),
    },
    spend: team.spend,
    tokenSpend: team.token_spend,
    budgetResetAt: team.budget_reset_at,
    memberSpend: Object.fromEntries(members.map((m) => [m.user_id, m.spend])),
  };
}
