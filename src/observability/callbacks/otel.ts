// OpenTelemetry: one span per call, sent as OTLP/HTTP JSON (POST <endpoint>/v1/traces) with the GenAI
// semantic conventions (gen_ai.*), to any collector or backend that takes OTLP. Prompt and answer text
// go in gen_ai.input.messages / gen_ai.output.messages only when message logging is on.
import { expectOk, type Sink } from "./batcher";
import type { StandardLoggingPayload } from "./payload";

export interface OtelSettings {
  /** The traces endpoint itself (…/v1/traces). */
  url: string;
  headers: Record<string, string>;
  serviceName: string;
  /** Prompts and answers as span attributes. */
  messages: boolean;
}

type AttributeValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean } | { arrayValue: { values: AttributeValue[] } };

function value(v: unknown): AttributeValue | undefined {
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (typeof v === "number") return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(value).filter((x): x is AttributeValue => x !== undefined) } };
  return undefined;
}

function attributes(entries: Record<string, unknown>): { key: string; value: AttributeValue }[] {
  const out: { key: string; value: AttributeValue }[] = [];
  for (const [key, v] of Object.entries(entries)) {
    const av = v === null || v === undefined ? undefined : value(v);
    if (av) out.push({ key, value: av });
  }
  return out;
}

/** GenAI semantic conventions' gen_ai.operation.name. */
const OPERATIONS: Record<string, string> = { acompletion: "chat", atext_completion: "text_completion", aembedding: "embeddings" };
/** gen_ai.provider.name's well-known values, where this gateway's provider names differ. */
const PROVIDERS: Record<string, string> = { gemini: "gcp.gemini", bedrock: "aws.bedrock", azure: "azure.ai.openai", workers_ai: "cloudflare.workers_ai", mistral: "mistral_ai", xai: "x_ai" };

const nanos = (seconds: number) => (BigInt(Math.round(seconds * 1000)) * 1_000_000n).toString();
const hex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

function span(p: StandardLoggingPayload, messages: boolean) {
  const operation = OPERATIONS[p.call_type] ?? p.call_type;
  const provider = p.custom_llm_provider ? (PROVIDERS[p.custom_llm_provider] ?? p.custom_llm_provider) : undefined;
  const params = p.model_parameters;
  let server: URL | undefined;
  try {
    server = p.api_base ? new URL(p.api_base) : undefined;
  } catch {
    server = undefined;
  }
  const keyInfo = p.metadata;
  return {
    traceId: p.trace_id.replaceAll("-", "").padEnd(32, "0").slice(0, 32),
    spanId: hex(8),
    name: `${operation} ${p.model_group}`,
    kind: 3, // SPAN_KIND_CLIENT
    startTimeUnixNano: nanos(p.startTime),
    endTimeUnixNano: nanos(p.endTime),
    attributes: attributes({
      "gen_ai.operation.name": operation,
      "gen_ai.provider.name": provider,
      "gen_ai.system": provider,
      "gen_ai.request.model": p.model_group,
      "gen_ai.response.model": p.model,
      "gen_ai.request.max_tokens": params.max_completion_tokens ?? params.max_tokens,
      "gen_ai.request.temperature": params.temperature,
      "gen_ai.request.top_p": params.top_p,
      "gen_ai.request.frequency_penalty": params.frequency_penalty,
      "gen_ai.request.presence_penalty": params.presence_penalty,
      "gen_ai.request.seed": params.seed,
      "gen_ai.usage.input_tokens": p.prompt_tokens,
      "gen_ai.usage.output_tokens": p.completion_tokens,
      "gen_ai.input.messages": messages ? JSON.stringify(p.messages) : undefined,
      "gen_ai.output.messages": messages && p.response !== null ? JSON.stringify(p.response) : undefined,
      "server.address": server?.hostname,
      "server.port": server ? Number(server.port || (server.protocol === "https:" ? 443 : 80)) : undefined,
      "error.type": p.error_information?.error_class,
      "litellm.call_id": p.call_id,
      "litellm.model_group": p.model_group,
      "litellm.model_id": p.model_id,
      "litellm.response_cost": p.response_cost,
      "litellm.stream": p.stream,
      "litellm.api_key_hash": keyInfo.user_api_key_hash,
      "litellm.api_key_alias": keyInfo.user_api_key_alias,
      "litellm.team_id": keyInfo.user_api_key_team_id,
      "litellm.user_id": keyInfo.user_api_key_user_id,
      "litellm.request_tags": p.request_tags.length ? p.request_tags : undefined,
    }),
    status: p.status === "failure" ? { code: 2, message: p.error_str ?? "" } : { code: 1 },
  };
}

export function otelSink(s: OtelSettings): Sink<StandardLoggingPayload> {
  const resource = { attributes: attributes({ "service.name": s.serviceName, "telemetry.sdk.name": "edge-llm-gateway", "telemetry.sdk.language": "webjs" }) };
  return {
    name: "otel",
    async send(items, signal) {
      const body = { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: "litellm" }, spans: items.map((p) => span(p, s.messages)) }] }] };
      const res = await fetch(s.url, { method: "POST", headers: { ...s.headers, "content-type": "application/json" }, body: JSON.stringify(body), signal });
      await expectOk(res, "The OTLP endpoint");
    },
  };
}
