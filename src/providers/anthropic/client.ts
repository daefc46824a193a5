// Anthropic's Messages API as a client API of the gateway (/v1/messages: Claude Code, the Anthropic
// SDKs): the request becomes an OpenAI-form chat call (fromAnthropicRequest, here), and the answer
// goes back in Anthropic's format (./client-response.ts). An anthropic/ deployment serves such a call
// by passthrough (./adapter.ts) instead of translating.
import { GatewayError, badRequest } from "../../errors";
import type { ClientApi } from "../../core/call";
import type { ChatMessage, ChatRequest } from "../../schema/openai";
import type { ContentBlock, MessageParam, MessagesRequest } from "../../schema/anthropic";
import { anthropicClientFormat, anthropicPassthroughFormat, toAnthropicMessage } from "./client-response";

/** Headers an Anthropic client sends that an anthropic/ deployment must see. */
const FORWARDED_HEADERS = ["anthropic-version", "anthropic-beta"] as const;

export function anthropicClient(req: MessagesRequest, headers: Headers, estimatedInputTokens: number): ClientApi {
  const forwarded: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = headers.get(name);
    if (value) forwarded[name] = value;
  }
  return {
    api: "anthropic",
    body: req,
    headers: forwarded,
    needsPassthrough: passthroughOnly(req),
    fromOpenAI: toAnthropicMessage,
    streamFormat: (passthrough) => (passthrough ? anthropicPassthroughFormat : anthropicClientFormat(req.model, estimatedInputTokens)),
  };
}

type OpenAIPart = { type: string; [k: string]: unknown };

function openAIParts(blocks: ContentBlock[]): OpenAIPart[] {
  const parts: OpenAIPart[] = [];
  for (const b of blocks) {
    if (b.type === "text") parts.push({ type: "text", text: b.text });
    else if (b.type === "image" || b.type === "document") {
      const s = b.source as { type: string; media_type?: string; data?: string; url?: string };
      if (s.type === "base64" && b.type === "image") parts.push({ type: "image_url", image_url: { url: `data:${s.media_type};base64,${s.data}` } });
      else if (s.type === "base64") parts.push({ type: "file", file: { file_data: `data:${s.media_type};base64,${s.data}`, ...(b.type === "document" && b.title ? { filename: b.title } : {}) } });
      else if (s.type === "url" && b.type === "image") parts.push({ type: "image_url", image_url: { url: s.url } });
      else if (s.type === "text") parts.push({ type: "text", text: s.data ?? "" });
      else throw badRequest(`${b.type} blocks with a '${s.type}' source need an anthropic/ deployment`, "messages");
    }
  }
  return parts;
}

/** Plain text when the parts are all text, else the parts. */
function contentOf(parts: OpenAIPart[]): string | OpenAIPart[] {
  return parts.every((p) => p.type === "text") ? parts.map((p) => p.text as string).join("") : parts;
}

const TRANSLATABLE = new Set(["text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking"]);

/** Why a request can only go to an Anthropic deployment (server tools, unknown block types), if it can. */
export function passthroughOnly(req: MessagesRequest): string | undefined {
  const serverTool = req.tools?.find((t) => t.type && t.type !== "custom");
  if (serverTool) return `tool '${serverTool.name}' (${serverTool.type}) is an Anthropic server tool`;
  for (const m of req.messages) {
    if (typeof m.content === "string") continue;
    const block = m.content.find((b) => !TRANSLATABLE.has(b.type));
    if (block) return `content blocks of type '${block.type}' are Anthropic-only`;
  }
  return undefined;
}

function fromMessage(m: MessageParam, out: ChatMessage[]): void {
  if (typeof m.content === "string") {
    out.push({ role: m.role, content: m.content });
    return;
  }
  const blocks = m.content as unknown as ContentBlock[];
  if (m.role === "assistant") {
    const text = blocks.map((b) => (b.type === "text" ? b.text : "")).join("");
    const toolCalls = blocks.flatMap((b) =>
      b.type === "tool_use" ? [{ id: b.id, type: "function" as const, function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } }] : [],
    );
    // Thinking blocks are dropped: their signatures only mean something to Anthropic.
    out.push({ role: "assistant", content: text || (toolCalls.length ? null : ""), ...(toolCalls.length ? { tool_calls: toolCalls } : {}) });
    return;
  }
  // User turn: tool results become OpenAI tool messages (which must directly follow the assistant's
  // tool calls); the rest of the turn follows as one user message.
  const rest: ContentBlock[] = [];
  const images: OpenAIPart[] = [];
  for (const r of blocks) {
    if (r.type !== "tool_result") {
      rest.push(r);
      continue;
    }
    const parts = typeof r.content === "string" ? [{ type: "text", text: r.content }] : openAIParts(r.content ?? []);
    const text = parts.filter((p) => p.type === "text").map((p) => p.text as string).join("");
    images.push(...parts.filter((p) => p.type !== "text"));
    out.push({ role: "tool", tool_call_id: r.tool_use_id, content: r.is_error ? `Error: ${text}` : text });
  }
  const parts = [...images, ...openAIParts(rest)];
  if (parts.length) out.push({ role: "user", content: contentOf(parts) as ChatMessage["content"] });
}

/** The reasoning_effort closest to an Anthropic thinking budget. */
function effortFor(thinking: MessagesRequest["thinking"]): string | undefined {
  if (!thinking || thinking.type === "disabled") return undefined;
  const budget = thinking.budget_tokens ?? 0;
  if (thinking.type === "adaptive" || budget > 8192) return "high";
  return budget > 2048 ? "medium" : "low";
}

/**
 * An Anthropic Messages request in OpenAI's chat format. What has no OpenAI equivalent is dropped
 * (cache_control, top_k, thinking signatures) and listed in the README; what would change the
 * answer (server tools, unknown blocks) is refused by `passthroughOnly` instead.
 */
export function fromAnthropicRequest(req: MessagesRequest): ChatRequest {
  const messages: ChatMessage[] = [];
  if (req.system !== undefined) {
    const text = typeof req.system === "string" ? req.system : req.system.map((b) => b.text).join("\n");
    if (text) messages.push({ role: "system", content: text });
  }
  for (const m of req.messages) fromMessage(m, messages);
  if (!messages.length) throw new GatewayError(400, "bad_request", "messages: no content to send", { param: "messages" });

  const body: ChatRequest = { model: req.model, messages };
  if (req.max_tokens !== undefined) body.max_completion_tokens = req.max_tokens;
  if (req.stream) body.stream = true;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.top_p !== undefined) body.top_p = req.top_p;
  if (req.stop_sequences?.length) body.stop = req.stop_sequences;
  if (req.metadata?.user_id) body.user = req.metadata.user_id;
  const effort = effortFor(req.thinking);
  if (effort) body.reasoning_effort = effort;
  const tools = (req.tools ?? []).filter((t) => !t.type || t.type === "custom");
  if (tools.length) {
    body.tools = tools.map((t) => ({
      type: "function" as const,
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema ?? { type: "object", properties: {} } },
    }));
    const tc = req.tool_choice;
    if (tc?.type === "any") body.tool_choice = "required";
    else if (tc?.type === "none") body.tool_choice = "none";
    else if (tc?.type === "tool" && tc.name) body.tool_choice = { type: "function", function: { name: tc.name } };
    else if (tc?.type === "auto") body.tool_choice = "auto";
    if (tc?.disable_parallel_tool_use) body.parallel_tool_calls = false;
  }
  return body;
}
