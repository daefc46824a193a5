// LiteLLM's Prometheus metrics: names, types, help texts, label names and histogram buckets as
// litellm/integrations/prometheus.py and litellm/types/integrations/prometheus.py define them, so
// LiteLLM's Grafana dashboards read this gateway unchanged. Counters are exposed with the `_total`
// suffix Python's prometheus_client adds (the dashboards query `litellm_proxy_total_requests_metric_total`).
//
// Left out of LiteLLM's label sets: client_ip, user_agent (unbounded, set by clients), user_email,
// org_id/org_alias (no organisations here). Label cardinality is bounded in ../hub.ts.

export type FamilyType = "counter" | "histogram" | "gauge";

export interface Family {
  name: string;
  type: FamilyType;
  help: string;
  labels: readonly string[];
}

/** LiteLLM's LATENCY_BUCKETS (seconds), +Inf implied. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 420, 600] as const;
/** prometheus_client's default buckets (litellm_deployment_latency_per_output_token has no buckets of its own). */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] as const;

const KEY = ["hashed_api_key", "api_key_alias"] as const;
const TEAM = ["team", "team_alias"] as const;
const DEPLOYMENT = ["litellm_model_name", "model_id", "api_base", "api_provider"] as const;

const family = (name: string, type: FamilyType, help: string, labels: readonly string[]): Family => ({ name, type, help, labels });

