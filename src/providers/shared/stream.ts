// Shared stream plumbing for every adapter: decoding upstream bytes into events (SSE, NDJSON, or a
// provider's own binary framing) and piping translated OpenAI chunks to the client one upstream
// chunk at a time. Nothing here buffers a whole stream.
import { createParser } from "eventsource-parser";
import { GatewayError } from "../../errors";
import { logText } from "../../lib/safe-text";
import type { Usage } from "../../schema/openai";
import type { ChunkSink, ClientStreamFormat, StreamDecoder, StreamDecoderKind, StreamEvent, StreamTranslator } from "../../core/provider";

function sseDecoder(): StreamDecoder {
  const text = new TextDecoder();
  let out: StreamEvent[] = [];
  const parser = createParser({ onEvent: (m) => out.push({ event: m.event, data: m.data }) });
  const drain = () => {
    const events = out;
    out = [];
    return events;
  };
  return {
    push(bytes) {
      parser.feed(text.decode(bytes, { stream: true }));
      return drain();
    },
    end() {
      parser.feed(text.decode() + "\n\n");
      return drain();
    },
  };
}

function ndjsonDecoder(): StreamDecoder {
  const text = new TextDecoder();
  let rest = "";
  const lines = (chunk: string): StreamEvent[] => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    return parts.filter((l) => l.trim()).map((data) => ({ data }));
  };
  return {
    push: (bytes) => lines(text.decode(bytes, { stream: true })),
    end: () => lines(text.decode() + "\n"),
  };
}

export function createDecoder(kind: StreamDecoderKind): StreamDecoder {
  if (kind === "sse") return sseDecoder();
  if (kind === "ndjson") return ndjsonDecoder();
  return kind();
}

export interface StreamOutcome {
  /** "aborted": the client went away; "undelivered": the gateway cancelled the stream (a GatewayError as the reason). */
  status: "ok" | "error" | "aborted" | "undelivered";
  usage?: Usage;
  /** Characters of text (content, reasoning, tool arguments) the upstream generated, read so far. */
  generatedChars?: number;
  error?: GatewayError;
}

export interface PipeOptions {
  /** The client asked for `stream_options.include_usage`: end with a usage chunk. */
  includeUsage: boolean;
  /** `object` of the usage chunk: "chat.completion.chunk" or "text_completion". */
  chunkObject: string;
  /** Called once, when the stream ends after it was handed over (not for failures before the first chunk, which reject). */
  onEnd(outcome: StreamOutcome): void;
  /** The USD a usage costs, when known: written into the final usage chunk as `usage.cost` (LiteLLM's form). */
  usageCost?(usage: Usage): number | undefined;
  /** Absent: OpenAI's format. */
  format?: ClientStreamFormat;
}

const encoder = new TextEncoder();
const DONE = "data: [DONE]\n\n";

function sse(chunk: object | string): string {
  return `data: ${typeof chunk === "string" ? chunk : JSON.stringify(chunk)}\n\n`;
}

function openAIFormat(options: PipeOptions): ClientStreamFormat {
  return {
    write: sse,
    end(translator, cost) {
      if (!options.includeUsage || !translator.usage) return DONE;
      const usage = cost === undefined ? translator.usage : { ...translator.usage, cost };
      return sse({ id: translator.id, object: options.chunkObject, created: Math.floor(Date.now() / 1000), model: translator.model, choices: [], usage }) + DONE;
    },
    error: (error) => sse(error.toBody()),
  };
}

/** The gateway failed to translate an upstream's stream (a bug, not the upstream's error). */
export class StreamTranslationError extends GatewayError {
  constructor() {
    super(500, "server", "Internal error in the gateway while translating the upstream's stream");
  }
}

// Text fields of a chunk passed through as JSON text (OpenAI-format upstreams, Anthropic passthrough).
const TEXT_FIELD = /"(?:content|text|reasoning_content|arguments|partial_json|thinking)":"((?:[^"\\]|\\.)*)"/g;

