// The observability part of LiteLLM's config: callbacks (litellm_settings), the generic API callbacks
// (top-level callback_settings), alerting (general_settings). Composed into ./config.ts.
import { z } from "zod";

/** Callback names this gateway delivers to (LiteLLM's names; `r2` is this gateway's own). */
export const CALLBACKS = ["prometheus", "langfuse", "otel", "generic_api", "s3", "s3_v2", "r2", "datadog"] as const;

/** LiteLLM's AlertType values. The README says which of them this gateway sends. */
export const ALERT_TYPES = [
  "llm_exceptions",
  "llm_too_slow",
  "llm_requests_hanging",
  "budget_alerts",
  "spend_reports",
  "failed_tracking_spend",
  "db_exceptions",
  "daily_reports",
  "cooldown_deployment",
  "new_model_added",
  "outage_alerts",
  "region_outage_alerts",
  "fallback_reports",
] as const;

const names = z.array(z.string().min(1));
const seconds = z.number().positive();

/** litellm_settings.s3_callback_params (LiteLLM's s3 / s3_v2 loggers). */
const s3ParamsSchema = z.looseObject({
  s3_bucket_name: z.string().min(1),
  s3_region_name: z.string().optional(),
  s3_aws_access_key_id: z.string().optional(),
  s3_aws_secret_access_key: z.string().optional(),
  s3_aws_session_token: z.string().optional(),
  /** An S3-compatible endpoint (MinIO, R2's S3 API); default AWS's for the region. Objects are addressed path-style. */
  s3_endpoint_url: z.string().optional(),
  /** Key prefix, e.g. `logs/`. */
  s3_path: z.string().optional(),
});

/** litellm_settings.r2_callback_params: the `r2` callback writes to an R2 bucket binding (no credentials). */
const r2ParamsSchema = z.looseObject({
  /** Name of the `[[r2_buckets]]` binding in wrangler.toml. */
  bucket_binding: z.string().min(1),
  r2_path: z.string().optional(),
});

/** Added to litellm_settings. */
export const observabilityLitellmSettings = {
  success_callback: names.optional(),
  failure_callback: names.optional(),
  callbacks: names.optional(),
  /** No prompt or answer text in any callback payload. */
  turn_off_message_logging: z.boolean().optional(),
  /** No user_api_key_* fields (hash, alias, team, user) in callback payloads or the call log line. */
  redact_user_api_key_info: z.boolean().optional(),
  /** GET /metrics needs a valid key (master or virtual). */
  require_auth_for_metrics_endpoint: z.boolean().optional(),
  /** The request's `user` as the end_user label of Prometheus metrics (off: "None", as LiteLLM). */
  enable_end_user_cost_tracking_prometheus_only: z.boolean().optional(),
  s3_callback_params: s3ParamsSchema.optional(),
  r2_callback_params: r2ParamsSchema.optional(),
};

/** LiteLLM's generic API logger (a webhook), one entry per name used in callbacks / success_callback / failure_callback. */
export const genericApiSettingsSchema = z.looseObject({
  callback_type: z.literal("generic_api"),
  endpoint: z.string().min(1),
  headers: z.record(z.string(), z.string()).optional(),
  event_types: z.array(z.enum(["llm_api_success", "llm_api_failure"])).optional(),
  log_format: z.enum(["json_array", "ndjson", "single"]).optional(),
});

/** Top-level callback_settings. */
export const callbackSettingsSchema = z.record(z.string(), genericApiSettingsSchema);

const alertingArgsSchema = z.looseObject({
  /** Seconds a budget alert for one key/team/user is not repeated (LiteLLM's default: a day). */
  budget_alert_ttl: seconds.optional(),
  /** Seconds an outage alert for one model group is not repeated. */
  outage_alert_ttl: seconds.optional(),
});

/** Added to general_settings. */
export const observabilityGeneralSettings = {
  alerting: names.optional(),
  /** Seconds: a call slower than this is a slow call (llm_too_slow), one still open after it a hanging one. Default 300. */
  alerting_threshold: seconds.optional(),
  /** Default: every type this gateway sends. */
  alert_types: z.array(z.enum(ALERT_TYPES)).optional(),
  alerting_args: alertingArgsSchema.optional(),
  /** No JSON log line per LLM call (this gateway's own; on by default). */
  disable_call_logs: z.boolean().optional(),
};

export type GenericApiSettings = z.infer<typeof genericApiSettingsSchema>;
export type S3CallbackParams = z.infer<typeof s3ParamsSchema>;
export type R2CallbackParams = z.infer<typeof r2ParamsSchema>;
export type AlertType = (typeof ALERT_TYPES)[number];

/** The alert types this gateway sends (the others are accepted and listed in the start-up warning). */
export const ALERTS_SENT = ["llm_exceptions", "llm_too_slow", "llm_requests_hanging", "budget_alerts", "daily_reports", "spend_reports", "cooldown_deployment", "outage_alerts"] as const satisfies readonly AlertType[];
