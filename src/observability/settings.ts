// What the config (and the Worker's secrets) turn on, resolved once per isolate: the callbacks with
// their credentials, Prometheus, alerting, the call log line, and the privacy switches. A callback whose
// credentials are missing is left out with one warning line (never a failing call).
import type { ParsedConfig } from "../schema/config";
import { ALERTS_SENT, type AlertType } from "../schema/observability";
import type { Env } from "../env";
import { datadogSink } from "./callbacks/datadog";
import { genericApiSink } from "./callbacks/generic-api";
import { langfuseSink } from "./callbacks/langfuse";
import { otelSink } from "./callbacks/otel";
import { r2Sink, s3Sink } from "./callbacks/buckets";
import type { Sink } from "./callbacks/batcher";
import type { PayloadOptions, StandardLoggingPayload } from "./callbacks/payload";

/** Reads a secret or var by name (the Worker's env, else the config's environment_variables). */
export type ReadEnv = (name: string) => string | undefined;

export interface CallbackRoute {
  sink: Sink<StandardLoggingPayload>;
  success: boolean;
  failure: boolean;
}

export interface AlertSettings {
  webhookUrl: string;
  types: ReadonlySet<AlertType>;
  thresholdMs: number;
  budgetTtlMs: number;
  outageTtlMs: number;
  redactKeyInfo: boolean;
}

export interface ObservabilitySettings {
  prometheus: boolean;
  requireMetricsAuth: boolean;
  endUserLabel: boolean;
  callbacks: CallbackRoute[];
  payload: PayloadOptions;
  alerts?: AlertSettings;
  callLogs: boolean;
  /** How long an isolate gathers metric changes and logs before sending them (OBSERVABILITY_FLUSH_MS). */
  flushMs: number;
}

const DEFAULT_FLUSH_MS = 2_000;
const DEFAULT_ALERTING_THRESHOLD_S = 300;
const DAY_S = 86_400;
const DEFAULT_OUTAGE_TTL_S = 60;

/** `k1=v1,k2=v2` (OTEL_EXPORTER_OTLP_HEADERS, GENERIC_LOGGER_HEADERS); values may be URL-encoded. */
export function parseHeaderList(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (text ?? "").split(",")) {
    const eq = item.indexOf("=");
    if (eq <= 0) continue;
    const value = item.slice(eq + 1).trim();
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      /* not URL-encoded */
    }
    out[item.slice(0, eq).trim()] = decoded;
  }
  return out;
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`[callbacks] ${message}`);
}

/** Each callback name with the events it is listed for. */
function listedCallbacks(config: ParsedConfig): Map<string, { success: boolean; failure: boolean }> {
  const s = config.litellm_settings;
  const out = new Map<string, { success: boolean; failure: boolean }>();
  const add = (names: string[] | undefined, success: boolean, failure: boolean) => {
    for (const name of names ?? []) {
      const entry = out.get(name) ?? { success: false, failure: false };
      out.set(name, { success: entry.success || success, failure: entry.failure || failure });
    }
  };
  add(s.callbacks, true, true);
  add(s.success_callback, true, false);
  add(s.failure_callback, false, true);
  return out;
}

