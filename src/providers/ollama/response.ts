// Ollama's answers -> OpenAI's: message or response text, thinking, tool calls (Ollama sends no ids),
// done_reason, and usage from prompt_eval_count / eval_count.
import { nowSeconds } from "../../lib/ids";
import type { ChatCompletion, EmbeddingRequest, EmbeddingResponse, FinishReason, TextCompletion, ToolCall, Usage } from "../../schema/openai";
import { chatCompletion } from "../shared/completion";
import { embeddingList } from "../shared/embeddings";
import { tokenUsage } from "../shared/usage";
import { inBandError as upstreamError } from "../shared/errors";
import type { AdapterContext } from "../../core/provider";
import type { OllamaMessage } from "./request";

export interface OllamaResponse {
  model?: string;
  message?: OllamaMessage;
  response?: string;
  thinking?: string;
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  /** Ollama sends a string; servers in front of it other shapes. */
  error?: unknown;
}

export function usageOf(r: OllamaResponse): Usage | undefined {
  if (r.prompt_eval_count === undefined && r.eval_count === undefined) return undefined;
  return tokenUsage(r.prompt_eval_count ?? 0, r.eval_count ?? 0);
}

export function finishReason(r: OllamaResponse, hadToolCalls: boolean): FinishReason {
  if (hadToolCalls) return "tool_calls";
  return r.done_reason === "length" ? "length" : "stop";
}

export function toToolCalls(calls: OllamaMessage["tool_calls"], callId: string, offset = 0): (ToolCall & { index: number })[] {
  return (calls ?? []).map((tc, i) => ({
    index: offset + i,
    id: `call_${callId.slice(-12)}_${offset + i}`,
    type: "function" as const,
    function: { name: tc.function.name, arguments: JSON.stringify(tc.function.arguments ?? {}) },
  }));
}

export function inBandError(r: { error?: unknown }): void {
  if (r.error) throw upstreamError("ollama", r.error);
}

/**
 * The JSON answer to LiteLLM's function prompt (`ollama/` with tools): `{"name","arguments"}` is a
 * tool call; other JSON is the content, re-serialised as LiteLLM does; anything else stays text.
 */
export function promptedToolCall(text: string): { call?: NonNullable<OllamaMessage["tool_calls"]>[number]; content: string } {
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === "object" && "name" in value && "arguments" in value && typeof (value as { name: unknown }).name === "string") {
      const { name, arguments: args } = value as { name: string; arguments: unknown };
      return { call: { function: { name, arguments: (args && typeof args === "object" ? args : {}) as Record<string, unknown> } }, content: "" };
    }
    return { content: JSON.stringify(value) };
  } catch {
    return { content: text };
  }
}

/** /api/chat's message, or /api/generate's response text (`ollama/` chat calls), as a chat.completion. */
export function parseChat(mode: "chat" | "generate", json: unknown, ctx: AdapterContext, toolsPrompted = false): ChatCompletion {
  const r = json as OllamaResponse;
  inBandError(r);
  if (toolsPrompted && r.response !== undefined) {
    const { call, content } = promptedToolCall(r.response);
    r.response = content;
    if (call) r.message = { role: "assistant", content: "", tool_calls: [call] };
  }
  const toolCalls = toToolCalls(r.message?.tool_calls, ctx.callId).map(({ index: _index, ...tc }) => tc);
  const message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: (mode === "chat" ? r.message?.content : r.response) ?? "" };
  const thinking = r.message?.thinking ?? r.thinking;
  if (thinking) message.reasoning_content = thinking;
  if (toolCalls.length) message.tool_calls = toolCalls;
  return chatCompletion(`chatcmpl-${ctx.callId}`, ctx.deployment.model, [{ index: 0, message, finish_reason: finishReason(r, toolCalls.length > 0) }], usageOf(r));
}

export function parseCompletion(json: unknown, ctx: AdapterContext): TextCompletion {
  const r = json as OllamaResponse;
  inBandError(r);
  return {
    id: `cmpl-${ctx.callId}`,
    object: "text_completion",
    created: nowSeconds(),
    model: ctx.deployment.model,
    choices: [{ index: 0, text: r.response ?? "", finish_reason: finishReason(r, false), logprobs: null }],
    usage: usageOf(r) ?? tokenUsage(0, 0),
  };
}

export function parseEmbedding(json: unknown, ctx: AdapterContext, body: EmbeddingRequest): EmbeddingResponse {
  const r = json as { embeddings?: number[][]; prompt_eval_count?: number; error?: unknown };
  inBandError(r);
  return embeddingList(r.embeddings ?? [], body, ctx.deployment.model, r.prompt_eval_count ?? 0);
}
