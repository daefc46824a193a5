// zod schemas of the management API's bodies (LiteLLM's field names). Unknown fields are refused
// with a 400 naming them, rather than silently ignored.
import { z } from "zod";
import type { ModelBudgets } from "../schema/db";
import { durationSchema } from "../lib/duration";
import { objectPermissionSchema } from "../schema/mcp";
import { MAX_MODEL_NAME_LENGTH, STORED_JSON_LIMITS, storedJsonProblem } from "../lib/input-limits";
import { principalGuardrailsSchema } from "../schema/guardrails";
import { CACHE_CONTROL_NAMES } from "../schema/cache";

const money = z.number().min(0);
const count = z.number().int().min(0);
/** Ids and aliases: they end up in log lines and Durable Object names, so no control characters. */
const id = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]*$/u, "must not contain control characters");

/** Ids one call may name (/key/delete, /team/delete, /user/delete): D1 binds at most 100 parameters a query. */
const MAX_IDS_PER_CALL = 100;

/**
 * A JSON field stored in a key's, team's or user's row (README "Input limits"): every later use of the
 * key reads it, so its depth and size are bounded (STORED_JSON_LIMITS) before it is stored.
 */
function stored<T extends z.ZodType>(schema: T) {
  return schema.superRefine((value, ctx) => {
    const problem = storedJsonProblem(value, STORED_JSON_LIMITS);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
}

const modelName = z.string().min(1).max(MAX_MODEL_NAME_LENGTH);
const modelNames = stored(z.array(modelName));
const perModel = <T extends z.ZodType>(value: T) => stored(z.record(modelName, value));

/** LiteLLM accepts `{"gpt-4o": 10}` and `{"gpt-4o": {"budget_limit": 10, "time_period": "1d"}}`. */
const modelMaxBudget = perModel(z.union([money, z.strictObject({ budget_limit: money, time_period: durationSchema.optional() })]))
  .transform((m): ModelBudgets => Object.fromEntries(Object.entries(m).map(([model, b]) => [model, typeof b === "number" ? { budget_limit: b } : b])));

/** Limits keys, teams and users share. */
export const limitFields = {
  max_budget: money.nullable().optional(),
  budget_duration: durationSchema.nullable().optional(),
  rpm_limit: count.nullable().optional(),
  tpm_limit: count.nullable().optional(),
  max_parallel_requests: z.number().int().min(1).nullable().optional(),
  /** Tokens (prompt + completion) per budget_duration; enforced like max_budget. */
  max_token_budget: count.nullable().optional(),
  models: modelNames.optional(),
  metadata: stored(z.record(z.string(), z.unknown())).optional(),
};

export const keyFields = {
  ...limitFields,
  key_alias: id.nullable().optional(),
  soft_budget: money.nullable().optional(),
  /** Until expiry, from now: 30s, 30m, 30h, 30d, 1mo. null = never. */
  duration: durationSchema.nullable().optional(),
  model_max_budget: modelMaxBudget.nullable().optional(),
  model_rpm_limit: perModel(count).nullable().optional(),
  model_tpm_limit: perModel(count).nullable().optional(),
  tags: stored(z.array(z.string().max(256))).optional(),
  /** Guardrails every call with the key runs (names from the config). */
  guardrails: principalGuardrailsSchema.optional(),
  allowed_cache_controls: z.array(z.enum(CACHE_CONTROL_NAMES)).optional(),
  user_id: id.nullable().optional(),
  team_id: id.nullable().optional(),
  blocked: z.boolean().optional(),
  /** The MCP servers and tools the key may use (src/mcp). */
  object_permission: objectPermissionSchema.nullable().optional(),
};

/** A custom `key` must look like a generated one: sk- and enough characters to be unguessable. */
const customKey = z.string().regex(/^sk-[A-Za-z0-9_\-.]{22,200}$/, "a custom key must be 'sk-' followed by at least 22 letters, digits, '-', '_' or '.'");

export const generateKeySchema = z.strictObject({ ...keyFields, key: customKey.optional() });
export type KeyFields = z.infer<typeof generateKeySchema>;

/** The key itself or its token (SHA-256 hex). */
const keyRef = z.string().trim().min(1);

export const updateKeySchema = z.strictObject({ ...keyFields, key: keyRef });
export const regenerateKeySchema = z.strictObject({ ...keyFields, key: keyRef.optional(), new_key: customKey.optional() });
export const keyRefSchema = z.strictObject({ key: keyRef });
export const deleteKeysSchema = z
  .strictObject({ keys: z.array(keyRef).optional(), key_aliases: z.array(id).optional() })
  .refine((b) => (b.keys?.length ?? 0) + (b.key_aliases?.length ?? 0) > 0, "give `keys` or `key_aliases`")
  .refine((b) => (b.keys?.length ?? 0) + (b.key_aliases?.length ?? 0) <= MAX_IDS_PER_CALL, `at most ${MAX_IDS_PER_CALL} keys and aliases per call`);

const page = z.coerce.number().int().min(1).default(1);
const pageSize = z.coerce.number().int().min(1).max(1000);

export const listKeysQuery = z.object({
  page,
  size: pageSize.default(10),
  user_id: z.string().optional(),
  team_id: z.string().optional(),
  key_alias: z.string().optional(),
  /** Part of a key's alias or name, or a whole token, user_id or team_id (the admin UI's search box). */
  search: z.string().trim().min(1).max(256).optional(),
  return_full_object: z.enum(["true", "false"]).optional(),
});

// ---- teams and users ----

export const userRoles = ["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer", "team", "customer"] as const;

const member = z.strictObject({
  role: z.enum(["admin", "user"]).default("user"),
  user_id: id.optional(),
  user_email: z.email().optional(),
}).refine((m) => m.user_id || m.user_email, "a member needs user_id or user_email");
export type MemberInput = z.infer<typeof member>;

const teamFields = { ...limitFields, team_alias: id.nullable().optional(), blocked: z.boolean().optional(), object_permission: objectPermissionSchema.nullable().optional(), guardrails: principalGuardrailsSchema.optional() };

export const newTeamSchema = z.strictObject({ ...teamFields, team_id: id.optional(), members_with_roles: z.array(member).max(1000).optional() });
export const updateTeamSchema = z.strictObject({ ...teamFields, team_id: id });
export const deleteTeamsSchema = z.strictObject({ team_ids: z.array(id).min(1).max(MAX_IDS_PER_CALL) });
export const memberAddSchema = z.strictObject({ team_id: id, member: z.union([member, z.array(member).min(1).max(1000)]), max_budget_in_team: money.nullable().optional() });
export const memberDeleteSchema = z.strictObject({ team_id: id, user_id: id.optional(), user_email: z.email().optional() }).refine((m) => m.user_id || m.user_email, "give user_id or user_email");
export const teamQuery = z.object({ team_id: id });

const userFields = {
  ...limitFields,
  user_email: z.email().nullable().optional(),
  user_alias: id.nullable().optional(),
  user_role: z.enum(userRoles).optional(),
};

export const newUserSchema = z.strictObject({
  ...userFields,
  user_id: id.optional(),
  teams: z.array(id).max(1000).optional(),
  /** LiteLLM creates a key for every new user unless told not to. */
  auto_create_key: z.boolean().default(true),
  key_alias: id.optional(),
  duration: durationSchema.nullable().optional(),
  send_invite_email: z.boolean().optional(),
});
export const updateUserSchema = z.strictObject({ ...userFields, user_id: id });
export const deleteUsersSchema = z.strictObject({ user_ids: z.array(id).min(1).max(MAX_IDS_PER_CALL) });
export const userQuery = z.object({ user_id: id });
export const listUsersQuery = z.object({ page, page_size: pageSize.default(25), role: z.enum(userRoles).optional() });
