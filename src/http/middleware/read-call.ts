// Reads an LLM request into c.var.call, and ends the call if anything after it fails; then LiteLLM's
// 403 when the caller may not use the model. The chain itself is listed in src/http/routes/llm.ts.
import { createMiddleware } from "hono/factory";
import type { Context, MiddlewareHandler } from "hono";
import type { z } from "zod";
import { LlmCall, type ClientApi, type LlmRequest } from "../../core/call";
import type { GatewayEnv } from "../../core/hono-env";
import type { ModelGroup } from "../../core/provider";
import { mayUse, modelAccessDenied } from "../../core/principal";
import { checkKey, principalOf } from "../../keys/lookup";
import { maxBodyBytes, resolveGroup } from "../../config/runtime";
import { toGatewayError } from "../../errors";
import { audioSeconds } from "../../lib/audio";
import { readFormBody, readJsonBody } from "../../lib/body";
import { invalidRequest } from "../../lib/zod-issues";
import { ENDPOINTS, multipart } from "../../core/endpoints";

/** The request's JSON body, validated by `schema`; LiteLLM's 400 naming the bad field otherwise. */
export async function readValidBody<S extends z.ZodType>(req: Request, maxBytes: number, schema: S): Promise<z.infer<S>> {
  const parsed = schema.safeParse(await readJsonBody(req, maxBytes));
  if (!parsed.success) throw invalidRequest(parsed.error);
  return parsed.data;
}

/** What a read step makes of the request: the call's OpenAI-form request, its model name, and the client API if not OpenAI's. */
export interface ReadRequest {
  request: LlmRequest;
  model: string;
  client?: ClientApi;
  /** The group to route in, when the read step resolved (and narrowed) it itself. */
  group?: ModelGroup;
}

/**
 * The step that creates c.var.call from `read`. It owns the call's end on failure: whatever fails
 * after the call exists (a refusal, an upstream error, a bad fallback) ends it here, once. A JSON
 * answer is ended by dispatchCall, a stream by its last chunk (or the client leaving).
 */
export const readCall = (read: (c: Parameters<MiddlewareHandler<GatewayEnv>>[0]) => Promise<ReadRequest>) =>
  createMiddleware<GatewayEnv>(async (c, next) => {
    const { request, model, client, group: narrowed } = await read(c);
    const group = narrowed ?? c.var.runtime.resolveModel(model) ?? (await groupInNewest(c, model));
    const call = new LlmCall(c.var.callId, request, group, c.var.principal, c.req.raw.signal, client);
    c.set("call", call);
    await next();
    if (c.error) call.fail(toGatewayError(c.error));
  });

/**
 * A name this isolate does not know may be a model another isolate stored a moment ago: with stored models on,
 * ask D1 (at most once per refresh interval) and carry on in the newest Runtime; else LiteLLM's 400.
 */
export async function groupInNewest(c: Context<GatewayEnv>, model: string): Promise<ModelGroup> {
  const newest = await c.var.runtime.newest?.();
  if (newest) c.set("runtime", newest);
  return resolveGroup(c.var.runtime, model);
}

/** Reads an OpenAI-format request for one endpoint (chat, completion, embedding). */
export const readLlmCall = (endpoint: LlmRequest["endpoint"]) =>
  readCall(async (c) => {
    const max = maxBodyBytes(c.var.runtime);
    // An upload (audio) comes as a multipart form, never held past the body cap.
    const raw = multipart(endpoint) ? await readFormBody(c.req.raw, max) : await readJsonBody(c.req.raw, max);
    const pathModel = c.req.param("deployment");
    if (pathModel) raw.model = pathModel; // Azure-style /openai/deployments/{model}/...
    const parsed = ENDPOINTS[endpoint].schema.safeParse(raw);
    if (!parsed.success) throw invalidRequest(parsed.error);
    const request = { endpoint, body: parsed.data } as LlmRequest;
    if (request.endpoint === "transcription" || request.endpoint === "translation") request.audioSeconds = await audioFileSeconds(request.body.file);
    return { request, model: (parsed.data as { model: string }).model };
  });

/** An uploaded audio file's length from its header (src/lib/audio.ts), when its format tells. */
async function audioFileSeconds(file: File): Promise<number | undefined> {
  const head = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer());
  return audioSeconds(head, file.size);
}

/**
 * LiteLLM's 403 when a key's model list does not cover the requested model, decided before any limit
 * or budget. A list cached in this isolate may be older than a /key/update made elsewhere: before
 * refusing from it, the key's guard is asked for the current one (a key not cached here is checked by
 * its guard during admission, models first).
 */
export const authorizeModel = createMiddleware<GatewayEnv>(async (c, next) => {
  const { call, principal } = c.var;
  if (!mayUse(principal, call.group)) {
    if (principal.kind === "virtual_key" && principal.key) Object.assign(principal, principalOf(await checkKey(c.env, principal.token!)));
    if (!mayUse(principal, call.group)) throw modelAccessDenied(principal, call.group);
  }
  await next();
});
