// Delivery of one callback's logs in batches, off the request path. Workers keep no timer alive
// between requests, so each isolate buffers the logs of its calls and sends them:
//   - at once (in the background of the request that fills the batch: MAX_ITEMS logs or MAX_BYTES), or
//   - DELAY_MS after the first log of a batch, in the waitUntil of the request that added it (only
//     that request waits; the isolate stays alive until it has sent).
// A failed send is retried ATTEMPTS times with backoff, each attempt with a time limit, so a callback
// that is down never holds a request's background work for long; then the batch is dropped with one
// log line (and counted in litellm_callback_logging_failures_metric). Nothing here can fail or slow the
// call: it runs after the answer, and every error ends in the log.
//
// What can be lost: a batch whose endpoint failed ATTEMPTS times, and the logs buffered by an isolate
// that is killed before its flush runs (at most DELAY_MS of calls; Cloudflare lets waitUntil work run
// for 30 s after the answer, and a flush takes at most about ATTEMPTS x ATTEMPT_TIMEOUT_MS).
import { inBackground } from "../../lib/background";

const MAX_ITEMS = 100;
const MAX_BYTES = 1_000_000;
const ATTEMPTS = 3;
export const ATTEMPT_TIMEOUT_MS = 5_000;

/** A send that failed: `retry` false for answers that will not change (4xx other than 408/429). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retry = true,
  ) {
    super(message);
  }
}

/** Throws a DeliveryError for an unsuccessful answer (its body's first 200 characters in the message). */
export async function expectOk(res: Response, what: string): Promise<void> {
  if (res.ok) {
    await res.body?.cancel();
    return;
  }
  const text = (await res.text().catch(() => "")).slice(0, 200);
  throw new DeliveryError(`${what} answered HTTP ${res.status}${text ? `: ${text}` : ""}`, res.status >= 500 || res.status === 408 || res.status === 429);
}

export interface Sink<T> {
  /** The callback's name in logs and in litellm_callback_logging_failures_metric. */
  readonly name: string;
  /** Logs per batch when each costs its own request (default MAX_ITEMS). */
  readonly maxItems?: number;
  /** Sends one batch; throws (a DeliveryError, or a network error) when it was not accepted. */
  send(items: T[], signal: AbortSignal): Promise<void>;
}

export class Batcher<T> {
  private buffer: T[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(
    private readonly sink: Sink<T>,
    private readonly delayMs: number,
    private readonly onDropped: (sink: string, count: number) => void,
  ) {}

  add(item: T, size: number): void {
    this.buffer.push(item);
    this.bytes += size;
    if (this.buffer.length >= (this.sink.maxItems ?? MAX_ITEMS) || this.bytes >= MAX_BYTES) {
      inBackground(this.flush());
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    inBackground(
      new Promise((resolve) => setTimeout(resolve, this.delayMs)).then(() => {
        this.scheduled = false;
        return this.flush();
      }),
    );
  }

  /** Sends what is buffered now (the tests' and the scheduled flush's entry). */
  async flush(): Promise<void> {
    if (!this.buffer.length) return;
    const items = this.buffer;
    this.buffer = [];
    this.bytes = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sink.send(items, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS));
        return;
      } catch (err) {
        const retry = !(err instanceof DeliveryError) || err.retry;
        if (!retry || attempt >= ATTEMPTS) {
          console.error(`[callbacks] ${this.sink.name}: dropped ${items.length} log${items.length === 1 ? "" : "s"} after ${attempt} attempt${attempt === 1 ? "" : "s"}: ${describe(err)}`);
          this.onDropped(this.sink.name, items.length);
          return;
        }
        await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
      }
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`;
  return err instanceof Error ? err.message : String(err);
}
