// Converse's answers -> OpenAI's: text, reasoning (with thinking_blocks for round trips), tool calls
// (the JSON tool's call becomes the content), stop reason, and usage with cache reads and writes.
import type { ChatCompletion, EmbeddingRequest, EmbeddingResponse, FinishReason, ToolCall, Usage } from "../../schema/openai";
import { embeddingList } from "../shared/embeddings";
import { JSON_TOOL_NAME } from "../shared/json-tool";
import { assistantMessage, chatCompletion } from "../shared/completion";
import { usageWithCache } from "../shared/usage";
import type { AdapterContext } from "../../core/provider";

type Block = Record<string, unknown>;

export const FINISH_REASON: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
};

export interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** Converse's inputTokens excludes cache reads and writes. */
export function usageOf(u: ConverseUsage | undefined): Usage | undefined {
  if (!u) return undefined;
  return usageWithCache({ input: u.inputTokens ?? 0, output: u.outputTokens ?? 0, cacheRead: u.cacheReadInputTokens ?? 0, cacheWrite: u.cacheWriteInputTokens ?? 0 });
}

interface ConverseBlock {
  text?: string;
  toolUse?: { toolUseId: string; name: string; input?: unknown };
  reasoningContent?: { reasoningText?: { text?: string; signature?: string }; redactedContent?: string };
}

export function parseChat(json: unknown, ctx: AdapterContext): ChatCompletion {
  const r = json as { output?: { message?: { content?: ConverseBlock[] } }; stopReason?: string; usage?: ConverseUsage };
  let text = "";
  let reasoning = "";
  let jsonAnswer: string | undefined;
  const thinkingBlocks: Block[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of r.output?.message?.content ?? []) {
    if (block.text !== undefined) text += block.text;
    else if (block.reasoningContent?.reasoningText) {
      reasoning += block.reasoningContent.reasoningText.text ?? "";
      thinkingBlocks.push({ type: "thinking", thinking: block.reasoningContent.reasoningText.text ?? "", signature: block.reasoningContent.reasoningText.signature });
    } else if (block.reasoningContent?.redactedContent) thinkingBlocks.push({ type: "redacted_thinking", data: block.reasoningContent.redactedContent });
    else if (block.toolUse) {
      const { toolUseId, name, input } = block.toolUse;
      if (name === JSON_TOOL_NAME) jsonAnswer = JSON.stringify(input ?? {});
      else toolCalls.push({ id: toolUseId, type: "function", function: { name, arguments: JSON.stringify(input ?? {}) } });
    }
  }
  const finish = jsonAnswer !== undefined && !toolCalls.length ? "stop" : (FINISH_REASON[r.stopReason ?? ""] ?? "stop");
  const message = assistantMessage({ text, toolCalls, reasoning, thinkingBlocks, jsonAnswer });
  return chatCompletion(`chatcmpl-${ctx.callId}`, ctx.deployment.model, [{ index: 0, message, finish_reason: finish }], usageOf(r.usage));
}

export function parseEmbedding(json: unknown, ctx: AdapterContext, body: EmbeddingRequest): EmbeddingResponse {
  const r = json as { embedding?: number[]; inputTextTokenCount?: number; embeddings?: number[][] | { float?: number[][] } };
  if (r.embedding) return embeddingList([r.embedding], body, ctx.deployment.model, r.inputTextTokenCount);
  const vectors = Array.isArray(r.embeddings) ? r.embeddings : (r.embeddings?.float ?? []);
  return embeddingList(vectors, body, ctx.deployment.model);
}
