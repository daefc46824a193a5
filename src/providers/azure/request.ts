// Azure OpenAI requests: OpenAI's body (../openai/request.ts) at Azure's deployment URL (./adapter.ts says which).
import { GatewayError } from "../../errors";
import type { ChatRequest, CompletionRequest, EmbeddingRequest } from "../../schema/openai";
import { streamingBody } from "../openai/request";
import { envString } from "../shared/target";
import type { AdapterContext, UpstreamRequest } from "../../core/provider";

export const DEFAULT_API_VERSION = "2025-04-01-preview";

export type AzurePath = "/chat/completions" | "/completions" | "/embeddings" | "/images/generations" | "/audio/transcriptions" | "/audio/translations" | "/audio/speech";

function target(path: AzurePath, ctx: AdapterContext): Omit<UpstreamRequest, "body"> & { root: string; version: string } {
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
  return { url, headers, root, version };
}

/** A deployment's URL and headers for one of its paths (images, audio). */
export function azureDeploymentTarget(path: string, ctx: AdapterContext): Omit<UpstreamRequest, "body"> {
  const { url, headers } = target(path as AzurePath, ctx);
  return { url, headers };
}

export function azureRequest(path: AzurePath, body: ChatRequest | CompletionRequest | EmbeddingRequest, ctx: AdapterContext): UpstreamRequest {
  const { url, headers } = target(path, ctx);
  return { url, headers, body: streamingBody(body, ctx.deployment.model) };
}

/**
 * Azure's Responses API is per resource, not per deployment (the deployment is the body's model):
 * {root}/openai/responses[/{id}]?api-version=..., or {root}/openai/v1/responses with api_version "v1".
 */
export function azureResponsesTarget(path: string, ctx: AdapterContext): Omit<UpstreamRequest, "body"> {
  const { headers, root, version } = target("/chat/completions", ctx);
  const [route, query] = path.split("?", 2);
  if (version === "v1") return { url: `${root}/openai/v1${path}`, headers };
  return { url: `${root}/openai${route}?api-version=${encodeURIComponent(version)}${query ? `&${query}` : ""}`, headers };
}
