// The LLM endpoints, in one table: each one's OpenAI path (served with and without /v1), its request
// schema, and LiteLLM's call_type for the spend log. Routes, adapters and spend all read it.
import { chatRequestSchema, completionRequestSchema, embeddingRequestSchema } from "../schema/openai";

export const ENDPOINTS = {
  chat: { path: "/chat/completions", schema: chatRequestSchema, callType: "acompletion" },
  completion: { path: "/completions", schema: completionRequestSchema, callType: "atext_completion" },
  embedding: { path: "/embeddings", schema: embeddingRequestSchema, callType: "aembedding" },
} as const;

export type Endpoint = keyof typeof ENDPOINTS;

export const ENDPOINT_NAMES = Object.keys(ENDPOINTS) as Endpoint[];
