// Cohere v2's chat stream: SSE events typed message-start, content-delta, tool-plan-delta,
// tool-call-start / -delta / -end, citation-*, message-end (finish_reason, usage, or an error) -> OpenAI chunks.
import { nowSeconds } from "../../lib/ids";
import type { FinishReason, Usage } from "../../schema/openai";
import { chatChunk } from "../shared/completion";
import { inBandError } from "../shared/errors";
import { parseEventJson } from "../shared/stream";
import type { AdapterContext, ChunkSink, StreamTranslator } from "../../core/provider";
import { FINISH_REASON, type CohereUsage, usageOf } from "./response";

interface CohereEvent {
  type?: string;
  id?: string;
  delta?: {
    message?: {
      content?: { text?: string; thinking?: string };
      tool_plan?: string;
      tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } };
    };
    finish_reason?: string;
    usage?: CohereUsage;
    error?: unknown;
  };
}

export class CohereStreamTranslator implements StreamTranslator {
  usage: Usage | undefined;
  id: string;
  readonly model: string;
  private started = false;
  /** OpenAI index of the tool call being streamed; -1 before the first. */
  private toolIndex = -1;
  private readonly created = nowSeconds();

  constructor(ctx: AdapterContext) {
    this.id = `chatcmpl-${ctx.callId}`;
    this.model = ctx.deployment.model;
  }

  private emitDelta(emit: ChunkSink, delta: Record<string, unknown>, finish: FinishReason = null) {
    if (!this.started) {
      this.started = true;
      delta = { role: "assistant", ...delta };
    }
    emit(chatChunk(this, this.created, delta, finish));
  }

  onEvent(event: { data: string }, emit: ChunkSink): void {
    const e = parseEventJson<CohereEvent>(event.data, "cohere");
    const message = e.delta?.message;
    switch (e.type) {
      case "message-start":
        if (e.id) this.id = `chatcmpl-${e.id}`;
        return;
      case "content-delta":
        if (message?.content?.text) this.emitDelta(emit, { content: message.content.text });
        else if (message?.content?.thinking) this.emitDelta(emit, { reasoning_content: message.content.thinking });
        return;
      case "tool-plan-delta":
        if (message?.tool_plan) this.emitDelta(emit, { reasoning_content: message.tool_plan });
        return;
      case "tool-call-start": {
        const call = message?.tool_calls;
        this.toolIndex++;
        this.emitDelta(emit, { tool_calls: [{ index: this.toolIndex, id: call?.id ?? `call_${this.toolIndex}`, type: "function", function: { name: call?.function?.name ?? "", arguments: call?.function?.arguments ?? "" } }] });
        return;
      }
      case "tool-call-delta": {
        const args = message?.tool_calls?.function?.arguments;
        if (args) this.emitDelta(emit, { tool_calls: [{ index: Math.max(this.toolIndex, 0), function: { arguments: args } }] });
        return;
      }
      case "message-end": {
        if (e.delta?.error) throw inBandError("cohere", e.delta.error);
        this.usage = usageOf(e.delta?.usage) ?? this.usage;
        const finish = this.toolIndex >= 0 ? "tool_calls" : (FINISH_REASON[e.delta?.finish_reason ?? ""] ?? "stop");
        this.emitDelta(emit, {}, finish);
        return;
      }
      default:
        // content-start/-end, tool-call-end, citation-start/-end: nothing a chat.completion.chunk carries.
        return;
    }
  }
}
