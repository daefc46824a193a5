// The router's settings as it uses them: router_settings over litellm_settings (LiteLLM's rule where
// both have a key), LiteLLM's defaults filled in, fallback lists turned into lookup maps. Built once
// per isolate from the parsed config; nothing here runs per request.
import type { AllowedFailsPolicy, FallbackList, ParsedConfig, RetryPolicy, RoutingStrategy } from "../schema/config";

/** LiteLLM's defaults (router.py / proxy docs). */
export const DEFAULTS = {
  numRetries: 2,
  cooldownTimeS: 5,
  maxFallbacks: 5,
  /** litellm_settings.request_timeout's default. */
  timeoutS: 6000,
  latencyListSize: 10,
  latencyTtlS: 3600,
} as const;

/** `usage-based-routing` (LiteLLM's deprecated v1) runs as v2. */
export type Strategy = Exclude<RoutingStrategy, "usage-based-routing">;

/** Fallback lists by model group; "*" holds the generic list (default_fallbacks). */
export type FallbackMap = ReadonlyMap<string, readonly string[]>;

export interface RouterSettings {
  strategy: Strategy;
  numRetries: number;
  retryPolicy?: RetryPolicy;
  /** Least wait before retrying on the same deployment (router_settings.retry_after, or retry_policy.retry_after), seconds. */
  retryAfterS: number;
  /** Set (router or litellm settings) or with a policy: LiteLLM's "more than N fails a minute" rule; else its failure-rate rule. */
  allowedFails?: number;
  allowedFailsPolicy?: AllowedFailsPolicy;
  cooldownTimeS: number;
  disableCooldowns: boolean;
  fallbacks: FallbackMap;
  contextWindowFallbacks: FallbackMap;
  contentPolicyFallbacks: FallbackMap;
  maxFallbacks: number;
  timeoutS: number;
  streamTimeoutS?: number;
  enablePreCallChecks: boolean;
  latencyBuffer: number;
  latencyListSize: number;
  latencyTtlMs: number;
  dropParams: boolean;
}

/** `[{a: [b, c]}, {"*": [d]}]` -> Map; the first entry for a group wins, as in LiteLLM. `generic` is the "*" list unless one is given. */
export function fallbackMap(list: FallbackList | undefined, generic?: readonly string[]): FallbackMap {
  const map = new Map<string, readonly string[]>();
  for (const entry of list ?? []) for (const [group, targets] of Object.entries(entry)) if (!map.has(group)) map.set(group, targets);
  if (generic?.length && !map.has("*")) map.set("*", generic);
  return map;
}

export function resolveSettings(config: ParsedConfig): RouterSettings {
  const r = config.router_settings;
  const l = config.litellm_settings;
  const args = r.routing_strategy_args ?? {};
  const strategy = r.routing_strategy ?? "simple-shuffle";
  // default_fallbacks, then the guides' fallback_model: the fallback of every group without its own list.
  const generic = [...(r.default_fallbacks ?? l.default_fallbacks ?? []), ...(r.fallback_model ? [r.fallback_model] : [])];
  return {
    strategy: strategy === "usage-based-routing" ? "usage-based-routing-v2" : strategy,
    numRetries: r.num_retries ?? r.retry_policy?.num_retries ?? l.num_retries ?? DEFAULTS.numRetries,
    retryPolicy: r.retry_policy,
    retryAfterS: r.retry_after ?? r.retry_policy?.retry_after ?? 0,
    allowedFails: r.allowed_fails ?? l.allowed_fails,
    allowedFailsPolicy: r.allowed_fails_policy,
    cooldownTimeS: r.cooldown_time ?? l.cooldown_time ?? DEFAULTS.cooldownTimeS,
    disableCooldowns: r.disable_cooldowns ?? false,
    fallbacks: fallbackMap(r.fallbacks ?? l.fallbacks, [...new Set(generic)]),
    contextWindowFallbacks: fallbackMap(r.context_window_fallbacks ?? l.context_window_fallbacks),
    contentPolicyFallbacks: fallbackMap(r.content_policy_fallbacks ?? l.content_policy_fallbacks),
    maxFallbacks: r.max_fallbacks ?? DEFAULTS.maxFallbacks,
    timeoutS: r.timeout ?? l.request_timeout ?? DEFAULTS.timeoutS,
    streamTimeoutS: r.stream_timeout,
    enablePreCallChecks: r.enable_pre_call_checks ?? false,
    latencyBuffer: args.lowest_latency_buffer ?? 0,
    latencyListSize: args.max_latency_list_size ?? DEFAULTS.latencyListSize,
    latencyTtlMs: (args.ttl ?? DEFAULTS.latencyTtlS) * 1000,
    dropParams: l.drop_params ?? false,
  };
}
