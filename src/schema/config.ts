// The LiteLLM config.yaml format, as a zod schema. Every config type in the project is inferred
// from here. Objects are "loose": keys we do not know survive parsing so that `unsupportedKeys`
// (./support.ts) can report them in one warning line instead of dropping them silently.
import { z } from "zod";
import { ENDPOINT_MODES, unitPriceShape } from "./endpoints";
import { responsesModelInfoShape, responsesSettingsShape } from "./responses";
import { capabilityShape } from "./capabilities";
import { mcpServersSchema } from "./mcp";
import { generalBudgetSettings, litellmBudgetSettings } from "./budgets";
import { modelStoreSettingsShape } from "./model-store";
import { guardrailConfigShape } from "./guardrails";
import { cacheParamsSchema } from "./cache";
import { callbackSettingsSchema, observabilityGeneralSettings, observabilityLitellmSettings } from "./observability";

const num = z.number();
const posInt = z.number().int().positive();
const nonNegInt = z.number().int().min(0);
const seconds = z.number().positive();

/** A string, or `os.environ/NAME` resolved from the Worker's env at runtime. */
const str = z.string();

const headerMap = z.record(z.string(), str);

export const litellmParamsSchema = z.looseObject({
  model: z.string().min(1, "expected '<provider>/<model id>'"),
  api_base: str.optional(),
  api_key: str.optional(),
  api_version: str.optional(),
  organization: str.optional(),
  timeout: seconds.optional(),
  stream_timeout: seconds.optional(),
  max_retries: nonNegInt.optional(),
  rpm: posInt.optional(),
  tpm: posInt.optional(),
  weight: z.number().positive().optional(),
  order: z.number().int().optional(),
  /** The guides' name for `order` (lowest first); `order` wins when both are set. */
  priority: z.number().int().optional(),
  max_parallel_requests: posInt.optional(),
  cooldown_time: z.number().min(0).optional(),
  input_cost_per_token: z.number().min(0).optional(),
  output_cost_per_token: z.number().min(0).optional(),
  cache_read_input_token_cost: z.number().min(0).optional(),
  ...unitPriceShape,
  extra_headers: headerMap.optional(),
  mock_response: z.string().optional(),
  tags: z.array(z.string()).optional(),
  // AWS Bedrock credentials (providers issue)
  aws_access_key_id: str.optional(),
  aws_secret_access_key: str.optional(),
  aws_session_token: str.optional(),
  aws_region_name: str.optional(),
  /** Vertex AI: a service account's JSON (text, or the object itself), its project and region. */
  vertex_credentials: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  vertex_project: str.optional(),
  vertex_location: str.optional(),
  /** Azure: an Entra ID token, sent as Bearer when there is no api_key. */
  azure_ad_token: str.optional(),
  /** Name of a Workers VPC / service binding to call instead of the global fetch. */
  vpc_binding: z.string().optional(),
  /** Seconds the response cache keeps this deployment's answers (over cache_params.ttl). */
  ttl: seconds.optional(),
});

export const modelInfoSchema = z.looseObject({
  id: z.string().min(1).optional(),
  mode: z.enum(["chat", "completion", "embedding", "responses", ...ENDPOINT_MODES]).optional(),
  ...responsesModelInfoShape,
  base_model: z.string().optional(),
  max_tokens: posInt.optional(),
  max_input_tokens: posInt.optional(),
  max_output_tokens: posInt.optional(),
  access_groups: z.array(z.string()).optional(),
  input_cost_per_token: z.number().min(0).optional(),
  output_cost_per_token: z.number().min(0).optional(),
  ...unitPriceShape,
  ...capabilityShape,
});

export const modelEntrySchema = z.looseObject({
  model_name: z.string().min(1),
  litellm_params: litellmParamsSchema,
  model_info: modelInfoSchema.optional(),
});

/** `{ "gpt-4o": ["claude-sonnet", "llama"] }`; a single name may stand for a one-name list. */
const fallbackMapping = z.record(z.string(), z.union([z.array(z.string()), z.string().transform((name) => [name])]));
/** LiteLLM's list of one-key mappings `[{gpt-4o: [a, b]}, ...]`, or the guides' bare mapping `{gpt-4o: [a, b]}`. */
const fallbackList = z.union([z.array(fallbackMapping), fallbackMapping.transform((mapping) => [mapping])]);

const retryPolicySchema = z.looseObject({
  BadRequestErrorRetries: nonNegInt.optional(),
  AuthenticationErrorRetries: nonNegInt.optional(),
  TimeoutErrorRetries: nonNegInt.optional(),
  RateLimitErrorRetries: nonNegInt.optional(),
  ContentPolicyViolationErrorRetries: nonNegInt.optional(),
  InternalServerErrorRetries: nonNegInt.optional(),
  /** The guides' shorthand: retries for every error class, and the least wait (seconds) before one. */
  num_retries: nonNegInt.optional(),
  retry_after: z.number().min(0).optional(),
});

