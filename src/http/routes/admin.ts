// Shared pieces of the management API (keys, teams, users, spend): who may call it, reading
// zod-validated bodies and queries, and telling guards that D1 changed.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { z } from "zod";
import type { GatewayEnv } from "../../core/hono-env";
import { authenticate } from "../middleware/auth";
import type { Env } from "../../env";
import { GatewayError } from "../../errors";
import { readJsonBody } from "../../lib/body";
import { invalidRequest } from "../../lib/zod-issues";
import { guardFor } from "../../core/guard-rpc";
import { dropAllLeases, dropLease } from "../../limits/lease";

const MAX_ADMIN_BODY = 4 * 1024 * 1024;

/** Master key only: virtual keys get 403, no key 401 (from authenticate). */
export const adminOnly = [
  authenticate,
  createMiddleware<GatewayEnv>(async (c, next) => {
    const { principal, runtime } = c.var;
    if (principal.kind === "virtual_key") {
      throw new GatewayError(403, "permission", "Only the proxy admin (master key) can call this route; virtual keys cannot.", { type: "auth_error" });
    }
    if (!runtime.masterKey) {
      throw new GatewayError(400, "bad_request", "Virtual keys, teams and users need a master key: set general_settings.master_key (or LITELLM_MASTER_KEY).");
    }
    await next();
  }),
] as const;

/** The JSON body, validated; a 400 naming the first bad fields otherwise. */
export async function body<S extends z.ZodType>(c: Context<GatewayEnv>, schema: S): Promise<z.infer<S>> {
  const parsed = schema.safeParse(await readJsonBody(c.req.raw, MAX_ADMIN_BODY));
  if (!parsed.success) throw invalidRequest(parsed.error);
  return parsed.data;
}

/** Like `body`, for routes where the body may be left out (then it is `{}`). */
export async function optionalBody<S extends z.ZodType>(c: Context<GatewayEnv>, schema: S): Promise<z.infer<S>> {
  if (!c.req.raw.body) {
    const parsed = schema.safeParse({});
    if (!parsed.success) throw invalidRequest(parsed.error);
    return parsed.data;
  }
  return body(c, schema);
}

/** The query string, validated. */
export function query<S extends z.ZodType>(c: Context<GatewayEnv>, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw invalidRequest(parsed.error);
  return parsed.data;
}

export const notFound = (what: string) => new GatewayError(404, "not_found", `${what} not found`);

/**
 * Tells the guards of these keys / teams / users to re-read D1 (changes apply on their next call), and
 * stops this isolate admitting their calls from leases (other isolates' leases run out within LEASE_TTL_MS).
 */
export async function refreshGuards(env: Env, ids: { keys?: string[]; teams?: string[]; users?: string[] }): Promise<void> {
  if (ids.teams?.length || ids.users?.length) dropAllLeases(env);
  for (const token of ids.keys ?? []) dropLease(env, token);
  await Promise.all([
    ...(ids.keys ?? []).map((token) => guardFor(env, { kind: "key", token }).refresh({ kind: "key", token })),
    ...(ids.teams ?? []).map((id) => guardFor(env, { kind: "team", id }).refresh({ kind: "team", id })),
    ...(ids.users ?? []).map((id) => guardFor(env, { kind: "user", id }).refresh({ kind: "user", id })),
  ]);
}

export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