interface ChunkLike {
  choices?: { text?: unknown; delta?: { content?: unknown; reasoning_content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[];
}

const len = (v: unknown) => (typeof v === "string" ? v.length : 0);

/** Characters of generated text in one emitted chunk: what a stream cut short is charged for. */
export function generatedChars(chunk: object | string): number {
  let n = 0;
  if (typeof chunk === "string") {
    for (const m of chunk.matchAll(TEXT_FIELD)) n += m[1].length;
    return n;
  }
  for (const choice of (chunk as ChunkLike).choices ?? []) {
    n += len(choice.text);
    const d = choice.delta;
    if (!d) continue;
    n += len(d.content) + len(d.reasoning_content);
    for (const tc of d.tool_calls ?? []) n += len(tc.function?.arguments);
  }
  return n;
}

/**
 * Reads the upstream until the first translated chunk is ready, then returns the client stream.
 * Failing before that first chunk rejects (so the router can still retry or fall back); failing
 * after it ends the client stream with an OpenAI-shaped SSE error event.
 */
export async function openTranslatedStream(
  upstream: ReadableStream<Uint8Array>,
  decoderKind: StreamDecoderKind,
  translator: StreamTranslator,
  options: PipeOptions,
): Promise<ReadableStream<Uint8Array>> {
  const reader = upstream.getReader();
  reader.closed.catch(() => {}); // an upstream cut is handled in pull(); keep it from surfacing as unhandled
  const decoder = createDecoder(decoderKind);
  const format = options.format ?? openAIFormat(options);
  let pending = "";
  let finished = false;
  let generated = 0;
  const emit: ChunkSink = (chunk) => {
    pending += format.write(chunk);
    generated += generatedChars(chunk);
  };
  const finish = (outcome: StreamOutcome) => {
    if (finished) return;
    finished = true;
    options.onEnd({ ...outcome, usage: translator.usage, generatedChars: generated });
  };
  const take = () => {
    const out = pending;
    pending = "";
    return out;
  };
  // A translator's own bug (not an upstream error, which it throws as a GatewayError) is the gateway's fault
  // on an answer the upstream is charging for: a StreamTranslationError, which is never retried.
  const guarded = (step: () => void) => {
    try {
      step();
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      console.error(`[stream] could not translate an upstream event: ${logText(String(err))}`);
      throw new StreamTranslationError();
    }
  };
  const translate = (event: StreamEvent) => guarded(() => translator.onEvent(event, emit));
  const closing = () => {
    for (const event of decoder.end()) translate(event);
    guarded(() => translator.onEnd?.(emit));
    return take() + format.end(translator, translator.usage && options.usageCost?.(translator.usage));
  };

  /** Reads upstream chunks until some output exists; returns null at the upstream's end. */
  const readSome = async (): Promise<string | null> => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return null;
      for (const event of decoder.push(value)) translate(event);
      if (pending) return take();
    }
  };

  // First chunk: errors propagate to the caller (retry/fallback still possible).
  let first: string;
  try {
    const some = await readSome();
    first = some ?? closing();
    if (some === null) finish({ status: "ok" });
  } catch (err) {
    // Not finished: the caller may still retry elsewhere and finish the call then.
    reader.cancel().catch(() => {});
    throw err;
  }

  let sentFirst = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!sentFirst) {
          sentFirst = true;
          controller.enqueue(encoder.encode(first));
          if (finished) controller.close();
          return;
        }
        try {
          const some = await readSome();
          if (some === null) {
            controller.enqueue(encoder.encode(closing()));
            controller.close();
            finish({ status: "ok" });
          } else {
            controller.enqueue(encoder.encode(some));
          }
        } catch (err) {
          // A GatewayError is an in-band upstream error; anything else is the connection dropping.
          const error = err instanceof GatewayError ? err : new GatewayError(502, "server", "The upstream connection was lost mid-stream", { upstream: true });
          controller.enqueue(encoder.encode(take() + format.error(error)));
          controller.close();
          reader.cancel().catch(() => {});
          finish({ status: "error", error });
        }
      },
      cancel(reason) {
        // The client went away (or the gateway could not deliver the stream): stop the upstream at once, so
        // it stops generating; the call is charged for what it had generated (README "Spend log").
        reader.cancel(reason).catch(() => {});
        finish(reason instanceof GatewayError ? { status: "undelivered", error: reason } : { status: "aborted" });
      },
    },
    { highWaterMark: 0 },
  );
}

/** Parses an SSE/NDJSON data payload, turning garbage into a clear upstream error. */
export function parseEventJson<T = Record<string, unknown>>(data: string, provider: string): T {
  try {
    return JSON.parse(data) as T;
  } catch {
    throw new GatewayError(502, "server", `${provider} sent a stream event that is not JSON`, { upstream: true });
  }
}

/**
 * Holds a chat stream's role chunk back until its first content, so an error right after the upstream
 * opened still fails the attempt before anything reached the client (and the router can retry).
 */
export class HeldRoleChunk {
  private sent = false;

  constructor(private readonly roleChunk: () => object) {}

  /** `sink`, with the role chunk written once before the first chunk. */
  wrap(sink: ChunkSink): ChunkSink {
    return (chunk) => {
      if (!this.sent) {
        this.sent = true;
        sink(this.roleChunk());
      }
      sink(chunk);
    };
  }
}
