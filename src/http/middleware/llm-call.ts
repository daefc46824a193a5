// The LLM request path, as Hono middleware (the chain itself is listed in src/routes/llm.ts):
//   authenticate -> readLlmCall -> authorizeModel -> [feature middleware] -> dispatchCall
// Features that act around an upstream call (limits and spend, cache, guardrails, logging) are
// middleware placed before dispatchCall: they act before the call, and after `await next()` they
// may add headers to c.res and schedule work on `c.var.call.done` (which, for a stream, settles
// when the last chunk was sent or the client went away).
import { createMiddleware } from "hono/factory";
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { GatewayEnv } from "../app";
import type { Principal } from "../../core/principal";
import type { ModelGroup, Runtime } from "../../config/runtime";
import { GatewayError, toGatewayError } from "../../errors";
import { readJsonBody } from "../../lib/body";
import { chatRequestSchema, completionRequestSchema, embeddingRequestSchema } from "../../schema/openai";
import { routeCall } from "../../router";
import { LlmCall, type LlmRequest } from "../../core/call";

const DEFAULT_MAX_BODY_MB = 4;

const schemas = { chat: chatRequestSchema, completion: completionRequestSchema, embedding: embeddingRequestSchema } as const;

export function validationError(error: z.ZodError): GatewayError {
  const issue = error.issues[0];
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : "";
  return new GatewayError(400, "bad_request", `Invalid request: ${path ? `${path}: ` : ""}${issue.message}${more}`, { param: path || null });
}

/** The names a caller may use, for error messages and /v1/models. */
export function visibleModels(runtime: Runtime, principal: Principal): string[] {
  return [...runtime.groups.values()].filter((g) => mayUse(principal, g)).map((g) => g.name);
}

export function mayUse(principal: Principal, group: ModelGroup): boolean {
  const allowed = principal.models;
  if (!allowed || allowed.length === 0) return true;
  if (allowed.includes(group.name) || allowed.includes("*") || allowed.includes("all-proxy-models")) return true;
  return group.deployments.some((d) => d.info.access_groups?.some((g) => allowed.includes(g)));
}

/** The largest request body accepted (general_settings.max_request_size_mb). */
export const maxBodyBytes = (runtime: Runtime) => (runtime.config.general_settings.max_request_size_mb ?? DEFAULT_MAX_BODY_MB) * 1024 * 1024;

/** The model group for a requested name, or LiteLLM's 400. */
export function resolveGroup(runtime: Runtime, model: string): ModelGroup {
  const group = runtime.resolveModel(model);
  if (!group) {
    throw new GatewayError(
      400,
      "bad_request",
      `Invalid model name passed in model=${model}. Call \`/v1/models\` to view available models for your key.`,
      { param: "model" },
    );
  }
  return group;
}

/** Reads, validates and resolves the request into c.var.call. */
export const readLlmCall = (endpoint: LlmRequest["endpoint"]) =>
  createMiddleware<GatewayEnv>(async (c, next) => {
    const runtime = c.get("runtime");
    const raw = await readJsonBody(c.req.raw, maxBodyBytes(runtime));
    const pathModel = c.req.param("deployment");
    if (pathModel) raw.model = pathModel; // Azure-style /openai/deployments/{model}/...
    const parsed = schemas[endpoint].safeParse(raw);
    if (!parsed.success) throw validationError(parsed.error);
    const group = resolveGroup(runtime, parsed.data.model);
    const request = { endpoint, body: parsed.data } as LlmRequest;
    c.set("call", new LlmCall(c.get("callId"), request, group, c.get("principal"), c.req.raw.signal));
    await next();
  });

/** LiteLLM's 403 when a key's model list does not cover the requested model. */
export const authorizeModel = createMiddleware<GatewayEnv>(async (c, next) => {
  const call = c.get("call");
  const principal = c.get("principal");
  if (!mayUse(principal, call.group)) {
    throw new GatewayError(
      403,
      "permission",
      `key not allowed to access model. This key can only access models=${JSON.stringify(principal.models)}. Tried to access ${call.group.name}`,
      { type: "key_model_access_denied", param: "model" },
    );
  }
  await next();
});

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

/** Routes the call upstream and answers with JSON or an SSE stream. */
export const dispatchCall: MiddlewareHandler<GatewayEnv> = async (c) => {
  const call = c.get("call");
  let result;
  try {
    result = await routeCall(call, c.get("runtime"), c.env);
  } catch (err) {
    const error = toGatewayError(err);
    call.finish({ status: call.signal.aborted ? "aborted" : "error", httpStatus: error.status, error });
    throw error;
  }
  if (result.kind === "stream") {
    const headers = successHeaders(call, "text/event-stream");
    headers["cache-control"] = "no-cache";
    return new Response(result.body, { headers });
  }
  call.finish({ status: "ok", httpStatus: 200, usage: result.usage });
  return new Response(result.text ?? JSON.stringify(result.body), { headers: successHeaders(call, "application/json") });
};
