// Chat-completion chunks in, Responses API server-sent events out, for bridged deployments.
//
// The events and their order are OpenAI's: response.created, response.in_progress; per output item
// output_item.added, then for a message content_part.added, output_text.delta..., output_text.done,
// content_part.done; for reasoning reasoning_summary_part.added, reasoning_summary_text.delta...,
// .done, reasoning_summary_part.done; for a function call function_call_arguments.delta..., .done;
// then output_item.done; finally response.completed (or response.incomplete) with usage. Every event
// has a sequence_number and an `event:` line. A failure after the start ends the stream with
// response.failed, then an `error` event (the openai SDK raises it as an APIError).
//
// The writer's write/end/error match the pipe's ClientStreamFormat (src/providers/stream.ts): it
// plugs in where the /v1/messages route plugs anthropicClientFormat.
import { GatewayError } from "../errors";
import type { FinishReason, Usage } from "../schema/openai";
import type { ThinkingBlock } from "../schema/openai";
import { functionCallItem, messageItem, newCallId, outputItemId, reasoningItem } from "./items";
import { type ResponseContext, responseObject, responseUsage, statusFor } from "./response";
import type { OutputItem, ResponseObject } from "../schema/responses";

type ChunkToolCall = { index?: number; id?: string; function?: { name?: string; arguments?: string } };

/** The fields of a chat chunk the writer reads. */
interface ChunkLike {
  model?: string;
  choices?: {
    index?: number;
    delta?: {
      content?: string | null;
      reasoning_content?: string | null;
      thinking_blocks?: ThinkingBlock[];
      tool_calls?: ChunkToolCall[];
    };
    finish_reason?: FinishReason;
  }[];
  usage?: Usage | null;
}

/** The item being streamed. Text and reasoning close when anything else starts; so does a function call (OpenAI's order). */
type OpenItem =
  | { kind: "message"; index: number; id: string; text: string }
  | { kind: "reasoning"; index: number; id: string; text: string; thinking: ThinkingBlock[]; partOpen: boolean }
  | { kind: "function_call"; index: number; id: string; callId: string; name: string; args: string; chatIndex: number };

/** OpenAI's error codes for a failed response, by HTTP status. */
export const failureCode = (status: number) => (status === 429 ? "rate_limit_exceeded" : status === 400 ? "invalid_prompt" : "server_error");

export class ResponsesStreamWriter {
  private seq = 0;
  private started = false;
  private finished = false;
  private model: string;
  private readonly output: OutputItem[] = [];
  private open: OpenItem | undefined;
  /** Chat tool-call indexes already streamed (and closed, unless open). */
  private readonly toolIndexes = new Set<number>();
  private finish: FinishReason | undefined;
  private usage: Usage | undefined;
  private final: ResponseObject | undefined;

  constructor(private readonly ctx: ResponseContext) {
    this.model = ctx.request.model;
  }

  /** The Response as last sent (complete after end() or error()), for the stored record. */
  get response(): ResponseObject {
    return this.final ?? this.snapshot("in_progress");
  }

