// OpenAI and every provider that speaks OpenAI's wire format (./compatible.ts): requests and
// responses pass through nearly untouched (./request.ts), streams event by event (./stream.ts).
import { GatewayError, kindForStatus, parseRetryAfter, redactSecrets } from "../../errors";
import type { ChatCompletion, ChatRequest, CompletionRequest, EmbeddingRequest, EmbeddingResponse, TextCompletion } from "../../schema/openai";
import type { AdapterContext, ProviderAdapter, StreamDecoderKind, UpstreamFailure } from "../../core/provider";
import type { OpenAICompatibleSpec } from "./compatible";
import { openAITarget, streamingBody, upstreamBody } from "./request";
import { OpenAIStreamTranslator } from "./stream";
import { responsesPassthrough } from "../shared/responses";
import { openAIEndpoints } from "./endpoints";

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
  const stream = { decoder: "sse" as StreamDecoderKind, translator: () => new OpenAIStreamTranslator(spec.name) };
  return {
    name: spec.name,
    chat: {
      buildRequest: (body: ChatRequest, ctx) => ({ ...openAITarget(spec, "/chat/completions", ctx), body: streamingBody(body, ctx.deployment.model) }),
      parseResponse: (json) => json as ChatCompletion,
      stream,
    },
    completion: {
      buildRequest: (body: CompletionRequest, ctx) => ({ ...openAITarget(spec, "/completions", ctx), body: streamingBody(body, ctx.deployment.model) }),
      parseResponse: (json) => json as TextCompletion,
      stream,
    },
    embedding: {
      buildRequest: (body: EmbeddingRequest, ctx) => ({ ...openAITarget(spec, "/embeddings", ctx), body: JSON.stringify(upstreamBody(body, ctx.deployment.model)) }),
      parseResponse: (json) => json as EmbeddingResponse,
    },
    // Images, audio, moderations, files and batches (./endpoints.ts).
    ...openAIEndpoints((path, ctx) => openAITarget(spec, path, ctx)),
    // The Responses API, for the deployments that speak it (src/responses/native.ts decides which).
    passthrough: { responses: responsesPassthrough((path, ctx) => openAITarget(spec, path, ctx)) },
    mapError: mapOpenAIError,
  };
}
