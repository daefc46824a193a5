// The D1 tables, as drizzle schema. migrations/ is generated from this file (`npm run db:generate`)
// and test/worker/keys-schema.test.ts checks that the migrated database matches it.
//
// Money is USD as REAL. Times are Unix epoch milliseconds (INTEGER). JSON columns hold arrays/objects.
// D1 is the record for management and reports; the KeyGuard Durable Objects are the record for
// live spend and limits and write their totals here in batches (src/spend/flush.ts).
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { ObjectPermission } from "./mcp";

/** `{ "<model group>": { budget_limit, time_period? } }`; LiteLLM's model_max_budget. */
export type ModelBudgets = Record<string, { budget_limit: number; time_period?: string }>;
export type ModelLimits = Record<string, number>;
export type JsonObject = Record<string, unknown>;

const json = <T>(name: string) => text(name, { mode: "json" }).$type<T>();
const timestamps = {
  created_at: integer("created_at").notNull(),
  updated_at: integer("updated_at").notNull(),
};

/** Limits that keys, teams and users share. */
const limits = {
  max_budget: real("max_budget"),
  /** Spend in the current budget period (reset by budget_duration). */
  spend: real("spend").notNull().default(0),
  budget_duration: text("budget_duration"),
  budget_reset_at: integer("budget_reset_at"),
  rpm_limit: integer("rpm_limit"),
  tpm_limit: integer("tpm_limit"),
  max_parallel_requests: integer("max_parallel_requests"),
  /** Tokens (prompt + completion) per budget period; null = no token budget. */
  max_token_budget: integer("max_token_budget"),
  /** Tokens spent in the current budget period. */
  token_spend: integer("token_spend").notNull().default(0),
};

/** Virtual keys. Only the SHA-256 of a key is stored; the key itself is shown once, at generation. */
export const keys = sqliteTable(
  "keys",
  {
    /** SHA-256 hex of the key (LiteLLM's `token`). */
    token: text("token").primaryKey(),
    /** Display form, e.g. `sk-...abcd`. */
    key_name: text("key_name").notNull(),
    key_alias: text("key_alias").unique(),
    user_id: text("user_id"),
    team_id: text("team_id"),
    /** Model names / access groups; empty = all (or the team's). */
    models: json<string[]>("models").notNull().default(sql`'[]'`),
    ...limits,
    soft_budget: real("soft_budget"),
    model_max_budget: json<ModelBudgets>("model_max_budget"),
    model_rpm_limit: json<ModelLimits>("model_rpm_limit"),
    model_tpm_limit: json<ModelLimits>("model_tpm_limit"),
    /** Spend per model group in the current model budget periods. */
    model_spend: json<Record<string, number>>("model_spend"),
    /** Expiry (epoch ms); null = never. */
    expires: integer("expires"),
    blocked: integer("blocked", { mode: "boolean" }).notNull().default(false),
    metadata: json<JsonObject>("metadata").notNull().default(sql`'{}'`),
    tags: json<string[]>("tags").notNull().default(sql`'[]'`),
    /** LiteLLM's object_permission: the MCP servers and tools the key may use (src/mcp). */
    object_permission: json<ObjectPermission>("object_permission"),
    /** Guardrails every call with this key runs (names from the config's guardrails). */
    guardrails: json<string[]>("guardrails").notNull().default(sql`'[]'`),
    /** Request cache controls the key may send (`no-cache`, `ttl`, ...); empty = any (LiteLLM's). */
    allowed_cache_controls: json<string[]>("allowed_cache_controls").notNull().default(sql`'[]'`),
    /** Bumped on every change; the KeyGuard ignores older configurations. */
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (t) => [index("keys_user_idx").on(t.user_id), index("keys_team_idx").on(t.team_id)],
);

export const teams = sqliteTable("teams", {
  team_id: text("team_id").primaryKey(),
  team_alias: text("team_alias"),
  models: json<string[]>("models").notNull().default(sql`'[]'`),
  ...limits,
  blocked: integer("blocked", { mode: "boolean" }).notNull().default(false),
  metadata: json<JsonObject>("metadata").notNull().default(sql`'{}'`),
  object_permission: json<ObjectPermission>("object_permission"),
  /** Guardrails every call with one of the team's keys runs. */
  guardrails: json<string[]>("guardrails").notNull().default(sql`'[]'`),
  version: integer("version").notNull().default(1),
  ...timestamps,
});

export const users = sqliteTable("users", {
  user_id: text("user_id").primaryKey(),
  user_email: text("user_email"),
  user_alias: text("user_alias"),
  user_role: text("user_role").notNull().default("internal_user"),
  models: json<string[]>("models").notNull().default(sql`'[]'`),
  ...limits,
  metadata: json<JsonObject>("metadata").notNull().default(sql`'{}'`),
  version: integer("version").notNull().default(1),
  ...timestamps,
});

export const teamMembers = sqliteTable(
  "team_members",
  {
    team_id: text("team_id").notNull(),
    user_id: text("user_id").notNull(),
    role: text("role").notNull().default("user"),
    /** The member's own budget inside the team. */
    max_budget_in_team: real("max_budget_in_team"),
    spend: real("spend").notNull().default(0),
    created_at: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.team_id, t.user_id] }), index("team_members_user_idx").on(t.user_id)],
);

