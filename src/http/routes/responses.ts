// OpenAI's Responses API (Codex CLI, the Agents SDK, the Vercel AI SDK's default provider):
//   POST   /v1/responses                    on the LLM chain (llmChain): keys, model access, limits, spend, routing
//   GET    /v1/responses/{id}               a stored response, for the key that made it only (another key: 404)
//   DELETE /v1/responses/{id}
//   GET    /v1/responses/{id}/input_items
// each also at /responses and /openai/v1/responses. A deployment that speaks the API natively gets
// the request as is; any other is bridged through chat completions (src/responses/). What
// previous_response_id and the reads need is kept in D1 (src/responses/store.ts) before the client
// sees the end of the answer, so a follow-up sent the moment it arrives finds it.
import { Hono, type Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { LlmCall } from "../../core/call";
import type { GatewayEnv } from "../../core/hono-env";
import type { AdapterContext } from "../../core/provider";
import { maxBodyBytes } from "../../config/runtime";
import { GatewayError } from "../../errors";
import { inBackground } from "../../lib/background";
import { readCapped } from "../../lib/body";
import { invalidRequest } from "../../lib/zod-issues";
import { ResponsesClient, planResponsesCall } from "../../responses/client";
import { type StoredResponse, deletedResponse, inputItemsPage, ownerOf, recordIdsFor } from "../../responses/record";
import { DEFAULT_TTL, deleteRecord, loadRecord, loadRecords, saveRecord, sweepExpired } from "../../responses/store";
import { send } from "../../router/attempt";
import { inputItemsQuerySchema, responsesRequestSchema } from "../../schema/responses";
import { authenticate } from "../middleware/auth";
import { groupInNewest, readCall, readValidBody } from "../middleware/read-call";
import { llmChain } from "./llm";

/** The longest the answer's end waits for its record to be stored; past it the store goes on in the background. */
const STORE_WAIT_MS = 5_000;
const FORWARD_TIMEOUT_MS = 60_000;

/** Reads a Responses request into c.var.call: a chat call whose client is the Responses API (loading the records it continues). */
const readResponsesCall = readCall(async (c) => {
  const runtime = c.var.runtime;
  const req = await readValidBody(c.req.raw, maxBodyBytes(runtime), responsesRequestSchema);
  const group = runtime.resolveModel(req.model) ?? (await groupInNewest(c, req.model));
  const owner = ownerOf(c.var.principal);
  const records = await loadRecords(c.env.DB, recordIdsFor(req), owner);
  const { chat, group: routed, client } = planResponsesCall(req, group, records, owner);
  return { request: { endpoint: "chat", body: chat }, model: req.model, group: routed, client };
});

/** Waits for `work`, at most `ms`. */
function within(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}

/** The stream as it came, except that the chunks written once the call is over (its last) wait for `store`. */
function holdingTheEnd(body: ReadableStream<Uint8Array>, call: LlmCall, store: () => Promise<unknown>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let storing: Promise<unknown> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        // The pipe ends the call as it queues the last chunk, before this reads it.
        if (call.outcome && call.outcome.status !== "aborted") await within((storing ??= store()), STORE_WAIT_MS);
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

/**
 * Keeps what the call answered (store: true, the default): the record is in D1 before the client
 * gets a JSON answer or a stream's last event. A store that fails or is slow never fails the call.
 */
const keepResponse = createMiddleware<GatewayEnv>(async (c, next) => {
  await next();
  const call = c.var.call as LlmCall | undefined;
  const client = call?.client;
  if (!call || !(client instanceof ResponsesClient) || c.error || c.res.status !== 200 || client.request.store === false) return;
  const res = c.res;
  const owner = ownerOf(c.var.principal);
  const ttl = c.var.runtime.config.general_settings.responses_store_ttl ?? DEFAULT_TTL;
  const store = () => {
    const work = client
      .recordOf(call, owner, () => res.clone().json())
      .then((record) => record && saveRecord(c.env.DB, record, ttl))
      .then(() => inBackground(sweepExpired(c.env.DB)))
      .catch((err: Error) => console.warn(`[responses] could not store ${client.ctx.id}: ${err.message}`));
    inBackground(work);
    return work;
  };
  if (!call.stream) await within(store(), STORE_WAIT_MS);
  else if (res.body) c.res = new Response(holdingTheEnd(res.body, call, store), res);
});

const notFound = (id: string) => new GatewayError(404, "not_found", `Response with id '${id}' not found.`, { type: "invalid_request_error" });

/** The caller's record for :id, or OpenAI's 404 (also for another key's: it does not exist for this one). */
async function ownedRecord(c: Context<GatewayEnv>): Promise<StoredResponse> {
  const id = c.req.param("id")!;
  const record = await loadRecord(c.env.DB, id, ownerOf(c.var.principal));
  if (!record) throw notFound(id);
  return record;
}

/** A native response's route, sent to the deployment that holds it; its answer (or error) as it came. */
async function forward(c: Context<GatewayEnv>, record: Extract<StoredResponse, { kind: "native" }>, method: "GET" | "DELETE", suffix = ""): Promise<Response> {
  const deployment = c.var.runtime.resolveModel(record.model)?.deployments.find((d) => d.id === record.deployment_id);
  const resource = deployment?.adapter.passthrough?.responses?.resource;
  if (!deployment || !resource) throw new GatewayError(404, "not_found", `Response with id '${record.id}' was made by a deployment that is no longer configured.`, { type: "invalid_request_error" });
  const ctx: AdapterContext = { deployment, env: c.env, callId: c.var.callId, stream: false };
  const query = new URL(c.req.url).search;
  const target = resource(`/responses/${encodeURIComponent(record.id)}${suffix}${query}`, ctx);
  let res: Response;
  try {
    res = await send({ ...target, method }, ctx, AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(FORWARD_TIMEOUT_MS)]));
  } catch {
    throw new GatewayError(502, "server", `Could not reach ${deployment.provider} for response '${record.id}'`, { upstream: true });
  }
  if (!res.ok) {
    const text = new TextDecoder().decode((await readCapped(res.body, 64 * 1024)).bytes);
    throw deployment.adapter.mapError({ status: res.status, headers: res.headers, text }, ctx);
  }
  return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
}

export const responsesRoutes = new Hono<GatewayEnv>();

for (const prefix of ["", "/v1", "/openai/v1"]) {
  responsesRoutes.post(`${prefix}/responses`, keepResponse, ...llmChain(readResponsesCall));

  responsesRoutes.get(`${prefix}/responses/:id`, authenticate, async (c) => {
    const record = await ownedRecord(c);
    return record.kind === "bridged" ? c.json(record.response) : forward(c, record, "GET");
  });

  responsesRoutes.delete(`${prefix}/responses/:id`, authenticate, async (c) => {
    const record = await ownedRecord(c);
    const answer = record.kind === "bridged" ? c.json(deletedResponse(record.id)) : await forward(c, record, "DELETE");
    await deleteRecord(c.env.DB, record.id, record.owner);
    return answer;
  });

  responsesRoutes.get(`${prefix}/responses/:id/input_items`, authenticate, async (c) => {
    const record = await ownedRecord(c);
    if (record.kind === "native") return forward(c, record, "GET", "/input_items");
    const query = inputItemsQuerySchema.safeParse(c.req.query());
    if (!query.success) throw invalidRequest(query.error);
    return c.json(inputItemsPage(record, query.data));
  });
}
