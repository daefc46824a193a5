// Cloudflare Workers AI (`workers_ai/@cf/...`, or LiteLLM's name `cloudflare/@cf/...`): through the
// Worker's AI binding (env.AI.run, no key needed) when there is one, else the REST API
// {api_base | https://api.cloudflare.com/client/v4/accounts/<CLOUDFLARE_ACCOUNT_ID>/ai/run}/<model>
// with CLOUDFLARE_API_KEY (or CLOUDFLARE_API_TOKEN) as Bearer. Both take the same inputs; binding
// results are wrapped into the REST envelope (`{result, success, errors}`) so one parser serves both.
// Models answer either in Workers AI's own shape ({response, tool_calls, usage}) or, for the newer
// ones, in OpenAI's (choices); both are read, JSON and SSE.
import { failureJson, failureMessage, field, providerError } from "../shared/errors";
import type { AdapterContext, ProviderAdapter, UpstreamFailure } from "../../core/provider";
import { BINDING_URL, ERROR_STATUS, runOnBinding } from "./binding";
import { CHAT_PARAMS, chatRequest, COMPLETION_PARAMS, completionRequest, EMBEDDING_PARAMS, embeddingRequest } from "./request";
import { parseChat, parseCompletion, parseEmbedding } from "./response";
import { WorkersAIStreamTranslator } from "./stream";
import { workersAiImages, workersAiTranscription, workersAiTranslation } from "./endpoints";

/** REST `{"success":false,"errors":[{"code","message"}]}` (binding errors are wrapped the same way). */
function mapWorkersAIError(failure: UpstreamFailure, ctx: AdapterContext) {
  const errors = field(failureJson(failure), "errors");
  const code = field(Array.isArray(errors) ? errors[0] : undefined, "code");
  const message = failureMessage(failure);
  const status = failure.status === 500 && typeof code === "number" ? (ERROR_STATUS[code] ?? 500) : failure.status;
  return providerError({ ...failure, status }, ctx, { message });
}

function workersAI(name: string): ProviderAdapter {
  return {
    name,
    chat: {
      supportedParams: CHAT_PARAMS,
      buildRequest: chatRequest,
      parseResponse: parseChat,
      stream: { decoder: "sse", translator: (ctx) => new WorkersAIStreamTranslator(ctx, "chat") },
    },
    completion: {
      supportedParams: COMPLETION_PARAMS,
      buildRequest: completionRequest,
      parseResponse: parseCompletion,
      stream: { decoder: "sse", translator: (ctx) => new WorkersAIStreamTranslator(ctx, "completion") },
    },
    embedding: { supportedParams: EMBEDDING_PARAMS, buildRequest: embeddingRequest, parseResponse: parseEmbedding },
    // Images, Whisper and rerankers (./endpoints.ts; rerank joins through ../rerankers.ts).
    image_generation: workersAiImages,
    transcription: workersAiTranscription,
    translation: workersAiTranslation,
    send(req, ctx, signal) {
      if (req.url.startsWith(BINDING_URL)) return runOnBinding(req, ctx.env.AI!, signal);
      return fetch(req.url, { method: "POST", headers: req.headers, body: req.body, signal });
    },
    mapError: mapWorkersAIError,
  };
}

export const workersAi = workersAI("workers_ai");
/** LiteLLM's name for the same provider. */
export const cloudflare = workersAI("cloudflare");