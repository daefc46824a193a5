// The response cache step of the LLM request path (after guardrails, before enforceLimits): LiteLLM's
// `cache` (src/cache). A hit does not answer here: it hands the call its answer (call.cacheHit) and goes
// on, so enforceLimits admits it with nothing reserved (the key's rpm still counts, spend is logged at
// cost 0 with cache_hit) and dispatchCall sends it and ends the call (a replayed stream ends it itself).
// A miss goes upstream as usual and its answer is stored in the background.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { lookUpAnswer, storeAnswer, type CacheCall } from "../../cache/answers";
import { callControls } from "../../cache/controls";
import { completeEmbeddings, lookUpEmbeddings } from "../../cache/embeddings";
import { cacheKindOf } from "../../cache/key";
import type { Semantic } from "../../cache/semantic/lookup";
import { vectorIndexFor } from "../../cache/semantic/vectors";
import { cacheStoreFor } from "../../cache/store";
import { LlmCall } from "../../core/call";
import { cacheSettingsOf, type CacheSettings } from "../../core/cache-settings";
import type { GatewayEnv } from "../../core/hono-env";
import type { Runtime } from "../../core/provider";
import { GatewayError } from "../../errors";
import { keyConfigNow } from "./auth";
import { uuidv7 } from "../../lib/ids";
import { routeCall } from "../../router";
import type { EmbeddingResponse } from "../../schema/openai";

/** Per runtime (per isolate): the cache's settings, null when the config does not turn it on. */
const settingsByRuntime = new WeakMap<Runtime, CacheSettings | null>();

export function cacheSettings(runtime: Runtime): CacheSettings | undefined {
  let settings = settingsByRuntime.get(runtime);
  if (settings === undefined) settingsByRuntime.set(runtime, (settings = cacheSettingsOf(runtime.config) ?? null));
  return settings ?? undefined;
}

/** The semantic cache's pieces for this call: the vector index of its namespace and an embedder through the router. */
function semanticFor(c: Context<GatewayEnv>, settings: CacheSettings, namespace: string): Semantic | undefined {
  const s = settings.semantic;
  if (!s) return undefined;
  const index = vectorIndexFor(c.env, s.vectorizeBinding, namespace);
  if (!index) return undefined;
  const { runtime, principal } = c.var;
  const embed = async (text: string) => {
    const group = runtime.resolveModel(s.embeddingModel);
    if (!group) throw new Error(`embedding model '${s.embeddingModel}' is not in the config`);
    // Its own call through the router (retries, fallbacks, cooldowns); not billed to the caller's key.
    const call = new LlmCall(uuidv7(), { endpoint: "embedding", body: { model: s.embeddingModel, input: [text] } }, group, principal, AbortSignal.timeout(s.embeddingTimeoutMs));
    const result = await routeCall(call, runtime, c.env);
    call.finish({ status: "ok", httpStatus: 200, usage: result.kind === "json" ? result.usage : undefined });
    const vector = result.kind === "json" ? (result.body as EmbeddingResponse).data?.[0]?.embedding : undefined;
    if (!Array.isArray(vector)) throw new Error(`'${s.embeddingModel}' answered no float embedding`);
    return vector;
  };
  return { index, embed, threshold: s.threshold, timeoutMs: s.embeddingTimeoutMs };
}

export const responseCache = createMiddleware<GatewayEnv>(async (c, next) => {
  const settings = cacheSettings(c.var.runtime);
  const call = c.var.call;
  const kind = cacheKindOf(call);
  if (!settings || !kind || !settings.kinds.has(kind)) return next();
  // The key's allowed_cache_controls and metadata decide what the cache may do.
  await keyConfigNow(c);
  const principal = c.var.principal;
  const controls = callControls(settings, call.request.body, c.req.header("cache-control") ?? null, principal);
  if (!controls) return next();
  const cache: CacheCall = { call, principal, settings, controls, store: cacheStoreFor(c.env.KV) };

  if (call.endpoint === "embedding") {
    const lookup = await lookUpEmbeddings(cache);
    await next();
    if (lookup) c.res = await completeEmbeddings(cache, lookup, c.res);
    return;
  }
  const semantic = semanticFor(c, settings, controls.namespace);
  const lookup = await lookUpAnswer(cache, semantic);
  await next();
  if (lookup) {
    const res = storeAnswer(cache, lookup, c.res, semantic);
    if (res !== c.res) c.res = res;
  }
});

/** For the admin routes: the settings, or LiteLLM's 503 when the cache is off. */
export function requireCacheSettings(runtime: Runtime): CacheSettings {
  const settings = cacheSettings(runtime);
  if (!settings) throw new GatewayError(503, "unavailable", "Cache not initialized. litellm.cache is None: set litellm_settings.cache: true in the config.");
  return settings;
}
