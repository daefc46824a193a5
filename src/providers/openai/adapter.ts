// OpenAI and every provider that speaks OpenAI's wire format (./compatible.ts): requests and
// responses pass through nearly untouched (./request.ts), streams event by event (./stream.ts).
import type { ErrorKind, GatewayError } from "../../errors";
import type { ChatCompletion, ChatRequest, CompletionRequest, EmbeddingRequest, EmbeddingResponse, TextCompletion } from "../../schema/openai";
import type { AdapterContext, ProviderAdapter, StreamDecoderKind, UpstreamFailure } from "../../core/provider";
import type { OpenAICompatibleSpec } from "./compatible";
import { openAITarget, streamingBody, upstreamBody } from "./request";
import { OpenAIStreamTranslator } from "./stream";
import { responsesPassthrough } from "../shared/responses";
import { failureJson, failureMessage, field, providerError } from "../shared/errors";
import { openAIEndpoints } from "./endpoints";

/**
 * OpenAI's error body `{"error":{"message","type","param","code"}}`, or whatever an OpenAI-compatible
 * server sends instead (`{"error": "..."}`, `{"detail": ...}`, plain text, HTML), as a GatewayError.
 */
export function mapOpenAIError(failure: UpstreamFailure, ctx: AdapterContext): GatewayError {
  const error = field(failureJson(failure), "error");
  const message = failureMessage(failure);
  const code = String(field(error, "code") ?? "");
  let kind: ErrorKind | undefined;
  if (code === "context_length_exceeded" || /maximum context length|context window|too many tokens/i.test(message)) kind = "context_window";
  else if (code === "content_policy_violation" || code === "content_filter" || /content (management )?policy|content_filter/i.test(message)) kind = "content_policy";
  return providerError(failure, ctx, { message, kind, param: field(error, "param") as string | undefined });
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
