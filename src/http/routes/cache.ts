// LiteLLM's cache admin routes, master key only:
//   GET  /cache/ping       a KV write and read-back, with the cache's settings
//   POST /cache/delete     {keys: [...]}: the keys x-litellm-cache-key showed (`hash` or `namespace:hash`)
//   POST /cache/flushall   {namespace?}: orphans every entry of a namespace, or of all of them. KV has no
//                          flush: each namespace's generation number (part of every key) goes up; other
//                          isolates see it within ~10 s (plus KV's propagation, up to a minute elsewhere).
import { Hono } from "hono";
import { z } from "zod";
import { parseShownKey, cacheStoreFor } from "../../cache/store";
import { vectorIndexFor } from "../../cache/semantic/vectors";
import type { GatewayEnv } from "../../core/hono-env";
import { GatewayError } from "../../errors";
import { authenticate, requireMaster } from "../middleware/auth";
import { requireCacheSettings } from "../middleware/cache";
import { body, optionalBody } from "./admin";

export const cacheRoutes = new Hono<GatewayEnv>();

const masterOnly = [authenticate, requireMaster] as const;

cacheRoutes.get("/cache/ping", ...masterOnly, async (c) => {
  const settings = requireCacheSettings(c.var.runtime);
  const params = { type: settings.type, namespace: settings.namespace || null, ttl: settings.ttl, mode: settings.optIn ? "default_off" : "default_on", supported_call_types: [...settings.kinds] };
  let ok = false;
  let error: string | undefined;
  try {
    ok = await cacheStoreFor(c.env.KV).ping();
  } catch (err) {
    error = (err as Error).message;
  }
  if (!ok) throw new GatewayError(503, "unavailable", `Service Unhealthy: the cache's KV did not answer a write and read-back${error ? ` (${error})` : ""}`);
  return c.json({ status: "healthy", cache_type: settings.type, backend: "workers-kv", ping_response: true, set_cache_response: "success", litellm_cache_params: params });
});

const deleteSchema = z.object({ keys: z.array(z.string().min(1)).min(1).max(1000) });

cacheRoutes.post("/cache/delete", ...masterOnly, async (c) => {
  requireCacheSettings(c.var.runtime);
  const { keys } = await body(c, deleteSchema);
  const store = cacheStoreFor(c.env.KV);
  const parsed = keys.map(parseShownKey);
  const bad = keys.filter((_, i) => !parsed[i]);
  if (bad.length) throw new GatewayError(400, "bad_request", `Not cache keys (expected what x-litellm-cache-key shows): ${bad.slice(0, 3).join(", ")}`, { param: "keys" });
  const kvKeys = await Promise.all(parsed.map((p) => store.entryKey(p!.namespace, p!.hash)));
  await store.delete(kvKeys.flatMap((k) => (k ? [k.kv] : [])));
  return c.json({ status: "success", deleted: keys.length });
});

const flushSchema = z.object({ namespace: z.string().min(1).max(128).optional() });

cacheRoutes.post("/cache/flushall", ...masterOnly, async (c) => {
  const settings = requireCacheSettings(c.var.runtime);
  const { namespace } = await optionalBody(c, flushSchema);
  const generation = await cacheStoreFor(c.env.KV).flush(namespace);
  // The Durable Object index of a flushed namespace is emptied too (Vectorize's old vectors are orphaned by the generation).
  const semantic = settings.semantic && namespace !== undefined ? vectorIndexFor(c.env, settings.semantic.vectorizeBinding, namespace) : undefined;
  await semantic?.clear();
  return c.json({ status: "success", namespace: namespace ?? null, scope: namespace === undefined ? "all namespaces" : "namespace", generation });
});