export const F = {
  proxyTotal: family("litellm_proxy_total_requests_metric", "counter", "Total number of requests made to the proxy server - track number of client side requests", ["end_user", ...KEY, "requested_model", ...TEAM, "user", "status_code", "route", "model_id"]),
  proxyFailed: family("litellm_proxy_failed_requests_metric", "counter", "Total number of failed responses from proxy - the client did not get a success response from litellm proxy", ["end_user", ...KEY, "requested_model", ...TEAM, "user", "exception_status", "exception_class", "route", "model_id"]),
  spend: family("litellm_spend_metric", "counter", "Total spend on LLM requests", ["end_user", ...KEY, "model", ...TEAM, "user", "model_id", "api_provider"]),
  totalTokens: family("litellm_total_tokens_metric", "counter", "Total number of input + output tokens from LLM requests", ["end_user", ...KEY, "model", ...TEAM, "user", "requested_model", "model_id"]),
  inputTokens: family("litellm_input_tokens_metric", "counter", "Total number of input tokens from LLM requests", ["end_user", ...KEY, "model", ...TEAM, "user", "requested_model", "model_id"]),
  outputTokens: family("litellm_output_tokens_metric", "counter", "Total number of output tokens from LLM requests", ["end_user", ...KEY, "model", ...TEAM, "user", "requested_model", "model_id"]),
  requestLatency: family("litellm_request_total_latency_metric", "histogram", "Total latency (seconds) for a request to LiteLLM", ["end_user", ...KEY, "requested_model", ...TEAM, "user", "model", "model_id"]),
  apiLatency: family("litellm_llm_api_latency_metric", "histogram", "Total latency (seconds) for a models LLM API call", ["model", ...KEY, ...TEAM, "requested_model", "end_user", "user", "model_id"]),
  ttft: family("litellm_llm_api_time_to_first_token_metric", "histogram", "Time to first token for a models LLM API call", ["model", ...KEY, ...TEAM, "requested_model", "end_user", "user", "model_id"]),
  overhead: family("litellm_overhead_latency_metric", "histogram", "Latency overhead (milliseconds) added by LiteLLM processing", ["model_group", "api_provider", "api_base", "litellm_model_name", ...KEY, "model_id"]),
  latencyPerToken: family("litellm_deployment_latency_per_output_token", "histogram", "LLM Deployment Analytics - Latency per output token", [...DEPLOYMENT, ...KEY, ...TEAM]),
  deploymentSuccess: family("litellm_deployment_success_responses", "counter", "LLM Deployment Analytics - Total number of successful LLM API calls via litellm", ["requested_model", ...DEPLOYMENT, ...KEY, ...TEAM]),
  deploymentFailure: family("litellm_deployment_failure_responses", "counter", "LLM Deployment Analytics - Total number of failed LLM API calls for a specific LLM deploymeny. exception_status is the status of the exception from the llm api", ["requested_model", ...DEPLOYMENT, "exception_status", "exception_class", ...KEY, ...TEAM]),
  deploymentTotal: family("litellm_deployment_total_requests", "counter", "LLM Deployment Analytics - Total number of LLM API calls via litellm - success + failure", ["requested_model", ...DEPLOYMENT, ...KEY, ...TEAM]),
  cooledDown: family("litellm_deployment_cooled_down", "counter", "LLM Deployment Analytics - Number of times a deployment has been cooled down by LiteLLM load balancing logic. exception_status is the status of the exception that caused the deployment to be cooled down", [...DEPLOYMENT, "exception_status"]),
  fallbackOk: family("litellm_deployment_successful_fallbacks", "counter", "LLM Deployment Analytics - Number of successful fallback requests from primary model -> fallback model", ["requested_model", "fallback_model", ...KEY, ...TEAM, "exception_status", "exception_class", "model_id"]),
  fallbackFailed: family("litellm_deployment_failed_fallbacks", "counter", "LLM Deployment Analytics - Number of failed fallback requests from primary model -> fallback model", ["requested_model", "fallback_model", ...KEY, ...TEAM, "exception_status", "exception_class", "model_id"]),
  callbackFailures: family("litellm_callback_logging_failures_metric", "counter", "Total number of failures when emitting logs to callbacks (e.g. s3_v2, langfuse, etc)", ["callback_name"]),
  deploymentState: family("litellm_deployment_state", "gauge", "LLM Deployment Analytics - The state of the deployment: 0 = healthy, 1 = partial outage, 2 = complete outage", DEPLOYMENT),
  remainingRequests: family("litellm_remaining_requests_metric", "gauge", "LLM Deployment Analytics - remaining requests for model, returned from LLM API Provider", ["model_group", "api_provider", "api_base", "litellm_model_name", ...KEY, "model_id"]),
  remainingTokens: family("litellm_remaining_tokens_metric", "gauge", "remaining tokens for model, returned from LLM API Provider", ["model_group", "api_provider", "api_base", "litellm_model_name", ...KEY, "model_id"]),
  keyRemainingRequests: family("litellm_remaining_api_key_requests_for_model", "gauge", "Remaining Requests API Key can make for model (model based rpm limit on key)", [...KEY, "model", "model_id"]),
  keyRemainingTokens: family("litellm_remaining_api_key_tokens_for_model", "gauge", "Remaining Tokens API Key can make for model (model based tpm limit on key)", [...KEY, "model", "model_id"]),
  // Read at scrape time (./gauges.ts), never sent by isolates.
  keyRemainingBudget: family("litellm_remaining_api_key_budget_metric", "gauge", "Remaining budget for api key", KEY),
  keyMaxBudget: family("litellm_api_key_max_budget_metric", "gauge", "Maximum budget set for api key", KEY),
  keyBudgetHours: family("litellm_api_key_budget_remaining_hours_metric", "gauge", "Remaining hours for api key budget to be reset", KEY),
  teamRemainingBudget: family("litellm_remaining_team_budget_metric", "gauge", "Remaining budget for team", TEAM),
  teamMaxBudget: family("litellm_team_max_budget_metric", "gauge", "Maximum budget set for team", TEAM),
  teamBudgetHours: family("litellm_team_budget_remaining_hours_metric", "gauge", "Remaining days for team budget to be reset", TEAM),
  userRemainingBudget: family("litellm_remaining_user_budget_metric", "gauge", "Remaining budget for user", ["user"]),
  userMaxBudget: family("litellm_user_max_budget_metric", "gauge", "Maximum budget set for user", ["user"]),
  userBudgetHours: family("litellm_user_budget_remaining_hours_metric", "gauge", "Remaining hours for user budget to be reset", ["user"]),
  tpmLimit: family("litellm_deployment_tpm_limit", "gauge", "Deployment TPM limit found in config", DEPLOYMENT),
  rpmLimit: family("litellm_deployment_rpm_limit", "gauge", "Deployment RPM limit found in config", DEPLOYMENT),
} as const;

export type FamilyKey = keyof typeof F;

export const FAMILIES: readonly Family[] = Object.values(F);
export const FAMILY_BY_NAME: ReadonlyMap<string, Family> = new Map(FAMILIES.map((f) => [f.name, f]));

/** The buckets of a histogram family. */
export const bucketsOf = (f: Family): readonly number[] => (f === F.latencyPerToken ? DEFAULT_BUCKETS : LATENCY_BUCKETS);

/** Labels whose values come from callers (keys, teams, users): folded into "__other__" once the series cap is reached. */
export const CALLER_LABELS: ReadonlySet<string> = new Set(["end_user", "hashed_api_key", "api_key_alias", "team", "team_alias", "user", "requested_model"]);
