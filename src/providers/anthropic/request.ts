// Chat requests between OpenAI's and Anthropic's formats, both ways:
//   toAnthropicRequest   OpenAI chat body -> Anthropic Messages body (the anthropic/ adapter)
//   fromAnthropicRequest Anthropic Messages body -> OpenAI chat body (the /v1/messages route, for non-Anthropic deployments)
import { GatewayError, badRequest } from "../../errors";
import type { ChatMessage, ChatRequest, Tool } from "../../schema/openai";
import {
  cacheControlOf,
  fileOf,
  imageUrlOf,
  parseDataUrl,
  parseToolArguments,
  partsOf,
  thinkingBlocksOf,
  thinkingBudget,
} from "../shared/content";
import { jsonToolFor } from "../shared/json-tool";
import type { ContentBlock, MessageParam, MessagesRequest } from "../../schema/anthropic";

type Block = ContentBlock & { cache_control?: { type: string } };

/** OpenAI content parts -> Anthropic blocks (text, image, document). */
function blocksOf(content: ChatMessage["content"]): Block[] {
  const out: Block[] = [];
  for (const part of partsOf(content)) {
    const cache = cacheControlOf(part);
    let block: Block | undefined;
    if (part.type === "text") {
      if (part.text) block = { type: "text", text: part.text };
    } else if (part.type === "image_url") {
      const url = imageUrlOf(part);
      const inline = parseDataUrl(url);
      block = { type: "image", source: inline ? { type: "base64", media_type: inline.mediaType, data: inline.data } : { type: "url", url } };
    } else if (part.type === "file" && fileOf(part)) {
      const file = fileOf(part)!;
      const inline = parseDataUrl(file.data);
      if (!inline) throw badRequest("file parts need file_data as a base64 data URL", "messages");
      block = { type: "document", source: { type: "base64", media_type: inline.mediaType, data: inline.data }, ...(file.filename ? { title: file.filename } : {}) };
    } else {
      throw badRequest(`anthropic does not accept content parts of type '${part.type}'`, "messages");
    }
    if (block) out.push(cache ? { ...block, cache_control: cache } : block);
  }
  return out;
}

/** Anthropic needs `input_schema` to describe an object. */
function inputSchema(parameters: Record<string, unknown> | undefined): Record<string, unknown> {
  return parameters && Object.keys(parameters).length ? parameters : { type: "object", properties: {} };
}

function toolChoiceOf(body: ChatRequest, forcedTool: string | undefined): Record<string, unknown> | undefined {
  const disableParallel = body.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  const choice = body.tool_choice;
  if (choice === undefined) {
    if (forcedTool) return { type: body.tools?.length ? "any" : "tool", ...(body.tools?.length ? {} : { name: forcedTool }), ...disableParallel };
    return body.parallel_tool_calls === false && body.tools?.length ? { type: "auto", ...disableParallel } : undefined;
  }
  if (choice === "auto") return { type: "auto", ...disableParallel };
  if (choice === "required") return { type: "any", ...disableParallel };
  if (choice === "none") return { type: "none" };
  return { type: "tool", name: choice.function.name, ...disableParallel };
}

export interface AnthropicRequestResult {
  payload: Record<string, unknown>;
  /** response_format was turned into a forced tool (see shared/json-tool.ts). */
  jsonTool: boolean;
}

