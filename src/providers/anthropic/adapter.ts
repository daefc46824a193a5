// Anthropic's Messages API (`anthropic/<model>`): POST {api_base}/v1/messages with x-api-key and
// anthropic-version. OpenAI chat requests are translated (./request.ts, ./response.ts, ./stream.ts);
// Anthropic-format clients (/v1/messages, ./client.ts) are passed through with only the model and a
// default max_tokens filled in.
import { fromAnthropicMessage, usageFromAnthropic } from "./response";
import { CHAT_PARAMS, chatRequest, passthroughRequest } from "./request";
import type { AnthropicMessage } from "../../schema/anthropic";
import { AnthropicPassthrough, AnthropicStreamTranslator } from "./stream";
import { failureJson, failureMessage, field, providerError } from "../shared/errors";
import { jsonToolFor } from "../shared/json-tool";
import type { AdapterContext, ProviderAdapter, UpstreamFailure } from "../../core/provider";

/** Anthropic's `{"type":"error","error":{"type","message"}}`, classified for the router. */
export function mapAnthropicError(failure: UpstreamFailure, ctx: AdapterContext) {
  const message = failureMessage(failure);
  const type = field(field(failureJson(failure), "error"), "type");
  if (type === "overloaded_error" || failure.status === 529) return providerError(failure, ctx, { message, kind: "unavailable", status: 503 });
  if (/content filtering policy|content policy/i.test(message)) return providerError(failure, ctx, { message, kind: "content_policy" });
  return providerError(failure, ctx, { message });
}

export const anthropic: ProviderAdapter = {
  name: "anthropic",
  chat: {
    supportedParams: CHAT_PARAMS,
    buildRequest: chatRequest,
    parseResponse: (json) => fromAnthropicMessage(json as AnthropicMessage),
    stream: {
      decoder: "sse",
      translator: (ctx, body) => new AnthropicStreamTranslator(ctx.deployment.model, jsonToolFor(body) !== undefined, (f) => mapAnthropicError(f, ctx)),
    },
  },
  passthrough: {
    anthropic: {
      buildRequest: passthroughRequest,
      usage: (json) => usageFromAnthropic((json as Partial<AnthropicMessage>).usage),
      stream: { decoder: "sse", translator: (ctx) => new AnthropicPassthrough(ctx.deployment.model, (f) => mapAnthropicError(f, ctx)) },
    },
  },
  mapError: mapAnthropicError,
};
