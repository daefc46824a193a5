// Build-time checks of the response cache's config, and the one start-up line that says what serves it.
import { cacheSettingsOf } from "../core/cache-settings";
import { CACHE_BACKEND_PARAMS } from "../schema/cache";
import type { ParsedConfig } from "../schema/config";

/** A semantic cache must embed with a model the config has. */
export function cacheIssues(config: ParsedConfig, known: (name: string) => boolean): string[] {
  const semantic = cacheSettingsOf(config)?.semantic;
  if (!semantic || known(semantic.embeddingModel)) return [];
  return [`litellm_settings.cache_params: the semantic cache's embedding model '${semantic.embeddingModel}' is not a model_name in model_list (set redis_semantic_cache_embedding_model or qdrant_semantic_cache_embedding_model)`];
}

/** "cache on: KV serves type redis ..." when the cache is on; undefined when it is off. */
export function cacheNotice(config: ParsedConfig): string | undefined {
  const settings = cacheSettingsOf(config);
  if (!settings) return undefined;
  const params = config.litellm_settings.cache_params ?? {};
  const unused = CACHE_BACKEND_PARAMS.filter((k) => params[k] !== undefined);
  const vectors = settings.semantic
    ? `; semantic matches (similarity >= ${settings.semantic.threshold}, embeddings from '${settings.semantic.embeddingModel}') in ${settings.semantic.vectorizeBinding ? `the Vectorize binding ${settings.semantic.vectorizeBinding}` : "a Durable Object per namespace"}`
    : "";
  return `response cache on: cache_params.type '${settings.type}' is served by Workers KV (binding KV)${vectors}${unused.length ? `; not used here: ${unused.join(", ")}` : ""}`;
}
