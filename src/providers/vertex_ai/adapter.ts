// Vertex AI (`vertex_ai/<model>`): Gemini models through Vertex's generateContent, Claude models
// through Anthropic's Messages API at :rawPredict, both with a service account's OAuth token
// (./auth.ts, ./request.ts). Each deployment gets the variant its model needs, once, when it is built.
import { anthropic } from "../anthropic/adapter";
import { gemini } from "../gemini/adapter";
import { embeddingList } from "../shared/embeddings";
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

// The Gemini and Anthropic adapters with Vertex's URLs and auth: only the request builders differ.
const vertexGemini: ProviderAdapter = {
  ...gemini,
  name: "vertex_ai",
  chat: { ...gemini.chat!, buildRequest: geminiChatRequest },
  embedding: { supportedParams: gemini.embedding!.supportedParams, buildRequest: embeddingRequest, parseResponse: parseEmbedding },
};

const vertexAnthropic: ProviderAdapter = {
  ...anthropic,
  name: "vertex_ai",
  chat: { ...anthropic.chat!, buildRequest: anthropicChatRequest },
  passthrough: { anthropic: { ...anthropic.passthrough!.anthropic!, buildRequest: anthropicPassthroughRequest } },
};

export const vertexAi: ProviderAdapter = {
  ...vertexGemini,
  variant: (model) => (isClaude(model) ? vertexAnthropic : vertexGemini),
};