/** One row per LLM request. */
export const spendLogs = sqliteTable(
  "spend_logs",
  {
    request_id: text("request_id").primaryKey(),
    /** SHA-256 of the key used (the master key's hash for admin calls). */
    api_key: text("api_key").notNull(),
    /** The key's user_id. */
    user: text("user"),
    team_id: text("team_id"),
    /** The request's `user` field (LiteLLM's end user / customer). */
    end_user: text("end_user"),
    /** Upstream model id. */
    model: text("model").notNull(),
    model_group: text("model_group").notNull(),
    /** Deployment id (model_info.id). */
    model_id: text("model_id"),
    custom_llm_provider: text("custom_llm_provider"),
    /** Upstream URL without query string. */
    api_base: text("api_base"),
    call_type: text("call_type").notNull(),
    prompt_tokens: integer("prompt_tokens").notNull().default(0),
    completion_tokens: integer("completion_tokens").notNull().default(0),
    cached_tokens: integer("cached_tokens").notNull().default(0),
    total_tokens: integer("total_tokens").notNull().default(0),
    spend: real("spend").notNull().default(0),
    cache_hit: integer("cache_hit", { mode: "boolean" }).notNull().default(false),
    /** success | failure | aborted */
    status: text("status").notNull(),
    start_time: integer("start_time").notNull(),
    end_time: integer("end_time").notNull(),
    duration_ms: integer("duration_ms").notNull(),
    request_tags: json<string[]>("request_tags").notNull().default(sql`'[]'`),
    /** Only with general_settings.store_prompts_in_spend_logs. */
    messages: json<unknown>("messages"),
    response: json<unknown>("response"),
    metadata: json<JsonObject>("metadata").notNull().default(sql`'{}'`),
  },
  (t) => [
    index("spend_logs_start_idx").on(t.start_time),
    index("spend_logs_key_idx").on(t.api_key, t.start_time),
    index("spend_logs_user_idx").on(t.user, t.start_time),
    index("spend_logs_team_idx").on(t.team_id, t.start_time),
  ],
);

/** Per day × key × model group × team, so reports never scan the log. */
export const dailySpend = sqliteTable(
  "daily_spend",
  {
    /** UTC day, YYYY-MM-DD. */
    date: text("date").notNull(),
    api_key: text("api_key").notNull(),
    model_group: text("model_group").notNull(),
    /** '' when the key has no team. */
    team_id: text("team_id").notNull().default(""),
    spend: real("spend").notNull().default(0),
    prompt_tokens: integer("prompt_tokens").notNull().default(0),
    completion_tokens: integer("completion_tokens").notNull().default(0),
    requests: integer("requests").notNull().default(0),
    failures: integer("failures").notNull().default(0),
    /** Requests whose model had no known price (charged 0). */
    unpriced_requests: integer("unpriced_requests").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.date, t.api_key, t.model_group, t.team_id] }), index("daily_spend_team_idx").on(t.team_id, t.date)],
);

/**
 * The last outbox row each guard has written, so a retried flush is never counted twice (a batch
 * whose rows are already covered writes nothing). One row per guard instance.
 */
