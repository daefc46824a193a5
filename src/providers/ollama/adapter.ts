// Ollama's native API: `ollama_chat/` uses POST /api/chat (messages, tools, images), `ollama/` uses
// POST /api/generate (messages flattened to one prompt, as LiteLLM does). Streams are NDJSON.
// Usage comes from prompt_eval_count / eval_count. Embeddings use POST /api/embed.
import type { GatewayError } from "../../errors";
import type { ChatCompletion, ChatRequest } from "../../schema/openai";
import { failureJson, failureMessage, providerError } from "../shared/errors";
import type { AdapterContext, EndpointHandler, ProviderAdapter, UpstreamFailure } from "../../core/provider";
import { CHAT_PARAMS, chatRequest, COMPLETION_PARAMS, completionRequest, EMBEDDING_PARAMS, embeddingRequest, GENERATE_PARAMS, toolsPrompted } from "./request";
import { parseChat, parseCompletion, parseEmbedding } from "./response";
import { OllamaStreamTranslator } from "./stream";

/**
 * Ollama's error body is `{"error": "..."}`; servers in front of it (an OpenAI-style proxy, a Tunnel's
 * Access page) send other shapes, read the same way.
 */
function mapOllamaError(failure: UpstreamFailure, ctx: AdapterContext): GatewayError {
  let message = failureMessage(failure);
  // Not JSON at all: an HTML page from whatever sits in front of Ollama. Behind a Tunnel that is Access.
  if (failureJson(failure) === undefined && (failure.status === 401 || failure.status === 403) && failure.headers.has("cf-ray")) {
    message += " (Cloudflare Access refused the request: check the CF-Access-Client-Id / CF-Access-Client-Secret extra_headers)";
  }
  return providerError(failure, ctx, { message, kind: /context (length|window)|too long/i.test(message) ? "context_window" : undefined });
}

function chatHandler(mode: "chat" | "generate"): EndpointHandler<ChatRequest, ChatCompletion> {
  return {
    supportedParams: mode === "chat" ? CHAT_PARAMS : GENERATE_PARAMS,
    buildRequest: (body, ctx) => chatRequest(mode, body, ctx),
    parseResponse: (json, ctx, body) => parseChat(mode, json, ctx, mode === "generate" && toolsPrompted(body)),
    stream: { decoder: "ndjson", translator: (ctx, body) => new OllamaStreamTranslator(ctx, "chat", mode === "generate" && toolsPrompted(body)) },
  };
}

function ollamaAdapter(name: string, mode: "chat" | "generate"): ProviderAdapter {
  return {
    name,
    chat: chatHandler(mode),
    completion: {
      supportedParams: COMPLETION_PARAMS,
      buildRequest: completionRequest,
      parseResponse: parseCompletion,
      stream: { decoder: "ndjson", translator: (ctx) => new OllamaStreamTranslator(ctx, "completion") },
    },
    embedding: { supportedParams: EMBEDDING_PARAMS, buildRequest: embeddingRequest, parseResponse: parseEmbedding },
    mapError: mapOllamaError,
  };
}

export const ollamaChat = ollamaAdapter("ollama_chat", "chat");
export const ollama = ollamaAdapter("ollama", "generate");
