// OpenAI's answer shapes as the translating adapters build them, in one place so every provider
// gives clients the same fields in the same order: a chat.completion, its assistant message, a chunk.
import { nowSeconds } from "../../lib/ids";
import type { ChatCompletion, ChatCompletionChunk, FinishReason, ToolCall, Usage } from "../../schema/openai";
import { tokenUsage } from "./usage";

export type AssistantMessage = ChatCompletion["choices"][number]["message"];

export interface AssistantParts {
  text: string;
  toolCalls: ToolCall[];
  reasoning?: string;
  /** LiteLLM's thinking_blocks (Anthropic's thinking with its signature, kept for round trips). */
  thinkingBlocks?: object[];
  /** The JSON tool's input (response_format, shared/json-tool.ts): it stands in for the text. */
  jsonAnswer?: string;
}

/** The assistant's message; content is null when only tool calls came. */
export function assistantMessage({ text, toolCalls, reasoning, thinkingBlocks, jsonAnswer }: AssistantParts): AssistantMessage {
  const message: AssistantMessage = { role: "assistant", content: jsonAnswer ?? (text || (toolCalls.length ? null : "")) };
  if (toolCalls.length) message.tool_calls = toolCalls;
  if (reasoning) message.reasoning_content = reasoning;
  if (thinkingBlocks?.length) (message as Record<string, unknown>).thinking_blocks = thinkingBlocks;
  return message;
}

/** A chat.completion created now; no usage from the provider counts zero tokens. */
export function chatCompletion(id: string, model: string, choices: ChatCompletion["choices"], usage: Usage | undefined): ChatCompletion {
  return { id, object: "chat.completion", created: nowSeconds(), model, choices, usage: usage ?? tokenUsage(0, 0) };
}

/** A chat.completion.chunk of one choice, for a stream with this id and model. */
export function chatChunk(stream: { id: string; model: string }, created: number, delta: Record<string, unknown>, finish: FinishReason = null, index = 0): ChatCompletionChunk {
  return { id: stream.id, object: "chat.completion.chunk", created, model: stream.model, choices: [{ index, delta, finish_reason: finish }] };
}
