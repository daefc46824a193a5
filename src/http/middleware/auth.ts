// Authentication: sets c.var.principal from the request's key (src/keys/lookup.ts), or answers 401 in
// LiteLLM's words; requireMaster keeps admin routes to the master key.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../../core/hono-env";
import { GatewayError } from "../../errors";
import { extractApiKey } from "../../keys/credentials";
import { authError, checkKey, principalForKey, principalForToken, principalOf } from "../../keys/lookup";
import { sessionCaller } from "./ui-session";
import { MASTER, mayUse, modelAccessDenied, OPEN, type Principal } from "../../core/principal";
import type { KeyConfig } from "../../core/guard-rpc";

/** Who is calling. `deferCheck`: a virtual key not cached here is left for its call's admission to check. */
function callerOf(c: Context<GatewayEnv>, deferCheck: boolean): Principal | Promise<Principal> {
  const runtime = c.var.runtime;
  if (!runtime.masterKey) return OPEN;
  const key = extractApiKey(c.req.raw.headers);
  if (!key) return uiSessionCaller(c, deferCheck);
  return principalForKey(c.env, runtime, key, deferCheck);
}

/** No API key: the admin UI's session cookie, if any (src/ui/auth.ts; methods other than GET/HEAD need its CSRF token). */
async function uiSessionCaller(c: Context<GatewayEnv>, deferCheck: boolean): Promise<Principal> {
  const caller = await sessionCaller(c.req.raw, c.env, c.var.runtime.masterKey);
  if (!caller) throw authError("Authentication Error, No api key passed in.");
  return caller === "admin" ? MASTER : principalForToken(c.env, caller.token, deferCheck);
}

/** Any valid caller: the master key, or a virtual key. */
export const authenticate = createMiddleware<GatewayEnv>(async (c, next) => {
  c.set("principal", await callerOf(c, false));
  return next();
});

/**
 * `authenticate` for LLM calls: a virtual key this isolate has not cached is checked by its guard in
 * the same round trip that admits the call (src/limits/admission.ts). If the call fails before that
 * (bad body, unknown model), the key is checked then, so an invalid key gets its 401, not the other error.
 */
export const authenticateCall = createMiddleware<GatewayEnv>(async (c, next) => {
  // The usual caller (a key seen before, cached here) costs no await: each one is a turn of the event loop.
  const caller = callerOf(c, true);
  const principal = caller instanceof Promise ? await caller : caller;
  c.set("principal", principal);
  await next();
  if (principal.kind === "virtual_key" && !principal.key && c.error && !c.var.keyChecked) await checkKey(c.env, principal.token!);
});

/**
 * The caller's key config now, for a step before admission that needs it (guardrails, the cache): a
 * virtual key authenticateCall left for admission to check is checked here instead (one guard round
 * trip, on the key's first call in an isolate), in place, so the later steps hold the same principal.
 * Undefined for the master key and open mode.
 */
export async function keyConfigNow(c: Context<GatewayEnv>): Promise<KeyConfig | undefined> {
  const { principal, call } = c.var;
  if (principal.kind !== "virtual_key" || principal.key) return principal.key;
  c.set("keyChecked", true);
  const config = await checkKey(c.env, principal.token!);
  Object.assign(principal, principalOf(config));
  if (!mayUse(principal, call.group)) throw modelAccessDenied(principal, call.group);
  return config;
}

/** Admin routes: the master key only. */
export const requireMaster = createMiddleware<GatewayEnv>(async (c, next) => {
  const principal = c.var.principal;
  if (principal.kind !== "master" && principal.kind !== "open") {
    throw new GatewayError(403, "permission", "Only the proxy admin (master key) can call this route.", { type: "auth_error" });
  }
  return next();
});
