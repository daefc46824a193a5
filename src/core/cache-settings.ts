// What the response cache does, read once from the config: on or off, for which calls, for how long,
// and whether it matches paraphrases (semantic). The config compiler checks it (src/config/compile.ts),
// the cache runs on it (src/cache).
import { SEMANTIC_CACHE_TYPES } from "../schema/cache";
import type { ParsedConfig } from "../schema/config";

/** The calls the cache tells apart: /v1/messages is a chat call answered in Anthropic's format. */
export type CacheCallKind = "chat" | "completion" | "embedding" | "messages";

export interface CacheSettings {
  /** cache_params.type as written (KV serves every type). */
  type: string;
  /** default_off: only requests that say `cache: {"use-cache": true}`. */
  optIn: boolean;
  /** Seconds an answer is kept when neither the request nor its deployment says. */
  ttl: number;
  /** cache_params.namespace; "" = none. */
  namespace: string;
  kinds: ReadonlySet<CacheCallKind>;
  semantic?: {
    threshold: number;
    /** The model group the prompts are embedded with (through the gateway's own router). */
    embeddingModel: string;
    /** A Vectorize binding's name, else a Durable Object per namespace holds the vectors. */
    vectorizeBinding?: string;
    embeddingTimeoutMs: number;
  };
}

/** LiteLLM keeps answers until Redis evicts them; KV needs an expiry, and flushed generations must expire too. */
export const DEFAULT_CACHE_TTL_SECONDS = 24 * 60 * 60;
/** LiteLLM's default embedding model for its semantic caches. */
const DEFAULT_EMBEDDING_MODEL = "text-embedding-ada-002";
const DEFAULT_EMBEDDING_TIMEOUT_S = 5;

/** LiteLLM's call type names for each kind. */
const CALL_TYPES: Record<CacheCallKind, readonly string[]> = {
  chat: ["completion", "acompletion"],
  completion: ["text_completion", "atext_completion"],
  embedding: ["embedding", "aembedding"],
  messages: ["anthropic_messages", "completion", "acompletion"],
};

/** The cache's settings, or undefined when the config does not turn it on. */
export function cacheSettingsOf(config: ParsedConfig): CacheSettings | undefined {
  const { litellm_settings: settings, router_settings: router } = config;
  if (settings.cache !== true && router.enable_cache !== true && router.cache_responses !== true) return undefined;
  const params = settings.cache_params ?? {};
  const types = params.supported_call_types;
  const kinds = (Object.keys(CALL_TYPES) as CacheCallKind[]).filter((k) => !types || CALL_TYPES[k].some((t) => types.includes(t)));
  const type = params.type ?? "local";
  return {
    type,
    optIn: params.mode === "default_off",
    ttl: params.ttl ?? DEFAULT_CACHE_TTL_SECONDS,
    namespace: params.namespace ?? "",
    kinds: new Set(kinds),
    semantic: SEMANTIC_CACHE_TYPES.has(type)
      ? {
          threshold: params.similarity_threshold ?? 1,
          embeddingModel: params.redis_semantic_cache_embedding_model ?? params.valkey_semantic_cache_embedding_model ?? params.qdrant_semantic_cache_embedding_model ?? DEFAULT_EMBEDDING_MODEL,
          vectorizeBinding: params.vectorize_binding,
          embeddingTimeoutMs: (params.semantic_cache_embedding_timeout ?? DEFAULT_EMBEDDING_TIMEOUT_S) * 1000,
        }
      : undefined,
  };
}
