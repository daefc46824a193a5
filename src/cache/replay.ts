// Answers in and out of the cache. In: a stream is copied as it goes to the client, and is worth
// storing only if it ended by itself (never when cut or failed). Out: a cached answer becomes the
// call's answer, JSON as it was sent, a stream replayed event by event in the format it was sent in
// (OpenAI chunks, or Anthropic events for /v1/messages), its usage chunk included.
import type { LlmCall, ReadyAnswer } from "../core/call";
import type { CachedAnswer } from "./store";

const encoder = new TextEncoder();

/** A cached answer as the call's answer. A replayed stream ends the call when its last event has gone out. */
export function readyAnswer(call: LlmCall, entry: CachedAnswer): ReadyAnswer {
  if (entry.kind === "json") return { kind: "json", body: {}, usage: entry.usage, text: entry.text };
  // One SSE event per chunk, as the original went out (an event ends with a blank line).
  const events = entry.text.split(/(?<=\n\n)/);
  let next = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (next < events.length) controller.enqueue(encoder.encode(events[next++]));
        if (next >= events.length) {
          controller.close();
          call.finish({ status: "ok", httpStatus: 200, usage: entry.usage });
        }
      },
      cancel() {
        call.finish({ status: "aborted", httpStatus: 200, usage: entry.usage });
      },
    },
    { highWaterMark: 0 },
  );
  return { kind: "stream", body };
}

export interface CapturedStream {
  /** What goes to the client: the same bytes, chunk by chunk. */
  body: ReadableStream<Uint8Array>;
  /** The whole text once the stream ended by itself; undefined when it was cut, failed or grew past `maxBytes`. */
  text: Promise<string | undefined>;
}

/** Passes a stream through untouched, keeping a copy of it (up to `maxBytes`). */
export function captureStream(source: ReadableStream<Uint8Array>, maxBytes: number): CapturedStream {
  const reader = source.getReader();
  let chunks: Uint8Array[] | undefined = [];
  let size = 0;
  let settle!: (text: string | undefined) => void;
  const text = new Promise<string | undefined>((resolve) => (settle = resolve));
  const joined = () => {
    const decoder = new TextDecoder();
    let out = "";
    for (const c of chunks!) out += decoder.decode(c, { stream: true });
    return out + decoder.decode();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch (err) {
          settle(undefined);
          controller.error(err);
          return;
        }
        if (read.done) {
          controller.close();
          settle(chunks ? joined() : undefined);
          return;
        }
        if (chunks) {
          size += read.value.byteLength;
          if (size > maxBytes) chunks = undefined;
          else chunks.push(read.value);
        }
        controller.enqueue(read.value);
      },
      cancel(reason) {
        settle(undefined);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, text };
}