/** The sink of one listed callback name, or undefined (with a warning) when it cannot be set up. */
function sinkFor(name: string, config: ParsedConfig, env: Env, read: ReadEnv, resolve: (v: string) => string | undefined, messages: boolean): Sink<StandardLoggingPayload> | undefined {
  const generic = config.callback_settings?.[name];
  if (generic) {
    return genericApiSink({
      name,
      endpoint: resolve(generic.endpoint) ?? generic.endpoint,
      headers: Object.fromEntries(Object.entries(generic.headers ?? {}).map(([k, v]) => [k, resolve(v) ?? ""])),
      logFormat: generic.log_format ?? "json_array",
    });
  }
  switch (name) {
    case "langfuse": {
      const publicKey = read("LANGFUSE_PUBLIC_KEY");
      const secretKey = read("LANGFUSE_SECRET_KEY");
      if (!publicKey || !secretKey) return warnOnce("langfuse: LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY are needed; not logging to Langfuse"), undefined;
      return langfuseSink({ host: read("LANGFUSE_HOST") ?? "https://cloud.langfuse.com", publicKey, secretKey });
    }
    case "otel": {
      const full = read("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
      const base = read("OTEL_EXPORTER_OTLP_ENDPOINT") ?? read("OTEL_ENDPOINT");
      const url = full ?? (base ? (base.endsWith("/v1/traces") ? base : `${base.replace(/\/+$/, "")}/v1/traces`) : undefined);
      if (!url) return warnOnce("otel: OTEL_EXPORTER_OTLP_ENDPOINT is needed; not sending traces"), undefined;
      const headers = parseHeaderList(read("OTEL_EXPORTER_OTLP_TRACES_HEADERS") ?? read("OTEL_EXPORTER_OTLP_HEADERS") ?? read("OTEL_HEADERS"));
      return otelSink({ url, headers, serviceName: read("OTEL_SERVICE_NAME") ?? "litellm", messages });
    }
    case "generic_api": {
      const endpoint = read("GENERIC_LOGGER_ENDPOINT");
      if (!endpoint) return warnOnce("generic_api: GENERIC_LOGGER_ENDPOINT (or callback_settings) is needed; not sending logs"), undefined;
      return genericApiSink({ name, endpoint, headers: parseHeaderList(read("GENERIC_LOGGER_HEADERS")), logFormat: "json_array" });
    }
    case "datadog": {
      const apiKey = read("DD_API_KEY");
      if (!apiKey) return warnOnce("datadog: DD_API_KEY is needed; not sending logs"), undefined;
      const site = read("DD_SITE") ?? "datadoghq.com";
      const service = read("DD_SERVICE") ?? "litellm-server";
      const tags = [`env:${read("DD_ENV") ?? "unknown"}`, `service:${service}`, `version:${read("DD_VERSION") ?? "unknown"}`, `HOSTNAME:${read("HOSTNAME") ?? ""}`].join(",");
      return datadogSink({ baseUrl: read("DD_BASE_URL") ?? `https://http-intake.logs.${site}`, apiKey, source: read("DD_SOURCE") ?? "litellm", service, hostname: read("HOSTNAME") ?? "", tags });
    }
    case "s3":
    case "s3_v2": {
      const p = config.litellm_settings.s3_callback_params;
      if (!p) return warnOnce(`${name}: litellm_settings.s3_callback_params is needed; not writing logs`), undefined;
      const value = (v: string | undefined, fallback: string) => (v !== undefined ? resolve(v) : undefined) ?? read(fallback);
      const accessKeyId = value(p.s3_aws_access_key_id, "AWS_ACCESS_KEY_ID");
      const secretAccessKey = value(p.s3_aws_secret_access_key, "AWS_SECRET_ACCESS_KEY");
      if (!accessKeyId || !secretAccessKey) return warnOnce(`${name}: S3 credentials are needed (s3_aws_access_key_id / AWS_ACCESS_KEY_ID); not writing logs`), undefined;
      const region = value(p.s3_region_name, "AWS_REGION_NAME") ?? "us-east-1";
      const endpoint = (p.s3_endpoint_url && resolve(p.s3_endpoint_url)) || `https://s3.${region}.amazonaws.com`;
      const bucket = resolve(p.s3_bucket_name) ?? p.s3_bucket_name;
      return s3Sink({ bucket, region, accessKeyId, secretAccessKey, sessionToken: value(p.s3_aws_session_token, "AWS_SESSION_TOKEN"), endpoint, path: p.s3_path && resolve(p.s3_path) }, name);
    }
    case "r2": {
      const p = config.litellm_settings.r2_callback_params;
      const bucket = p && (env[p.bucket_binding] as R2Bucket | undefined);
      if (!p || typeof bucket?.put !== "function") return warnOnce(`r2: needs litellm_settings.r2_callback_params.bucket_binding naming an [[r2_buckets]] binding; not writing logs`), undefined;
      return r2Sink(bucket, p.r2_path);
    }
    default:
      return undefined; // prometheus, or a name the start-up warning lists as not supported
  }
}

export function resolveSettings(config: ParsedConfig, env: Env, resolve: (value: string) => string | undefined): ObservabilitySettings {
  const read: ReadEnv = (name) => resolve(`os.environ/${name}`) || undefined;
  const s = config.litellm_settings;
  const g = config.general_settings;
  const messages = !s.turn_off_message_logging;
  const listed = listedCallbacks(config);
  const callbacks: CallbackRoute[] = [];
  for (const [name, events] of listed) {
    const sink = sinkFor(name, config, env, read, resolve, messages);
    const generic = config.callback_settings?.[name];
    const types = generic?.event_types;
    if (sink) callbacks.push({ sink, success: events.success && (!types || types.includes("llm_api_success")), failure: events.failure && (!types || types.includes("llm_api_failure")) });
  }
  const flushMs = Number(read("OBSERVABILITY_FLUSH_MS") ?? DEFAULT_FLUSH_MS);
  return {
    prometheus: listed.has("prometheus"),
    requireMetricsAuth: s.require_auth_for_metrics_endpoint === true,
    endUserLabel: s.enable_end_user_cost_tracking_prometheus_only === true,
    callbacks,
    payload: { messages, redactKeyInfo: s.redact_user_api_key_info === true },
    alerts: alertSettings(config, read),
    callLogs: g.disable_call_logs !== true,
    flushMs: Number.isFinite(flushMs) && flushMs >= 0 ? flushMs : DEFAULT_FLUSH_MS,
  };
}

function alertSettings(config: ParsedConfig, read: ReadEnv): AlertSettings | undefined {
  const g = config.general_settings;
  if (!g.alerting?.includes("slack")) return undefined;
  const webhookUrl = read("SLACK_WEBHOOK_URL") ?? read("ALERTING_WEBHOOK_URL");
  if (!webhookUrl) {
    warnOnce("alerting: general_settings.alerting has slack but SLACK_WEBHOOK_URL is not set; no alerts will be sent");
    return undefined;
  }
  const args = g.alerting_args ?? {};
  return {
    webhookUrl,
    types: new Set<AlertType>(g.alert_types ?? ALERTS_SENT),
    thresholdMs: (g.alerting_threshold ?? DEFAULT_ALERTING_THRESHOLD_S) * 1000,
    budgetTtlMs: (args.budget_alert_ttl ?? DAY_S) * 1000,
    outageTtlMs: (args.outage_alert_ttl ?? DEFAULT_OUTAGE_TTL_S) * 1000,
    redactKeyInfo: config.litellm_settings.redact_user_api_key_info === true,
  };
}
