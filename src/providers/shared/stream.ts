// Shared stream plumbing for every adapter: decoding upstream bytes into events (SSE, NDJSON, or a
// provider's own binary framing) and piping translated OpenAI chunks to the client one upstream
// chunk at a time. Nothing here buffers a whole stream.
import { createParser } from "eventsource-parser";
import { GatewayError } from "../../errors";
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
  status: "ok" | "error" | "aborted";
  usage?: Usage;
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
  const emit: ChunkSink = (chunk) => {
    pending += format.write(chunk);
  };
  const finish = (outcome: StreamOutcome) => {
    if (finished) return;
    finished = true;
    options.onEnd({ ...outcome, usage: translator.usage });
  };
  const take = () => {
    const out = pending;
    pending = "";
    return out;
  };
  const closing = () => {
    for (const event of decoder.end()) translator.onEvent(event, emit);
    translator.onEnd?.(emit);
    return take() + format.end(translator, translator.usage && options.usageCost?.(translator.usage));
  };

  /** Reads upstream chunks until some output exists; returns null at the upstream's end. */
  const readSome = async (): Promise<string | null> => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return null;
      for (const event of decoder.push(value)) translator.onEvent(event, emit);
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
        // The client went away: stop the upstream fetch too.
        reader.cancel(reason).catch(() => {});
        finish({ status: "aborted" });
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
