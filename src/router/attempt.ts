// One attempt against one deployment: translate, send, wait (with timeouts), translate back.
// Retries and fallbacks wrap this in src/router.
import type { Deployment } from "../core/provider";
import type { Env } from "../env";
import { GatewayError, badRequest } from "../errors";
import { readCapped } from "../lib/body";
import { logText } from "../lib/safe-text";
import type { EmbeddingResponse, Usage } from "../schema/openai";
import { GATEWAY_PARAMS } from "../schema/openai";
import { apiBaseForDisplay } from "../providers/shared/target";
import { failureMessage, providerError } from "../providers/shared/errors";
import { openTranslatedStream, StreamTranslationError } from "../providers/shared/stream";
import type { AdapterContext, EndpointHandler, PassthroughHandler, UpstreamFailure, UpstreamRequest } from "../core/provider";
import type { BilledUnits, LlmCall } from "../core/call";
import { ENDPOINTS } from "../core/endpoints";
import { meter } from "../core/units";
import { originFetch } from "../core/origin";

export type UpstreamResult =
  | {
      kind: "json";
      body: { usage?: Partial<Usage> };
      usage?: Usage;
      /** The upstream's own text of `body`, when the answer is exactly what it sent (no translation): sent as is, not re-serialised. Drop it when changing `body`. */
      text?: string;
      /** Set when the answer is not JSON (a transcript as text, srt or vtt): `text` goes out with this type. */
      contentType?: string;
      units?: BilledUnits;
    }
  | { kind: "stream"; body: ReadableStream<Uint8Array> }
  /** Bytes passed through as they come (speech audio); the call ends when they have all gone out. */
  | { kind: "binary"; body: ReadableStream<Uint8Array>; contentType: string; units?: BilledUnits; usage?: Usage };

export interface AttemptOptions {
  /** Whole-request limit for non-streaming calls, ms. */
  timeoutMs: number;
  /** Limit on time to the first chunk for streaming calls, ms. */
  streamTimeoutMs: number;
  /** litellm_settings.drop_params (or the request's own drop_params). */
  dropParams: boolean;
  /** The body to send instead of the request's (a per-request fallback entry that changes params). */
  body?: LlmCall["request"]["body"];
}

const MAX_ERROR_BODY = 64 * 1024;

/** Refuses (or, with drop_params, removes) params the provider cannot honour. */
function checkParams<T extends Record<string, unknown>>(body: T, handler: EndpointHandler<never, unknown>, dropParams: boolean, provider: string): T {
  const supported = handler.supportedParams;
  if (!supported) return body;
  let out: T | undefined;
  for (const key of Object.keys(body)) {
    if (supported.has(key) || GATEWAY_PARAMS.has(key) || body[key] === undefined || body[key] === null) continue;
    if (!dropParams) {
      throw new GatewayError(400, "bad_request", `${provider} does not support parameter '${key}'. To drop unsupported params set litellm_settings.drop_params: true (or "drop_params": true in the request).`, { param: key, type: "UnsupportedParamsError" });
    }
    out ??= { ...body };
    delete out[key];
  }
  return out ?? body;
}

/** The usage of an answer that could not be translated, if it is in OpenAI's place and shape. */
function openAIUsageOf(json: unknown): Usage | undefined {
  const u = (json as { usage?: Partial<Usage> } | null)?.usage;
  return u && typeof u.prompt_tokens === "number" ? normaliseUsage(u) : undefined;
}

function normaliseUsage(u: Partial<Usage> | undefined): Usage | undefined {
  if (!u) return undefined;
  const prompt = u.prompt_tokens ?? 0;
  const completion = u.completion_tokens ?? 0;
  return { ...u, prompt_tokens: prompt, completion_tokens: completion, total_tokens: u.total_tokens ?? prompt + completion } as Usage;
}

/** Sends one upstream request: the adapter's own transport, a VPC/service binding, or fetch. */
export function send(req: UpstreamRequest, ctx: AdapterContext, signal: AbortSignal): Promise<Response> {
  const { adapter } = ctx.deployment;
  if (adapter.send) return adapter.send(req, ctx, signal);
  // A vpc_binding reaches a private origin (e.g. Ollama behind a Tunnel) without a public hostname.
  return originFetch(ctx.deployment, ctx.env)(req.url, { method: req.method ?? "POST", headers: req.headers, body: req.body, signal });
}

/**
 * The signal an attempt's fetch gets: aborted by the client going away or by the attempt's time limit
 * (for a stream, its first chunk's), until cleared. A controller and a timer: AbortSignal.timeout/any
 * measured slower here (bench/ab.ts, +0.08 ms p50), and a stream's timer must be cleared anyway.
 */
