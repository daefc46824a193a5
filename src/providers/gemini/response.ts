// Gemini's GenerateContentResponse -> OpenAI's chat.completion: candidates become choices, thought
// parts reasoning_content, function calls tool calls (ids made here, carrying the thought signature).
import type { ChatCompletion, EmbeddingRequest, EmbeddingResponse, FinishReason, ToolCall, Usage } from "../../schema/openai";
import { toolCallId } from "../shared/content";
import { assistantMessage, chatCompletion } from "../shared/completion";
import { embeddingList } from "../shared/embeddings";
import { inBandError as upstreamError } from "../shared/errors";
import type { AdapterContext } from "../../core/provider";
import { encodeId, type GeminiPart } from "./request";

interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  index?: number;
}

interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsage;
  modelVersion?: string;
  responseId?: string;
  error?: { code?: number; message?: string; status?: string };
}

export const FINISH_REASON: Record<string, FinishReason> = {
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
  LANGUAGE: "content_filter",
};

export function usageOf(u: GeminiUsage | undefined): Usage | undefined {
  if (!u) return undefined;
  const prompt = u.promptTokenCount ?? 0;
  const thoughts = u.thoughtsTokenCount ?? 0;
  // OpenAI counts reasoning inside completion_tokens; Gemini reports it apart.
  const completion = (u.candidatesTokenCount ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u.totalTokenCount ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: u.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

export function toolCallOf(part: GeminiPart, callId: string, index: number): ToolCall {
  const call = part.functionCall!;
  return { id: encodeId(call.id ?? toolCallId(callId, index), part.thoughtSignature), type: "function", function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } };
}

export function inBandError(r: GeminiResponse): void {
  if (r.error) throw upstreamError("gemini", r.error, typeof r.error.code === "number" && r.error.code >= 400 ? r.error.code : 500);
}

export function parseChat(json: unknown, ctx: AdapterContext): ChatCompletion {
  const r = json as GeminiResponse;
  inBandError(r);
  let toolIndex = 0;
  const choices: ChatCompletion["choices"] = (r.candidates ?? []).map((c, i) => {
    const parts = c.content?.parts ?? [];
    const toolCalls = parts.filter((p) => p.functionCall).map((p) => toolCallOf(p, ctx.callId, toolIndex++));
    const text = parts.filter((p) => p.text !== undefined && !p.thought).map((p) => p.text).join("");
    const reasoning = parts.filter((p) => p.thought && p.text).map((p) => p.text).join("");
    const message = assistantMessage({ text, toolCalls, reasoning });
    const finish = toolCalls.length ? "tool_calls" : (FINISH_REASON[c.finishReason ?? ""] ?? "stop");
    return { index: c.index ?? i, message, finish_reason: finish };
  });
  // A blocked prompt comes back with no candidates at all.
  if (!choices.length) choices.push({ index: 0, message: { role: "assistant", content: null }, finish_reason: r.promptFeedback?.blockReason ? "content_filter" : "stop" });
  return chatCompletion(r.responseId ? `chatcmpl-${r.responseId}` : `chatcmpl-${ctx.callId}`, r.modelVersion ?? ctx.deployment.model, choices, usageOf(r.usageMetadata));
}

export function parseEmbedding(json: unknown, ctx: AdapterContext, body: EmbeddingRequest): EmbeddingResponse {
  const r = json as { embeddings?: { values: number[] }[] };
  // Gemini reports no token counts for embeddings: they are estimated.
  return embeddingList((r.embeddings ?? []).map((e) => e.values), body, ctx.deployment.model);
}
