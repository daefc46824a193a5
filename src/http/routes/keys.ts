// LiteLLM's key management routes: /key/generate, /key/update, /key/delete, /key/info, /key/list,
// /key/regenerate, /key/block, /key/unblock. D1 holds the keys (hashed); after every change the
// key's guard re-reads it, so the change applies to the next request.
import { and, count, eq, inArray, sql, type SQL } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { GatewayEnv } from "../../core/hono-env";
import { authenticate } from "../middleware/auth";
import type { LitellmSettings } from "../../schema/config";
import { database, keys, teams, users, type KeyRow } from "../../schema/database";
import type { Env } from "../../env";
import { GatewayError, badRequest } from "../../errors";
import { durationMs, expiryAfter, nextBudgetReset } from "../../lib/duration";
import { guardFor } from "../../core/guard-rpc";
import { modelPatternMatches } from "../../core/principal";
import { refreshGuards } from "../../limits/refresh";
import { adminOnly, body, iso, notFound, optionalBody, query } from "./admin";
import { deleteKeysSchema, generateKeySchema, keyFields, keyRefSchema, listKeysQuery, regenerateKeySchema, updateKeySchema, type KeyFields } from "../../keys/fields";
import { displayName, generateKey, hashKey, isToken, tokenOf } from "../../keys/token";
import { safeEqual } from "../../keys/credentials";
import { usableMetadata } from "../../keys/config";

export const keyRoutes = new Hono<GatewayEnv>();

