// Embedding requests for providers with their own embedding APIs: text inputs only, float vectors
// out (src/proxy/upstream.ts encodes them when the client asks for `encoding_format: "base64"`).
import { badRequest } from "../../errors";
import { estimateTokens } from "../../lib/tokens";
import type { EmbeddingRequest, EmbeddingResponse } from "../../schema/openai";

/** The request's inputs as texts; token-id inputs are refused (these providers tokenize themselves). */
export function textInputs(body: EmbeddingRequest, provider: string): string[] {
  const inputs = typeof body.input === "string" ? [body.input] : (body.input as unknown[]);
  if (!inputs.every((x) => typeof x === "string")) throw badRequest(`${provider} embeddings take text input, not token ids`, "input");
  return inputs as string[];
}

/** An OpenAI embedding list; `tokens` absent means the provider reports none, so they are estimated. */
export function embeddingList(vectors: number[][], body: EmbeddingRequest, model: string, tokens?: number): EmbeddingResponse {
  const count = tokens ?? textInputs(body, "").reduce((n, text) => n + estimateTokens(text), 0);
  return {
    object: "list",
    model,
    data: vectors.map((embedding, index) => ({ object: "embedding" as const, index, embedding })),
    usage: { prompt_tokens: count, total_tokens: count },
  };
}
