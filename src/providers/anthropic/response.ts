// Chat responses between Anthropic's and OpenAI's formats, both ways, and their usage.
//   fromAnthropicMessage  Anthropic message -> OpenAI chat.completion (the anthropic/ adapter)
//   toAnthropicMessage    OpenAI chat.completion -> Anthropic message (the /v1/messages route)
import type { ChatCompletion, FinishReason, ToolCall, Usage } from "../../schema/openai";
import { JSON_TOOL_NAME } from "../shared/json-tool";
import type { AnthropicMessage, AnthropicUsage, ContentBlock, StopReason } from "../../schema/anthropic";
import { usageWithCache } from "../shared/usage";

export const FINISH_REASON: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

const STOP_REASON: Record<string, StopReason> = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use", function_call: "tool_use", content_filter: "refusal" };

export const stopReasonFor = (finish: string | null | undefined): StopReason => STOP_REASON[finish ?? ""] ?? "end_turn";

/** Anthropic's usage in OpenAI's terms (input_tokens excludes cache reads and writes). */
export function usageFromAnthropic(u: Partial<AnthropicUsage> | undefined): Usage | undefined {
  if (!u) return undefined;
  return usageWithCache({ input: u.input_tokens ?? 0, output: u.output_tokens ?? 0, cacheRead: u.cache_read_input_tokens ?? 0, cacheWrite: u.cache_creation_input_tokens ?? 0 });
}

/** OpenAI usage in Anthropic's terms (input_tokens without the cached part). */
export function usageToAnthropic(u: Partial<Usage> | undefined): AnthropicUsage {
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = Number((u as { cache_creation_input_tokens?: number } | undefined)?.cache_creation_input_tokens ?? 0);
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cached - written),
    output_tokens: u?.completion_tokens ?? 0,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
  };
}

/**
 * An Anthropic message as an OpenAI chat.completion (thinking surfaced as reasoning_content +
 * thinking_blocks). A call of the reserved JSON tool (response_format) becomes the content.
 */
export function fromAnthropicMessage(msg: AnthropicMessage): ChatCompletion {
  let text = "";
  let reasoning = "";
  const thinkingBlocks: ContentBlock[] = [];
  const toolCalls: ToolCall[] = [];
  let jsonAnswer: string | undefined;
  for (const block of msg.content ?? []) {
    if (block.type === "text") text += block.text;
    else if (block.type === "thinking") {
      reasoning += block.thinking;
      thinkingBlocks.push(block);
    } else if (block.type === "redacted_thinking") thinkingBlocks.push(block);
    else if (block.type === "tool_use") {
      if (block.name === JSON_TOOL_NAME) jsonAnswer = JSON.stringify(block.input ?? {});
      else toolCalls.push({ id: block.id, type: "function", function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
  }
  const message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: jsonAnswer ?? (text || (toolCalls.length ? null : "")) };
  if (toolCalls.length) message.tool_calls = toolCalls;
  if (reasoning) message.reasoning_content = reasoning;
  if (thinkingBlocks.length) (message as Record<string, unknown>).thinking_blocks = thinkingBlocks;
  const finish = jsonAnswer !== undefined && !toolCalls.length ? "stop" : (FINISH_REASON[msg.stop_reason ?? ""] ?? "stop");
  return {
    id: msg.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: msg.model,
    choices: [{ index: 0, message, finish_reason: finish }],
    usage: usageFromAnthropic(msg.usage) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

/** An Anthropic message id for an OpenAI completion id. */
export const messageId = (id: string) => (id.startsWith("msg_") ? id : `msg_${id.replace(/^chatcmpl-/, "").replaceAll("-", "")}`);

function toolInput(args: string): unknown {
  try {
    const value = JSON.parse(args || "{}") as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? value : { value };
  } catch {
    // A model wrote arguments that are not JSON: keep them rather than lose them.
    return { arguments: args };
  }
}

/** An OpenAI chat.completion as an Anthropic message (the first choice). */
export function toAnthropicMessage(completion: ChatCompletion): AnthropicMessage {
  const choice = completion.choices[0];
  const content: ContentBlock[] = [];
  const m = choice?.message;
  const thinkingBlocks = (m as { thinking_blocks?: ContentBlock[] } | undefined)?.thinking_blocks;
  if (thinkingBlocks?.length) content.push(...thinkingBlocks);
  else if (m?.reasoning_content) content.push({ type: "thinking", thinking: m.reasoning_content, signature: "" });
  if (m?.content) content.push({ type: "text", text: m.content });
  for (const tc of m?.tool_calls ?? []) {
    content.push({ type: "tool_use", id: tc.id ?? `toolu_${crypto.randomUUID().replaceAll("-", "")}`, name: tc.function.name, input: toolInput(tc.function.arguments) });
  }
  return {
    id: messageId(completion.id),
    type: "message",
    role: "assistant",
    model: completion.model,
    content,
    stop_reason: stopReasonFor(choice?.finish_reason),
    stop_sequence: null,
    usage: usageToAnthropic(completion.usage),
  };
}
