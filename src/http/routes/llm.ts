// OpenAI-compatible LLM endpoints (chat, completions, embeddings, images, audio, moderations, rerank),
// each with and without /v1, plus Azure-style deployment paths. Files and batches: ./files-batches.ts.
import { Hono, type MiddlewareHandler } from "hono";
import type { GatewayEnv } from "../../core/hono-env";
import { authenticateCall } from "../middleware/auth";
import { applyGuardrails } from "../middleware/guardrails";
import { enforceLimits } from "../middleware/limits";
import { responseCache } from "../middleware/cache";
import { ENDPOINTS, GENERIC_ENDPOINTS } from "../../core/endpoints";
import { dispatchCall } from "../middleware/dispatch";
import { observe } from "../middleware/observe";
import { authorizeModel, readLlmCall } from "../middleware/read-call";

export const llmRoutes = new Hono<GatewayEnv>();

/**
 * The request path, in order, after a step that reads the request into c.var.call. Feature middleware
 * (limits, cache, guardrails, observe) goes before dispatchCall. Anthropic's /v1/messages uses it too (./messages.ts).
 */
export const llmChain = (read: MiddlewareHandler<GatewayEnv>) => [authenticateCall, read, authorizeModel, applyGuardrails, responseCache, enforceLimits, observe, dispatchCall] as const;

for (const endpoint of GENERIC_ENDPOINTS) {
  const chain = llmChain(readLlmCall(endpoint));
  for (const prefix of ["", "/v1", "/openai/deployments/:deployment", "/engines/:deployment"]) {
    llmRoutes.post(prefix + ENDPOINTS[endpoint].path, ...chain);
  }
}