export const spendFlushes = sqliteTable("spend_flushes", {
  /** `<guard name>:<storage epoch>`. */
  scope: text("scope").primaryKey(),
  last_seq: integer("last_seq").notNull(),
  at: integer("at").notNull(),
});

/**
 * Responses API answers kept for previous_response_id, item_reference and GET/DELETE
 * /v1/responses/{id} (src/responses/store.ts). `record` is src/responses/record.ts's JSON; only
 * `owner` (the SHA-256 of the key that made it, or "master"/"open") may read it. Expired rows are
 * never read and are swept in the background.
 */
export const storedResponses = sqliteTable(
  "stored_responses",
  {
    id: text("id").primaryKey(),
    owner: text("owner").notNull(),
    record: text("record").notNull(),
    created_at: integer("created_at").notNull(),
    expires_at: integer("expires_at").notNull(),
  },
  (t) => [index("stored_responses_expires_idx").on(t.expires_at)],
);

/**
 * MCP servers added with POST /v1/mcp/server, merged with the config's `mcp_servers`. The credential
 * and static headers are one sealed blob (src/mcp/secrets.ts, lib/secret-box.ts).
 */
export const mcpServers = sqliteTable("mcp_servers", {
  server_id: text("server_id").primaryKey(),
  server_name: text("server_name").notNull().unique(),
  alias: text("alias"),
  description: text("description"),
  url: text("url").notNull(),
  /** http | sse */
  transport: text("transport").notNull(),
  auth_type: text("auth_type"),
  /** base64(iv || ciphertext) of {auth_value, static_headers}; null = none. */
  credentials: text("credentials"),
  allowed_tools: json<string[]>("allowed_tools"),
  disallowed_tools: json<string[]>("disallowed_tools"),
  mcp_access_groups: json<string[]>("mcp_access_groups"),
  extra_headers: json<string[]>("extra_headers"),
  mcp_info: json<JsonObject>("mcp_info"),
  ...timestamps,
});

/**
 * Models added at runtime (general_settings.store_model_in_db; migrations/0005). `litellm_params` is the
 * entry's JSON with each credential sealed (src/config/stored-models.ts); `model_info` holds its id too.
 */
export const storedModels = sqliteTable("stored_models", {
  model_id: text("model_id").primaryKey(),
  model_name: text("model_name").notNull(),
  litellm_params: json<JsonObject>("litellm_params").notNull(),
  model_info: json<JsonObject>("model_info").notNull().default(sql`'{}'`),
  created_at: integer("created_at").notNull(),
  /** "admin" (the master key or the UI's admin session). */
  created_by: text("created_by").notNull(),
  updated_at: integer("updated_at").notNull(),
  updated_by: text("updated_by").notNull(),
});

/** One row (id 1): bumped with every stored-model change; isolates poll it, not the table. */
export const storedModelsVersion = sqliteTable("stored_models_version", {
  id: integer("id").primaryKey(),
  version: integer("version").notNull(),
  updated_at: integer("updated_at").notNull(),
});

/**
 * Files and batches made through /v1/files and /v1/batches (src/batches/store.ts): the upstream's id,
 * the key that made it (`owner`, as stored_responses: only it may read, use or delete the object), and
 * the deployment holding it. `cost_recorded_at`: when a batch's cost went to spend (once).
 */
export const managedObjects = sqliteTable(
  "managed_objects",
  {
    id: text("id").primaryKey(),
    /** file | batch */
    kind: text("kind").notNull(),
    owner: text("owner").notNull(),
    model_group: text("model_group").notNull(),
    deployment_id: text("deployment_id").notNull(),
    created_at: integer("created_at").notNull(),
    cost_recorded_at: integer("cost_recorded_at"),
  },
  (t) => [index("managed_objects_owner_idx").on(t.owner, t.kind, t.created_at)],
);

export type KeyRow = typeof keys.$inferSelect;
export type McpServerRow = typeof mcpServers.$inferSelect;
export type TeamRow = typeof teams.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type TeamMemberRow = typeof teamMembers.$inferSelect;
export type SpendLogRow = typeof spendLogs.$inferInsert;
export type StoredModelRow = typeof storedModels.$inferSelect;
