// Anthropic's native endpoints, for Claude Code and the Anthropic SDKs:
//   POST /v1/messages               Anthropic request in, Anthropic response or SSE events out
//   POST /v1/messages/count_tokens  {input_tokens}: Anthropic's own count for anthropic/ deployments, else an estimate
// The request becomes an ordinary OpenAI-form chat call on the shared chain (llmChain), so keys,
// limits, spend and routing apply as on /v1/chat/completions. An anthropic/ deployment receives the
// client's body as is (passthrough); any other gets the OpenAI form, and its answer is translated back.
// Errors on these paths are rendered in Anthropic's shape (src/http/app.ts).
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../../core/hono-env";
import type { AdapterContext } from "../../core/provider";
import { maxBodyBytes } from "../../config/runtime";
import { GatewayError } from "../../errors";
import { readCapped } from "../../lib/body";
import { estimateChatPromptTokens, estimateTokens } from "../../lib/tokens";
import { mapAnthropicError } from "../../providers/anthropic/adapter";
import { anthropicClient, fromAnthropicRequest } from "../../providers/anthropic/client";
import { anthropicTarget } from "../../providers/anthropic/request";
import { send } from "../../router/attempt";
import { countTokensRequestSchema, type MessagesRequest, messagesRequestSchema } from "../../schema/anthropic";
import { authenticate } from "../middleware/auth";
import { authorizeModel, readCall, readValidBody } from "../middleware/read-call";
import { llmChain } from "./llm";

/** Reads an Anthropic request into c.var.call (endpoint "chat", body in OpenAI form, client = Anthropic). */
const readMessagesCall = readCall(async (c) => {
  const req = await readValidBody(c.req.raw, maxBodyBytes(c.var.runtime), messagesRequestSchema);
  const body = fromAnthropicRequest(req);
  return { request: { endpoint: "chat", body }, model: req.model, client: anthropicClient(req, c.req.raw.headers, estimateChatPromptTokens(body)) };
});

/** A call object only so that authorizeModel applies; nothing is dispatched or billed. */
const readCountTokensCall = readCall(async (c) => {
  const req = (await readValidBody(c.req.raw, maxBodyBytes(c.var.runtime), countTokensRequestSchema)) as MessagesRequest;
  return { request: { endpoint: "chat", body: fromAnthropicRequest(req) }, model: req.model, client: anthropicClient(req, c.req.raw.headers, 0) };
});

const COUNT_TIMEOUT_MS = 30_000;

/** Anthropic's exact count from the first anthropic/ deployment of the group, else the gateway's estimate. */
const countTokens = createMiddleware<GatewayEnv>(async (c) => {
  const call = c.var.call;
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
    // Through send(), as every upstream call: a deployment's vpc_binding is its only way to its origin.
    const body = JSON.stringify({ ...client.body, model: deployment.model });
    res = await send({ ...target, method: "POST", body }, ctx, AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(COUNT_TIMEOUT_MS)]));
  } catch {
    throw new GatewayError(502, "server", "Could not reach anthropic to count tokens", { upstream: true });
  }
  const text = new TextDecoder().decode((await readCapped(res.body, 64 * 1024)).bytes);
  if (!res.ok) throw mapAnthropicError({ status: res.status, headers: res.headers, text }, ctx);
  return c.body(text, 200, { "content-type": "application/json" });
});

export const messagesRoutes = new Hono<GatewayEnv>();

messagesRoutes.post("/v1/messages", ...llmChain(readMessagesCall));
messagesRoutes.post("/v1/messages/count_tokens", authenticate, readCountTokensCall, authorizeModel, countTokens);
