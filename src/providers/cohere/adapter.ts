// Cohere's v2 API (`cohere/<model>`, e.g. command-a-03-2025, embed-v4.0): chat (JSON and SSE, tools)
// and embeddings, translated by ./request.ts, ./response.ts and ./stream.ts. Errors are
// `{"id","message"}` (read by the shared reader, which takes any shape).
import type { ChatCompletion, ChatRequest } from "../../schema/openai";
import { failureMessage, providerError } from "../shared/errors";
import type { EndpointHandler, ProviderAdapter } from "../../core/provider";
import { CHAT_PARAMS, chatRequest, EMBEDDING_PARAMS, embeddingRequest } from "./request";
import { parseChat, parseEmbedding } from "./response";
import { CohereStreamTranslator } from "./stream";

const chat: EndpointHandler<ChatRequest, ChatCompletion> = {
  supportedParams: CHAT_PARAMS,
  buildRequest: chatRequest,
  parseResponse: parseChat,
  stream: { decoder: "sse", translator: (ctx) => new CohereStreamTranslator(ctx) },
};

export const cohere: ProviderAdapter = {
  name: "cohere",
  chat,
  embedding: { supportedParams: EMBEDDING_PARAMS, buildRequest: embeddingRequest, parseResponse: parseEmbedding },
  mapError: (failure, ctx) => providerError(failure, ctx, { message: failureMessage(failure) }),
};

/** LiteLLM's other name for Cohere's chat models. */
export const cohereChat: ProviderAdapter = { ...cohere, name: "cohere_chat" };
