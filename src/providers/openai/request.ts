// OpenAI-format requests: the client's body goes upstream nearly untouched (minus the gateway's own
// params, with the upstream model id); streams always ask for the usage chunk, to account for spend.
import { GatewayError } from "../../errors";
import type { ChatRequest, CompletionRequest, EmbeddingRequest } from "../../schema/openai";
import { GATEWAY_PARAMS } from "../../schema/openai";
import { envString } from "../shared/target";
import type { AdapterContext, UpstreamRequest } from "../../core/provider";
import type { OpenAICompatibleSpec } from "./compatible";

/** The request body for the upstream: the client's body minus the gateway's own params, with the upstream model id. */
export function upstreamBody<T extends { model: string }>(body: T, model: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!GATEWAY_PARAMS.has(k)) out[k] = v;
  out.model = model;
  return out;
}

/** upstreamBody as JSON text; a streaming request also asks for the usage chunk. */
export function streamingBody(body: ChatRequest | CompletionRequest | EmbeddingRequest, model: string): string {
  const out = upstreamBody(body, model);
  if ("stream" in body && body.stream) out.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
  return JSON.stringify(out);
}

/** URL and headers of an OpenAI-compatible endpoint: api_base, else the base env var, else the spec's default. */
export function openAITarget(spec: OpenAICompatibleSpec, path: string, ctx: AdapterContext): UpstreamRequest {
  const { params } = ctx.deployment;
  const base = params.api_base ?? (spec.baseEnv ? envString(ctx, spec.baseEnv) : undefined) ?? spec.defaultBase;
  if (!base) {
    throw new GatewayError(500, "server", `deployment '${ctx.deployment.modelName}' (${spec.name}) needs litellm_params.api_base`);
  }
  const key = params.api_key ?? envString(ctx, spec.keyEnv);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  if (params.organization) headers["openai-organization"] = params.organization;
  if (params.extra_headers) Object.assign(headers, params.extra_headers);
  return { url: base.replace(/\/+$/, "") + path, headers };
}
