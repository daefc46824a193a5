// The load generator: Node's http client over keep-alive sockets with TCP_NODELAY, timing each
// request with the monotonic clock (ns resolution; tools that bucket latency by whole milliseconds
// cannot see a 0.3 ms difference). One code path serves every arm.
import { Agent, request } from "node:http";

export interface Target {
  /** POST endpoint (…/v1/chat/completions). */
  url: URL;
  headers: Record<string, string>;
  model: string;
  /** More body fields for every request (the cache-miss arm's `cache` controls). */
  extra?: Record<string, unknown>;
}

export interface Sample {
  ok: boolean;
  /** Whole request, send to last byte, ms. */
  ms: number;
  status: number;
  /** Why it failed, when it did. */
  error?: string;
  /** x-litellm-model-id, when the arm sends one. */
  modelId?: string;
}

export interface StreamSample extends Sample {
  /** Send to the first `data:` event with content, ms. */
  firstChunkMs: number;
  /** Largest gap between two consecutive events, ms. */
  worstGapMs: number;
  /** `data:` events before [DONE]. */
  chunks: number;
}

export const newAgent = (connections: number) => new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, scheduling: "fifo" });

const now = () => Number(process.hrtime.bigint()) / 1e6;

function bodyFor(target: Target, stream: boolean): string {
  return JSON.stringify({ model: target.model, messages: [{ role: "user", content: "Say hello." }], max_tokens: 16, ...(stream ? { stream: true } : {}), ...target.extra });
}

/** Successful answers per target over the whole run (JSON completions, whole streams): what spend should add up to. */
const answered = new WeakMap<Target, { json: number; streams: number }>();
export const answeredBy = (target: Target) => answered.get(target) ?? { json: 0, streams: 0 };
function count(target: Target, kind: "json" | "streams"): void {
  let n = answered.get(target);
  if (!n) answered.set(target, (n = { json: 0, streams: 0 }));
  n[kind]++;
}

const bodies = new WeakMap<Target, [string, string]>();
function cachedBody(target: Target, stream: boolean): string {
  let pair = bodies.get(target);
  if (!pair) bodies.set(target, (pair = [bodyFor(target, false), bodyFor(target, true)]));
  return pair[stream ? 1 : 0];
}

/** One non-streaming chat completion. */
export function post(target: Target, agent: Agent): Promise<Sample> {
  const body = cachedBody(target, false);
  return new Promise((resolve) => {
    const t0 = now();
    const req = request(
      target.url,
      { method: "POST", agent, headers: { ...target.headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          const ms = now() - t0;
          const ok = res.statusCode === 200 && text.includes('"chat.completion"');
          if (ok) count(target, "json");
          const modelId = res.headers["x-litellm-model-id"] as string | undefined;
          resolve({ ok, ms, status: res.statusCode ?? 0, modelId, ...(ok ? {} : { error: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` }) });
        });
        res.on("error", (err) => resolve({ ok: false, ms: now() - t0, status: res.statusCode ?? 0, error: err.message }));
      },
    );
    req.on("error", (err) => resolve({ ok: false, ms: now() - t0, status: 0, error: err.message }));
    req.setNoDelay(true);
    req.end(body);
  });
}

/** One streaming chat completion, timing every SSE event as it arrives. */
export function postStream(target: Target, agent: Agent): Promise<StreamSample> {
  const body = cachedBody(target, true);
  return new Promise((resolve) => {
    const t0 = now();
    let first = NaN;
    let last = NaN;
    let worstGap = 0;
    let chunks = 0;
    let done = false;
    let pending = "";
    const fail = (status: number, error: string) =>
      resolve({ ok: false, ms: now() - t0, status, error, firstChunkMs: first - t0, worstGapMs: worstGap, chunks });
    const req = request(
      target.url,
      { method: "POST", agent, headers: { ...target.headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          const at = now();
          pending += c;
          let end: number;
          while ((end = pending.indexOf("\n\n")) >= 0) {
            const event = pending.slice(0, end);
            pending = pending.slice(end + 2);
            if (!event.startsWith("data:")) continue;
            if (event.startsWith("data: [DONE]")) {
              done = true;
              continue;
            }
            if (!Number.isNaN(last)) worstGap = Math.max(worstGap, at - last);
            last = at;
            if (Number.isNaN(first)) first = at;
            chunks++;
          }
        });
        res.on("end", () => {
          if (res.statusCode !== 200 || !done) return fail(res.statusCode ?? 0, `HTTP ${res.statusCode}, ${done ? "" : "no [DONE], "}${chunks} chunks`);
          count(target, "streams");
          resolve({ ok: true, ms: now() - t0, status: 200, firstChunkMs: first - t0, worstGapMs: worstGap, chunks });
        });
        res.on("error", (err) => fail(res.statusCode ?? 0, err.message));
      },
    );
    req.on("error", (err) => fail(0, err.message));
    req.setNoDelay(true);
    req.end(body);
  });
}

/** `count` requests one after another on one keep-alive connection. */
export async function sequential(target: Target, agent: Agent, count: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let i = 0; i < count; i++) out.push(await post(target, agent));
  return out;
}

export interface LoadResult {
  samples: Sample[];
  streams: StreamSample[];
  elapsedMs: number;
}

/**
 * `connections` closed loops for `durationMs`, each sending its next request when the previous one ended.
 * `streamLoops` of those loops send streaming requests instead (the soak mixes both).
 */
export async function closedLoop(target: Target, connections: number, durationMs: number, streamLoops = 0): Promise<LoadResult> {
  const agent = newAgent(connections);
  const samples: Sample[] = [];
  const streams: StreamSample[] = [];
  const t0 = now();
  const deadline = t0 + durationMs;
  const loop = async (streaming: boolean) => {
    while (now() < deadline) {
      if (streaming) streams.push(await postStream(target, agent));
      else samples.push(await post(target, agent));
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, i) => loop(i < streamLoops)));
  const elapsedMs = now() - t0;
  agent.destroy();
  return { samples, streams, elapsedMs };
}
