// Ollama's NDJSON stream (one JSON object a line, the last with done: true and the counts) -> OpenAI chunks.
import { nowSeconds } from "../../lib/ids";
import type { Usage } from "../../schema/openai";
import { parseEventJson } from "../shared/stream";
import type { AdapterContext, ChunkSink, StreamTranslator } from "../../core/provider";
import { finishReason, inBandError, type OllamaResponse, promptedToolCall, toToolCalls, usageOf } from "./response";

/**
 * NDJSON lines of /api/chat or /api/generate -> OpenAI chunks. For `ollama/` with tools (LiteLLM's
 * function prompt) the JSON answer is held until the end, as LiteLLM does, to tell a tool call from text.
 */
export class OllamaStreamTranslator implements StreamTranslator {
  usage: Usage | undefined;
  readonly id: string;
  model: string;
  private started = false;
  private toolCalls = 0;
  /** The held answer when tools are prompted. */
  private held = "";

  constructor(ctx: AdapterContext, private readonly kind: "chat" | "completion", private readonly toolsPrompted = false) {
    this.id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${ctx.callId}`;
    this.model = ctx.deployment.model;
  }

  private chunk(choice: Record<string, unknown>) {
    return { id: this.id, object: this.kind === "chat" ? "chat.completion.chunk" : "text_completion", created: nowSeconds(), model: this.model, choices: [{ index: 0, ...choice }] };
  }

  onEvent(event: { data: string }, emit: ChunkSink): void {
    const r = parseEventJson<OllamaResponse>(event.data, "ollama");
    inBandError(r);
    if (this.kind === "completion") {
      if (r.response) emit(this.chunk({ text: r.response, finish_reason: null }));
    } else if (this.toolsPrompted) {
      this.held += r.response ?? "";
      if (r.done) {
        const { call, content } = promptedToolCall(this.held);
        if (call) {
          emit(this.chunk({ delta: { role: "assistant", content: null, tool_calls: toToolCalls([call], this.id) }, finish_reason: null }));
          this.toolCalls = 1;
        } else emit(this.chunk({ delta: { role: "assistant", content }, finish_reason: null }));
      }
    } else {
      const delta: Record<string, unknown> = {};
      if (!this.started) delta.role = "assistant";
      const content = r.message?.content ?? r.response;
      const thinking = r.message?.thinking ?? r.thinking;
      if (content) delta.content = content;
      if (thinking) delta.reasoning_content = thinking;
      if (r.message?.tool_calls?.length) {
        delta.tool_calls = toToolCalls(r.message.tool_calls, this.id, this.toolCalls);
        this.toolCalls += r.message.tool_calls.length;
      }
      if (Object.keys(delta).length) emit(this.chunk({ delta, finish_reason: null }));
      this.started = true;
    }
    if (r.done) {
      this.usage = usageOf(r);
      const reason = finishReason(r, this.toolCalls > 0);
      emit(this.kind === "chat" ? this.chunk({ delta: {}, finish_reason: reason }) : this.chunk({ text: "", finish_reason: reason }));
    }
  }
}