function attemptDeadline(client: AbortSignal, limitMs: number): { signal: AbortSignal; timedOut(): boolean; clear(): void } {
  const controller = new AbortController();
  const onClientAbort = () => controller.abort(client.reason);
  client.addEventListener("abort", onClientAbort);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("upstream timeout", "TimeoutError"));
  }, limitMs);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    clear() {
      clearTimeout(timer);
      client.removeEventListener("abort", onClientAbort);
    },
  };
}

/**
 * The adapter's reading of an error answer. Should the adapter itself trip on a body of a shape it did
 * not expect, the answer still becomes the upstream's error (its message kept, counted for cooldowns),
 * never the gateway's own "internal error".
 */
function upstreamError(failure: UpstreamFailure, ctx: AdapterContext): GatewayError {
  try {
    const error = ctx.deployment.adapter.mapError(failure, ctx);
    if (error instanceof GatewayError) return error;
  } catch (err) {
    console.warn(`[gateway] ${ctx.deployment.provider} error body not understood (${(err as Error).message}); using its text`);
  }
  return providerError(failure, ctx, { message: failureMessage(failure) });
}

/** Calls one deployment. Throws GatewayError on any failure before the response (or first chunk) is ready. */
export async function callDeployment(call: LlmCall, deployment: Deployment, env: Env, options: AttemptOptions): Promise<UpstreamResult> {
  if (deployment.misconfigured) throw new GatewayError(500, "server", deployment.misconfigured);
  const { endpoint } = call.request;
  const body = options.body ?? call.request.body;
  const { client } = call;
  // A client speaking this provider's own API (Anthropic's /v1/messages -> anthropic/) skips translation.
  const passthrough: PassthroughHandler | undefined = client && (client.native?.(deployment) ?? true) ? deployment.adapter.passthrough?.[client.api] : undefined;
  const handler = deployment.adapter[endpoint] as EndpointHandler<never, unknown> | undefined;
  if (!handler && !passthrough) throw badRequest(`${deployment.provider} models do not support ${ENDPOINTS[endpoint].path}`, "model");
  const needs = client?.needsPassthrough;
  if (needs && !passthrough) throw typeof needs === "string" ? badRequest(`${needs}, which ${deployment.provider} deployments cannot serve`) : needs;
  const streaming = call.stream;
  if (streaming && !passthrough && !handler!.stream) throw badRequest(`${deployment.provider} does not support streaming for ${ENDPOINTS[endpoint].path}`, "stream");

  const ctx: AdapterContext = { deployment, env, callId: call.id, stream: streaming };
  const payload = passthrough ? body : checkParams(body as Record<string, unknown>, handler!, options.dropParams, deployment.provider);
  const req = passthrough ? await passthrough.buildRequest(client!, ctx) : await handler!.buildRequest(payload as never, ctx);
  call.deployment = deployment;
  call.apiBase = apiBaseForDisplay(req.url);

  const limitMs = streaming ? options.streamTimeoutMs : options.timeoutMs;
  const deadline = attemptDeadline(call.signal, limitMs);
  const started = Date.now();
  const timeoutError = () =>
    new GatewayError(408, "timeout", `${deployment.provider} did not answer within ${limitMs / 1000}s (${streaming ? "stream_timeout" : "timeout"})`, { upstream: true });

  try {
    let res: Response;
    try {
      res = await send(req, ctx, deadline.signal);
    } catch (err) {
      if (deadline.timedOut()) throw timeoutError();
      if (call.signal.aborted) throw new GatewayError(499, "bad_request", "Client closed the request");
      if (err instanceof GatewayError) throw err;
      throw new GatewayError(500, "server", `Could not reach ${deployment.provider} at ${call.apiBase} (connection failed)`, { upstream: true });
    }

    if (!res.ok) {
      const text = await readCapped(res.body, MAX_ERROR_BODY).then(({ bytes }) => new TextDecoder().decode(bytes)).catch(() => "");
      throw upstreamError({ status: res.status, headers: res.headers, text }, ctx);
    }
    call.upstreamRemaining = remainingLimits(res.headers);

    if (streaming) {
      if (!res.body) throw new GatewayError(502, "server", `${deployment.provider} sent an empty stream`, { upstream: true });
      const streamHandler = passthrough?.stream ?? handler!.stream!;
      const translator = streamHandler.translator(ctx, payload as never);
      const opening = openTranslatedStream(res.body, streamHandler.decoder, translator, {
        includeUsage: call.includeUsage,
        chunkObject: endpoint === "chat" ? "chat.completion.chunk" : "text_completion",
        format: client?.streamFormat(!!passthrough),
        usageCost: call.usageCost && ((usage) => call.usageCost!(normaliseUsage(usage)!, deployment)),
        onEnd: (outcome) =>
          call.finish({
            status: outcome.status,
            httpStatus: outcome.status === "undelivered" ? (outcome.error?.status ?? 500) : 200,
            usage: normaliseUsage(outcome.usage),
            generatedChars: outcome.generatedChars,
            error: outcome.error,
          }),
      });
      const stream = await opening.catch((err) => {
        // The upstream answered (and charges): a translation failure is the call's end, never a retry.
        if (err instanceof StreamTranslationError) call.upstreamAnswered = {};
        throw err;
      });
      return { kind: "stream", body: stream };
    }

    const answer = handler?.answer;
    const type = res.headers.get("content-type") ?? "";
    if (answer === "binary" && !passthrough) {
      if (!res.body) throw new GatewayError(502, "server", `${deployment.provider} sent an empty answer`, { upstream: true });
      return { kind: "binary", body: res.body, contentType: type || "application/octet-stream", ...meter(call.request, undefined) };
    }
    if (answer === "text" && !/json/i.test(type)) {
      const body = await res.text();
      return { kind: "json", body: {}, text: body, contentType: type || "text/plain", ...meter(call.request, body) };
    }

    let text: string;
    let json: unknown;
    try {
      text = await res.text();
      json = JSON.parse(text);
    } catch {
      if (deadline.timedOut()) throw timeoutError();
      throw new GatewayError(502, "server", `${deployment.provider} sent a response that is not JSON`, { upstream: true });
    }
    try {
      if (passthrough) return { kind: "json", body: json as object, usage: passthrough.usage(json), text };
      const parsed = handler!.parseResponse(json, ctx, payload as never) as { usage?: Partial<Usage> };
      const encoded = endpoint === "embedding" && call.request.body.encoding_format === "base64" && encodeEmbeddings(parsed as EmbeddingResponse);
      const metered = meter(call.request, parsed);
      // Endpoints metered by units read their tokens themselves (images and transcripts report them in other shapes).
      const usage = metered.units || metered.usage ? metered.usage : normaliseUsage(parsed.usage);
      if (client) return { kind: "json", body: client.fromOpenAI(parsed as never), usage };
      // An adapter that returns the upstream's JSON itself says it is OpenAI's already (openai/, azure/, ...).
      return { kind: "json", body: parsed, usage, units: metered.units, text: parsed === json && !encoded ? text : undefined };
    } catch (err) {
      if (err instanceof GatewayError) throw err; // the adapter's verdict on the answer (an in-band error, a refusal)
      // The gateway failed on an answer the upstream charged for: say so, and never pay for it again by retrying.
      call.upstreamAnswered = { usage: openAIUsageOf(json) };
      console.error(`[router] could not read ${deployment.provider}'s answer: ${logText(String(err))}`);
      throw new GatewayError(500, "server", `Internal error in the gateway while reading ${deployment.provider}'s answer`);
    }
  } catch (err) {
    if (deadline.timedOut() && !(err instanceof GatewayError)) throw timeoutError();
    if (call.signal.aborted || err instanceof GatewayError) throw err;
    // The stream's connection dropped before its first chunk: an upstream failure (it counts toward cooldowns).
    if (streaming) throw new GatewayError(502, "server", `${deployment.provider}: the upstream connection was lost before the first chunk`, { upstream: true });
    throw err;
  } finally {
    deadline.clear();
    call.upstreamMs += Date.now() - started;
  }
}

/** OpenAI-style x-ratelimit-remaining-{requests,tokens} (LiteLLM's litellm_remaining_*_metric), when sent. */
function remainingLimits(headers: Headers): LlmCall["upstreamRemaining"] {
  const requests = headers.get("x-ratelimit-remaining-requests");
  const tokens = headers.get("x-ratelimit-remaining-tokens");
  if (requests === null && tokens === null) return undefined;
  return { requests: requests === null ? undefined : Number(requests), tokens: tokens === null ? undefined : Number(tokens) };
}

/**
 * OpenAI's `encoding_format: "base64"` (the openai SDK's default): little-endian float32 bytes in base64.
 * Providers that only return float arrays get them encoded here, once for all adapters. True if any was.
 */
function encodeEmbeddings(res: EmbeddingResponse): boolean {
  let changed = false;
  for (const item of res.data) {
    if (typeof item.embedding === "string") continue;
    changed = true;
    const bytes = new Uint8Array(new Float32Array(item.embedding).buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    item.embedding = btoa(binary);
  }
  return changed;
}
