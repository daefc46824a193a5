// Anthropic's SSE stream -> OpenAI chunks (AnthropicStreamTranslator), or passed through as written
// with its usage read (AnthropicPassthrough, for /v1/messages clients on anthropic/ deployments).
// Anthropic's stream: message_start, then per content block content_block_start / _delta... / _stop,
// then message_delta (stop_reason, output usage) and message_stop; ping and error may come anytime.
import type { GatewayError } from "../../errors";
import { nowSeconds } from "../../lib/ids";
import type { ChatCompletionChunk, FinishReason, Usage } from "../../schema/openai";
import { JSON_TOOL_NAME } from "../shared/json-tool";
import { chatChunk } from "../shared/completion";
import { HeldRoleChunk, parseEventJson } from "../shared/stream";
import type { ChunkSink, StreamEvent, StreamTranslator, UpstreamFailure } from "../../core/provider";
import { FINISH_REASON, usageFromAnthropic } from "./response";
import type { AnthropicUsage } from "../../schema/anthropic";

/** HTTP status of each Anthropic error type, for errors that arrive inside a stream. */
const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** Turns an in-stream `error` event into the same failure an HTTP error would be. */
export function streamErrorFailure(data: string): UpstreamFailure {
  let type = "api_error";
  try {
    type = (JSON.parse(data) as { error?: { type?: string } }).error?.type ?? type;
  } catch {
    /* mapError reads the raw text */
  }
  return { status: ERROR_STATUS[type] ?? 500, headers: new Headers(), text: data };
}

type MapError = (failure: UpstreamFailure) => GatewayError;

interface AnthropicEventData {
  type: string;
  index?: number;
  message?: { id: string; model: string; usage?: AnthropicUsage };
  content_block?: { type: string; id?: string; name?: string; text?: string; data?: string };
  delta?: { type?: string; text?: string; partial_json?: string; thinking?: string; signature?: string; stop_reason?: string | null };
  usage?: Partial<AnthropicUsage>;
}

/** Anthropic's usage counters so far: message_start has the input side, message_delta the cumulative rest. */
class UsageTracker {
  private counts: Partial<AnthropicUsage> | undefined;

  update(u: Partial<AnthropicUsage> | undefined): void {
    if (!u) return;
    this.counts ??= {};
    for (const [k, v] of Object.entries(u)) if (typeof v === "number") (this.counts as Record<string, number>)[k] = v;
  }

  get usage(): Usage | undefined {
    return usageFromAnthropic(this.counts);
  }
}

type BlockKind = "text" | "thinking" | "tool" | "json";

/** Anthropic events -> OpenAI chat.completion.chunk objects. */
export class AnthropicStreamTranslator implements StreamTranslator {
  id = "";
  model: string;
  private readonly tracker = new UsageTracker();
  private readonly blocks = new Map<number, { kind: BlockKind; toolIndex: number }>();
  private tools = 0;
  private readonly created = nowSeconds();
  private readonly role = new HeldRoleChunk(() => this.chunk({ role: "assistant", content: "" }));

  constructor(
    model: string,
    private readonly jsonTool: boolean,
    private readonly mapError: MapError,
  ) {
    this.model = model;
  }

  get usage(): Usage | undefined {
    return this.tracker.usage;
  }

  private chunk(delta: Record<string, unknown>, finish: FinishReason = null): ChatCompletionChunk {
    return chatChunk(this, this.created, delta, finish);
  }

  onEvent(event: StreamEvent, sink: ChunkSink): void {
    if (event.event === "ping") return;
    if (event.event === "error") throw this.mapError(streamErrorFailure(event.data));
    const emit = this.role.wrap(sink);
    const e = parseEventJson<AnthropicEventData>(event.data, "anthropic");
    switch (e.type) {
      case "message_start":
        this.id = e.message?.id ?? this.id;
        this.model = e.message?.model ?? this.model;
        this.tracker.update(e.message?.usage);
        return;
      case "content_block_start": {
        const block = e.content_block ?? { type: "text" };
        const index = e.index ?? 0;
        if (block.type === "tool_use") {
          if (this.jsonTool && block.name === JSON_TOOL_NAME) {
            this.blocks.set(index, { kind: "json", toolIndex: -1 });
            return;
          }
          const toolIndex = this.tools++;
          this.blocks.set(index, { kind: "tool", toolIndex });
          emit(this.chunk({ tool_calls: [{ index: toolIndex, id: block.id, type: "function", function: { name: block.name, arguments: "" } }] }));
        } else if (block.type === "thinking" || block.type === "redacted_thinking") {
          this.blocks.set(index, { kind: "thinking", toolIndex: -1 });
          if (block.type === "redacted_thinking") emit(this.chunk({ thinking_blocks: [{ type: "redacted_thinking", data: block.data }] }));
        } else {
          this.blocks.set(index, { kind: "text", toolIndex: -1 });
          if (block.text) emit(this.chunk({ content: block.text }));
        }
        return;
      }
      case "content_block_delta": {
        const block = this.blocks.get(e.index ?? 0);
        const d = e.delta ?? {};
        if (d.type === "text_delta" && d.text) emit(this.chunk({ content: d.text }));
        else if (d.type === "input_json_delta" && d.partial_json) {
          if (block?.kind === "json") emit(this.chunk({ content: d.partial_json }));
          else if (block?.kind === "tool") emit(this.chunk({ tool_calls: [{ index: block.toolIndex, function: { arguments: d.partial_json } }] }));
        } else if (d.type === "thinking_delta" && d.thinking) {
          emit(this.chunk({ reasoning_content: d.thinking }));
        } else if (d.type === "signature_delta" && d.signature) {
          // LiteLLM's field: the signature a client must send back with the thinking text (reasoning_content).
          emit(this.chunk({ thinking_blocks: [{ type: "thinking", thinking: "", signature: d.signature }] }));
        }
        return;
      }
      case "message_delta": {
        this.tracker.update(e.usage);
        const reason = e.delta?.stop_reason;
        if (reason) {
          const jsonOnly = this.jsonTool && this.tools === 0 && [...this.blocks.values()].some((b) => b.kind === "json");
          emit(this.chunk({}, jsonOnly ? "stop" : (FINISH_REASON[reason] ?? "stop")));
        }
        return;
      }
      default:
        return; // content_block_stop, message_stop, and event types added later
    }
  }
}

/**
 * Anthropic events passed through untouched (re-framed byte for byte: `event:` + `data:`), for
 * /v1/messages clients on anthropic/ deployments; only usage-bearing events are parsed.
 */
export class AnthropicPassthrough implements StreamTranslator {
  id = "";
  model: string;
  private readonly tracker = new UsageTracker();

  constructor(
    model: string,
    private readonly mapError: MapError,
  ) {
    this.model = model;
  }

  get usage(): Usage | undefined {
    return this.tracker.usage;
  }

  onEvent(event: StreamEvent, emit: ChunkSink): void {
    if (event.event === "error") throw this.mapError(streamErrorFailure(event.data));
    if (event.event === "message_start" || event.event === "message_delta") {
      const e = parseEventJson<AnthropicEventData>(event.data, "anthropic");
      if (e.message) {
        this.id = e.message.id;
        this.model = e.message.model;
      }
      this.tracker.update(e.message?.usage ?? e.usage);
    }
    emit(`event: ${event.event ?? "message"}\ndata: ${event.data}\n\n`);
  }
}
