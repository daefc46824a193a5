// Cohere v2 answers -> OpenAI's: text (and thinking) content blocks, tool calls (already OpenAI-shaped),
// finish_reason, and usage from `usage.tokens` (else `billed_units`, which leaves out the template's tokens).
import type { ChatCompletion, EmbeddingRequest, EmbeddingResponse, FinishReason, ToolCall, Usage } from "../../schema/openai";
import { assistantMessage, chatCompletion } from "../shared/completion";
import { embeddingList } from "../shared/embeddings";
import { tokenUsage } from "../shared/usage";
import type { AdapterContext } from "../../core/provider";

export const FINISH_REASON: Record<string, FinishReason> = {
  COMPLETE: "stop",
  STOP_SEQUENCE: "stop",
  MAX_TOKENS: "length",
  TOOL_CALL: "tool_calls",
  ERROR: "stop",
  TIMEOUT: "stop",
};

export interface CohereUsage {
  tokens?: { input_tokens?: number; output_tokens?: number };
  billed_units?: { input_tokens?: number; output_tokens?: number };
}

export function usageOf(u: CohereUsage | undefined): Usage | undefined {
  const counts = u?.tokens ?? u?.billed_units;
  return counts ? tokenUsage(counts.input_tokens ?? 0, counts.output_tokens ?? 0) : undefined;
}

interface CohereChat {
  id?: string;
  finish_reason?: string;
  message?: {
    content?: { type?: string; text?: string; thinking?: string }[];
    tool_plan?: string;
    tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } }[];
  };
  usage?: CohereUsage;
}

export function toolCallsOf(calls: NonNullable<CohereChat["message"]>["tool_calls"], callId: string): ToolCall[] {
  return (calls ?? []).map((tc, i) => ({ id: tc.id ?? `call_${callId.slice(-12)}_${i}`, type: "function" as const, function: { name: tc.function?.name ?? "", arguments: tc.function?.arguments ?? "{}" } }));
}

export function parseChat(json: unknown, ctx: AdapterContext): ChatCompletion {
  const r = json as CohereChat;
  const blocks = r.message?.content ?? [];
  const text = blocks.filter((b) => b.type === "text" || (b.type === undefined && b.text)).map((b) => b.text ?? "").join("");
  const thinking = blocks.filter((b) => b.type === "thinking").map((b) => b.thinking ?? b.text ?? "").join("");
  const toolCalls = toolCallsOf(r.message?.tool_calls, ctx.callId);
  const reasoning = [thinking, r.message?.tool_plan].filter(Boolean).join("\n") || undefined;
  const finish = toolCalls.length ? "tool_calls" : (FINISH_REASON[r.finish_reason ?? ""] ?? "stop");
  return chatCompletion(r.id ? `chatcmpl-${r.id}` : `chatcmpl-${ctx.callId}`, ctx.deployment.model, [{ index: 0, message: assistantMessage({ text, toolCalls, reasoning }), finish_reason: finish }], usageOf(r.usage));
}

export function parseEmbedding(json: unknown, ctx: AdapterContext, body: EmbeddingRequest): EmbeddingResponse {
  const r = json as { embeddings?: { float?: number[][] } | number[][]; meta?: { billed_units?: { input_tokens?: number } } };
  const vectors = Array.isArray(r.embeddings) ? r.embeddings : (r.embeddings?.float ?? []);
  return embeddingList(vectors, body, ctx.deployment.model, r.meta?.billed_units?.input_tokens);
}
