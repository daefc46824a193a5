// Anthropic's native endpoints, for Claude Code and the Anthropic SDKs:
//   POST /v1/messages               Anthropic request in, Anthropic response or SSE events out
//   POST /v1/messages/count_tokens  {input_tokens}: Anthropic's own count for anthropic/ deployments, else an estimate
// The request becomes an ordinary OpenAI-form chat call on the shared chain (llmChain), so keys,
// limits, spend and routing apply as on /v1/chat/completions. An anthropic/ deployment receives the
// client's body as is (passthrough); any other gets the OpenAI form, and its answer is translated back.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { z } from "zod";
import type { GatewayEnv } from "../app";
import { authenticate } from "../middleware/auth";
import { fromAnthropicRequest, passthroughOnly } from "../../providers/anthropic/request";
import { toAnthropicMessage } from "../../providers/anthropic/response";
import { anthropicErrorBody, countTokensRequestSchema, type MessagesRequest, messagesRequestSchema } from "../../schema/anthropic";
import { anthropicClientFormat, anthropicPassthroughFormat } from "../../providers/anthropic/stream";
import { GatewayError, toGatewayError } from "../../errors";
import { readCapped, readJsonBody } from "../../lib/body";
import { estimateChatPromptTokens, estimateTokens } from "../../lib/tokens";
import { anthropicTarget, mapAnthropicError } from "../../providers/anthropic/adapter";
import type { AdapterContext } from "../../core/provider";
import { type ClientApi, LlmCall } from "../../core/call";
import { authorizeModel, maxBodyBytes, resolveGroup, validationError } from "../middleware/llm-call";
import { llmChain } from "./llm";

/** Headers an Anthropic client sends that an anthropic/ deployment must see. */
const FORWARDED_HEADERS = ["anthropic-version", "anthropic-beta"] as const;

function anthropicClient(req: MessagesRequest, headers: Headers, estimatedInputTokens: number): ClientApi {
  const forwarded: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = headers.get(name);
    if (value) forwarded[name] = value;
  }
  return {
    api: "anthropic",
    body: req,
    headers: forwarded,
    needsPassthrough: passthroughOnly(req),
    fromOpenAI: toAnthropicMessage,
    streamFormat: (passthrough) => (passthrough ? anthropicPassthroughFormat : anthropicClientFormat(req.model, estimatedInputTokens)),
  };
}

async function readAnthropicBody<S extends z.ZodType>(c: { req: { raw: Request }; var: GatewayEnv["Variables"] }, schema: S): Promise<z.infer<S>> {
  const raw = await readJsonBody(c.req.raw, maxBodyBytes(c.var.runtime));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

/** Reads an Anthropic request into c.var.call (endpoint "chat", body in OpenAI form, client = Anthropic). */
const readMessagesCall = createMiddleware<GatewayEnv>(async (c, next) => {
  const req = await readAnthropicBody(c, messagesRequestSchema);
  const group = resolveGroup(c.get("runtime"), req.model);
  const body = fromAnthropicRequest(req);
  const client = anthropicClient(req, c.req.raw.headers, estimateChatPromptTokens(body));
  c.set("call", new LlmCall(c.get("callId"), { endpoint: "chat", body }, group, c.get("principal"), c.req.raw.signal, client));
  await next();
});

const COUNT_TIMEOUT_MS = 30_000;

/** Anthropic's exact count from the first anthropic/ deployment of the group, else the gateway's estimate. */
const countTokens = createMiddleware<GatewayEnv>(async (c) => {
  const call = c.get("call");
  const client = call.client!;
  const deployment = call.group.deployments.find((d) => d.provider === "anthropic");
  if (!deployment) {
    const body = call.request.body as Parameters<typeof estimateChatPromptTokens>[0] & { tools?: unknown[] };
    const tools = body.tools?.length ? estimateTokens(JSON.stringify(body.tools)) : 0;
    return c.json({ input_tokens: estimateChatPromptTokens(body) + tools });
  }
  const ctx: AdapterContext = { deployment, env: c.env, callId: call.id, stream: false };
  const target = anthropicTarget("/v1/messages/count_tokens", ctx, client);
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: "POST",
      headers: target.headers,
      body: JSON.stringify({ ...client.body, model: deployment.model }),
      signal: AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(COUNT_TIMEOUT_MS)]),
    });
  } catch {
    throw new GatewayError(502, "server", "Could not reach anthropic to count tokens", { upstream: true });
  }
  const text = new TextDecoder().decode((await readCapped(res.body, 64 * 1024)).bytes);
  if (!res.ok) throw mapAnthropicError({ status: res.status, headers: res.headers, text }, ctx);
  return c.body(text, 200, { "content-type": "application/json" });
});

const readCountTokensCall = createMiddleware<GatewayEnv>(async (c, next) => {
  const req = await readAnthropicBody(c, countTokensRequestSchema);
  const group = resolveGroup(c.get("runtime"), req.model);
  const client = anthropicClient(req as MessagesRequest, c.req.raw.headers, 0);
  // A call object only so that authorizeModel applies; nothing is dispatched or billed.
  c.set("call", new LlmCall(c.get("callId"), { endpoint: "chat", body: fromAnthropicRequest(req as MessagesRequest) }, group, c.get("principal"), c.req.raw.signal, client));
  await next();
});

export const messagesRoutes = new Hono<GatewayEnv>();

messagesRoutes.post("/v1/messages", ...llmChain(readMessagesCall));
messagesRoutes.post("/v1/messages/count_tokens", authenticate, readCountTokensCall, authorizeModel, countTokens);

// Anthropic clients get errors in Anthropic's shape (the SDKs read error.type), same statuses.
messagesRoutes.onError((err, c) => {
  const error = toGatewayError(err);
  if (!(err instanceof GatewayError)) console.error(`[${c.get("callId")}] internal error: ${err.name}: ${err.message}`);
  const headers = new Headers({ "content-type": "application/json", "x-litellm-call-id": c.get("callId") ?? "" });
  if (error.retryAfter !== undefined) headers.set("retry-after", String(Math.max(0, Math.ceil(error.retryAfter))));
  return new Response(JSON.stringify(anthropicErrorBody(error.status, error.message)), { status: error.status, headers });
});