  private event(type: string, fields: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...fields })}\n\n`;
  }

  private snapshot(status: ResponseObject["status"], extra: Partial<ResponseObject> = {}): ResponseObject {
    return responseObject(this.ctx, this.model, { status, output: this.output, ...extra });
  }

  private start(model: string | undefined): string {
    if (this.started) return "";
    this.started = true;
    if (model) this.model = model;
    const response = this.snapshot("in_progress");
    return this.event("response.created", { response }) + this.event("response.in_progress", { response });
  }

  private add(item: OutputItem): string {
    this.output.push(item);
    return this.event("response.output_item.added", { output_index: this.output.length - 1, item });
  }

  /** Closes the open item: its done events, and its final form in `output`. */
  private close(status: "completed" | "incomplete" = "completed"): string {
    const item = this.open;
    if (!item) return "";
    this.open = undefined;
    const at = { item_id: item.id, output_index: item.index };
    let out = "";
    let done: OutputItem;
    if (item.kind === "message") {
      const part = { type: "output_text", annotations: [], logprobs: [], text: item.text };
      out += this.event("response.output_text.done", { ...at, content_index: 0, text: item.text, logprobs: [] });
      out += this.event("response.content_part.done", { ...at, content_index: 0, part });
      done = messageItem(item.id, item.text, status);
    } else if (item.kind === "reasoning") {
      if (item.partOpen) {
        out += this.event("response.reasoning_summary_text.done", { ...at, summary_index: 0, text: item.text });
        out += this.event("response.reasoning_summary_part.done", { ...at, summary_index: 0, part: { type: "summary_text", text: item.text } });
      }
      done = reasoningItem(item.id, item.text, item.thinking);
    } else {
      out += this.event("response.function_call_arguments.done", { ...at, arguments: item.args });
      done = functionCallItem(item.id, item.callId, item.name, item.args, status);
    }
    this.output[item.index] = done;
    return out + this.event("response.output_item.done", { output_index: item.index, item: done });
  }

  private openMessage(): string {
    if (this.open?.kind === "message") return "";
    let out = this.close();
    const index = this.output.length;
    const id = outputItemId("msg", this.ctx.id, index);
    this.open = { kind: "message", index, id, text: "" };
    out += this.add({ id, type: "message", status: "in_progress", content: [], role: "assistant" });
    return out + this.event("response.content_part.added", { item_id: id, output_index: index, content_index: 0, part: { type: "output_text", annotations: [], logprobs: [], text: "" } });
  }

  private reasoning(text: string | undefined, blocks: ThinkingBlock[]): string {
    let out = "";
    if (this.open?.kind !== "reasoning") {
      out += this.close();
      const index = this.output.length;
      const id = outputItemId("rs", this.ctx.id, index);
      this.open = { kind: "reasoning", index, id, text: "", thinking: [], partOpen: false };
      out += this.add(reasoningItem(id, "", []));
    }
    const item = this.open as Extract<OpenItem, { kind: "reasoning" }>;
    if (text) {
      const at = { item_id: item.id, output_index: item.index, summary_index: 0 };
      if (!item.partOpen) {
        item.partOpen = true;
        out += this.event("response.reasoning_summary_part.added", { ...at, part: { type: "summary_text", text: "" } });
      }
      item.text += text;
      out += this.event("response.reasoning_summary_text.delta", { ...at, delta: text });
    }
    // A signature closes the thinking text streamed since the last one (Anthropic's thinking block).
    for (const b of blocks) {
      if (b.type === "thinking" && b.signature) {
        const before = item.thinking.filter((t) => t.type === "thinking").map((t) => t.thinking ?? "").join("");
        item.thinking.push({ type: "thinking", thinking: item.text.slice(before.length), signature: b.signature });
      } else if (b.type === "redacted_thinking" && b.data) item.thinking.push(b);
    }
    return out;
  }

  private toolCall(tc: ChunkToolCall): string {
    const chatIndex = tc.index ?? 0;
    let out = "";
    if (!this.toolIndexes.has(chatIndex)) {
      this.toolIndexes.add(chatIndex);
      out += this.close();
      const index = this.output.length;
      const item = { kind: "function_call" as const, index, id: outputItemId("fc", this.ctx.id, index), callId: tc.id || newCallId(), name: tc.function?.name ?? "", args: "", chatIndex };
      this.open = item;
      out += this.add(functionCallItem(item.id, item.callId, item.name, "", "in_progress"));
    }
    const item = this.open;
    if (item?.kind !== "function_call" || item.chatIndex !== chatIndex) {
      // A provider interleaving the arguments of parallel calls: OpenAI's event order cannot say that.
      throw new GatewayError(502, "server", "The upstream interleaved the arguments of parallel tool calls, which the Responses API bridge cannot stream", { upstream: true });
    }
    if (tc.function?.name && !item.name) item.name = tc.function.name;
    const delta = tc.function?.arguments;
    if (delta) {
      item.args += delta;
      out += this.event("response.function_call_arguments.delta", { item_id: item.id, output_index: item.index, delta });
    }
    return out;
  }

  /** SSE text for one chat chunk (an object, or its JSON text). */
  write(chunk: object | string): string {
    if (this.finished) return "";
    const c = (typeof chunk === "string" ? JSON.parse(chunk) : chunk) as ChunkLike;
    let out = this.start(c.model);
    if (c.usage) this.usage = c.usage;
    const choice = c.choices?.find((ch) => (ch.index ?? 0) === 0);
    const d = choice?.delta;
    if (d?.reasoning_content || d?.thinking_blocks?.length) out += this.reasoning(d.reasoning_content ?? undefined, d.thinking_blocks ?? []);
    if (d?.content) {
      out += this.openMessage();
      const item = this.open as Extract<OpenItem, { kind: "message" }>;
      item.text += d.content;
      out += this.event("response.output_text.delta", { item_id: item.id, output_index: item.index, content_index: 0, delta: d.content, logprobs: [] });
    }
    for (const tc of d?.tool_calls ?? []) out += this.toolCall(tc);
    if (choice?.finish_reason) this.finish = choice.finish_reason;
    return out;
  }

  /** SSE text once the upstream ended: the open item closed, then response.completed (or .incomplete) with usage. */
  end(final: { usage?: Usage } = {}): string {
    if (this.finished) return "";
    let out = this.start(undefined);
    const { status, incomplete } = statusFor(this.finish);
    const itemStatus = status === "completed" ? "completed" : "incomplete";
    // An empty answer is still one (empty) message, as in the JSON answer.
    if (!this.output.length && !this.open) out += this.openMessage();
    out += this.close(itemStatus);
    this.finished = true;
    this.final = this.snapshot(status, { incomplete_details: incomplete, usage: responseUsage(final.usage ?? this.usage) });
    return out + this.event(status === "completed" ? "response.completed" : "response.incomplete", { response: this.final });
  }

  /** SSE text for a failure after the stream started: response.failed with the output so far, then `error`. */
  error(error: { status: number; message: string }): string {
    if (this.finished) return "";
    let out = this.start(undefined);
    out += this.close("incomplete");
    this.finished = true;
    const code = failureCode(error.status);
    this.final = this.snapshot("failed", { error: { code, message: error.message }, usage: this.usage ? responseUsage(this.usage) : null });
    out += this.event("response.failed", { response: this.final });
    return out + this.event("error", { code, message: error.message, param: null });
  }
}
