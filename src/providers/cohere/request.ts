// OpenAI requests -> Cohere's v2 API: POST {api_base}/v2/chat (messages close to OpenAI's: system,
// user with text and image parts, assistant with tool_calls, tool results by tool_call_id) and
// POST {api_base}/v2/embed (texts, input_type, embedding_types). Key as Bearer.
import { GatewayError } from "../../errors";
import type { ChatMessage, ChatRequest, EmbeddingRequest } from "../../schema/openai";
import { imageUrlOf, partsOf, textOf } from "../shared/content";
import { textInputs } from "../shared/embeddings";
import { samplingParams } from "../shared/sampling";
import { envString } from "../shared/target";
import type { AdapterContext, UpstreamRequest } from "../../core/provider";

const DEFAULT_BASE = "https://api.cohere.ai";
/** LiteLLM's default input_type for embeddings (Cohere requires one for v3+ models). */
const DEFAULT_INPUT_TYPE = "search_document";

export const CHAT_PARAMS = new Set([
  "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "stop", "seed",
  "frequency_penalty", "presence_penalty", "tools", "tool_choice", "parallel_tool_calls", "response_format", "user",
]);
export const EMBEDDING_PARAMS = new Set(["model", "input", "user", "dimensions", "encoding_format", "input_type"]);

function target(path: "/v2/chat" | "/v2/embed", ctx: AdapterContext): Omit<UpstreamRequest, "body"> {
  const { params } = ctx.deployment;
  // api_base may be the host or, as LiteLLM configs write it, the full .../v2/chat URL.
  const base = (params.api_base ?? envString(ctx, "COHERE_API_BASE") ?? DEFAULT_BASE).replace(/\/+$/, "").replace(/\/v[12](\/(chat|embed))?$/, "");
  const key = params.api_key ?? envString(ctx, "COHERE_API_KEY") ?? envString(ctx, "CO_API_KEY");
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  if (params.extra_headers) Object.assign(headers, params.extra_headers);
  return { url: base + path, headers };
}

/** User content: a string, or text and image_url parts (vision models). */
function userContent(content: ChatMessage["content"]): unknown {
  const parts = partsOf(content);
  if (parts.every((p) => p.type === "text")) return textOf(content);
  return parts.map((p) => {
    if (p.type === "text") return { type: "text", text: p.text ?? "" };
    if (p.type === "image_url") return { type: "image_url", image_url: { url: imageUrlOf(p) } };
    throw new GatewayError(400, "bad_request", `cohere does not accept content parts of type '${p.type}'`, { param: "messages" });
  });
}

function toCohereMessage(m: ChatMessage): Record<string, unknown> {
  switch (m.role) {
    case "system":
    case "developer":
      return { role: "system", content: textOf(m.content) };
    case "user":
      return { role: "user", content: userContent(m.content) };
    case "assistant": {
      const out: Record<string, unknown> = { role: "assistant" };
      const text = textOf(m.content);
      if (text) out.content = text;
      if (m.tool_calls?.length) out.tool_calls = m.tool_calls.map((tc) => ({ id: tc.id, type: "function", function: { name: tc.function.name, arguments: tc.function.arguments } }));
      else if (!text) out.content = "";
      return out;
    }
    default:
      return { role: "tool", tool_call_id: m.tool_call_id ?? m.name ?? "", content: textOf(m.content) };
  }
}

/** OpenAI sampling params -> Cohere's names. */
const SAMPLING = {
  max_tokens: "max_tokens", temperature: "temperature", top_p: "p", top_k: "k", stop: "stop_sequences", seed: "seed",
  frequency_penalty: "frequency_penalty", presence_penalty: "presence_penalty",
};

export function chatRequest(body: ChatRequest, ctx: AdapterContext): UpstreamRequest {
  const payload: Record<string, unknown> = { model: ctx.deployment.model, messages: body.messages.map(toCohereMessage), ...samplingParams(body, SAMPLING) };
  if (body.stream) payload.stream = true;
  let tools = body.tool_choice === "none" ? undefined : body.tools;
  const choice = body.tool_choice;
  // Cohere has REQUIRED / NONE only: a named function is required by offering only that one.
  if (choice && typeof choice === "object") tools = tools?.filter((t) => t.function.name === choice.function.name);
  if (tools?.length) {
    payload.tools = tools.map((t) => ({ type: "function", function: { name: t.function.name, description: t.function.description, parameters: t.function.parameters ?? { type: "object", properties: {} } } }));
    if (choice === "required" || typeof choice === "object") payload.tool_choice = "REQUIRED";
  }
  const rf = body.response_format;
  if (rf && rf.type !== "text") payload.response_format = rf.type === "json_schema" && rf.json_schema?.schema ? { type: "json_object", json_schema: rf.json_schema.schema } : { type: "json_object" };
  return { ...target("/v2/chat", ctx), body: JSON.stringify(payload) };
}

export function embeddingRequest(body: EmbeddingRequest, ctx: AdapterContext): UpstreamRequest {
  const extra = body as Record<string, unknown>;
  const payload: Record<string, unknown> = {
    model: ctx.deployment.model,
    texts: textInputs(body, "cohere"),
    input_type: typeof extra.input_type === "string" ? extra.input_type : DEFAULT_INPUT_TYPE,
    embedding_types: ["float"],
  };
  if (body.dimensions) payload.output_dimension = body.dimensions;
  return { ...target("/v2/embed", ctx), body: JSON.stringify(payload) };
}
