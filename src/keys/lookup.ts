// Virtual key authentication. Each isolate keeps the keys it has seen for a few seconds; the key's
// KeyGuard answers every LLM call anyway (src/limits/middleware.ts) and its answer refreshes or
// drops the cached copy, so a blocked, deleted, expired or changed key takes effect on the next call.
import type { Principal } from "../auth/principal";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { guardFor } from "../limits/guard";
import type { KeyConfig, Refusal } from "../limits/types";
import { hashKey } from "./token";

const CACHE_TTL_MS = 5_000;
const CACHE_MAX_KEYS = 10_000;

/** token -> config, in the order last confirmed (oldest first, for eviction). */
const cache = new Map<string, { config: KeyConfig; confirmedAt: number }>();

export function principalOf(config: KeyConfig): Principal {
  return { kind: "virtual_key", models: config.models, token: config.token, key: config };
}

export function refusalError(r: Refusal): GatewayError {
  return new GatewayError(r.status, r.kind, r.message, { type: r.type, retryAfter: r.retryAfter });
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

/** The principal for a virtual key, or a 401 in LiteLLM's words. */
export async function virtualKeyPrincipal(env: Env, key: string): Promise<Principal> {
  const token = await hashKey(key);
  const hit = cache.get(token);
  const now = Date.now();
  if (hit && now - hit.confirmedAt < CACHE_TTL_MS && (hit.config.expires === null || hit.config.expires > now)) return principalOf(hit.config);
  const answer = await guardFor(env, { kind: "key", token }).lookup(token);
  if (!answer.ok) {
    forgetKey(token);
    throw refusalError(answer);
  }
  confirmKey(answer.config);
  return principalOf(answer.config);
}
