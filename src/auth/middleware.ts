// Authentication: sets c.var.principal, or answers 401 in LiteLLM's words.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../app";
import { GatewayError } from "../errors";
import { extractApiKey, safeEqual } from "./credentials";
import { answerUncheckedKey, callPrincipal, virtualKeyPrincipal } from "../keys/lookup";
import { MASTER, OPEN, type Principal } from "./principal";

export const authError = (message = "Authentication Error, Invalid proxy server token passed.") =>
  new GatewayError(401, "auth", message, { type: "auth_error", code: "401" });

/** Who is calling. `deferKeyCheck`: a virtual key not cached here is left for its guard to check. */
async function callerOf(c: Context<GatewayEnv>, deferKeyCheck: boolean): Promise<Principal> {
  const { masterKey } = c.var.runtime;
  if (!masterKey) return OPEN;
  const key = extractApiKey(c.req.raw.headers);
  if (!key) throw authError("Authentication Error, No api key passed in.");
  if (safeEqual(key, masterKey)) return MASTER;
  if (key.startsWith("sk-")) return deferKeyCheck ? callPrincipal(key) : virtualKeyPrincipal(c.env, key);
  throw authError();
}

/** Any valid caller: the master key, or a virtual key (src/keys/lookup.ts). */
export const authenticate = createMiddleware<GatewayEnv>(async (c, next) => {
  c.set("principal", await callerOf(c, false));
  return next();
});

/**
 * `authenticate` for LLM calls: a virtual key this isolate has not cached is checked by its guard
 * in the same round trip that reserves the call (src/limits/middleware.ts).
 */
export const authenticateCall = createMiddleware<GatewayEnv>(async (c, next) => {
  c.set("principal", await callerOf(c, true));
  await next();
  await answerUncheckedKey(c);
});

/** Admin routes: the master key only. */
export const requireMaster = createMiddleware<GatewayEnv>(async (c, next) => {
  const principal = c.var.principal;
  if (principal.kind !== "master" && principal.kind !== "open") {
    throw new GatewayError(403, "permission", "Only the proxy admin (master key) can call this route.", { type: "auth_error" });
  }
  return next();
});
