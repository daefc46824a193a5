// Google AI Studio's Gemini API (`gemini/<model>`): POST {api_base}/v1beta/models/{model}:generateContent,
// :streamGenerateContent?alt=sse, and :batchEmbedContents, with x-goog-api-key. Field names are the
// canonical JSON (camelCase) ones; the API accepts them as well as the proto names (system_instruction,
// function_calling_config, ...). Gemini sends no tool-call ids, so the gateway makes them, carrying the
// part's thoughtSignature inside (LiteLLM's `__thought__` convention) so it can go back next turn.
import { failureJson, failureMessage, field, providerError } from "../shared/errors";
import type { AdapterContext, ProviderAdapter, UpstreamFailure } from "../../core/provider";
import { CHAT_PARAMS, chatRequest, EMBEDDING_PARAMS, embeddingRequest } from "./request";
import { parseChat, parseEmbedding } from "./response";
import { GeminiStreamTranslator } from "./stream";
import { geminiImages } from "./images";

/** Google's `{"error":{"code","message","status","details"}}`. */
function mapGeminiError(failure: UpstreamFailure, ctx: AdapterContext) {
  const body = failureJson(failure);
  const error = field(Array.isArray(body) ? body[0] : body, "error");
  const message = failureMessage(failure);
  const rawDetails = field(error, "details");
  const details = Array.isArray(rawDetails) ? rawDetails : [];
  const retryDelay = details.map((d) => field(d, "retryDelay")).find((d) => typeof d === "string") as string | undefined;
  const retryAfter = retryDelay ? Number.parseFloat(retryDelay) : undefined;
  // Google answers a bad key with 400 INVALID_ARGUMENT; clients and the router expect an auth error.
  if (details.some((d) => field(d, "reason") === "API_KEY_INVALID") || /API key not valid/i.test(message)) {
    return providerError(failure, ctx, { message, kind: "auth", status: 401 });
  }
  return providerError(failure, ctx, { message, retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined });
}

export const gemini: ProviderAdapter = {
  name: "gemini",
  chat: {
    supportedParams: CHAT_PARAMS,
    buildRequest: chatRequest,
    parseResponse: parseChat,
    stream: { decoder: "sse", translator: (ctx) => new GeminiStreamTranslator(ctx) },
  },
  embedding: { supportedParams: EMBEDDING_PARAMS, buildRequest: embeddingRequest, parseResponse: parseEmbedding },
  image_generation: geminiImages,
  mapError: mapGeminiError,
};
