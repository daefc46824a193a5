// Deployments that speak the Responses API themselves (openai/, azure/, or any deployment with
// model_info.supported_endpoints: ["/v1/responses"], as LiteLLM): the client's request goes up
// unchanged and the answer comes back as written. The gateway only needs, for spend and for the
// ownership record, the usage and the response id, read from the JSON answer or from the stream's
// lifecycle events without parsing every delta.
import { GATEWAY_PARAMS, type Usage } from "../schema/openai";
import { reportedUsageSchema } from "../schema/responses";
import { fromResponseUsage } from "./usage";

const NATIVE_PROVIDERS = new Set(["openai", "azure"]);
const ENDPOINTS = new Set(["/v1/responses", "/responses"]);

/** True when the deployment takes POST /v1/responses itself. An explicit supported_endpoints list decides; else the provider. */
export function speaksResponses(deployment: { provider: string; info: object }): boolean {
  const endpoints = (deployment.info as { supported_endpoints?: unknown }).supported_endpoints;
  if (Array.isArray(endpoints)) return endpoints.some((e) => ENDPOINTS.has(e as string));
  return NATIVE_PROVIDERS.has(deployment.provider);
}

/** The client's body for the upstream: its model id, without LiteLLM's routing controls (OpenAI refuses unknown params). `metadata` is OpenAI's here and stays. */
export function nativeRequestBody(body: Record<string, unknown>, upstreamModel: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (key === "metadata" || !GATEWAY_PARAMS.has(key)) out[key] = value;
  out.model = upstreamModel;
  return out;
}

function usageOf(value: unknown): Usage | undefined {
  const parsed = reportedUsageSchema.safeParse(value);
  return parsed.success ? fromResponseUsage(parsed.data) : undefined;
}

/** Usage of a native JSON answer (a Response object), in chat terms for spend. */
export function nativeResponseUsage(json: unknown): Usage | undefined {
  return usageOf((json as { usage?: unknown } | null)?.usage);
}

/** Lifecycle events of a native stream: the ones carrying the response (id, final usage) or an error. */
const LIFECYCLE = new Set(["response.created", "response.completed", "response.incomplete", "response.failed", "error"]);
const TYPE_FIELD = /^\s*\{\s*"type"\s*:\s*"([^"]+)"/;

export interface NativeStreamEvent {
  type: string;
  /** The response id (response.* events). */
  responseId?: string;
  /** Final usage (response.completed / .incomplete / .failed). */
  usage?: Usage;
  /** response.failed's error, or an `error` event's. */
  error?: { code: string | null; message: string };
}

/**
 * What a native stream event means to the gateway, or undefined for events it has no use for
 * (deltas and the rest: recognised by their `event:` line, else the data's leading "type", unparsed).
 */
export function readNativeEvent(event: { event?: string; data: string }): NativeStreamEvent | undefined {
  const type = event.event ?? TYPE_FIELD.exec(event.data)?.[1];
  if (!type || !LIFECYCLE.has(type)) return undefined;
  let data: { type?: string; response?: { id?: string; usage?: unknown; error?: { code?: string; message?: string } | null }; code?: string | null; message?: string };
  try {
    data = JSON.parse(event.data);
  } catch {
    return undefined;
  }
  if (type === "error") return { type, error: { code: data.code ?? null, message: data.message ?? "Upstream stream error" } };
  const out: NativeStreamEvent = { type, responseId: data.response?.id };
  const usage = usageOf(data.response?.usage);
  if (usage) out.usage = usage;
  const failure = data.response?.error;
  if (failure?.message) out.error = { code: failure.code ?? null, message: failure.message };
  return out;
}
