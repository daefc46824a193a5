// OpenAI requests -> Ollama's /api/chat (messages, tools, images), /api/generate (one prompt:
// messages flattened as LiteLLM does, or a completion's prompt) and /api/embed. /api/generate has no
// tools: as LiteLLM does, they are described in a system message asking for JSON only, with
// `format: "json"`, and a `{"name","arguments"}` answer comes back as a tool call (./response.ts).
import { GatewayError } from "../../errors";
import type { ChatMessage, ChatRequest, CompletionRequest, EmbeddingRequest } from "../../schema/openai";
import { onePrompt, textOf } from "../shared/content";
import { textInputs } from "../shared/embeddings";
import { samplingParams } from "../shared/sampling";
import { envString } from "../shared/target";
import type { AdapterContext, UpstreamRequest } from "../../core/provider";

const DEFAULT_BASE = "http://localhost:11434";

export interface OllamaMessage {
  role: string;
  content: string;
  thinking?: string;
  images?: string[];
  tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[];
  tool_name?: string;
}

export const CHAT_PARAMS = new Set([
  "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p",
  "stop", "seed", "presence_penalty", "frequency_penalty", "tools", "tool_choice", "response_format", "user", "n",
  "keep_alive", "top_k", "num_ctx", "repeat_penalty", "reasoning_effort", "parallel_tool_calls",
]);
export const GENERATE_PARAMS = new Set([...CHAT_PARAMS, "prompt", "suffix"]);
/** Completions (/v1/completions) have no tools. */
export const COMPLETION_PARAMS = new Set([...GENERATE_PARAMS].filter((p) => !["tools", "tool_choice", "parallel_tool_calls"].includes(p)));
export const EMBEDDING_PARAMS = new Set(["model", "input", "user", "dimensions", "encoding_format"]);

function target(path: string, ctx: AdapterContext): Omit<UpstreamRequest, "body"> {
  const { params } = ctx.deployment;
  const base = params.api_base ?? envString(ctx, "OLLAMA_API_BASE") ?? DEFAULT_BASE;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (params.api_key) headers.authorization = `Bearer ${params.api_key}`;
  if (params.extra_headers) Object.assign(headers, params.extra_headers);
  return { url: base.replace(/\/+$/, "") + path, headers };
}

/** OpenAI sampling params -> Ollama `options`. */
const OPTIONS = {
  max_tokens: "num_predict", temperature: "temperature", top_p: "top_p", top_k: "top_k", seed: "seed", stop: "stop",
  presence_penalty: "presence_penalty", frequency_penalty: "frequency_penalty", repeat_penalty: "repeat_penalty", num_ctx: "num_ctx",
};

/** response_format -> Ollama `format` ("json" or a JSON schema). */
function format(body: ChatRequest): unknown {
  const rf = body.response_format;
  if (!rf || rf.type === "text") return undefined;
  if (rf.type === "json_schema" && rf.json_schema?.schema) return rf.json_schema.schema;
  return "json";
}

/** Base64 payloads of data-URL images; Ollama takes no image URLs. */
function imagesOf(content: ChatMessage["content"]): string[] {
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const part of content) {
    if (part.type !== "image_url") continue;
    const url = typeof part.image_url === "string" ? part.image_url : (part.image_url?.url ?? "");
    const comma = url.indexOf(",");
    if (!url.startsWith("data:") || comma < 0) {
      throw new GatewayError(400, "bad_request", "ollama accepts images only as base64 data URLs", { param: "messages" });
    }
    out.push(url.slice(comma + 1));
  }
  return out;
}

function parseArguments(args: string): Record<string, unknown> {
  try {
    return JSON.parse(args || "{}") as Record<string, unknown>;
  } catch {
    throw new GatewayError(400, "bad_request", "tool_calls[].function.arguments must be JSON", { param: "messages" });
  }
}

