// The last step of the LLM request path: routes the call upstream (retries, fallbacks) and answers
// with JSON or an SSE stream, with LiteLLM's success headers.
import type { MiddlewareHandler } from "hono";
import type { LlmCall } from "../../core/call";
import type { GatewayEnv } from "../../core/hono-env";
import { toGatewayError } from "../../errors";
import { routeCall } from "../../router";

/**
 * LiteLLM's success headers, those middleware added to call.headers and those of its onAnswer hooks,
 * as one plain object: the runtime takes it in a single call where setting headers on a Response
 * would cost one call per header. A JSON call is finished before this runs (its cost is known).
 */
export function successHeaders(call: LlmCall, contentType: string): Record<string, string> {
  const duration = Date.now() - call.startedAt;
  const h: Record<string, string> = { ...call.headers };
  h["content-type"] = contentType;
  h["x-litellm-call-id"] = call.id;
  // The group that answered: a fallback group after fallbacks.
  h["x-litellm-model-group"] = call.deployment?.modelName ?? call.group.name;
  if (call.deployment) h["x-litellm-model-id"] = call.deployment.id;
  if (call.apiBase) h["x-litellm-model-api-base"] = call.apiBase;
  h["x-litellm-response-duration-ms"] = String(duration);
  h["x-litellm-overhead-duration-ms"] = String(Math.max(0, duration - call.upstreamMs));
  h["x-litellm-attempted-retries"] = String(call.attemptedRetries);
  h["x-litellm-attempted-fallbacks"] = String(call.attemptedFallbacks);
  call.answer(h);
  return h;
}

/** Routes the call upstream and answers with JSON or an SSE stream (a failure ends the call in readCall). */
export const dispatchCall: MiddlewareHandler<GatewayEnv> = async (c) => {
  const call = c.var.call;
  const result = await routeCall(call, c.var.runtime, c.env);
  if (result.kind === "stream") {
    const headers = successHeaders(call, "text/event-stream");
    headers["cache-control"] = "no-cache";
    return new Response(result.body, { headers });
  }
  if (result.kind === "binary") {
    // Passed through chunk by chunk, never held: the call ends with the last byte sent, or when the client leaves.
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
  call.finish({ status: "ok", httpStatus: 200, usage: result.usage, units: result.units });
  return new Response(result.text ?? JSON.stringify(result.body), { headers: successHeaders(call, result.contentType ?? "application/json") });
};
