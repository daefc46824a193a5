// Embedding requests for providers with their own embedding APIs: text inputs only, and OpenAI's
// `encoding_format: "base64"` (the default of the official SDKs) served by encoding the floats here.
import { badRequest } from "../../errors";
import { estimateTokens } from "../../lib/tokens";
import type { EmbeddingRequest, EmbeddingResponse } from "../../openai/schema";
import { base64 } from "./content";

/** The request's inputs as texts; token-id inputs are refused (these providers tokenize themselves). */
export function textInputs(body: EmbeddingRequest, provider: string): string[] {
  const inputs = typeof body.input === "string" ? [body.input] : (body.input as unknown[]);
  if (!inputs.every((x) => typeof x === "string")) throw badRequest(`${provider} embeddings take text input, not token ids`, "input");
  return inputs as string[];
}

/** OpenAI's base64 form: the float32 values' little-endian bytes. */
function encode(values: number[], format: EmbeddingRequest["encoding_format"]): number[] | string {
  return format === "base64" ? base64(new Uint8Array(new Float32Array(values).buffer)) : values;
}

/** An OpenAI embedding list; `tokens` absent means the provider reports none, so they are estimated. */
export function embeddingList(vectors: number[][], body: EmbeddingRequest, model: string, tokens?: number): EmbeddingResponse {
  const count = tokens ?? textInputs(body, "").reduce((n, text) => n + estimateTokens(text), 0);
  return {
    object: "list",
    model,
    data: vectors.map((values, index) => ({ object: "embedding" as const, index, embedding: encode(values, body.encoding_format) })),
    usage: { prompt_tokens: count, total_tokens: count },
  };
}
