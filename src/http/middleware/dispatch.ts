// The last step of the LLM request path: routes the call upstream (retries, fallbacks) and answers
// with JSON or an SSE stream, with LiteLLM's success headers.
import type { MiddlewareHandler } from "hono";
import type { CallOutcome, LlmCall } from "../../core/call";
import type { GatewayEnv } from "../../core/hono-env";
import { toGatewayError } from "../../errors";
import { headerValue } from "../../lib/safe-text";
import { routeCall } from "../../router";
import type { UpstreamResult } from "../../router/attempt";

/**
 * LiteLLM's success headers, those middleware added to call.headers and those of its onAnswer hooks,
 * as one plain object: the runtime takes it in a single call where setting headers on a Response
 * would cost one call per header. `ending`: how a JSON call ends once this answer is out (its cost is
 * known). Names that came from the client (a wildcard group is the requested name) are made header-safe.
 */
export function successHeaders(call: LlmCall, contentType: string, ending?: CallOutcome): Record<string, string> {
  const duration = Date.now() - call.startedAt;
  const h: Record<string, string> = { ...call.headers };
  h["content-type"] = contentType;
  h["x-litellm-call-id"] = call.id;
  // The group that answered: a fallback group after fallbacks.
  h["x-litellm-model-group"] = headerValue(call.deployment?.modelName ?? call.group.name);
  if (call.deployment) h["x-litellm-model-id"] = headerValue(call.deployment.id);
  if (call.apiBase) h["x-litellm-model-api-base"] = headerValue(call.apiBase);
  h["x-litellm-response-duration-ms"] = String(duration);
  h["x-litellm-overhead-duration-ms"] = String(Math.max(0, duration - call.upstreamMs));
  h["x-litellm-attempted-retries"] = String(call.attemptedRetries);
  h["x-litellm-attempted-fallbacks"] = String(call.attemptedFallbacks);
  call.answer(h, ending);
  return h;
}

/**
 * Routes the call upstream (or takes the answer the cache found) and answers with JSON, an SSE stream or
 * binary (speech audio); a failure ends the call in readCall. A JSON call ends when its answer is built;
 * if building it fails, the upstream has answered (and charged) all the same, so the call ends
 * "undelivered" with the upstream's usage, and a stream is cancelled so its end says the same.
 */
export const dispatchCall: MiddlewareHandler<GatewayEnv> = async (c) => {
  const call = c.var.call;
  const result = call.cacheHit ?? (await routeCall(call, c.var.runtime, c.env));
  try {
    if (result.kind === "stream") {
      const headers = successHeaders(call, "text/event-stream");
      headers["cache-control"] = "no-cache";
      return new Response(result.body, { headers });
    }
    if (result.kind === "binary") return binaryResponse(call, result);
    const ending = call.ending({ status: "ok", httpStatus: 200, usage: result.usage, units: "units" in result ? result.units : undefined });
    const contentType = ("contentType" in result && result.contentType) || "application/json";
    const response = new Response(result.text ?? JSON.stringify(result.body), { headers: successHeaders(call, contentType, ending) });
    call.finish(ending);
    return response;
  } catch (err) {
    const error = toGatewayError(err);
    call.upstreamAnswered = { usage: result.kind === "json" ? result.usage : undefined };
    // The stream's own end (with the text generated so far) settles the call: cancelled with an error, it says "undelivered".
    if (result.kind === "stream" || result.kind === "binary") result.body.cancel(error).catch(() => {});
    else call.fail(error);
    throw err;
  }
};

/** Binary answers pass through chunk by chunk, never held: the call ends with the last byte sent, or when the client leaves. */
function binaryResponse(call: LlmCall, result: Extract<UpstreamResult, { kind: "binary" }>): Response {
  const { usage, units } = result;
  const reader = result.body.getReader();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (!done) return controller.enqueue(value);
          controller.close();
          call.finish({ status: "ok", httpStatus: 200, usage, units });
        } catch (err) {
          controller.error(err);
          call.finish({ status: "error", httpStatus: 502, usage, units, error: toGatewayError(err) });
        }
      },
      cancel(reason) {
        call.finish({ status: "aborted", httpStatus: 200, usage, units });
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { headers: successHeaders(call, result.contentType) });
}
