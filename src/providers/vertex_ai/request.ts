// Vertex AI requests: {root}/v1/projects/{project}/locations/{location}/publishers/{google|anthropic}/models/{model}:{method},
// root = https://{location}-aiplatform.googleapis.com (https://aiplatform.googleapis.com for `global`,
// or litellm_params.api_base), with a service account's access token (./auth.ts) as Bearer.
// Gemini models take Gemini's body (../gemini/request.ts); Claude models Anthropic's Messages body
// without `model` and with anthropic_version vertex-2023-10-16, at :rawPredict / :streamRawPredict.
import { GatewayError } from "../../errors";
import type { ChatRequest, EmbeddingRequest } from "../../schema/openai";
import { defaultMaxTokens, toAnthropicRequest } from "../anthropic/request";
import { toGeminiRequest } from "../gemini/request";
import { textInputs } from "../shared/embeddings";
import { envString } from "../shared/target";
import type { AdapterContext, PassthroughClient, UpstreamRequest } from "../../core/provider";
import { accessToken, type ServiceAccount } from "./auth";

export const VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";
const DEFAULT_LOCATION = "us-central1";

/** Claude models on Vertex are Anthropic's (publisher anthropic); every other model here is Google's. */
export const isClaude = (model: string) => /claude/i.test(model);

/** The service account from vertex_credentials (JSON text or object), else VERTEXAI_CREDENTIALS. */
export function serviceAccountOf(ctx: AdapterContext): ServiceAccount {
  const { params, modelName } = ctx.deployment;
  const raw = params.vertex_credentials ?? envString(ctx, "VERTEXAI_CREDENTIALS");
  const where = `deployment '${modelName}' (vertex_ai)`;
  if (raw === undefined) throw new GatewayError(500, "server", `${where} needs litellm_params.vertex_credentials: a service account's JSON, e.g. os.environ/VERTEX_CREDENTIALS (wrangler secret put VERTEX_CREDENTIALS < service-account.json)`);
  let account: unknown = raw;
  if (typeof raw === "string") {
    if (!raw.trimStart().startsWith("{")) {
      throw new GatewayError(500, "server", `${where}: vertex_credentials looks like a file path; a Worker cannot read files. Put the file's JSON in a secret (wrangler secret put VERTEX_CREDENTIALS < service-account.json) and write vertex_credentials: os.environ/VERTEX_CREDENTIALS`);
    }
    try {
      account = JSON.parse(raw);
    } catch {
      throw new GatewayError(500, "server", `${where}: vertex_credentials is not valid JSON`);
    }
  }
  const a = account as Partial<ServiceAccount>;
  if (typeof a.client_email !== "string" || typeof a.private_key !== "string") {
    throw new GatewayError(500, "server", `${where}: vertex_credentials must be a service account key (with client_email and private_key)`);
  }
  return a as ServiceAccount;
}

/** URL of a model method, and the Bearer header. */
async function vertexTarget(ctx: AdapterContext, publisher: "google" | "anthropic", method: string): Promise<Omit<UpstreamRequest, "body">> {
  const { params, model, modelName } = ctx.deployment;
  const account = serviceAccountOf(ctx);
  const project = params.vertex_project ?? envString(ctx, "VERTEXAI_PROJECT") ?? account.project_id;
  if (!project) throw new GatewayError(500, "server", `deployment '${modelName}' (vertex_ai) needs litellm_params.vertex_project (or VERTEXAI_PROJECT, or project_id in the credentials)`);
  const location = params.vertex_location ?? envString(ctx, "VERTEXAI_LOCATION") ?? DEFAULT_LOCATION;
  const host = location === "global" ? "https://aiplatform.googleapis.com" : `https://${location}-aiplatform.googleapis.com`;
  const root = (params.api_base ?? envString(ctx, "VERTEXAI_API_BASE") ?? host).replace(/\/+$/, "");
  const url = `${root}/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/${publisher}/models/${encodeURIComponent(model)}:${method}`;
  const headers: Record<string, string> = { "content-type": "application/json", authorization: `Bearer ${await accessToken(account)}` };
  if (params.extra_headers) Object.assign(headers, params.extra_headers);
  return { url, headers };
}

export async function geminiChatRequest(body: ChatRequest, ctx: AdapterContext): Promise<UpstreamRequest> {
  const payload = await toGeminiRequest(body);
  const t = await vertexTarget(ctx, "google", body.stream ? "streamGenerateContent" : "generateContent");
  return { ...t, url: body.stream ? `${t.url}?alt=sse` : t.url, body: JSON.stringify(payload) };
}

/** Anthropic's Messages body as Vertex takes it: no model (it is in the URL), anthropic_version in the body. */
function vertexAnthropicBody(payload: Record<string, unknown>): string {
  const { model: _model, ...rest } = payload;
  return JSON.stringify({ anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest });
}

export async function anthropicChatRequest(body: ChatRequest, ctx: AdapterContext): Promise<UpstreamRequest> {
  const { payload } = toAnthropicRequest(body, ctx.deployment.model, defaultMaxTokens(ctx));
  return { ...(await vertexTarget(ctx, "anthropic", body.stream ? "streamRawPredict" : "rawPredict")), body: vertexAnthropicBody(payload) };
}

/** A /v1/messages client's own body, for Claude on Vertex. */
export async function anthropicPassthroughRequest(client: PassthroughClient, ctx: AdapterContext): Promise<UpstreamRequest> {
  const payload: Record<string, unknown> = { ...client.body };
  payload.max_tokens ??= defaultMaxTokens(ctx);
  const t = await vertexTarget(ctx, "anthropic", payload.stream ? "streamRawPredict" : "rawPredict");
  const beta = client.headers["anthropic-beta"];
  if (beta) t.headers["anthropic-beta"] = beta;
  return { ...t, body: vertexAnthropicBody(payload) };
}

/** Vertex's text embeddings (`:predict`): one instance per input. */
export async function embeddingRequest(body: EmbeddingRequest, ctx: AdapterContext): Promise<UpstreamRequest> {
  const instances = textInputs(body, "vertex_ai").map((content) => ({ content }));
  const payload = { instances, ...(body.dimensions ? { parameters: { outputDimensionality: body.dimensions } } : {}) };
  return { ...(await vertexTarget(ctx, "google", "predict")), body: JSON.stringify(payload) };
}
