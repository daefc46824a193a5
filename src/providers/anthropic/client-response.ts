// OpenAI answers -> Anthropic's format, for /v1/messages clients (./client.ts):
//   toAnthropicMessage          an OpenAI chat.completion -> an Anthropic message
//   anthropicClientFormat       OpenAI chunks -> Anthropic SSE events (deployments of other providers)
//   anthropicPassthroughFormat  an anthropic/ deployment's own events, written as they came
import type { GatewayError } from "../../errors";
import type { ChatCompletion, Usage } from "../../schema/openai";
import type { AnthropicMessage, AnthropicUsage, ContentBlock, StopReason } from "../../schema/anthropic";
import type { ClientStreamFormat, StreamTranslator } from "../../core/provider";

const STOP_REASON: Record<string, StopReason> = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use", function_call: "tool_use", content_filter: "refusal" };

export const stopReasonFor = (finish: string | null | undefined): StopReason => STOP_REASON[finish ?? ""] ?? "end_turn";

/** OpenAI usage in Anthropic's terms (input_tokens without the cached part). */
export function usageToAnthropic(u: Partial<Usage> | undefined): AnthropicUsage {
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = Number((u as { cache_creation_input_tokens?: number } | undefined)?.cache_creation_input_tokens ?? 0);
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cached - written),
    output_tokens: u?.completion_tokens ?? 0,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
  };
}

/** An Anthropic message id for an OpenAI completion id. */
export const messageId = (id: string) => (id.startsWith("msg_") ? id : `msg_${id.replace(/^chatcmpl-/, "").replaceAll("-", "")}`);

function toolInput(args: string): unknown {
  try {
    const value = JSON.parse(args || "{}") as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? value : { value };
  } catch {
    // A model wrote arguments that are not JSON: keep them rather than lose them.
    return { arguments: args };
  }
}

/** An OpenAI chat.completion as an Anthropic message (the first choice). */
export function toAnthropicMessage(completion: ChatCompletion): AnthropicMessage {
  const choice = completion.choices[0];
  const content: ContentBlock[] = [];
  const m = choice?.message;
  const thinkingBlocks = (m as { thinking_blocks?: ContentBlock[] } | undefined)?.thinking_blocks;
  if (thinkingBlocks?.length) content.push(...thinkingBlocks);
  else if (m?.reasoning_content) content.push({ type: "thinking", thinking: m.reasoning_content, signature: "" });
  if (m?.content) content.push({ type: "text", text: m.content });
  for (const tc of m?.tool_calls ?? []) {
    content.push({ type: "tool_use", id: tc.id ?? `toolu_${crypto.randomUUID().replaceAll("-", "")}`, name: tc.function.name, input: toolInput(tc.function.arguments) });
  }
  return {
    id: messageId(completion.id),
    type: "message",
    role: "assistant",
    model: completion.model,
    content,
    stop_reason: stopReasonFor(choice?.finish_reason),
    stop_sequence: null,
    usage: usageToAnthropic(completion.usage),
  };
}

/** One SSE frame as Anthropic writes them: a named event and its JSON. */
export function anthropicEvent(event: { type: string }): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

const errorFrame = (error: GatewayError) => anthropicEvent(error.toAnthropicBody());

/** For passthrough streams: the translator's frames as written, errors as Anthropic's `error` event. */
export const anthropicPassthroughFormat: ClientStreamFormat = {
  write: (chunk) => (typeof chunk === "string" ? chunk : anthropicEvent(chunk as { type: string })),
  end: () => "",
  error: errorFrame,
};

interface OpenAIChunkLike {
  id?: string;
  model?: string;
  choices?: {
    index?: number;
    delta?: { content?: string | null; reasoning_content?: string; thinking_blocks?: { signature?: string }[]; tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] };
    finish_reason?: string | null;
  }[];
}

/**
 * OpenAI chunks -> Anthropic events, for /v1/messages clients on non-Anthropic deployments.
 * OpenAI reports usage at the end, so message_start carries an estimate of the input tokens and
 * message_delta the real counts (the Anthropic SDK takes the later ones).
 */
export function anthropicClientFormat(requestedModel: string, estimatedInputTokens: number): ClientStreamFormat {
  let started = false;
  let blockIndex = -1;
  let open: "text" | "thinking" | "tool_use" | undefined;
  const toolBlocks = new Map<number, number>();
  let finish: string | null | undefined;

  const start = (c: OpenAIChunkLike): string => {
    if (started) return "";
    started = true;
    const message = {
      id: messageId(c.id || `msg_${crypto.randomUUID()}`),
      type: "message",
      role: "assistant",
      model: c.model || requestedModel,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: estimatedInputTokens, output_tokens: 0 },
    };
    return anthropicEvent({ type: "message_start", message } as { type: string });
  };
  const close = (): string => {
    if (!open) return "";
    open = undefined;
    return anthropicEvent({ type: "content_block_stop", index: blockIndex } as { type: string });
  };
  const openBlock = (kind: "text" | "thinking" | "tool_use", contentBlock: object): string => {
    const out = close();
    blockIndex += 1;
    open = kind;
    return out + anthropicEvent({ type: "content_block_start", index: blockIndex, content_block: contentBlock } as { type: string });
  };
  const delta = (index: number, d: object) => anthropicEvent({ type: "content_block_delta", index, delta: d } as { type: string });

  return {
    write(chunk) {
      const c = (typeof chunk === "string" ? JSON.parse(chunk) : chunk) as OpenAIChunkLike;
      let out = start(c);
      const choice = c.choices?.find((ch) => (ch.index ?? 0) === 0);
      const d = choice?.delta;
      if (d?.reasoning_content) {
        if (open !== "thinking") out += openBlock("thinking", { type: "thinking", thinking: "", signature: "" });
        out += delta(blockIndex, { type: "thinking_delta", thinking: d.reasoning_content });
      }
      const signature = d?.thinking_blocks?.find((b) => b.signature)?.signature;
      if (signature && open === "thinking") out += delta(blockIndex, { type: "signature_delta", signature });
      if (d?.content) {
        if (open !== "text") out += openBlock("text", { type: "text", text: "" });
        out += delta(blockIndex, { type: "text_delta", text: d.content });
      }
      for (const tc of d?.tool_calls ?? []) {
        if (!toolBlocks.has(tc.index)) {
          out += openBlock("tool_use", { type: "tool_use", id: tc.id ?? `toolu_${crypto.randomUUID().replaceAll("-", "")}`, name: tc.function?.name ?? "", input: {} });
          toolBlocks.set(tc.index, blockIndex);
        }
        if (tc.function?.arguments) out += delta(toolBlocks.get(tc.index)!, { type: "input_json_delta", partial_json: tc.function.arguments });
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      return out;
    },
    end(translator: StreamTranslator, cost?: number) {
      const usage = cost === undefined ? usageToAnthropic(translator.usage) : { ...usageToAnthropic(translator.usage), cost };
      return (
        start({ id: translator.id, model: translator.model }) +
        close() +
        anthropicEvent({ type: "message_delta", delta: { stop_reason: stopReasonFor(finish), stop_sequence: null }, usage } as { type: string }) +
        anthropicEvent({ type: "message_stop" })
      );
    },
    error: errorFrame,
  };
}
