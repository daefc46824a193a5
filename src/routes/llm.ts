// OpenAI-compatible LLM endpoints, each with and without /v1, plus Azure-style deployment paths.
import { Hono } from "hono";
import type { GatewayEnv } from "../app";
import { authenticateCall } from "../auth/middleware";
import { enforceLimits } from "../limits/middleware";
import type { LlmRequest } from "../proxy/call";
import { authorizeModel, dispatchCall, readLlmCall } from "../proxy/middleware";

const ENDPOINTS: [path: string, endpoint: LlmRequest["endpoint"]][] = [
  ["/chat/completions", "chat"],
  ["/completions", "completion"],
  ["/embeddings", "embedding"],
];

export const llmRoutes = new Hono<GatewayEnv>();

for (const [path, endpoint] of ENDPOINTS) {
  // The request path, in order. Feature middleware (limits, cache, guardrails) goes before dispatchCall.
  const chain = [authenticateCall, readLlmCall(endpoint), authorizeModel, enforceLimits, dispatchCall] as const;
  for (const prefix of ["", "/v1", "/openai/deployments/:deployment", "/engines/:deployment"]) {
    llmRoutes.post(prefix + path, ...chain);
  }
}
