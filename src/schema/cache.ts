// The response cache's config (LiteLLM's `litellm_settings.cache_params`) and its per-request controls
// (the body's `cache` object). Composed into ./config.ts; src/cache reads what they parse to.
import { z } from "zod";

/** `cache_params.type` values LiteLLM accepts. Here Workers KV serves them all (vectors: Vectorize or a Durable Object). */
export const CACHE_TYPES = ["local", "redis", "redis-semantic", "valkey-semantic", "qdrant-semantic", "s3", "gcs", "azure-blob", "disk"] as const;
export const SEMANTIC_CACHE_TYPES: ReadonlySet<string> = new Set(["redis-semantic", "valkey-semantic", "qdrant-semantic"]);

/**
 * Settings of the backends LiteLLM talks to (Redis, Qdrant, S3, GCS, disk): accepted so that a LiteLLM
 * config loads unchanged, and named in one start-up line instead of one warning each (KV replaces them).
 */
export const CACHE_BACKEND_PARAMS = [
  "host", "port", "password", "username", "url", "ssl", "ssl_cert_reqs", "ssl_check_hostname", "redis_url",
  "redis_startup_nodes", "service_name", "sentinel_nodes", "sentinel_password", "redis_flush_size",
  "redis_semantic_cache_index_name", "valkey_semantic_cache_index_name", "default_in_memory_ttl", "default_in_redis_ttl",
  "gcp_service_account", "gcp_ssl_ca_certs", "qdrant_api_base", "qdrant_api_key", "qdrant_collection_name",
  "qdrant_quantization_config", "qdrant_semantic_cache_vector_size", "s3_bucket_name", "s3_region_name",
  "s3_api_version", "s3_use_ssl", "s3_verify", "s3_endpoint_url", "s3_aws_access_key_id", "s3_aws_secret_access_key",
  "s3_aws_session_token", "s3_config", "s3_path", "gcs_bucket_name", "gcs_path_service_account", "gcs_path",
  "azure_account_url", "azure_blob_container", "disk_cache_dir",
] as const;

export const cacheParamsSchema = z
  .looseObject({
    type: z.enum(CACHE_TYPES).optional(),
    /** Seconds an answer stays cached (default 24 h here; see src/cache/settings.ts). */
    ttl: z.number().positive().optional(),
    namespace: z.string().min(1).max(128).optional(),
    /** default_off: only requests with `cache: {"use-cache": true}` use the cache. */
    mode: z.enum(["default_on", "default_off"]).optional(),
    /** LiteLLM call types: completion/acompletion, text_completion/atext_completion, embedding/aembedding, anthropic_messages. */
    supported_call_types: z.array(z.string()).optional(),
    /** Semantic types: the least cosine similarity that counts as the same question. */
    similarity_threshold: z.number().min(0).max(1).optional(),
    redis_semantic_cache_embedding_model: z.string().min(1).optional(),
    valkey_semantic_cache_embedding_model: z.string().min(1).optional(),
    qdrant_semantic_cache_embedding_model: z.string().min(1).optional(),
    /** This gateway's own: the Vectorize index binding that holds the semantic cache's vectors (else a Durable Object). */
    vectorize_binding: z.string().min(1).optional(),
    /** Seconds the semantic lookup may spend embedding the prompt before it counts as a miss (LiteLLM's name). */
    semantic_cache_embedding_timeout: z.number().positive().optional(),
    ...Object.fromEntries(CACHE_BACKEND_PARAMS.map((k) => [k, z.unknown().optional()])),
  })
  .refine((p) => !p.type || !SEMANTIC_CACHE_TYPES.has(p.type) || p.similarity_threshold !== undefined, {
    message: "a semantic cache type needs similarity_threshold (0..1)",
    path: ["similarity_threshold"],
  });

/** The body's `cache` object (LiteLLM's dynamic cache controls). */
export const cacheControlsSchema = z.looseObject({
  /** Skip the lookup: always ask the upstream (the answer is still stored unless no-store). */
  "no-cache": z.boolean().optional(),
  /** Do not store this answer. */
  "no-store": z.boolean().optional(),
  /** Seconds to keep this answer. */
  ttl: z.number().positive().optional(),
  /** Accept a cached answer only if it is at most this many seconds old. */
  "s-maxage": z.number().min(0).optional(),
  "s-max-age": z.number().min(0).optional(),
  namespace: z.string().min(1).max(128).optional(),
  /** mode default_off: opt this request in. */
  "use-cache": z.boolean().optional(),
});

export type CacheParams = z.infer<typeof cacheParamsSchema>;
export type CacheControls = z.infer<typeof cacheControlsSchema>;

/** The cache controls LiteLLM knows (its SupportedCacheControls); `allowed_cache_controls` lists some of these. */
export const CACHE_CONTROL_NAMES = ["ttl", "s-maxage", "s-max-age", "no-cache", "no-store", "namespace", "use-cache"] as const;
