// A streamed answer, checked on its way to the client. The stream is the SSE the client gets: OpenAI's
// `data:` chunks, or Anthropic's named events on /v1/messages (translated from another provider, or an
// anthropic/ deployment's own, passed through), from the upstream or from the cache. Each event is
// parsed; text deltas go through the call's stream guard (./stream.ts: it holds back a small window,
// so a word split across two chunks is caught) and are written again with the text it releases; every
// other event goes out as it came. A block ends the stream with an error event in the client's format.
// Only calls with a guardrail on the answer pay for this parsing.
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { GatewayError, toGatewayError } from "../errors";
import type { StreamGuard } from "./stream";

type Json = Record<string, unknown>;

/** Which API's SSE the client reads. */
export type SseShape = "openai" | "anthropic";

const encoder = new TextEncoder();

function frame(event: string | undefined, data: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${data.replaceAll("\n", "\ndata: ")}\n\n`;
}

function errorFrame(error: GatewayError, shape: SseShape): string {
  return shape === "anthropic" ? frame("error", JSON.stringify(error.toAnthropicBody())) : frame(undefined, JSON.stringify(error.toBody()));
}

/** The first choice of the first chunk a guard released. */
const choiceOf = (chunks: Json[]) => (chunks[0]?.choices as Json[] | undefined)?.[0];

/** The text a guard released into a chunk's choice (chat delta or completion text). */
function releasedText(choice: Json | undefined): string {
  const delta = choice?.delta as Json | undefined;
  const text = delta ? delta.content : choice?.text;
  return typeof text === "string" ? text : "";
}

function parseJson(data: string): Json | undefined {
  try {
    const value = JSON.parse(data) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** A chunk that only carried text the guard is holding back: not worth sending (nor serialising). */
function holdsNothing(chunk: Json): boolean {
  if (chunk.usage) return false;
  return (chunk.choices as Json[]).every((c) => {
    if (c.finish_reason != null || c.logprobs != null) return false;
    const delta = c.delta as Json | undefined;
    if (!delta) return c.text === "" && Object.keys(c).every((k) => k === "index" || k === "text" || k === "finish_reason" || k === "logprobs");
    for (const k in delta) if (k !== "content" || delta.content !== "") return false;
    return true;
  });
}

/** One event of an OpenAI stream in, its SSE text out. */
async function openAIEvent(guard: StreamGuard, message: EventSourceMessage): Promise<string> {
  if (message.data === "[DONE]") return (await guard.end()).map((c) => frame(undefined, JSON.stringify(c))).join("") + frame(undefined, "[DONE]");
  const chunk = parseJson(message.data);
  if (!chunk || !Array.isArray(chunk.choices) || !chunk.choices.length) return frame(message.event, message.data);
  let out = "";
  for (const c of await guard.chunk(chunk)) if (!holdsNothing(c)) out += frame(message.event, JSON.stringify(c));
  return out;
}

/** The guard speaks OpenAI chunks: an Anthropic text block is the choice of its block index. */
const asChunk = (index: number, text: string | undefined) => ({ choices: [{ index, delta: text === undefined ? {} : { content: text }, finish_reason: text === undefined ? "stop" : null }] });

const textDelta = (index: number, text: string) => frame("content_block_delta", JSON.stringify({ type: "content_block_delta", index, delta: { type: "text_delta", text } }));

/** One event of an Anthropic stream in, its SSE text out. */
async function anthropicEvent(guard: StreamGuard, message: EventSourceMessage): Promise<string> {
  const type = message.event;
  if (type !== "content_block_delta" && type !== "content_block_stop" && type !== "message_stop") return frame(type, message.data);
  if (type === "message_stop") {
    // Text of blocks the upstream never closed.
    const rest = (await guard.end()).map((c) => textDelta(choiceOf([c])!.index as number, releasedText(choiceOf([c])))).join("");
    return rest + frame(type, message.data);
  }
  const event = parseJson(message.data);
  const index = typeof event?.index === "number" ? event.index : 0;
  const delta = event?.delta as Json | undefined;
  if (type === "content_block_delta") {
    if (delta?.type !== "text_delta" || typeof delta.text !== "string") return frame(type, message.data);
    const text = releasedText(choiceOf(await guard.chunk(asChunk(index, delta.text))));
    return text ? textDelta(index, text) : "";
  }
  // content_block_stop: what the guard still holds of this block goes out before it closes.
  const rest = releasedText(choiceOf(await guard.chunk(asChunk(index, undefined))));
  return (rest ? textDelta(index, rest) : "") + frame(type, message.data);
}

/**
 * `body` with every text delta checked by `guard`. `onEnd` is called once, when the stream is over:
 * with the refusal when a guardrail blocked (or could not check) the answer, else with nothing.
 */
export function guardSseStream(body: ReadableStream<Uint8Array>, guard: StreamGuard, shape: SseShape, onEnd: (refusal?: GatewayError) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (m) => events.push(m) });
  const handle = shape === "anthropic" ? anthropicEvent : openAIEvent;
  let ended = false;
  const end = (refusal?: GatewayError) => {
    if (ended) return;
    ended = true;
    onEnd(refusal);
  };
  /** The SSE text of the events parsed so far. */
  const drain = async () => {
    let out = "";
    while (events.length) out += await handle(guard, events.shift()!);
    return out;
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) {
              parser.feed(decoder.decode() + "\n\n");
              const out = await drain();
              if (out) controller.enqueue(encoder.encode(out));
              controller.close();
              end();
              return;
            }
            parser.feed(decoder.decode(value, { stream: true }));
            const out = await drain();
            if (out) return controller.enqueue(encoder.encode(out));
          }
        } catch (err) {
          // A guardrail blocked (or its service failed): the client gets the error event, the upstream is let go.
          const error = toGatewayError(err);
          controller.enqueue(encoder.encode(errorFrame(error, shape)));
          controller.close();
          reader.cancel().catch(() => {});
          end(error);
        }
      },
      cancel(reason) {
        reader.cancel(reason).catch(() => {});
        end();
      },
    },
    { highWaterMark: 0 },
  );
}
