// Azure OpenAI (`azure/<deployment name>`): OpenAI's wire format at
// {api_base}/openai/deployments/{deployment}/chat/completions?api-version=..., key in `api-key`
// (or an Entra token as Bearer via azure_ad_token). api_version: litellm_params, else AZURE_API_VERSION,
// else DEFAULT_API_VERSION; "v1" selects Azure's version-less /openai/v1 API. Content-filter refusals
// become content_policy errors (the router's content_policy_fallbacks act on them).
import type { GatewayError } from "../../errors";
import type { ChatCompletion, ChatRequest, CompletionRequest, EmbeddingRequest, EmbeddingResponse, TextCompletion } from "../../schema/openai";
import { mapOpenAIError } from "../openai/adapter";
import { failureJson, failureMessage, field, providerError } from "../shared/errors";
import type { AdapterContext, ProviderAdapter, StreamDecoderKind, UpstreamFailure } from "../../core/provider";
import { responsesPassthrough } from "../shared/responses";
import { openAIEndpoints } from "../openai/endpoints";
import { azureDeploymentTarget, azureRequest, azureResponsesTarget } from "./request";
import { AzureStreamTranslator } from "./stream";

/** Azure's OpenAI-shaped error body; content filtering is flagged by code or innererror. */
export function mapAzureError(failure: UpstreamFailure, ctx: AdapterContext): GatewayError {
  const error = field(failureJson(failure), "error");
  if (field(error, "code") === "content_filter" || field(field(error, "innererror"), "code") === "ResponsibleAIPolicyViolation") {
    return providerError(failure, ctx, { message: failureMessage(failure) || "content filtered", kind: "content_policy", param: field(error, "param") as string | undefined });
  }
  return mapOpenAIError(failure, ctx);
}

const stream = { decoder: "sse" as StreamDecoderKind, translator: () => new AzureStreamTranslator("azure") };

export const azure: ProviderAdapter = {
  name: "azure",
  chat: {
    buildRequest: (body: ChatRequest, ctx) => azureRequest("/chat/completions", body, ctx),
    parseResponse: (json) => json as ChatCompletion,
    stream,
  },
  completion: {
    buildRequest: (body: CompletionRequest, ctx) => azureRequest("/completions", body, ctx),
    parseResponse: (json) => json as TextCompletion,
    stream,
  },
  embedding: {
    buildRequest: (body: EmbeddingRequest, ctx) => azureRequest("/embeddings", body, ctx),
    parseResponse: (json) => json as EmbeddingResponse,
  },
  passthrough: { responses: responsesPassthrough(azureResponsesTarget) },
  // Images and audio at the deployment's URL; files and batches per resource, like the Responses API. Azure has no moderations.
  ...openAIEndpoints(azureDeploymentTarget, ["image_generation", "transcription", "translation", "speech"]),
  ...openAIEndpoints(azureResponsesTarget, ["file", "batch", "resource"]),
  mapError: mapAzureError,
};
