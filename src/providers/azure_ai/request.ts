// Azure AI Foundry model inference (`azure_ai/<model>`), LiteLLM's way: OpenAI's chat and embeddings
// bodies at {api_base}/chat/completions and /embeddings (`/models/...` on *.services.ai.azure.com
// hosts), `api-version` added from litellm_params.api_version when the base has none; the key in
// `api-key` on Azure's own hosts, else as Bearer (serverless endpoints). Text-only list content is
// flattened to a string: many models behind this API take no content lists.
import { GatewayError } from "../../errors";
import type { ChatMessage, ChatRequest, EmbeddingRequest } from "../../schema/openai";
import { upstreamBody } from "../openai/request";
import { textOf } from "../shared/content";
import { envString } from "../shared/target";
import type { AdapterContext, UpstreamRequest } from "../../core/provider";

const KEY_HEADER_HOSTS = /\.(services\.ai\.azure\.com|openai\.azure\.com)$/;

/** `base` + `ending` without repeating segments the base already ends with (`.../models` + `/models/chat/completions`). */
export function appendPath(basePath: string, ending: string): string {
  const base = basePath.split("/").filter(Boolean);
  const end = ending.split("/").filter(Boolean);
  let overlap = 0;
  for (let k = Math.min(base.length, end.length); k > 0; k--) {
    if (base.slice(base.length - k).join("/") === end.slice(0, k).join("/")) {
      overlap = k;
      break;
    }
  }
  return "/" + [...base, ...end.slice(overlap)].join("/");
}

export function azureAiTarget(path: "/chat/completions" | "/embeddings", ctx: AdapterContext): Omit<UpstreamRequest, "body"> {
  const { params, modelName } = ctx.deployment;
  const base = params.api_base ?? envString(ctx, "AZURE_AI_API_BASE");
  if (!base) throw new GatewayError(500, "server", `deployment '${modelName}' (azure_ai) needs litellm_params.api_base (https://<resource>.services.ai.azure.com/models, or a serverless endpoint's URL) or AZURE_AI_API_BASE`);
  const url = new URL(base);
  url.pathname = appendPath(url.pathname, url.hostname.includes("services.ai.azure.com") ? `/models${path}` : path);
  if (params.api_version && !url.searchParams.has("api-version")) url.searchParams.set("api-version", params.api_version);
  const key = params.api_key ?? envString(ctx, "AZURE_AI_API_KEY");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) {
    if (KEY_HEADER_HOSTS.test(url.hostname)) headers["api-key"] = key;
    else headers.authorization = `Bearer ${key}`;
  }
  if (params.extra_headers) Object.assign(headers, params.extra_headers);
  return { url: url.toString(), headers };
}

/** Text-only content lists as one string; lists with images or audio stay as they are. */
function flattenContent(m: ChatMessage): ChatMessage {
  if (!Array.isArray(m.content) || m.content.some((p) => p.type !== "text")) return m;
  return { ...m, content: textOf(m.content) };
}

export function chatRequest(body: ChatRequest, ctx: AdapterContext): UpstreamRequest {
  // The inference API refuses parameters it does not define, stream_options among them: usage is read
  // when the endpoint reports it, and the gateway writes the client's usage chunk itself.
  const payload = upstreamBody(body, ctx.deployment.model);
  delete payload.stream_options;
  payload.messages = body.messages.map(flattenContent);
  return { ...azureAiTarget("/chat/completions", ctx), body: JSON.stringify(payload) };
}

export function embeddingRequest(body: EmbeddingRequest, ctx: AdapterContext): UpstreamRequest {
  return { ...azureAiTarget("/embeddings", ctx), body: JSON.stringify(upstreamBody(body, ctx.deployment.model)) };
}
