// OpenAI requests -> Workers AI inputs (messages or prompt, sampling, tools, JSON mode), sent to the
// AI binding (./binding.ts) when there is one, else to the REST API.
import { GatewayError } from "../../errors";
import type { ChatMessage, ChatRequest, CompletionRequest, EmbeddingRequest } from "../../schema/openai";
import { onePrompt, partsOf, textOf } from "../shared/content";
import { textInputs } from "../shared/embeddings";
import { envString } from "../shared/target";
import type { AdapterContext, UpstreamRequest } from "../../core/provider";
import { BINDING_URL } from "./binding";

const SAMPLING = ["max_tokens", "temperature", "top_p", "top_k", "seed", "frequency_penalty", "presence_penalty", "repetition_penalty"] as const;
export const CHAT_PARAMS = new Set(["model", "messages", "stream", "stream_options", "max_completion_tokens", "tools", "tool_choice", "response_format", "user", ...SAMPLING]);
export const COMPLETION_PARAMS = new Set(["model", "prompt", "stream", "stream_options", "user", ...SAMPLING]);
export const EMBEDDING_PARAMS = new Set(["model", "input", "user", "encoding_format"]);

export function request(ctx: AdapterContext, inputs: Record<string, unknown>): UpstreamRequest {
  const { params, model, modelName } = ctx.deployment;
  const body = JSON.stringify(inputs);
  if (ctx.env.AI) return { url: BINDING_URL + model, headers: {}, body };
  const account = envString(ctx, "CLOUDFLARE_ACCOUNT_ID");
  const base = params.api_base ?? (account ? `https://api.cloudflare.com/client/v4/accounts/${account}/ai/run` : undefined);
  const key = params.api_key ?? envString(ctx, "CLOUDFLARE_API_KEY") ?? envString(ctx, "CLOUDFLARE_API_TOKEN");
  if (!base || !key) {
    throw new GatewayError(500, "server", `deployment '${modelName}' (workers_ai) needs the AI binding ([ai] binding = "AI" in wrangler.toml), or CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_KEY for the REST API`);
  }
  return { url: `${base.replace(/\/+$/, "")}/${model}`, headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...(params.extra_headers ?? {}) }, body };
}

/** OpenAI messages as Workers AI takes them: plain-text content where possible; tool calls and results in OpenAI's form. */
function messagesFor(messages: ChatMessage[]): Record<string, unknown>[] {
  return messages.map((m) => {
    const role = m.role === "developer" ? "system" : m.role === "function" ? "tool" : m.role;
    const hasMedia = partsOf(m.content).some((p) => p.type !== "text");
    const out: Record<string, unknown> = { role, content: hasMedia ? m.content : textOf(m.content) };
    if (m.tool_calls?.length) out.tool_calls = m.tool_calls.map((tc) => ({ id: tc.id, type: "function", function: tc.function }));
    if (m.tool_call_id) out.tool_call_id = m.tool_call_id;
    if (m.name) out.name = m.name;
    return out;
  });
}

function samplingOf(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SAMPLING) if (body[key] != null) out[key] = body[key];
  if (body.max_completion_tokens != null) out.max_tokens = body.max_completion_tokens;
  if (body.stream) out.stream = true;
  return out;
}

function chatInputs(body: ChatRequest): Record<string, unknown> {
  const inputs: Record<string, unknown> = { messages: messagesFor(body.messages), ...samplingOf(body as Record<string, unknown>) };
  if (body.tools?.length && body.tool_choice !== "none") {
    inputs.tools = body.tools;
    if (body.tool_choice && body.tool_choice !== "auto") inputs.tool_choice = body.tool_choice;
  }
  const rf = body.response_format;
  // Workers AI's JSON mode takes the schema itself under json_schema.
  if (rf?.type === "json_object") inputs.response_format = { type: "json_object" };
  else if (rf?.type === "json_schema") inputs.response_format = { type: "json_schema", json_schema: rf.json_schema?.schema ?? { type: "object" } };
  return inputs;
}

export const chatRequest = (body: ChatRequest, ctx: AdapterContext): UpstreamRequest => request(ctx, chatInputs(body));

export function completionRequest(body: CompletionRequest, ctx: AdapterContext): UpstreamRequest {
  return request(ctx, { prompt: onePrompt(body, "workers_ai"), ...samplingOf(body as Record<string, unknown>) });
}

export const embeddingRequest = (body: EmbeddingRequest, ctx: AdapterContext): UpstreamRequest => request(ctx, { text: textInputs(body, "workers_ai") });
