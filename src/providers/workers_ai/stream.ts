// Workers AI's SSE stream, in either shape -> OpenAI chunks.
import { nowSeconds } from "../../lib/ids";
import type { FinishReason, Usage } from "../../schema/openai";
import { toolCallId } from "../shared/content";
import { chatChunk } from "../shared/completion";
import { parseEventJson } from "../shared/stream";
import { inBandError } from "../shared/errors";
import type { AdapterContext, ChunkSink, StreamTranslator } from "../../core/provider";
import { argsText, type NativeToolCall, usageOf, type WorkersAIResult } from "./response";

/** SSE events in either shape -> OpenAI chunks; the finish chunk is written at the end when the model sends none. */
export class WorkersAIStreamTranslator implements StreamTranslator {
  usage: Usage | undefined;
  readonly id: string;
  readonly model: string;
  private started = false;
  private finished = false;
  /** Upstream tool-call key -> OpenAI index. */
  private readonly toolIndexes = new Map<number | string, number>();
  private readonly created = nowSeconds();

  constructor(
    private readonly ctx: AdapterContext,
    private readonly kind: "chat" | "completion",
  ) {
    this.id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${ctx.callId}`;
    this.model = ctx.deployment.model;
  }

  private chunk(delta: Record<string, unknown>, finish: FinishReason = null) {
    if (this.kind === "completion") return { id: this.id, object: "text_completion", created: this.created, model: this.model, choices: [{ index: 0, text: (delta.content as string) ?? "", finish_reason: finish, logprobs: null }] };
    if (!this.started) {
      this.started = true;
      delta = { role: "assistant", ...delta };
    }
    return chatChunk(this, this.created, delta, finish);
  }

  /** Workers AI streams tool calls OpenAI-style (index, then argument pieces) or whole ({name, arguments}). */
  private toolDeltas(calls: NativeToolCall[]): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const tc of calls) {
      const name = tc.function?.name ?? tc.name;
      const args = tc.function?.arguments ?? tc.arguments;
      // Indexed pieces continue the call with that index; calls without an index come whole, each a new one.
      const key = tc.index ?? `whole-${this.toolIndexes.size}`;
      if (!this.toolIndexes.has(key)) {
        if (!name) continue; // a closing sentinel with nothing in it
        const index = this.toolIndexes.size;
        this.toolIndexes.set(key, index);
        out.push({ index, id: tc.id ?? toolCallId(this.ctx.callId, index), type: "function", function: { name, arguments: args == null ? "" : argsText(args) } });
      } else if (args != null && args !== "") {
        out.push({ index: this.toolIndexes.get(key), function: { arguments: argsText(args) } });
      }
    }
    return out;
  }

  onEvent(event: { data: string }, emit: ChunkSink): void {
    if (event.data === "[DONE]") return;
    const r = parseEventJson<WorkersAIResult & { error?: unknown }>(event.data, "workers_ai");
    if (r.error) throw inBandError("workers_ai", r.error);
    if (r.usage) this.usage = usageOf(r.usage);
    const choice = r.choices?.[0];
    const delta: Record<string, unknown> = {};
    const text = choice ? (choice.delta?.content ?? choice.text) : typeof r.response === "string" ? r.response : undefined;
    if (text) delta.content = text;
    const reasoning = choice?.delta?.reasoning_content ?? choice?.delta?.reasoning;
    if (reasoning) delta.reasoning_content = reasoning;
    const calls = (choice?.delta?.tool_calls as NativeToolCall[] | undefined) ?? r.tool_calls;
    if (calls?.length && this.kind === "chat") {
      const deltas = this.toolDeltas(calls);
      if (deltas.length) delta.tool_calls = deltas;
    }
    if (Object.keys(delta).length) emit(this.chunk(delta));
    const finish = choice?.finish_reason ?? r.finish_reason;
    if (finish) this.finish(emit, finish as FinishReason);
  }

  private finish(emit: ChunkSink, reason: FinishReason): void {
    if (this.finished) return;
    this.finished = true;
    emit(this.chunk({}, this.toolIndexes.size && reason === "stop" ? "tool_calls" : reason));
  }

  onEnd(emit: ChunkSink): void {
    this.finish(emit, "stop");
  }
}
