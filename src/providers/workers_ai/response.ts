// Workers AI results -> OpenAI's: either the model's own shape ({response, tool_calls, usage}) or,
// for the newer models, OpenAI's (choices), inside the REST envelope ({result, success, errors}).
import { nowSeconds } from "../../lib/ids";
import type { ChatCompletion, EmbeddingRequest, EmbeddingResponse, FinishReason, TextCompletion, ToolCall, Usage } from "../../schema/openai";
import { toolCallId } from "../shared/content";
import { assistantMessage, chatCompletion } from "../shared/completion";
import { embeddingList } from "../shared/embeddings";
import { inBandError } from "../shared/errors";
import type { AdapterContext } from "../../core/provider";

export interface NativeToolCall {
  id?: string;
  index?: number;
  name?: string;
  arguments?: unknown;
  function?: { name?: string; arguments?: unknown };
}

export interface WorkersAIResult {
  response?: unknown;
  tool_calls?: NativeToolCall[];
  usage?: Partial<Usage>;
  choices?: { index?: number; message?: Record<string, unknown>; delta?: Record<string, unknown>; text?: string; finish_reason?: string | null }[];
  finish_reason?: string;
  id?: string;
}

export const argsText = (args: unknown) => (typeof args === "string" ? args : JSON.stringify(args ?? {}));

export function usageOf(u: Partial<Usage> | undefined): Usage {
  const prompt = u?.prompt_tokens ?? 0;
  const completion = u?.completion_tokens ?? 0;
  return { ...u, prompt_tokens: prompt, completion_tokens: completion, total_tokens: u?.total_tokens ?? prompt + completion };
}

/** The REST envelope's `result` (binding answers are wrapped the same way). */
function resultOf(json: unknown): WorkersAIResult {
  const envelope = json as { result?: WorkersAIResult; success?: boolean; errors?: { message?: string }[] };
  if (envelope.success === false) throw inBandError("workers_ai", envelope.errors);
  return envelope.result ?? (json as WorkersAIResult);
}

function toolCallsOf(calls: NativeToolCall[] | undefined, callId: string): ToolCall[] {
  return (calls ?? []).map((tc, i) => ({ id: tc.id ?? toolCallId(callId, i), type: "function", function: { name: tc.function?.name ?? tc.name ?? "", arguments: argsText(tc.function?.arguments ?? tc.arguments) } }));
}

export function parseChat(json: unknown, ctx: AdapterContext): ChatCompletion {
  const r = resultOf(json);
  const base = { id: `chatcmpl-${ctx.callId}`, object: "chat.completion" as const, created: nowSeconds(), model: ctx.deployment.model };
  if (r.choices) {
    // OpenAI-format models: already a chat.completion (normalised for the fields the gateway relies on).
    const choices = r.choices.map((c, i) => ({ index: c.index ?? i, message: { role: "assistant", content: null, ...c.message } as ChatCompletion["choices"][number]["message"], finish_reason: (c.finish_reason ?? "stop") as FinishReason }));
    return { ...base, ...(r as object), id: r.id ?? base.id, object: "chat.completion", choices, usage: usageOf(r.usage) } as ChatCompletion;
  }
  const toolCalls = toolCallsOf(r.tool_calls, ctx.callId);
  const content = r.response === undefined || r.response === null ? "" : typeof r.response === "string" ? r.response : JSON.stringify(r.response);
  const finish: FinishReason = toolCalls.length ? "tool_calls" : r.finish_reason === "length" ? "length" : "stop";
  return chatCompletion(base.id, base.model, [{ index: 0, message: assistantMessage({ text: content, toolCalls }), finish_reason: finish }], usageOf(r.usage));
}

export function parseCompletion(json: unknown, ctx: AdapterContext): TextCompletion {
  const chatLike = parseChat(json, ctx);
  const choice = chatLike.choices[0];
  return {
    id: `cmpl-${ctx.callId}`,
    object: "text_completion",
    created: chatLike.created,
    model: chatLike.model,
    choices: [{ index: 0, text: choice?.message.content ?? "", finish_reason: choice?.finish_reason ?? "stop", logprobs: null }],
    usage: chatLike.usage,
  };
}

export function parseEmbedding(json: unknown, ctx: AdapterContext, body: EmbeddingRequest): EmbeddingResponse {
  const r = resultOf(json) as { data?: number[][]; usage?: Partial<Usage> };
  return embeddingList(r.data ?? [], body, ctx.deployment.model, r.usage?.prompt_tokens);
}
