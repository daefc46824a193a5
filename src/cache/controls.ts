// What the cache may do for one call, as LiteLLM decides it: the request's `cache` object and its
// `Cache-Control` header (within the key's `allowed_cache_controls`), overridden by the key's - else the
// team's - metadata `cache` (an admin's opt-out: `{"no-cache": true, "no-store": true}`), within the
// config's mode (default_off: only requests that say `use-cache`).
import type { CacheSettings } from "../core/cache-settings";
import type { Principal } from "../core/principal";
import { GatewayError } from "../errors";
import { invalidRequest } from "../lib/zod-issues";
import { z } from "zod";
import { cacheControlsSchema, type CacheControls } from "../schema/cache";

/** The body's `cache`, so that a 400 names `cache.<field>`. */
const bodyCacheSchema = z.object({ cache: cacheControlsSchema });

export interface CallControls {
  /** Look the answer up (no `no-cache`). */
  read: boolean;
  /** Store the answer (no `no-store`). */
  write: boolean;
  /** Seconds to keep the answer, when the request or an admin says. */
  ttl?: number;
  /** Oldest cached answer accepted (`s-maxage`), ms. */
  maxAgeMs?: number;
  namespace: string;
}

/** `Cache-Control: no-cache, no-store, s-maxage=60` as controls (max-age counts as s-maxage). */
function headerControls(header: string | null): CacheControls {
  const out: CacheControls = {};
  if (!header) return out;
  for (const part of header.split(",")) {
    const [name, value] = part.trim().toLowerCase().split("=");
    if (name === "no-cache" || name === "no-store") out[name] = true;
    else if ((name === "s-maxage" || name === "max-age") && value && /^\d+$/.test(value)) out["s-maxage"] = Number(value);
  }
  return out;
}

/** An admin's `cache` in key or team metadata; invalid ones are ignored (the admin API accepts any metadata). */
function adminControls(metadata: unknown): CacheControls | undefined {
  const cache = (metadata as { cache?: unknown } | undefined)?.cache;
  if (cache === undefined) return undefined;
  const parsed = cacheControlsSchema.safeParse(cache);
  return parsed.success ? parsed.data : undefined;
}

/** LiteLLM's 403 for a control the key may not send. */
function checkAllowed(allowed: readonly string[] | undefined, controls: CacheControls): void {
  if (!allowed?.length) return;
  for (const name of Object.keys(controls)) {
    if (!allowed.includes(name)) {
      throw new GatewayError(403, "permission", `Not allowed to set ${name} as a cache control. Contact admin to change permissions.`, { param: "cache" });
    }
  }
}

/**
 * The controls of one call, or undefined when the cache stays out of it (mode default_off without
 * `use-cache`, or both `no-cache` and `no-store`). Throws a 400 for a malformed `cache`, a 403 for a
 * control the key may not send.
 */
export function callControls(settings: CacheSettings, body: { cache?: unknown; metadata?: unknown }, header: string | null, principal: Principal): CallControls | undefined {
  let requested = headerControls(header);
  if (body.cache !== undefined) {
    const parsed = bodyCacheSchema.safeParse(body);
    if (!parsed.success) throw invalidRequest(parsed.error);
    requested = { ...requested, ...parsed.data.cache };
  }
  checkAllowed(principal.key?.allowed_cache_controls, requested);
  const admin = adminControls(principal.metadata) ?? adminControls(principal.key?.team_metadata);
  const c: CacheControls = admin ? { ...requested, ...admin } : requested;
  if (settings.optIn && c["use-cache"] !== true) return undefined;
  const read = c["no-cache"] !== true;
  const write = c["no-store"] !== true;
  if (!read && !write) return undefined;
  const maxAge = c["s-maxage"] ?? c["s-max-age"];
  const redisNamespace = (body.metadata as { redis_namespace?: unknown } | undefined)?.redis_namespace;
  return {
    read,
    write,
    ttl: c.ttl,
    maxAgeMs: maxAge === undefined ? undefined : maxAge * 1000,
    namespace: c.namespace ?? (typeof redisNamespace === "string" && redisNamespace ? redisNamespace : settings.namespace),
  };
}
