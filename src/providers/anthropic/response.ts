// Anthropic's message -> OpenAI's chat.completion (thinking surfaced as reasoning_content +
// thinking_blocks, the JSON tool's call as the content), and Anthropic's usage in OpenAI's terms.
import type { ChatCompletion, FinishReason, ToolCall, Usage } from "../../schema/openai";
import { JSON_TOOL_NAME } from "../shared/json-tool";
import type { AnthropicMessage, AnthropicUsage, ContentBlock } from "../../schema/anthropic";
import { assistantMessage, chatCompletion } from "../shared/completion";
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

/** Anthropic's usage in OpenAI's terms (input_tokens excludes cache reads and writes). */
export function usageFromAnthropic(u: Partial<AnthropicUsage> | undefined): Usage | undefined {
  if (!u) return undefined;
  return usageWithCache({ input: u.input_tokens ?? 0, output: u.output_tokens ?? 0, cacheRead: u.cache_read_input_tokens ?? 0, cacheWrite: u.cache_creation_input_tokens ?? 0 });
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
  const finish = jsonAnswer !== undefined && !toolCalls.length ? "stop" : (FINISH_REASON[msg.stop_reason ?? ""] ?? "stop");
  const message = assistantMessage({ text, toolCalls, reasoning, thinkingBlocks, jsonAnswer });
  return chatCompletion(msg.id, msg.model, [{ index: 0, message, finish_reason: finish }], usageFromAnthropic(msg.usage));
}
