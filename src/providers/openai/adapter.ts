// OpenAI and every provider that speaks OpenAI's wire format (groq, openrouter, together_ai, ...).
// Requests and responses pass through nearly untouched; streams are passed through event by event,
// only reading the usage chunk (which the gateway always asks for, to account for spend).
import { GatewayError, kindForStatus, parseRetryAfter, redactSecrets } from "../../errors";
import type { ChatCompletion, ChatRequest, CompletionRequest, EmbeddingRequest, EmbeddingResponse, TextCompletion, Usage } from "../../schema/openai";
import { GATEWAY_PARAMS } from "../../schema/openai";
import { parseEventJson } from "../shared/stream";
import type { AdapterContext, ProviderAdapter, StreamTranslator, UpstreamFailure, UpstreamRequest } from "../../core/provider";

export interface OpenAICompatibleSpec {
  name: string;
  /** Used when neither api_base nor the base env var is set; absent means api_base is required. */
  defaultBase?: string;
  /** Env var for the key when litellm_params.api_key is absent. */
  keyEnv: string;
  /** Env var for the base URL when litellm_params.api_base is absent. */
  baseEnv?: string;
  /** Whether a key is required (local servers do not need one). */
  keyOptional?: boolean;
}

/** The OpenAI-compatible providers, with LiteLLM's default base URLs and key variables. */
export const OPENAI_COMPATIBLE: readonly OpenAICompatibleSpec[] = [
  { name: "openai", defaultBase: "https://api.openai.com/v1", keyEnv: "OPENAI_API_KEY", baseEnv: "OPENAI_API_BASE" },
  { name: "text-completion-openai", defaultBase: "https://api.openai.com/v1", keyEnv: "OPENAI_API_KEY", baseEnv: "OPENAI_API_BASE" },
  { name: "groq", defaultBase: "https://api.groq.com/openai/v1", keyEnv: "GROQ_API_KEY" },
  { name: "openrouter", defaultBase: "https://openrouter.ai/api/v1", keyEnv: "OPENROUTER_API_KEY", baseEnv: "OPENROUTER_API_BASE" },
  { name: "together_ai", defaultBase: "https://api.together.xyz/v1", keyEnv: "TOGETHERAI_API_KEY" },
  { name: "deepseek", defaultBase: "https://api.deepseek.com/v1", keyEnv: "DEEPSEEK_API_KEY", baseEnv: "DEEPSEEK_API_BASE" },
  { name: "mistral", defaultBase: "https://api.mistral.ai/v1", keyEnv: "MISTRAL_API_KEY", baseEnv: "MISTRAL_API_BASE" },
  { name: "xai", defaultBase: "https://api.x.ai/v1", keyEnv: "XAI_API_KEY", baseEnv: "XAI_API_BASE" },
  { name: "fireworks_ai", defaultBase: "https://api.fireworks.ai/inference/v1", keyEnv: "FIREWORKS_AI_API_KEY", baseEnv: "FIREWORKS_AI_API_BASE" },
  { name: "perplexity", defaultBase: "https://api.perplexity.ai", keyEnv: "PERPLEXITYAI_API_KEY" },
  { name: "hosted_vllm", keyEnv: "HOSTED_VLLM_API_KEY", baseEnv: "HOSTED_VLLM_API_BASE", keyOptional: true },
  { name: "lm_studio", defaultBase: "http://localhost:1234/v1", keyEnv: "LM_STUDIO_API_KEY", baseEnv: "LM_STUDIO_API_BASE", keyOptional: true },
];

/** The request body for the upstream: the client's body minus the gateway's own params, with the upstream model id. */
export function upstreamBody<T extends { model: string }>(body: T, model: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!GATEWAY_PARAMS.has(k)) out[k] = v;
  out.model = model;
  return out;
}

