// Who a presented key is, and whether it is valid. The master key and virtual keys' tokens are
// remembered per isolate (no constant-time compare or SHA-256 per call). Each isolate keeps the virtual
// keys it has seen for a few seconds; the key's KeyGuard answers every LLM call anyway
// (src/limits/admission.ts) and its answer refreshes or drops the cached copy, so a blocked, deleted,
// expired or changed key takes effect on the next call. An LLM call with a key not cached here is not
// looked up first: its admission checks the key.
import { guardFor, type KeyConfig, type Refusal } from "../core/guard-rpc";
import { MASTER, type Principal } from "../core/principal";
import type { Runtime } from "../core/provider";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { safeEqual } from "./credentials";
import { hashKey } from "./token";
import { logText } from "../lib/safe-text";

const CACHE_TTL_MS = 5_000;
const CACHE_MAX_KEYS = 10_000;
const MAX_SEEN_KEYS = 10_000;

export const authError = (message = "Authentication Error, Invalid proxy server token passed.") =>
  new GatewayError(401, "auth", message, { type: "auth_error", code: "401" });

// ---- identifying a presented key ----

const IS_MASTER = Symbol("master key");
type Identity = string | typeof IS_MASTER | undefined;

/**
 * Keys presented to this isolate (per runtime): the master key, or a virtual key's token. Only in
 * memory, never logged; a key's validity is not cached here (see the key cache below).
 */
const seenKeys = new WeakMap<object, Map<string, string | typeof IS_MASTER>>();

/** IS_MASTER for the master key, the token of an `sk-` key, undefined for anything else: at once for a key seen before. */
function identify(runtime: Runtime, key: string): Identity | Promise<Identity> {
  let seen = seenKeys.get(runtime.isolate); // per isolate: the master key is the config's, whatever models change
  if (!seen) seenKeys.set(runtime.isolate, (seen = new Map()));
  return seen.get(key) ?? identifyNew(seen, runtime, key);
}

async function identifyNew(seen: Map<string, string | typeof IS_MASTER>, runtime: Runtime, key: string): Promise<Identity> {
  const id = safeEqual(key, runtime.masterKey!) ? IS_MASTER : key.startsWith("sk-") ? await hashKey(key) : undefined;
  if (id === undefined) return undefined;
  if (seen.size >= MAX_SEEN_KEYS) seen.delete(seen.keys().next().value!);
  seen.set(key, id);
  return id;
}

/**
 * The principal for a presented key (a runtime with a master key), or LiteLLM's 401. `deferCheck`: a
 * virtual key not cached here is returned unchecked (no models yet), for its call's admission to check.
 * A plain value for a key seen before: every await costs the request path a turn.
 */
export function principalForKey(env: Env, runtime: Runtime, key: string, deferCheck: boolean): Principal | Promise<Principal> {
  const identifying = identify(runtime, key);
  if (identifying instanceof Promise) return identifying.then((id) => principalFor(env, id, deferCheck));
  return principalFor(env, identifying, deferCheck);
}

function principalFor(env: Env, id: Identity, deferCheck: boolean): Principal | Promise<Principal> {
  if (id === IS_MASTER) return MASTER;
  if (id === undefined) throw authError();
  return principalForToken(env, id, deferCheck);
}

/** The principal for a virtual key's token (a key presented, or the admin UI's session of one). */
export function principalForToken(env: Env, token: string, deferCheck: boolean): Principal | Promise<Principal> {
  const hit = cached(token);
  if (hit) return principalOf(hit);
  return deferCheck ? { kind: "virtual_key", token } : checkKey(env, token).then(principalOf);
}

/** A virtual key's principal, checked; `fresh`: ask its guard even when cached here (the admin UI's sign-in). */
export async function virtualKeyPrincipal(env: Env, token: string, fresh = false): Promise<Principal> {
  if (fresh) return principalOf(await checkKey(env, token));
  return principalForToken(env, token, false);
}

// ---- the key cache, and asking a key's guard ----

/** token -> config, in the order last confirmed (oldest first, for eviction). */
const cache = new Map<string, { config: KeyConfig; confirmedAt: number }>();

export function principalOf(config: KeyConfig): Principal {
  return { kind: "virtual_key", models: config.models, token: config.token, key: config, metadata: config.metadata };
}

export function refusalError(r: Refusal): GatewayError {
  return new GatewayError(r.status, r.kind, r.message, { type: r.type, retryAfter: r.retryAfter });
}

/** A guard that cannot be reached: fail closed (limits must hold), and say it is temporary. */
export function guardUnavailable(err: Error): never {
  console.error(`[keys] key guard unreachable: ${logText(String(err?.message))}`);
  throw new GatewayError(503, "unavailable", "Could not check this key's limits right now; try again.", { retryAfter: 1 });
}

/** The guard confirmed (or changed) this config just now. */
export function confirmKey(config: KeyConfig): void {
  cache.delete(config.token);
  cache.set(config.token, { config, confirmedAt: Date.now() });
  if (cache.size > CACHE_MAX_KEYS) cache.delete(cache.keys().next().value!);
}

/** The guard confirmed the cached version is current. */
export function touchKey(token: string): void {
  const entry = cache.get(token);
  if (entry) confirmKey(entry.config);
}

export function forgetKey(token: string): void {
  cache.delete(token);
}

function cached(token: string): KeyConfig | undefined {
  const hit = cache.get(token);
  const now = Date.now();
  return hit && now - hit.confirmedAt < CACHE_TTL_MS && (hit.config.expires === null || hit.config.expires > now) ? hit.config : undefined;
}

/** Asks the key's guard: its config (now cached here), or the 401 (or 503) in LiteLLM's words. */
export async function checkKey(env: Env, token: string): Promise<KeyConfig> {
  const answer = await guardFor(env, { kind: "key", token }).lookup(token).catch(guardUnavailable);
  if (!answer.ok) {
    forgetKey(token);
    throw refusalError(answer);
  }
  confirmKey(answer.config);
  return answer.config;
}
