// OpenAI's Responses API spoken natively (openai/ and every OpenAI-compatible server, azure/): the
// passthrough an adapter plugs in as `passthrough.responses`. The client's request goes up unchanged
// (its model id swapped in, LiteLLM's routing controls removed) and the answer comes back as written,
// frame by frame. The gateway reads only what it needs for spend and for the ownership record: the
// usage and the response id, from the JSON answer or from the stream's lifecycle events, without
// parsing every delta. Which deployments are served this way is the client's decision
// (src/responses/native.ts `speaksResponses`).
import { GatewayError, kindForStatus } from "../../errors";
import { GATEWAY_PARAMS, type Usage } from "../../schema/openai";
import { type ReportedUsage, reportedUsageSchema } from "../../schema/responses";
import type { AdapterContext, ChunkSink, PassthroughHandler, StreamEvent, StreamTranslator, UpstreamRequest } from "../../core/provider";

/** The client's body for the upstream: its model id, without LiteLLM's routing controls (OpenAI refuses unknown params). `metadata` is OpenAI's here and stays. */
export function nativeRequestBody(body: Record<string, unknown>, upstreamModel: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (key === "metadata" || !GATEWAY_PARAMS.has(key)) out[key] = value;
  out.model = upstreamModel;
  return out;
}

/** A Responses usage (a native deployment's) as chat usage, for spend: cached and cache-write counts kept as LiteLLM does. */
export function fromResponseUsage(u: ReportedUsage): Usage {
  const input = u.input_tokens ?? 0;
  const output = u.output_tokens ?? 0;
  const cached = u.input_tokens_details?.cached_tokens ?? 0;
  const written = u.input_tokens_details?.cache_write_tokens ?? 0;
  const usage: Usage = {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: u.total_tokens ?? input + output,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: u.output_tokens_details?.reasoning_tokens ?? 0 },
  };
  if (written) usage.cache_creation_input_tokens = written;
  return usage;
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

/** OpenAI's stream error codes, as HTTP statuses (an `error` before anything was sent fails the attempt, so the router can retry). */
const STATUS_OF_CODE: Record<string, number> = { rate_limit_exceeded: 429, insufficient_quota: 429, server_error: 500, invalid_prompt: 400, context_length_exceeded: 400 };

/**
 * Re-writes each upstream frame as it came (`event:` line and data) and keeps the response id and
 * the final usage. An `error` event before any other ends the attempt; later ones, and
 * `response.failed`, stay in the stream for the client, as OpenAI sent them.
 */
export class ResponsesPassthroughTranslator implements StreamTranslator {
  usage: Usage | undefined;
  id = "";
  model = "";
  private started = false;

  constructor(private readonly provider: string) {}

  onEvent(event: StreamEvent, emit: ChunkSink): void {
    if (event.data === "[DONE]") return;
    const info = readNativeEvent(event);
    if (info?.responseId) this.id ||= info.responseId;
    if (info?.usage) this.usage = info.usage;
    if (info?.type === "error" && !this.started) {
      const code = info.error?.code ?? "";
      const status = STATUS_OF_CODE[code] ?? 500;
      throw new GatewayError(status, kindForStatus(status), `${this.provider} error: ${info.error?.message}`, { upstream: true, code: code || undefined });
    }
    this.started = true;
    emit(`${event.event ? `event: ${event.event}\n` : ""}data: ${event.data}\n\n`);
  }
}

/** `passthrough.responses` for an adapter: `target(path, ctx)` is its URL and headers for a path of its OpenAI API ("/responses", "/responses/{id}"). */
export function responsesPassthrough(target: (path: string, ctx: AdapterContext) => Omit<UpstreamRequest, "body">): PassthroughHandler {
  return {
    buildRequest: (client, ctx) => ({ ...target("/responses", ctx), body: JSON.stringify(nativeRequestBody(client.body, ctx.deployment.model)) }),
    usage: nativeResponseUsage,
    stream: { decoder: "sse", translator: (ctx) => new ResponsesPassthroughTranslator(ctx.deployment.provider) },
    resource: (path, ctx) => target(path, ctx),
  };
}
