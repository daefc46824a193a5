// Shared pieces of the management API (keys, teams, users, spend): who may call it, reading
// zod-validated bodies and queries. After a change, routes call refreshGuards (src/limits/refresh.ts).
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { z } from "zod";
import type { GatewayEnv } from "../../core/hono-env";
import { authenticate } from "../middleware/auth";
import { guardrailsOf } from "../../config/guardrails";
import { GatewayError } from "../../errors";
import { readJsonBody } from "../../lib/body";
import { invalidRequest } from "../../lib/zod-issues";

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
      throw new GatewayError(400, "bad_request", "The management API (virtual keys, teams, users, stored models) needs a master key: set general_settings.master_key (or LITELLM_MASTER_KEY).");
    }
    await next();
  }),
] as const;

/** The JSON body, validated; a 400 naming the first bad fields otherwise. */
export async function body<S extends z.ZodType>(c: Context<GatewayEnv>, schema: S): Promise<z.infer<S>> {
  const parsed = schema.safeParse(await readJsonBody(c.req.raw, MAX_ADMIN_BODY));
  if (!parsed.success) throw invalidRequest(parsed.error);
  // A key's or team's `guardrails` must name configured guardrails (else each of its calls would be refused).
  const guardrails = (parsed.data as { guardrails?: unknown }).guardrails;
  if (Array.isArray(guardrails)) guardrailsOf(c.var.runtime).requireConfigured(guardrails);
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

export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
