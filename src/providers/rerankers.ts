// Rerank handlers by provider. The registry gives each to the provider's adapter, or makes a
// rerank-only adapter for providers the gateway has no other handlers for (jina_ai, voyage).
import type { EndpointHandler } from "../core/provider";
import type { RerankRequest, RerankResponse } from "../schema/endpoints";
import { cohereRerank } from "./cohere/rerank";
import { tokenReranker } from "./shared/rerank";
import { workersAiRerank } from "./workers_ai/endpoints";

export const RERANKERS: readonly [string, EndpointHandler<RerankRequest, RerankResponse>][] = [
  ["cohere", cohereRerank],
  ["jina_ai", tokenReranker({ name: "jina_ai", defaultBase: "https://api.jina.ai", path: "/v1/rerank", keyEnv: "JINA_AI_API_KEY", baseEnv: "JINA_AI_API_BASE" })],
  ["voyage", tokenReranker({ name: "voyage", defaultBase: "https://api.voyageai.com", path: "/v1/rerank", keyEnv: "VOYAGE_API_KEY", baseEnv: "VOYAGE_API_BASE" }, "top_k")],
  ["together_ai", tokenReranker({ name: "together_ai", defaultBase: "https://api.together.xyz", path: "/v1/rerank", keyEnv: "TOGETHERAI_API_KEY" })],
  ["workers_ai", workersAiRerank],
  ["cloudflare", workersAiRerank],
];