/** A key as the API shows it: never the key itself, only its token and display name. */
export function keyView(row: KeyRow, live?: { spend: number; budgetResetAt: number | null; tokenSpend?: number }) {
  return {
    token: row.token,
    key_name: row.key_name,
    key_alias: row.key_alias,
    spend: live?.spend ?? row.spend,
    max_budget: row.max_budget,
    soft_budget: row.soft_budget,
    budget_duration: row.budget_duration,
    budget_reset_at: iso(live ? live.budgetResetAt : row.budget_reset_at),
    expires: iso(row.expires),
    models: row.models,
    rpm_limit: row.rpm_limit,
    tpm_limit: row.tpm_limit,
    max_parallel_requests: row.max_parallel_requests,
    max_token_budget: row.max_token_budget,
    token_spend: live?.tokenSpend ?? row.token_spend,
    model_max_budget: row.model_max_budget ?? {},
    model_rpm_limit: row.model_rpm_limit ?? {},
    model_tpm_limit: row.model_tpm_limit ?? {},
    model_spend: row.model_spend ?? {},
    metadata: usableMetadata(row.metadata, `key ${row.key_name}`),
    tags: row.tags,
    guardrails: row.guardrails,
    allowed_cache_controls: row.allowed_cache_controls,
    user_id: row.user_id,
    team_id: row.team_id,
    blocked: row.blocked,
    object_permission: row.object_permission ?? null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** Names a key in messages without revealing it. */
const shown = (ref: string) => (isToken(ref) ? ref : displayName(ref));

export async function findKey(env: Env, ref: string): Promise<KeyRow> {
  const row = await database(env.DB).select().from(keys).where(eq(keys.token, await tokenOf(ref))).get();
  if (!row) throw notFound(`Key ${shown(ref)}`);
  return row;
}

/** The row changes the body asks for. */
function keyPatch(input: Partial<KeyFields> & { new_key?: string }, now: number, tz: string): Partial<KeyRow> {
  const { duration, key: _key, new_key: _newKey, ...fields } = input;
  const patch: Partial<KeyRow> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (patch as Record<string, unknown>)[k] = v;
  if (duration !== undefined) patch.expires = duration === null ? null : expiryAfter(duration, now);
  if (fields.budget_duration !== undefined) patch.budget_reset_at = fields.budget_duration ? nextBudgetReset(fields.budget_duration, now, tz) : null;
  return patch;
}

/** A key's team must exist, and may only narrow the team's models. */
async function checkOwners(env: Env, patch: Partial<KeyRow>, current?: KeyRow): Promise<void> {
  const db = database(env.DB);
  const teamId = patch.team_id !== undefined ? patch.team_id : current?.team_id;
  if (teamId) {
    const team = await db.select().from(teams).where(eq(teams.team_id, teamId)).get();
    if (!team) throw badRequest(`team_id '${teamId}' does not exist; create it with /team/new`, "team_id");
    const models = patch.models ?? current?.models ?? [];
    const outside = team.models.length ? models.filter((m) => !team.models.some((t) => modelPatternMatches(t, m))) : [];
    if (outside.length) throw badRequest(`models ${JSON.stringify(outside)} are not in team '${teamId}' models ${JSON.stringify(team.models)}`, "models");
  }
  const userId = patch.user_id !== undefined ? patch.user_id : current?.user_id;
  if (userId) {
    // LiteLLM creates the user on first mention; so do we (spend per user needs the row).
    const now = Date.now();
    await db.insert(users).values({ user_id: userId, created_at: now, updated_at: now }).onConflictDoNothing();
  }
}

function uniqueViolation(err: unknown): GatewayError | undefined {
  const message = String((err as Error)?.message ?? "") + String(((err as Error)?.cause as Error | undefined)?.message ?? "");
  // SQLite names the column ("UNIQUE constraint failed: keys.token"); drizzle's message also quotes the whole query.
  const column = /UNIQUE constraint failed: \w+\.(\w+)/i.exec(message)?.[1];
  if (!column) return undefined;
  if (column === "key_alias") return badRequest("key_alias already exists; aliases are unique", "key_alias");
  return badRequest("A key with this value already exists; choose another `key`", "key");
}

/** A custom key may not be the master key (it would be the master key, not a virtual key). */
function refuseMasterKey(key: string | undefined, masterKey: string | undefined, param: "key" | "new_key"): void {
  if (key && masterKey && safeEqual(key, masterKey)) throw badRequest(`${param} cannot be the master key; choose another value`, param);
}

const BOUNDED = ["max_budget", "soft_budget", "budget_duration", "duration", "max_parallel_requests", "tpm_limit", "rpm_limit", "max_token_budget"] as const;
const settingsSchema = z.strictObject(keyFields).partial();

/** litellm_settings.default_key_generate_params fill gaps; upperbound_key_generate_params cap (and fill) the rest. */
export function applyKeySettings(input: KeyFields, settings: LitellmSettings, now: number): KeyFields {
  const defaults = settingsSchema.safeParse(settings.default_key_generate_params ?? {});
  const upper = settingsSchema.safeParse(settings.upperbound_key_generate_params ?? {});
  if (!defaults.success || !upper.success) {
    const which = !defaults.success ? "default_key_generate_params" : "upperbound_key_generate_params";
    throw new GatewayError(500, "server", `litellm_settings.${which} in the config is invalid: ${(!defaults.success ? defaults : upper).error!.issues[0].message}`);
  }
  const out: Record<string, unknown> = { ...defaults.data };
  for (const [k, v] of Object.entries(input)) if (v !== undefined) out[k] = v;
  for (const field of BOUNDED) {
    const max = upper.data[field];
    if (max === undefined || max === null) continue;
    const value = out[field] as number | string | null | undefined;
    if (value === undefined || value === null) {
      out[field] = max;
      continue;
    }
    const over = typeof max === "string" ? durationMs(value as string, now) > durationMs(max, now) : (value as number) > max;
    if (over) throw badRequest(`${field} is over max limit set in config - user_value=${value}; max_value=${max}`, field);
  }
  return out as KeyFields;
}

/** Creates a key; returns the key itself (shown once) and its row. */
/** litellm_settings.timezone: where budget periods start. */
export const timeZoneOf = (c: Context<GatewayEnv>) => c.var.runtime.config.litellm_settings.timezone ?? "UTC";

export async function createKey(env: Env, input: KeyFields, now: number, tz: string): Promise<{ key: string; row: KeyRow }> {
  const key = input.key ?? generateKey();
  const token = await hashKey(key);
  const patch = keyPatch(input, now, tz);
  await checkOwners(env, patch);
  const row: KeyRow = {
    token,
    key_name: displayName(key),
    key_alias: null,
    user_id: null,
    team_id: null,
    models: [],
    max_budget: null,
    spend: 0,
    budget_duration: null,
    budget_reset_at: null,
    rpm_limit: null,
    tpm_limit: null,
    max_parallel_requests: null,
    max_token_budget: null,
    token_spend: 0,
    soft_budget: null,
    model_max_budget: null,
    model_rpm_limit: null,
    model_tpm_limit: null,
    model_spend: null,
    expires: null,
    blocked: false,
    metadata: {},
    tags: [],
    object_permission: null,
    guardrails: [],
    allowed_cache_controls: [],
    version: 1,
    created_at: now,
    updated_at: now,
    ...patch,
  };
  try {
    await database(env.DB).insert(keys).values(row);
  } catch (err) {
    throw uniqueViolation(err) ?? err;
  }
  await refreshGuards(env, { keys: [token] });
  return { key, row };
}

async function updateKey(env: Env, row: KeyRow, patch: Partial<KeyRow>): Promise<KeyRow> {
  await checkOwners(env, patch, row);
  let updated: KeyRow | undefined;
  try {
    updated = await database(env.DB)
      .update(keys)
      .set({ ...patch, version: sql`${keys.version} + 1`, updated_at: Date.now() })
      .where(eq(keys.token, row.token))
      .returning()
      .get();
  } catch (err) {
    throw uniqueViolation(err) ?? err;
  }
  if (!updated) throw notFound(`Key ${row.token}`);
  await refreshGuards(env, { keys: [row.token] });
  return updated;
}

keyRoutes.post("/key/generate", ...adminOnly, async (c) => {
  const now = Date.now();
  const input = applyKeySettings(await body(c, generateKeySchema), c.var.runtime.config.litellm_settings, now);
  refuseMasterKey(input.key, c.var.runtime.masterKey, "key");
  const { key, row } = await createKey(c.env, input, now, timeZoneOf(c));
  return c.json({ key, ...keyView(row), token_id: row.token });
});

keyRoutes.post("/key/update", ...adminOnly, async (c) => {
  const input = await body(c, updateKeySchema);
  const row = await findKey(c.env, input.key);
  return c.json(keyView(await updateKey(c.env, row, keyPatch(input, Date.now(), timeZoneOf(c)))));
});

for (const [path, blocked] of [["/key/block", true], ["/key/unblock", false]] as const) {
  keyRoutes.post(path, ...adminOnly, async (c) => {
    const { key } = await body(c, keyRefSchema);
    return c.json(keyView(await updateKey(c.env, await findKey(c.env, key), { blocked })));
  });
}

keyRoutes.post("/key/delete", ...adminOnly, async (c) => {
  const input = await body(c, deleteKeysSchema);
  const db = database(c.env.DB);
  const wanted = await Promise.all((input.keys ?? []).map(async (ref) => ({ ref, token: await tokenOf(ref) })));
  const conditions: SQL[] = [];
  if (wanted.length) conditions.push(inArray(keys.token, wanted.map((w) => w.token)));
  if (input.key_aliases?.length) conditions.push(inArray(keys.key_alias, input.key_aliases));
  const rows = await db.select({ token: keys.token, key_alias: keys.key_alias }).from(keys).where(sql.join(conditions, sql` OR `)).all();
  const missing = [
    ...wanted.filter((w) => !rows.some((r) => r.token === w.token)).map((w) => shown(w.ref)),
    ...(input.key_aliases ?? []).filter((a) => !rows.some((r) => r.key_alias === a)),
  ];
  if (missing.length) throw notFound(`Keys ${JSON.stringify(missing)}`);
  const tokens = rows.map((r) => r.token);
  await db.delete(keys).where(inArray(keys.token, tokens));
  await refreshGuards(c.env, { keys: tokens });
  return c.json({ deleted_keys: [...(input.keys ?? []).map(shown), ...(input.key_aliases ?? [])] });
});

// A virtual key may read its own info; anything else needs the master key.
keyRoutes.get("/key/info", authenticate, async (c) => {
  const principal = c.var.principal;
  const ref = c.req.query("key");
  if (principal.kind === "virtual_key") {
    if (ref && (await tokenOf(ref)) !== principal.token) throw new GatewayError(403, "permission", "A virtual key can only read its own info (/key/info without ?key=, or with its own key).", { type: "auth_error" });
  } else if (!ref) {
    throw badRequest("give ?key=<key or token>", "key");
  }
  const row = await findKey(c.env, ref ?? principal.token!);
  const live = await guardFor(c.env, { kind: "key", token: row.token }).snapshot();
  return c.json({ key: row.token, info: keyView(row, live) });
});

keyRoutes.get("/key/list", ...adminOnly, async (c) => {
  const q = query(c, listKeysQuery);
  const db = database(c.env.DB);
  const filters = [
    q.user_id ? eq(keys.user_id, q.user_id) : undefined,
    q.team_id ? eq(keys.team_id, q.team_id) : undefined,
    q.key_alias ? eq(keys.key_alias, q.key_alias) : undefined,
    q.search ? sql`(instr(lower(coalesce(${keys.key_alias}, '')), lower(${q.search})) > 0 OR instr(${keys.key_name}, ${q.search}) > 0 OR ${q.search} IN (${keys.token}, ${keys.user_id}, ${keys.team_id}))` : undefined,
  ];
  const where = and(...filters.filter((f) => f !== undefined));
  const [{ total }] = await db.select({ total: count() }).from(keys).where(where).all();
  const rows = await db.select().from(keys).where(where).orderBy(keys.created_at, keys.token).limit(q.size).offset((q.page - 1) * q.size).all();
  return c.json({
    keys: q.return_full_object === "true" ? rows.map((r) => keyView(r)) : rows.map((r) => r.token),
    total_count: total,
    current_page: q.page,
    total_pages: Math.ceil(total / q.size),
  });
});

/** A new key with the old one's settings and spend; the old key stops working at once. */
async function regenerate(env: Env, ref: string | undefined, input: z.infer<typeof regenerateKeySchema>, tz: string) {
  if (!ref) throw badRequest('give the key to regenerate: POST /key/{key}/regenerate or {"key": ...}', "key");
  const old = await findKey(env, ref);
  const oldGuard = guardFor(env, { kind: "key", token: old.token });
  // Write what is pending first, so the spend carried over is complete.
  await oldGuard.flushNow();
  const live = await oldGuard.snapshot();
  const now = Date.now();
  const newKey = input.new_key ?? generateKey();
  const token = await hashKey(newKey);
  const patch = keyPatch(input, now, tz);
  await checkOwners(env, patch, old);
  const row: KeyRow = {
    ...old,
    ...patch,
    token,
    key_name: displayName(newKey),
    spend: live.spend,
    model_spend: live.modelSpend,
    budget_reset_at: patch.budget_reset_at !== undefined ? patch.budget_reset_at : live.budgetResetAt,
    version: old.version + 1,
    updated_at: now,
  };
  const db = database(env.DB);
  try {
    await db.batch([db.delete(keys).where(eq(keys.token, old.token)), db.insert(keys).values(row)]);
  } catch (err) {
    throw uniqueViolation(err) ?? err;
  }
  await refreshGuards(env, { keys: [old.token, token] });
  return { key: newKey, ...keyView(row), token_id: token };
}

keyRoutes.post("/key/regenerate", ...adminOnly, async (c) => {
  const input = await body(c, regenerateKeySchema);
  refuseMasterKey(input.new_key, c.var.runtime.masterKey, "new_key");
  return c.json(await regenerate(c.env, input.key, input, timeZoneOf(c)));
});

// POST /key/{key}/regenerate, registered as /key/* after every other /key route: a `/key/:key/...`
// route next to `/key/info` makes Hono's SmartRouter give up its one-regex RegExpRouter for the
// slower TrieRouter on every request, LLM calls included (test/worker/routing.test.ts checks).
const REGENERATE_PATH = /^\/key\/([^/]+)\/regenerate$/;
keyRoutes.post(
  "/key/*",
  createMiddleware<GatewayEnv>(async (c, next) => {
    if (!REGENERATE_PATH.test(c.req.path)) throw new GatewayError(404, "not_found", `Route not found: ${c.req.method} ${c.req.path}`);
    await next();
  }),
  ...adminOnly,
  async (c) => {
    const input = await optionalBody(c, regenerateKeySchema);
    refuseMasterKey(input.new_key, c.var.runtime.masterKey, "new_key");
    return c.json(await regenerate(c.env, decodeURIComponent(REGENERATE_PATH.exec(c.req.path)![1]), input, timeZoneOf(c)));
  },
);