/** An OpenAI chat request as Anthropic's Messages request. */
export function toAnthropicRequest(body: ChatRequest, model: string, defaultMaxTokens: number): AnthropicRequestResult {
  if (body.n != null && body.n > 1) throw badRequest("anthropic does not support n > 1", "n");
  const system: Block[] = [];
  const messages: { role: "user" | "assistant"; content: Block[] }[] = [];
  const push = (role: "user" | "assistant", blocks: Block[], message: ChatMessage) => {
    if (!blocks.length) return; // Anthropic refuses empty messages
    const cache = cacheControlOf(message);
    if (cache) blocks[blocks.length - 1] = { ...blocks[blocks.length - 1], cache_control: cache } as Block;
    const last = messages.at(-1);
    // Anthropic wants alternating roles: consecutive same-role messages (e.g. parallel tool results) merge.
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };

  for (const m of body.messages) {
    switch (m.role) {
      case "system":
      case "developer": {
        const blocks: Block[] = blocksOf(m.content).filter((b) => b.type === "text");
        const cache = cacheControlOf(m);
        if (cache && blocks.length) blocks[blocks.length - 1] = { ...blocks[blocks.length - 1], cache_control: cache };
        system.push(...blocks);
        break;
      }
      case "user":
        push("user", blocksOf(m.content), m);
        break;
      case "assistant": {
        const blocks: Block[] = [];
        // Thinking must come first and keep its signature, or Anthropic refuses the turn.
        for (const t of thinkingBlocksOf(m)) {
          if (t.type === "thinking" && t.signature) blocks.push({ type: "thinking", thinking: t.thinking ?? "", signature: t.signature });
          else if (t.type === "redacted_thinking" && t.data) blocks.push({ type: "redacted_thinking", data: t.data });
        }
        blocks.push(...blocksOf(m.content).filter((b) => b.type === "text"));
        for (const tc of m.tool_calls ?? []) {
          blocks.push({ type: "tool_use", id: tc.id ?? `toolu_${crypto.randomUUID().replaceAll("-", "")}`, name: tc.function.name, input: parseToolArguments(tc.function.arguments) });
        }
        push("assistant", blocks, m);
        break;
      }
      case "tool":
      case "function": {
        const content = typeof m.content === "string" ? m.content : blocksOf(m.content);
        const id = m.tool_call_id ?? m.name;
        if (!id) throw badRequest("tool messages need tool_call_id", "messages");
        push("user", [{ type: "tool_result", tool_use_id: id, content }], m);
        break;
      }
    }
  }

  const jsonTool = jsonToolFor(body);
  const tools: Record<string, unknown>[] = (body.tools ?? []).map((t: Tool) => ({
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    input_schema: inputSchema(t.function.parameters),
    ...(cacheControlOf(t) ? { cache_control: cacheControlOf(t) } : {}),
  }));
  if (jsonTool) tools.push({ name: jsonTool.name, description: jsonTool.description, input_schema: inputSchema(jsonTool.schema) });

  const b = body as Record<string, unknown>;
  const payload: Record<string, unknown> = { model, messages };
  if (system.length) payload.system = system;
  let maxTokens = body.max_completion_tokens ?? body.max_tokens ?? defaultMaxTokens;
  const thinking = (b.thinking as Record<string, unknown> | undefined) ?? budgetThinking(body.reasoning_effort);
  if (thinking) {
    payload.thinking = thinking;
    // Anthropic counts thinking inside max_tokens and needs room for the answer after it.
    const budget = typeof thinking.budget_tokens === "number" ? thinking.budget_tokens : 0;
    if (maxTokens <= budget) maxTokens += budget;
  }
  payload.max_tokens = maxTokens;
  if (body.stop != null) payload.stop_sequences = typeof body.stop === "string" ? [body.stop] : body.stop;
  if (body.temperature != null) payload.temperature = body.temperature;
  if (body.top_p != null) payload.top_p = body.top_p;
  if (b.top_k != null) payload.top_k = b.top_k;
  if (tools.length) payload.tools = tools;
  let toolChoice = payload.tools ? toolChoiceOf(body, jsonTool?.name) : undefined;
  // Anthropic refuses forced tool use with thinking on; the JSON tool then stays available, not forced.
  if (thinking && (toolChoice?.type === "any" || toolChoice?.type === "tool")) toolChoice = { type: "auto" };
  if (toolChoice) payload.tool_choice = toolChoice;
  if (body.user) payload.metadata = { user_id: body.user };
  if (body.stream) payload.stream = true;
  return { payload, jsonTool: !!jsonTool };
}

function budgetThinking(effort: unknown): Record<string, unknown> | undefined {
  const budget = thinkingBudget(effort);
  if (budget === undefined || budget === 0) return undefined;
  return { type: "enabled", budget_tokens: budget };
}

// ---- Anthropic -> OpenAI (the /v1/messages route) ----

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
