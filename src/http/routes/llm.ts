// OpenAI-compatible LLM endpoints, each with and without /v1, plus Azure-style deployment paths.
import { Hono, type MiddlewareHandler } from "hono";
import type { GatewayEnv } from "../app";
import { authenticateCall } from "../middleware/auth";
import { enforceLimits } from "../middleware/limits";
import type { LlmRequest } from "../../core/call";
import { authorizeModel, dispatchCall, readLlmCall } from "../middleware/llm-call";

const ENDPOINTS: [path: string, endpoint: LlmRequest["endpoint"]][] = [
  ["/chat/completions", "chat"],
  ["/completions", "completion"],
  ["/embeddings", "embedding"],
];

export const llmRoutes = new Hono<GatewayEnv>();

/**
 * The request path, in order, after a step that reads the request into c.var.call. Feature middleware
 * (limits, cache, guardrails) goes before dispatchCall. Anthropic's /v1/messages uses it too (routes/messages.ts).
 */
export const llmChain = (read: MiddlewareHandler<GatewayEnv>) => [authenticateCall, read, authorizeModel, enforceLimits, dispatchCall] as const;

for (const [path, endpoint] of ENDPOINTS) {
  const chain = llmChain(readLlmCall(endpoint));
  for (const prefix of ["", "/v1", "/openai/deployments/:deployment", "/engines/:deployment"]) {
    llmRoutes.post(prefix + path, ...chain);
  }
}
