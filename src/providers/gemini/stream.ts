// Gemini's SSE stream (streamGenerateContent?alt=sse) -> OpenAI chunks.
import { nowSeconds } from "../../lib/ids";
import type { FinishReason, Usage } from "../../schema/openai";
import { chatChunk } from "../shared/completion";
import { parseEventJson } from "../shared/stream";
import type { AdapterContext, ChunkSink, StreamTranslator } from "../../core/provider";
import { FINISH_REASON, type GeminiResponse, inBandError, toolCallOf, usageOf } from "./response";

/** Each SSE event is a whole GenerateContentResponse; usage is cumulative, the last one wins. */
export class GeminiStreamTranslator implements StreamTranslator {
  usage: Usage | undefined;
  id: string;
  model: string;
  private readonly started = new Set<number>();
  /** Tool calls so far per candidate (their OpenAI index), and in all (for unique ids). */
  private readonly toolCalls = new Map<number, number>();
  private calls = 0;
  private readonly created = nowSeconds();

  constructor(private readonly ctx: AdapterContext) {
    this.id = `chatcmpl-${ctx.callId}`;
    this.model = ctx.deployment.model;
  }

  private chunk(index: number, delta: Record<string, unknown>, finish: FinishReason = null) {
    return chatChunk(this, this.created, delta, finish, index);
  }

  onEvent(event: { data: string }, emit: ChunkSink): void {
    const r = parseEventJson<GeminiResponse>(event.data, "gemini");
    inBandError(r);
    if (r.modelVersion) this.model = r.modelVersion;
    if (r.usageMetadata) this.usage = usageOf(r.usageMetadata);
    if (!r.candidates?.length && r.promptFeedback?.blockReason) emit(this.chunk(0, { role: "assistant", content: null }, "content_filter"));
    for (const [i, c] of (r.candidates ?? []).entries()) {
      const index = c.index ?? i;
      const delta: Record<string, unknown> = {};
      if (!this.started.has(index)) {
        this.started.add(index);
        delta.role = "assistant";
      }
      const parts = c.content?.parts ?? [];
      const text = parts.filter((p) => p.text && !p.thought).map((p) => p.text).join("");
      const reasoning = parts.filter((p) => p.thought && p.text).map((p) => p.text).join("");
      if (text) delta.content = text;
      if (reasoning) delta.reasoning_content = reasoning;
      const calls = parts.filter((p) => p.functionCall);
      if (calls.length) {
        const offset = this.toolCalls.get(index) ?? 0;
        // Gemini sends each call whole: one delta carries id, name and all the arguments.
        delta.tool_calls = calls.map((p, k) => ({ index: offset + k, ...toolCallOf(p, this.ctx.callId, this.calls++) }));
        this.toolCalls.set(index, offset + calls.length);
      }
      if (Object.keys(delta).length) emit(this.chunk(index, delta));
      if (c.finishReason) {
        const finish = this.toolCalls.get(index) ? "tool_calls" : (FINISH_REASON[c.finishReason] ?? "stop");
        emit(this.chunk(index, {}, finish));
      }
    }
  }
}
