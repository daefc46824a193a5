// OpenAI chat requests -> Anthropic's Messages API: the URL and headers (x-api-key, anthropic-version,
// anthropic-beta), and the body (system, alternating messages, tools, thinking, cache_control).
import { badRequest } from "../../errors";
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
import { samplingParams } from "../shared/sampling";
import { envString } from "../shared/target";
import type { ContentBlock } from "../../schema/anthropic";
import type { AdapterContext, PassthroughClient, UpstreamRequest } from "../../core/provider";

const DEFAULT_BASE = "https://api.anthropic.com";
export const ANTHROPIC_VERSION = "2023-06-01";
const DEFAULT_MAX_TOKENS = 4096;

export const CHAT_PARAMS = new Set([
  "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k",
  "stop", "tools", "tool_choice", "parallel_tool_calls", "response_format", "user", "n", "reasoning_effort", "thinking",
]);

/** Anthropic requires max_tokens: the client's, else model_info's output limit, else 4096. */
export function defaultMaxTokens(ctx: AdapterContext): number {
  return ctx.deployment.info.max_output_tokens ?? ctx.deployment.info.max_tokens ?? DEFAULT_MAX_TOKENS;
}

/** URL and headers for a Messages API path; `client` adds the anthropic-version/-beta a native client sent. */
export function anthropicTarget(path: "/v1/messages" | "/v1/messages/count_tokens", ctx: AdapterContext, client?: PassthroughClient): Omit<UpstreamRequest, "body"> {
  const { params } = ctx.deployment;
  const envBase = ctx.env.ANTHROPIC_API_BASE ?? ctx.env.ANTHROPIC_BASE_URL;
  // api_base may be the host, .../v1, or the full .../v1/messages (all seen in LiteLLM configs).
  const base = (params.api_base ?? (typeof envBase === "string" ? envBase : DEFAULT_BASE)).replace(/\/+$/, "").replace(/(\/v1)?(\/messages)?$/, "");
  const key = params.api_key ?? envString(ctx, "ANTHROPIC_API_KEY");
  const headers: Record<string, string> = { "content-type": "application/json", "anthropic-version": client?.headers["anthropic-version"] ?? ANTHROPIC_VERSION };
  // No key is fine behind a key-injecting proxy (e.g. Cloudflare AI Gateway with stored keys).
  if (key) headers["x-api-key"] = key;
  const extra = params.extra_headers ?? {};
  Object.assign(headers, extra);
  const betas = [extra["anthropic-beta"], client?.headers["anthropic-beta"]].filter(Boolean).join(",");
  if (betas) headers["anthropic-beta"] = [...new Set(betas.split(",").map((b) => b.trim()).filter(Boolean))].join(",");
  return { url: base + path, headers };
}

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

/** OpenAI sampling params -> Anthropic's (max_tokens is set apart: it is required and makes room for thinking). */
const SAMPLING = { stop: "stop_sequences", temperature: "temperature", top_p: "top_p", top_k: "top_k" };

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
  Object.assign(payload, samplingParams(body, SAMPLING));
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

export function chatRequest(body: ChatRequest, ctx: AdapterContext): UpstreamRequest {
  const { payload } = toAnthropicRequest(body, ctx.deployment.model, defaultMaxTokens(ctx));
  return { ...anthropicTarget("/v1/messages", ctx), body: JSON.stringify(payload) };
}

/** A /v1/messages client's own body, with the deployment's model and (required by Anthropic) a max_tokens. */
export function passthroughRequest(client: PassthroughClient, ctx: AdapterContext): UpstreamRequest {
  const body: Record<string, unknown> = { ...client.body, model: ctx.deployment.model };
  body.max_tokens ??= defaultMaxTokens(ctx);
  return { ...anthropicTarget("/v1/messages", ctx, client), body: JSON.stringify(body) };
}
