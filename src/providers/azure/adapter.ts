// Azure OpenAI (`azure/<deployment name>`): OpenAI's wire format at
// {api_base}/openai/deployments/{deployment}/chat/completions?api-version=..., key in `api-key`
// (or an Entra token as Bearer via azure_ad_token). api_version: litellm_params, else AZURE_API_VERSION,
// else DEFAULT_API_VERSION; "v1" selects Azure's version-less /openai/v1 API. Content-filter refusals
// become content_policy errors (the router's content_policy_fallbacks act on them).
import { GatewayError } from "../../errors";
import type { ChatCompletion, ChatRequest, CompletionRequest, EmbeddingRequest, EmbeddingResponse, TextCompletion } from "../../schema/openai";
import { mapOpenAIError, OpenAIStreamTranslator, upstreamBody } from "../openai/adapter";
import { failureJson, providerError } from "../shared/errors";
import type { AdapterContext, ChunkSink, ProviderAdapter, UpstreamFailure, UpstreamRequest } from "../../core/provider";

export const DEFAULT_API_VERSION = "2025-04-01-preview";

type Path = "/chat/completions" | "/completions" | "/embeddings";

const envString = (ctx: AdapterContext, name: string) => (typeof ctx.env[name] === "string" ? (ctx.env[name] as string) : undefined);

function target(path: Path, ctx: AdapterContext): Omit<UpstreamRequest, "body"> {
  const { params, model, modelName } = ctx.deployment;
  const base = (params.api_base ?? envString(ctx, "AZURE_API_BASE"))?.replace(/\/+$/, "");
  if (!base) throw new GatewayError(500, "server", `deployment '${modelName}' (azure) needs litellm_params.api_base (https://<resource>.openai.azure.com) or AZURE_API_BASE`);
  const version = params.api_version ?? envString(ctx, "AZURE_API_VERSION") ?? DEFAULT_API_VERSION;
  const headers: Record<string, string> = { "content-type": "application/json" };
  const key = params.api_key ?? envString(ctx, "AZURE_API_KEY");
  const adToken = params.azure_ad_token ?? envString(ctx, "AZURE_AD_TOKEN");
  if (key) headers["api-key"] = key;
  else if (adToken) headers.authorization = `Bearer ${adToken}`;
  if (params.extra_headers) Object.assign(headers, params.extra_headers);
  const root = base.replace(/\/openai(\/v1)?$/, "");
  const url = version === "v1" ? `${root}/openai/v1${path}` : `${root}/openai/deployments/${encodeURIComponent(model)}${path}?api-version=${encodeURIComponent(version)}`;
  return { url, headers };
}

function request(path: Path, body: ChatRequest | CompletionRequest | EmbeddingRequest, ctx: AdapterContext): UpstreamRequest {
  const out = upstreamBody(body, ctx.deployment.model);
  if ("stream" in body && body.stream) out.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
  return { ...target(path, ctx), body: JSON.stringify(out) };
}

/**
 * Azure's stream is OpenAI's plus annotation chunks with no choices (`prompt_filter_results`, and
 * `content_filter_results`-only ones): those carry nothing a client renders and are dropped.
 */
class AzureStreamTranslator extends OpenAIStreamTranslator {
  override onEvent(event: { data: string }, emit: ChunkSink): void {
    if (event.data.includes('"choices":[]') && !event.data.includes('"usage":{')) return;
    super.onEvent(event, emit);
  }
}

/** Azure's OpenAI-shaped error body; content filtering is flagged by code or innererror. */
function mapAzureError(failure: UpstreamFailure, ctx: AdapterContext): GatewayError {
  const body = failureJson<{ error?: { message?: string; code?: string; param?: string; innererror?: { code?: string } } }>(failure);
  const error = body?.error;
  if (error && (error.code === "content_filter" || error.innererror?.code === "ResponsibleAIPolicyViolation")) {
    return providerError(failure, ctx, { message: error.message ?? "content filtered", kind: "content_policy", param: error.param ?? null });
  }
  return mapOpenAIError(failure, ctx);
}

export const azure: ProviderAdapter = {
  name: "azure",
  chat: {
    buildRequest: (body: ChatRequest, ctx) => request("/chat/completions", body, ctx),
    parseResponse: (json) => json as ChatCompletion,
    stream: { decoder: "sse", translator: () => new AzureStreamTranslator("azure") },
  },
  completion: {
    buildRequest: (body: CompletionRequest, ctx) => request("/completions", body, ctx),
    parseResponse: (json) => json as TextCompletion,
    stream: { decoder: "sse", translator: () => new AzureStreamTranslator("azure") },
  },
  embedding: {
    buildRequest: (body: EmbeddingRequest, ctx) => request("/embeddings", body, ctx),
    parseResponse: (json) => json as EmbeddingResponse,
  },
  mapError: mapAzureError,
};
