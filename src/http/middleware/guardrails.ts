// The guardrails step of the LLM request path, right after authorizeModel, before the cache and the
// limits. The engine in src/guardrails/ (see its README) does the work; this step calls it:
//   before the call  picks the call's guardrails (default_on, the request's, the key's and team's);
//                    pre_call: a block is answered at once (400, logged as "blocked", cost 0) and
//                    nothing reaches the upstream; masked texts replace what is sent upstream;
//                    third-party during_call checks start, in parallel with the upstream call;
//   after it         during_call is awaited before the answer is released; post_call checks a JSON
//                    answer; a streamed answer is checked across chunks as it goes out
//                    (src/guardrails/sse.ts); a refused answer ends the call as blocked (not charged).
// Answers are checked here, outside the cache, on purpose: a cached answer is checked too (and
// unmasked with this call's own values), and the cache never holds text unmasked for another caller.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { LlmCall } from "../../core/call";
import type { GatewayEnv } from "../../core/hono-env";
import { guardrailsOf } from "../../config/guardrails";
import { GatewayError } from "../../errors";
import type { CallGuardrails } from "../../guardrails/engine";
import { GuardrailViolation } from "../../guardrails/errors";
import { withoutGuardrailFields } from "../../guardrails/select";
import { guardSseStream } from "../../guardrails/sse";
import { keyConfigNow } from "./auth";
import { fromAnthropicRequest } from "../../providers/anthropic/client";
import type { MessagesRequest } from "../../schema/anthropic";
import { settleUnreserved } from "../../limits/settle";

type Json = Record<string, unknown>;

export const APPLIED_GUARDRAILS_HEADER = "x-litellm-applied-guardrails";

export const applyGuardrails = createMiddleware<GatewayEnv>(async (c, next) => {
  const { call } = c.var;
  const engine = guardrailsOf(c.var.runtime);
  // An Anthropic client's own body is what an anthropic/ deployment receives: that is the one checked.
  const asked = (call.client?.body ?? call.request.body) as Json;
  const body = call.client ? withoutGuardrailFields(asked) : asked;
  if (body !== asked) sendInstead(call, body, false);
  // The key's and its team's guardrails: only when guardrails are configured is an unseen key checked this early.
  const key = engine.guardrails.length ? await keyConfigNow(c) : undefined;
  const guards = engine.forCall(asked, { key: key?.guardrails }, call.signal);
  if (!guards) return next();
  call.headers[APPLIED_GUARDRAILS_HEADER] = guards.applied.join(",");

  let sent: Json;
  try {
    sent = await guards.preCall(body);
  } catch (err) {
    if (err instanceof GuardrailViolation) logBlocked(c);
    throw err;
  }
  if (sent !== body) sendInstead(call, sent, true);
  const during = guards.duringCall(sent);
  during?.catch(() => {}); // awaited after the upstream call; until then a rejection is not unhandled

  const release = call.holdEnd();
  let handedToStream = false;
  let refusal: GatewayError | undefined;
  try {
    await next();
    if (c.error || !c.res.ok) return;
    try {
      await during;
    } catch (err) {
      await c.res.body?.cancel().catch(() => {});
      throw err;
    }
    if (call.stream) {
      const guard = guards.streamGuard();
      if (guard && c.res.body) {
        c.res = new Response(guardSseStream(c.res.body, guard, call.client ? "anthropic" : "openai", release), c.res);
        handedToStream = true;
      }
    } else if (guards.hasPostCall && call.endpoint !== "embedding") {
      c.res = await checkedJson(c.res, guards);
    }
    // An answer that did not come with the call's headers (a cache hit) gets it here.
    if (!c.res.headers.has(APPLIED_GUARDRAILS_HEADER)) c.res.headers.set(APPLIED_GUARDRAILS_HEADER, call.headers[APPLIED_GUARDRAILS_HEADER]);
  } catch (err) {
    if (err instanceof GatewayError) refusal = err;
    // The refusal replaces the answer: drop it first, or the error response would inherit its headers (cost, model).
    c.res = undefined;
    throw err;
  } finally {
    if (!handedToStream) release(refusal);
  }
});

/**
 * Sends `body` upstream instead of what the client sent. For an Anthropic client it is the client's
 * own body (what a passthrough sends); a masked one also becomes the call's OpenAI form.
 */
function sendInstead(call: LlmCall, body: Json, masked: boolean): void {
  if (!call.client) {
    (call.request as { body: Json }).body = body;
    return;
  }
  // The client object is the call's own, made per request (providers/anthropic/client.ts).
  Object.assign(call.client, { body });
  if (masked) (call.request as { body: Json }).body = fromAnthropicRequest(body as MessagesRequest);
}

/** post_call on a JSON answer: the answer as checked (masked, unmasked), or the refusal thrown. */
async function checkedJson(res: Response, guards: CallGuardrails): Promise<Response> {
  const text = await res.text();
  let answer: Json;
  try {
    answer = JSON.parse(text) as Json;
  } catch {
    return new Response(text, res);
  }
  const checked = await guards.postCall(answer);
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  return new Response(checked === answer ? text : JSON.stringify(checked), { status: res.status, headers });
}

/** A call refused before admission still gets its spend log row: status "blocked", cost 0, no prompt kept. */
function logBlocked(c: Context<GatewayEnv>): void {
  c.executionCtx.waitUntil(settleUnreserved(c.env, c.var.call, c.var.principal, c.var.runtime));
}