function toOllamaMessages(messages: ChatMessage[]): OllamaMessage[] {
  const toolNames = new Map<string, string>();
  return messages.map((m) => {
    const out: OllamaMessage = { role: m.role === "developer" ? "system" : m.role === "function" ? "tool" : m.role, content: textOf(m.content) };
    const images = imagesOf(m.content);
    if (images.length) out.images = images;
    if (m.tool_calls?.length) {
      out.tool_calls = m.tool_calls.map((tc) => {
        if (tc.id) toolNames.set(tc.id, tc.function.name);
        return { function: { name: tc.function.name, arguments: parseArguments(tc.function.arguments) } };
      });
    }
    if (m.role === "tool" && m.tool_call_id && toolNames.has(m.tool_call_id)) out.tool_name = toolNames.get(m.tool_call_id);
    return out;
  });
}

/** LiteLLM's ollama prompt template for /api/generate; an assistant's tool calls are written out as LiteLLM does. */
function flattenMessages(messages: ChatMessage[]): { prompt: string; images: string[] } {
  const images: string[] = [];
  let prompt = "";
  for (const m of messages) {
    const label = m.role === "system" || m.role === "developer" ? "System" : m.role === "assistant" ? "Assistant" : "User";
    let text = textOf(m.content);
    if (m.tool_calls?.length) {
      const calls = m.tool_calls.map((tc) => ({ id: tc.id, type: "function", function: { name: tc.function.name, arguments: parseArguments(tc.function.arguments) } }));
      text += `Tool Calls: ${JSON.stringify(calls, null, 2)}`;
    }
    prompt += `### ${label}:\n${text}\n\n`;
    images.push(...imagesOf(m.content));
  }
  return { prompt: prompt + "### Assistant:\n", images };
}

/** `ollama/` with tools: LiteLLM's function prompt (its function_call_prompt), for the model to answer with one call as JSON. */
export function toolsPrompted(body: ChatRequest): boolean {
  return !!body.tools?.length && body.tool_choice !== "none";
}

function withFunctionPrompt(body: ChatRequest): ChatMessage[] {
  const prompt =
    'Produce JSON OUTPUT ONLY! Adhere to this format {"name": "function_name", "arguments":{"argument_name": "argument_value"}} The following functions are available to you:' +
    body.tools!.map((t) => `\n${JSON.stringify(t)}\n`).join("");
  let added = false;
  const messages = body.messages.map((m) => {
    if (m.role !== "system" && m.role !== "developer") return m;
    added = true;
    return { ...m, content: `${textOf(m.content)} ${prompt}` };
  });
  return added ? messages : [...messages, { role: "system", content: prompt }];
}

/** A chat request for /api/chat (`ollama_chat/`) or, flattened to one prompt, /api/generate (`ollama/`). */
export function chatRequest(mode: "chat" | "generate", body: ChatRequest, ctx: AdapterContext): UpstreamRequest {
  const common = { model: ctx.deployment.model, stream: !!body.stream, options: samplingParams(body, OPTIONS), format: format(body), keep_alive: (body as Record<string, unknown>).keep_alive };
  if (mode === "generate") {
    const tools = toolsPrompted(body);
    const { prompt, images } = flattenMessages(tools ? withFunctionPrompt(body) : body.messages);
    const payload = { ...common, format: tools ? "json" : common.format, prompt, images: images.length ? images : undefined };
    return { ...target("/api/generate", ctx), body: JSON.stringify(payload) };
  }
  const payload = { ...common, messages: toOllamaMessages(body.messages), tools: body.tool_choice === "none" ? undefined : body.tools };
  return { ...target("/api/chat", ctx), body: JSON.stringify(payload) };
}

export function completionRequest(body: CompletionRequest, ctx: AdapterContext): UpstreamRequest {
  const payload = { model: ctx.deployment.model, prompt: onePrompt(body, "ollama"), suffix: body.suffix ?? undefined, stream: !!body.stream, options: samplingParams(body, OPTIONS) };
  return { ...target("/api/generate", ctx), body: JSON.stringify(payload) };
}

export function embeddingRequest(body: EmbeddingRequest, ctx: AdapterContext): UpstreamRequest {
  textInputs(body, "ollama"); // refuses token-id inputs
  const payload = { model: ctx.deployment.model, input: body.input, dimensions: body.dimensions };
  return { ...target("/api/embed", ctx), body: JSON.stringify(payload) };
}
