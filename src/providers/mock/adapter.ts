// LiteLLM's `mock_response`: a deployment that answers locally with fixed text, in OpenAI's exact
// wire format (JSON or SSE), with estimated usage. For demos, load tests and a first `curl`.
// It reuses the OpenAI adapter's parsing, so the whole gateway path runs as for a real provider.
import { mapOpenAIError, openAICompatible } from "../openai/adapter";
import type { ProviderAdapter } from "../../core/provider";
import { type MockPayload, mockRequest } from "./request";
import { respond } from "./upstream";

const openai = openAICompatible({ name: "mock", defaultBase: "mock://local", keyEnv: "MOCK_API_KEY", keyOptional: true });

export const mock: ProviderAdapter = {
  name: "mock",
  chat: { ...openai.chat!, buildRequest: (body, _ctx) => mockRequest("chat", body) },
  completion: { ...openai.completion!, buildRequest: (body, _ctx) => mockRequest("completion", body) },
  embedding: { ...openai.embedding!, buildRequest: (body, _ctx) => mockRequest("embedding", body) },
  async send(req, ctx) {
    return respond(JSON.parse(typeof req.body === "string" ? req.body : "{}") as MockPayload, ctx);
  },
  mapError: mapOpenAIError,
};
