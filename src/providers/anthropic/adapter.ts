// Anthropic's Messages API (`anthropic/<model>`): POST {api_base}/v1/messages with x-api-key and
// anthropic-version. OpenAI chat requests are translated (src/anthropic/); Anthropic-format clients
// (/v1/messages) are passed through with only the model and a default max_tokens filled in.
import { fromAnthropicMessage, usageFromAnthropic } from "./response";
import { toAnthropicRequest } from "./request";
import type { AnthropicMessage } from "../../schema/anthropic";
import { AnthropicPassthrough, AnthropicStreamTranslator } from "./stream";
import type { ChatCompletion, ChatRequest } from "../../schema/openai";
import type { PassthroughClient } from "../../core/provider";
import { failureJson, plainMessage, providerError } from "../shared/errors";
import { jsonToolFor } from "../shared/json-tool";
import type { AdapterContext, EndpointHandler, ProviderAdapter, UpstreamFailure, UpstreamRequest } from "../../core/provider";

const DEFAULT_BASE = "https://api.anthropic.com";
export const ANTHROPIC_VERSION = "2023-06-01";
const DEFAULT_MAX_TOKENS = 4096;

const CHAT_PARAMS = new Set([
  "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k",
  "stop", "tools", "tool_choice", "parallel_tool_calls", "response_format", "user", "n", "reasoning_effort", "thinking",
]);

/** Anthropic requires max_tokens: the client's, else model_info's output limit, else 4096. */
export function defaultMaxTokens(ctx: AdapterContext): number {
  return ctx.deployment.info.max_output_tokens ?? ctx.deployment.info.max_tokens ?? DEFAULT_MAX_TOKENS;
}

/** URL and headers for a Messages API path; `client` adds the anthropic-version/-beta a native client sent. */
export function anthropicTarget(path: "/v1/messages" | "/v1/messages/count_tokens", ctx: AdapterContext, client?: PassthroughClient): Omit<UpstreamRequest, "body"> {
  const { params } = ctx.deployment;
  const envBase = ctx.env.ANTHROPIC_API_BASE ?? ctx.env.ANTHROPIC_BASE_URL;
  // api_base may be the host, .../v1, or the full .../v1/messages (all seen in LiteLLM configs).
  const base = (params.api_base ?? (typeof envBase === "string" ? envBase : DEFAULT_BASE)).replace(/\/+$/, "").replace(/(\/v1)?(\/messages)?$/, "");
  const envKey = ctx.env.ANTHROPIC_API_KEY;
  const key = params.api_key ?? (typeof envKey === "string" ? envKey : undefined);
  const headers: Record<string, string> = { "content-type": "application/json", "anthropic-version": client?.headers["anthropic-version"] ?? ANTHROPIC_VERSION };
  // No key is fine behind a key-injecting proxy (e.g. Cloudflare AI Gateway with stored keys).
  if (key) headers["x-api-key"] = key;
  const extra = params.extra_headers ?? {};
  Object.assign(headers, extra);
  const betas = [extra["anthropic-beta"], client?.headers["anthropic-beta"]].filter(Boolean).join(",");
  if (betas) headers["anthropic-beta"] = [...new Set(betas.split(",").map((b) => b.trim()).filter(Boolean))].join(",");
  return { url: base + path, headers };
}

/** Anthropic's `{"type":"error","error":{"type","message"}}`, classified for the router. */
export function mapAnthropicError(failure: UpstreamFailure, ctx: AdapterContext) {
  const body = failureJson<{ error?: { type?: string; message?: string } }>(failure);
  const message = body?.error?.message ?? plainMessage(failure);
  const type = body?.error?.type;
  if (type === "overloaded_error" || failure.status === 529) return providerError(failure, ctx, { message, kind: "unavailable", status: 503 });
  if (/content filtering policy|content policy/i.test(message)) return providerError(failure, ctx, { message, kind: "content_policy" });
  return providerError(failure, ctx, { message });
}

const chat: EndpointHandler<ChatRequest, ChatCompletion> = {
  supportedParams: CHAT_PARAMS,
  buildRequest(body, ctx) {
    const { payload } = toAnthropicRequest(body, ctx.deployment.model, defaultMaxTokens(ctx));
    return { ...anthropicTarget("/v1/messages", ctx), body: JSON.stringify(payload) };
  },
  parseResponse: (json) => fromAnthropicMessage(json as AnthropicMessage),
  stream: {
    decoder: "sse",
    translator: (ctx, body) => new AnthropicStreamTranslator(ctx.deployment.model, jsonToolFor(body) !== undefined, (f) => mapAnthropicError(f, ctx)),
  },
};

export const anthropic: ProviderAdapter = {
  name: "anthropic",
  chat,
  passthrough: {
    anthropic: {
      buildRequest(client, ctx) {
        const body: Record<string, unknown> = { ...client.body, model: ctx.deployment.model };
        body.max_tokens ??= defaultMaxTokens(ctx);
        return { ...anthropicTarget("/v1/messages", ctx, client), body: JSON.stringify(body) };
      },
      usage: (json) => usageFromAnthropic((json as Partial<AnthropicMessage>).usage),
      stream: { decoder: "sse", translator: (ctx) => new AnthropicPassthrough(ctx.deployment.model, (f) => mapAnthropicError(f, ctx)) },
    },
  },
  mapError: mapAnthropicError,
};
