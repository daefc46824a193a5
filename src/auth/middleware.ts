// Authentication: sets c.var.principal, or answers 401 in LiteLLM's words.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../app";
import { GatewayError } from "../errors";
import { extractApiKey, safeEqual } from "./credentials";
import type { Runtime } from "../config/runtime";
import { answerUncheckedKey, callPrincipal, virtualKeyPrincipal } from "../keys/lookup";
import { hashKey } from "../keys/token";
import { MASTER, OPEN, type Principal } from "./principal";
import { sessionCaller } from "../ui/auth";

export const authError = (message = "Authentication Error, Invalid proxy server token passed.") =>
  new GatewayError(401, "auth", message, { type: "auth_error", code: "401" });

const MAX_SEEN_KEYS = 10_000;

/**
 * Keys presented to this isolate (per runtime): the master key, or a virtual key's token, so neither the
 * constant-time comparison nor the SHA-256 runs again on every call. Only in memory, never logged; a
 * key's validity is not cached here (see src/keys/lookup.ts).
 */
const seenKeys = new WeakMap<Runtime, Map<string, string | typeof IS_MASTER>>();
const IS_MASTER = Symbol("master key");

type Identity = string | typeof IS_MASTER | undefined;

/** IS_MASTER for the master key, the token of an `sk-` key, undefined for anything else: at once for a key seen before. */
function identify(runtime: Runtime, key: string): Identity | Promise<Identity> {
  let seen = seenKeys.get(runtime);
  if (!seen) seenKeys.set(runtime, (seen = new Map()));
  return seen.get(key) ?? identifyNew(seen, runtime, key);
}

async function identifyNew(seen: Map<string, string | typeof IS_MASTER>, runtime: Runtime, key: string): Promise<Identity> {
  const id = safeEqual(key, runtime.masterKey!) ? IS_MASTER : key.startsWith("sk-") ? await hashKey(key) : undefined;
  if (id === undefined) return undefined;
  if (seen.size >= MAX_SEEN_KEYS) seen.delete(seen.keys().next().value!);
  seen.set(key, id);
  return id;
}

/** Who is calling. `deferKeyCheck`: a virtual key not cached here is left for its guard to check. */
function callerOf(c: Context<GatewayEnv>, deferKeyCheck: boolean): Principal | Promise<Principal> {
  const runtime = c.get("runtime");
  if (!runtime.masterKey) return OPEN;
  const key = extractApiKey(c.req.raw.headers);
  if (!key) return uiSessionCaller(c, deferKeyCheck);
  const identifying = identify(runtime, key);
  if (identifying instanceof Promise) return identifying.then((id) => principalFor(c, id, deferKeyCheck));
  return principalFor(c, identifying, deferKeyCheck);
}

/** No API key: the admin UI's session cookie, if any (src/ui/auth.ts; other methods than GET need its CSRF token). */
async function uiSessionCaller(c: Context<GatewayEnv>, deferKeyCheck: boolean): Promise<Principal> {
  const caller = await sessionCaller(c.req.raw, c.env, c.get("runtime").masterKey);
  if (!caller) throw authError("Authentication Error, No api key passed in.");
  return principalFor(c, caller === "admin" ? IS_MASTER : caller.token, deferKeyCheck);
}

function principalFor(c: Context<GatewayEnv>, id: Identity, deferKeyCheck: boolean): Principal | Promise<Principal> {
  if (id === IS_MASTER) return MASTER;
  if (id !== undefined) return deferKeyCheck ? callPrincipal(id) : virtualKeyPrincipal(c.env, id);
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
  // The usual caller (a key seen before, cached here) costs no await: each one is a turn of the event loop.
  const caller = callerOf(c, true);
  c.set("principal", caller instanceof Promise ? await caller : caller);
  await next();
  const checking = answerUncheckedKey(c);
  if (checking) await checking;
});

/** Admin routes: the master key only. */
export const requireMaster = createMiddleware<GatewayEnv>(async (c, next) => {
  const principal = c.get("principal");
  if (principal.kind !== "master" && principal.kind !== "open") {
    throw new GatewayError(403, "permission", "Only the proxy admin (master key) can call this route.", { type: "auth_error" });
  }
  return next();
});