/** Strips the query string (it may carry keys) from a URL for headers and logs. */
export function apiBaseForDisplay(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

/** OpenAI-format passthrough stream: events go out as the upstream wrote them; the usage chunk is read, not forwarded. */
export class OpenAIStreamTranslator implements StreamTranslator {
  usage: Usage | undefined;
  id = "";
  model = "";

  constructor(private readonly provider: string) {}

  onEvent(event: { data: string }, emit: (chunk: string | object) => void): void {
    const data = event.data;
    if (data === "[DONE]") return;
    // Only parse what must be read: the first chunk (id/model), usage chunks and in-band errors.
    if (!this.id || data.includes('"usage":{') || data.startsWith('{"error"')) {
      const chunk = parseEventJson<{ id?: string; model?: string; choices?: unknown[]; usage?: Usage; error?: { message?: string } }>(data, this.provider);
      if (chunk.error) throw new GatewayError(500, "server", chunk.error.message ?? `${this.provider} stream error`, { upstream: true });
      this.id ||= chunk.id ?? "";
      this.model ||= chunk.model ?? "";
      if (chunk.usage) {
        this.usage = chunk.usage;
        if (!chunk.choices?.length) return; // the pipe writes the usage chunk if the client asked for it
      }
    }
    emit(data);
  }
}

/** OpenAI's error body `{"error":{"message","type","param","code"}}` (or a plain text body) as a GatewayError. */
export function mapOpenAIError(failure: UpstreamFailure, ctx: AdapterContext): GatewayError {
  let message = "";
  let param: string | null = null;
  let code = "";
  try {
    const body = JSON.parse(failure.text) as { error?: { message?: string; param?: string; code?: string | number } | string; message?: string };
    const err = typeof body.error === "string" ? { message: body.error } : body.error;
    message = err?.message ?? body.message ?? "";
    param = err && typeof err === "object" && "param" in err ? (err.param ?? null) : null;
    code = String((err && typeof err === "object" && "code" in err ? err.code : "") ?? "");
  } catch {
    message = failure.text.slice(0, 300);
  }
  const provider = ctx.deployment.provider;
  message = redactSecrets(message || `${provider} returned HTTP ${failure.status}`, ctx.deployment.params.api_key);
  let kind = kindForStatus(failure.status);
  if (code === "context_length_exceeded" || /maximum context length|context window|too many tokens/i.test(message)) kind = "context_window";
  else if (code === "content_policy_violation" || code === "content_filter" || /content (management )?policy|content_filter/i.test(message)) kind = "content_policy";
  const status = kind === "context_window" || kind === "content_policy" ? 400 : failure.status;
  return new GatewayError(status, kind, `${provider} error: ${message}`, {
    param,
    retryAfter: parseRetryAfter(failure.headers),
    upstream: true,
  });
}

export function openAICompatible(spec: OpenAICompatibleSpec): ProviderAdapter {
  function target(path: string, ctx: AdapterContext): UpstreamRequest {
    const { params } = ctx.deployment;
    const envBase = spec.baseEnv ? ctx.env[spec.baseEnv] : undefined;
    const base = params.api_base ?? (typeof envBase === "string" ? envBase : undefined) ?? spec.defaultBase;
    if (!base) {
      throw new GatewayError(500, "server", `deployment '${ctx.deployment.modelName}' (${spec.name}) needs litellm_params.api_base`);
    }
    const envKey = ctx.env[spec.keyEnv];
    const key = params.api_key ?? (typeof envKey === "string" ? envKey : undefined);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (key) headers.authorization = `Bearer ${key}`;
    if (params.organization) headers["openai-organization"] = params.organization;
    if (params.extra_headers) Object.assign(headers, params.extra_headers);
    return { url: base.replace(/\/+$/, "") + path, headers };
  }

  return {
    name: spec.name,
    chat: {
      buildRequest(body: ChatRequest, ctx) {
        const out = upstreamBody(body, ctx.deployment.model);
        if (body.stream) out.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
        return { ...target("/chat/completions", ctx), body: JSON.stringify(out) };
      },
      parseResponse: (json) => json as ChatCompletion,
      stream: { decoder: "sse", translator: () => new OpenAIStreamTranslator(spec.name) },
    },
    completion: {
      buildRequest(body: CompletionRequest, ctx) {
        const out = upstreamBody(body, ctx.deployment.model);
        if (body.stream) out.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
        return { ...target("/completions", ctx), body: JSON.stringify(out) };
      },
      parseResponse: (json) => json as TextCompletion,
      stream: { decoder: "sse", translator: () => new OpenAIStreamTranslator(spec.name) },
    },
    embedding: {
      buildRequest: (body: EmbeddingRequest, ctx) => ({ ...target("/embeddings", ctx), body: JSON.stringify(upstreamBody(body, ctx.deployment.model)) }),
      parseResponse: (json) => json as EmbeddingResponse,
    },
    mapError: mapOpenAIError,
  };
}
