// Vertex AI (`vertex_ai/<model>`): Gemini models through Vertex's generateContent, Claude models
// through Anthropic's Messages API at :rawPredict, both with a service account's OAuth token
// (./auth.ts, ./request.ts). Each deployment gets the variant its model needs, once, when it is built.
import { fromAnthropicMessage, usageFromAnthropic } from "../anthropic/response";
import { CHAT_PARAMS as ANTHROPIC_PARAMS } from "../anthropic/request";
import { mapAnthropicError } from "../anthropic/adapter";
import { AnthropicPassthrough, AnthropicStreamTranslator } from "../anthropic/stream";
import { CHAT_PARAMS as GEMINI_PARAMS, EMBEDDING_PARAMS } from "../gemini/request";
import { mapGeminiError } from "../gemini/adapter";
import { parseChat as parseGeminiChat } from "../gemini/response";
import { GeminiStreamTranslator } from "../gemini/stream";
import { embeddingList } from "../shared/embeddings";
import { jsonToolFor } from "../shared/json-tool";
import type { AnthropicMessage } from "../../schema/anthropic";
import type { EmbeddingRequest } from "../../schema/openai";
import type { AdapterContext, ProviderAdapter } from "../../core/provider";
import { anthropicChatRequest, anthropicPassthroughRequest, embeddingRequest, geminiChatRequest, isClaude } from "./request";

/** `{predictions: [{embeddings: {values, statistics: {token_count}}}]}` -> OpenAI's list. */
function parseEmbedding(json: unknown, ctx: AdapterContext, body: EmbeddingRequest) {
  const r = json as { predictions?: { embeddings?: { values?: number[]; statistics?: { token_count?: number } } }[] };
  const predictions = r.predictions ?? [];
  const counted = predictions.every((p) => p.embeddings?.statistics?.token_count !== undefined);
  const tokens = counted ? predictions.reduce((n, p) => n + (p.embeddings?.statistics?.token_count ?? 0), 0) : undefined;
  return embeddingList(predictions.map((p) => p.embeddings?.values ?? []), body, ctx.deployment.model, tokens);
}

const vertexGemini: ProviderAdapter = {
  name: "vertex_ai",
  chat: {
    supportedParams: GEMINI_PARAMS,
    buildRequest: geminiChatRequest,
    parseResponse: parseGeminiChat,
    stream: { decoder: "sse", translator: (ctx) => new GeminiStreamTranslator(ctx) },
  },
  embedding: { supportedParams: EMBEDDING_PARAMS, buildRequest: embeddingRequest, parseResponse: parseEmbedding },
  mapError: mapGeminiError,
};

const vertexAnthropic: ProviderAdapter = {
  name: "vertex_ai",
  chat: {
    supportedParams: ANTHROPIC_PARAMS,
    buildRequest: anthropicChatRequest,
    parseResponse: (json) => fromAnthropicMessage(json as AnthropicMessage),
    stream: {
      decoder: "sse",
      translator: (ctx, body) => new AnthropicStreamTranslator(ctx.deployment.model, jsonToolFor(body) !== undefined, (f) => mapAnthropicError(f, ctx)),
    },
  },
  passthrough: {
    anthropic: {
      buildRequest: anthropicPassthroughRequest,
      usage: (json) => usageFromAnthropic((json as Partial<AnthropicMessage>).usage),
      stream: { decoder: "sse", translator: (ctx) => new AnthropicPassthrough(ctx.deployment.model, (f) => mapAnthropicError(f, ctx)) },
    },
  },
  mapError: mapAnthropicError,
};

export const vertexAi: ProviderAdapter = {
  ...vertexGemini,
  variant: (model) => (isClaude(model) ? vertexAnthropic : vertexGemini),
};