const allowedFailsPolicySchema = z.looseObject({
  BadRequestErrorAllowedFails: nonNegInt.optional(),
  AuthenticationErrorAllowedFails: nonNegInt.optional(),
  TimeoutErrorAllowedFails: nonNegInt.optional(),
  RateLimitErrorAllowedFails: nonNegInt.optional(),
  ContentPolicyViolationErrorAllowedFails: nonNegInt.optional(),
  InternalServerErrorAllowedFails: nonNegInt.optional(),
});

/** Settings LiteLLM accepts in both litellm_settings and router_settings (router_settings wins). */
const routingShared = {
  num_retries: nonNegInt.optional(),
  fallbacks: fallbackList.optional(),
  context_window_fallbacks: fallbackList.optional(),
  content_policy_fallbacks: fallbackList.optional(),
  default_fallbacks: z.array(z.string()).optional(),
  allowed_fails: nonNegInt.optional(),
  cooldown_time: z.number().min(0).optional(),
};

export const routingStrategies = [
  "simple-shuffle",
  "least-busy",
  "latency-based-routing",
  "usage-based-routing-v2",
  "usage-based-routing",
  "cost-based-routing",
] as const;

export const routerSettingsSchema = z.looseObject({
  ...routingShared,
  routing_strategy: z.enum(routingStrategies).optional(),
  /** latency-based-routing: pick at random among deployments within `lowest_latency_buffer` (a fraction) of the fastest. */
  routing_strategy_args: z
    .looseObject({
      lowest_latency_buffer: z.number().min(0).optional(),
      max_latency_list_size: posInt.optional(),
      /** Seconds a latency sample counts for. */
      ttl: seconds.optional(),
    })
    .optional(),
  retry_policy: retryPolicySchema.optional(),
  /** LiteLLM's least wait (seconds) before retrying on the same deployment. */
  retry_after: z.number().min(0).optional(),
  /** The guides' fallback for every group (added after default_fallbacks). */
  fallback_model: z.string().min(1).optional(),
  allowed_fails_policy: allowedFailsPolicySchema.optional(),
  disable_cooldowns: z.boolean().optional(),
  max_fallbacks: nonNegInt.optional(),
  timeout: seconds.optional(),
  stream_timeout: seconds.optional(),
  enable_pre_call_checks: z.boolean().optional(),
  /** Either turns the response cache on, as litellm_settings.cache does. */
  enable_cache: z.boolean().optional(),
  cache_responses: z.boolean().optional(),
  model_group_alias: z
    .record(z.string(), z.union([z.string(), z.looseObject({ model: z.string(), hidden: z.boolean().optional() })]))
    .optional(),
});

export const litellmSettingsSchema = z.looseObject({
  ...routingShared,
  drop_params: z.boolean().optional(),
  request_timeout: seconds.optional(),
  ...litellmBudgetSettings,
  cache: z.boolean().optional(),
  cache_params: cacheParamsSchema.optional(),
  ...observabilityLitellmSettings,
  default_key_generate_params: z.record(z.string(), z.unknown()).optional(),
  upperbound_key_generate_params: z.record(z.string(), z.unknown()).optional(),
  set_verbose: z.boolean().optional(),
  json_logs: z.boolean().optional(),
  ...guardrailConfigShape.litellmSettings,
});

export const generalSettingsSchema = z.looseObject({
  master_key: str.optional(),
  database_url: str.optional(),
  store_prompts_in_spend_logs: z.boolean().optional(),
  disable_spend_logs: z.boolean().optional(),
  ...observabilityGeneralSettings,
  global_max_parallel_requests: posInt.optional(),
  /** Largest accepted request body, in MB (LiteLLM's max_request_size_mb). */
  max_request_size_mb: z.number().positive().optional(),
  ...responsesSettingsShape,
  ...generalBudgetSettings,
  ...modelStoreSettingsShape,
});

export const configSchema = z.looseObject({
  model_list: z.array(modelEntrySchema).default([]),
  litellm_settings: litellmSettingsSchema.default({}),
  router_settings: routerSettingsSchema.default({}),
  general_settings: generalSettingsSchema.default({}),
  guardrails: guardrailConfigShape.guardrails,
  callback_settings: callbackSettingsSchema.optional(),
  environment_variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  /** MCP servers the gateway fronts (src/mcp). */
  mcp_servers: mcpServersSchema.optional(),
});

export type GatewayConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.infer<typeof configSchema>;
export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type LitellmParams = z.infer<typeof litellmParamsSchema>;
export type ModelInfo = z.infer<typeof modelInfoSchema>;
export type RouterSettings = z.infer<typeof routerSettingsSchema>;
export type LitellmSettings = z.infer<typeof litellmSettingsSchema>;
export type RoutingStrategy = (typeof routingStrategies)[number];
export type FallbackList = z.infer<typeof fallbackList>;
export type RetryPolicy = z.infer<typeof retryPolicySchema>;
export type AllowedFailsPolicy = z.infer<typeof allowedFailsPolicySchema>;
