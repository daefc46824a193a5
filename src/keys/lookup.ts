// Virtual key authentication. Each isolate keeps the keys it has seen for a few seconds; the key's
// KeyGuard answers every LLM call anyway (src/limits/middleware.ts) and its answer refreshes or
// drops the cached copy, so a blocked, deleted, expired or changed key takes effect on the next call.
// An LLM call with a key not cached here is not looked up first: its admission checks the key.
import type { Context } from "hono";
import type { GatewayEnv } from "../app";
import type { Principal } from "../auth/principal";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { guardFor } from "../limits/guard";
import type { KeyConfig, Refusal } from "../limits/types";

const CACHE_TTL_MS = 5_000;
const CACHE_MAX_KEYS = 10_000;

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
  console.error(`[keys] key guard unreachable: ${err.message}`);
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

/** The principal for a virtual key (by its token), or a 401 in LiteLLM's words. `fresh`: ask its guard, not the cache. */
export async function virtualKeyPrincipal(env: Env, token: string, fresh = false): Promise<Principal> {
  const hit = fresh ? undefined : cached(token);
  if (hit) return principalOf(hit);
  const answer = await guardFor(env, { kind: "key", token }).lookup(token).catch(guardUnavailable);
  if (!answer.ok) {
    forgetKey(token);
    throw refusalError(answer);
  }
  confirmKey(answer.config);
  return principalOf(answer.config);
}

// ---- LLM calls: the guard checks the key and reserves the call in one round trip ----

/** Requests whose key the guard has answered for (accepted or refused). */
const askedGuard = new WeakSet<Request>();

export const markAskedGuard = (req: Request) => askedGuard.add(req);

/** For LLM calls: the cached principal, else an unchecked one (no models yet) that the call's admission checks. */
export function callPrincipal(token: string): Principal {
  const hit = cached(token);
  return hit ? principalOf(hit) : { kind: "virtual_key", token };
}

/**
 * A call that failed before reaching its guard (bad body, unknown model) with an unchecked key:
 * if the key is not valid, the caller gets the 401, not the other error.
 */
export function answerUncheckedKey(c: Context<GatewayEnv>): Promise<void> | undefined {
  const p = c.get("principal");
  if (p.kind !== "virtual_key" || p.key || !c.error || askedGuard.has(c.req.raw)) return undefined;
  return askGuardAbout(c, p);
}

async function askGuardAbout(c: Context<GatewayEnv>, p: Principal): Promise<void> {
  const answer = await guardFor(c.env, { kind: "key", token: p.token! }).lookup(p.token!).catch(guardUnavailable);
  if (answer.ok) confirmKey(answer.config);
  else throw refusalError(answer); // rendered by the route's onError (OpenAI or Anthropic shape)
}
