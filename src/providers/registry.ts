// `model: <provider>/<id>` -> the adapter for <provider>. Add a provider by adding its folder and one line here.
import { GatewayError } from "../errors";
import { anthropic } from "./anthropic/adapter";
import { azure } from "./azure/adapter";
import { azureAi } from "./azure_ai/adapter";
import { bedrock } from "./bedrock/adapter";
import { cohere, cohereChat } from "./cohere/adapter";
import { gemini } from "./gemini/adapter";
import { google } from "./google/adapter";
import { mock } from "./mock/adapter";
import { ollama, ollamaChat } from "./ollama/adapter";
import { openAICompatible } from "./openai/adapter";
import { OPENAI_COMPATIBLE } from "./openai/compatible";
import { vertexAi } from "./vertex_ai/adapter";
import { cloudflare, workersAi } from "./workers_ai/adapter";
import type { ProviderAdapter } from "../core/provider";
import { RERANKERS } from "./rerankers";
import { rerankOnly } from "./shared/rerank";

const adapters = new Map<string, ProviderAdapter>([
  ...OPENAI_COMPATIBLE.map((spec) => [spec.name, openAICompatible(spec)] as const),
  ["ollama", ollama],
  ["ollama_chat", ollamaChat],
  ["mock", mock],
  ["anthropic", anthropic],
  ["gemini", gemini],
  ["google", google],
  ["vertex_ai", vertexAi],
  ["azure", azure],
  ["azure_ai", azureAi],
  ["bedrock", bedrock],
  ["cohere", cohere],
  ["cohere_chat", cohereChat],
  ["workers_ai", workersAi],
  ["cloudflare", cloudflare],
]);

// Rerank handlers join their provider's adapter, or make one of their own (./rerankers.ts).
for (const [name, rerank] of RERANKERS) {
  const adapter = adapters.get(name);
  adapters.set(name, adapter ? { ...adapter, rerank } : rerankOnly(name, rerank));
}

export const PROVIDERS: readonly string[] = [...adapters.keys()];

export function adapterFor(provider: string): ProviderAdapter {
  const adapter = adapters.get(provider);
  if (!adapter) {
    throw new GatewayError(400, "bad_request", `Unknown provider '${provider}'. Supported: ${PROVIDERS.join(", ")}`);
  }
  return adapter;
}
