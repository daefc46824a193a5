// OpenAI's Files and Batches APIs for openai/ and azure/ deployments, passed through:
//   POST   /v1/files                 on the LLM chain (keys, model access, limits, spend): the model group
//                                    comes from `target_model_names` / `model`, else the batch file's requests
//   POST   /v1/batches               on the chain, on the deployment holding its input file
//   GET    /v1/files, /v1/files/{id}, /v1/files/{id}/content, DELETE /v1/files/{id}
//   GET    /v1/batches, /v1/batches/{id}, POST /v1/batches/{id}/cancel
// each also without /v1. Every id is owned by the key that made it (src/batches/store.ts): another
// key gets 404. A batch's cost is recorded when a client retrieves it completed (the first time: D1
// decides), from the batch's usage or its output file, at batch prices (src/spend/units.ts).
import { Hono, type Context } from "hono";
import { createMiddleware } from "hono/factory";
import { LlmCall } from "../../core/call";
import type { GatewayEnv } from "../../core/hono-env";
import type { AdapterContext, Deployment, ModelGroup } from "../../core/provider";
import { claimCost, deleteObject, listObjects, loadObject, ownerOf, releaseCost, saveObject, type ManagedObject, type ObjectKind } from "../../batches/store";
import { outputFileUsage, reportedUsage, type BatchObject } from "../../batches/usage";
import { maxBodyBytes, resolveGroup } from "../../config/runtime";
import { GatewayError, badRequest } from "../../errors";
import { readCapped, readFormBody } from "../../lib/body";
import { invalidRequest } from "../../lib/zod-issues";
import { send } from "../../router/attempt";
import { batchCreateSchema, fileUploadSchema, listQuerySchema, type FileUploadRequest } from "../../schema/endpoints";
import { authenticate } from "../middleware/auth";
import { settleUnreserved } from "../../limits/settle";
import { readCall, readValidBody } from "../middleware/read-call";
import { llmChain } from "./llm";

const FORWARD_TIMEOUT_MS = 60_000;
/** The most of a batch object (JSON) read to see its status and usage. */
const MAX_OBJECT_BYTES = 1024 * 1024;

// Groups narrowed to the deployments that hold files, made once per isolate (the router keys its tables on the object).
const fileGroups = new WeakMap<ModelGroup, ModelGroup>();
const pinnedGroups = new WeakMap<Deployment, ModelGroup>();

function withFiles(group: ModelGroup): ModelGroup {
  let narrowed = fileGroups.get(group);
  if (!narrowed) fileGroups.set(group, (narrowed = { name: group.name, deployments: group.deployments.filter((d) => d.adapter.file) }));
  if (!narrowed.deployments.length) throw badRequest(`model=${group.name} has no deployment that stores files (openai/ or azure/)`, "model");
  return narrowed;
}

function pinned(name: string, deployment: Deployment): ModelGroup {
  let group = pinnedGroups.get(deployment);
  if (!group) pinnedGroups.set(deployment, (group = { name, deployments: [deployment] }));
  return group;
}

/** The model group a file is for: named in the form, else by every request of a batch file (one model, as OpenAI requires). */
async function modelOfUpload(body: FileUploadRequest): Promise<string> {
  const named = body.target_model_names?.split(",")[0]?.trim() || body.model;
  if (named) return named;
  if (body.purpose === "batch") {
    const models = new Set<string>();
    for (const line of (await body.file.text()).split("\n")) {
      if (!line.trim()) continue;
      const model = (JSON.parse(line) as { body?: { model?: unknown } }).body?.model;
      if (typeof model === "string") models.add(model);
    }
    if (models.size === 1) return [...models][0];
    if (models.size > 1) throw badRequest(`A batch file's requests must all use one model; this one names ${[...models].join(", ")}`, "file");
  }
  throw badRequest("Say which model group the file is for: the form field target_model_names (or model), or a batch file whose requests name it", "model");
}

const readFileCall = readCall(async (c) => {
  const parsed = fileUploadSchema.safeParse(await readFormBody(c.req.raw, maxBodyBytes(c.var.runtime)));
  if (!parsed.success) throw invalidRequest(parsed.error);
  const model = await modelOfUpload(parsed.data).catch((err) => {
    throw err instanceof GatewayError ? err : badRequest("The batch file is not JSON lines", "file");
  });
  // A file lives on the deployment it went to: no fallback group.
  const body = { ...parsed.data, disable_fallbacks: true };
  return { request: { endpoint: "file", body }, model, group: withFiles(resolveGroup(c.var.runtime, model)) };
});

/** The caller's object, or OpenAI's 404 (another key's does not exist for this one). */
async function owned(c: Context<GatewayEnv>, id: string, kind: ObjectKind): Promise<ManagedObject> {
  const record = await loadObject(c.env.DB, id, kind, ownerOf(c.var.principal));
  if (!record) throw new GatewayError(404, "not_found", `No such ${kind === "file" ? "File" : "Batch"} object: ${id}`, { type: "invalid_request_error", param: "id" });
  return record;
}

/** The deployment holding an object, or 404 when the config no longer has it. */
function holder(c: Context<GatewayEnv>, record: ManagedObject): Deployment {
  const deployment = c.var.runtime.resolveModel(record.model_group)?.deployments.find((d) => d.id === record.deployment_id);
  if (!deployment?.adapter.resource) throw new GatewayError(404, "not_found", `${record.id} was made by a deployment that is no longer configured`, { type: "invalid_request_error" });
  return deployment;
}

const readBatchCall = readCall(async (c) => {
  const req = await readValidBody(c.req.raw, maxBodyBytes(c.var.runtime), batchCreateSchema);
  const file = await owned(c, req.input_file_id, "file");
  return { request: { endpoint: "batch", body: { ...req, disable_fallbacks: true } }, model: file.model_group, group: pinned(file.model_group, holder(c, file)) };
});

/** After a file upload or batch creation answered: the new id belongs to the caller, stored before the answer goes out. */
const keepOwned = createMiddleware<GatewayEnv>(async (c, next) => {
  await next();
  const call = c.var.call as LlmCall | undefined;
  if (!call?.deployment || c.res.status !== 200 || (call.endpoint !== "file" && call.endpoint !== "batch")) return;
  const { id } = (await c.res.clone().json()) as { id?: unknown };
  if (typeof id !== "string") return;
  await saveObject(c.env.DB, { id, kind: call.endpoint, owner: ownerOf(c.var.principal), model_group: call.group.name, deployment_id: call.deployment.id });
});

/** Sends a request for a stored object to the deployment holding it; the answer as it came (errors mapped). */
async function forward(c: Context<GatewayEnv>, deployment: Deployment, method: "GET" | "POST" | "DELETE", path: string): Promise<Response> {
  const ctx: AdapterContext = { deployment, env: c.env, callId: c.var.callId, stream: false };
  const target = deployment.adapter.resource!(path, ctx);
  let res: Response;
  try {
    res = await send({ ...target, method }, ctx, AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(FORWARD_TIMEOUT_MS)]));
  } catch {
    throw new GatewayError(502, "server", `Could not reach ${deployment.provider} for ${path}`, { upstream: true });
  }
  if (!res.ok) {
    const text = new TextDecoder().decode((await readCapped(res.body, 64 * 1024)).bytes);
    throw deployment.adapter.mapError({ status: res.status, headers: res.headers, text }, ctx);
  }
  return res;
}

const passOn = (res: Response) => new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });

async function readObject(res: Response): Promise<Record<string, unknown>> {
  const { bytes, truncated } = await readCapped(res.body, MAX_OBJECT_BYTES);
  if (truncated) throw new GatewayError(502, "server", "The provider's answer is too large", { upstream: true });
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

/**
 * A completed batch's cost, recorded once under the caller's key (who owns it) as a spend row with
 * call_type aretrieve_batch: the batch's usage, else its output file's, at batch prices.
 */
async function recordBatchCost(c: Context<GatewayEnv>, record: ManagedObject, deployment: Deployment, batch: BatchObject): Promise<void> {
  const { env } = c;
  if (batch.status !== "completed" || record.cost_recorded_at !== null || !(await claimCost(env.DB, record.id))) return;
  try {
    let usage = reportedUsage(batch);
    if (!usage && batch.output_file_id) usage = await outputFileUsage((await forward(c, deployment, "GET", `/files/${encodeURIComponent(batch.output_file_id)}/content`)).body!);
    const { runtime, principal } = c.var;
    const call = new LlmCall(record.id, { endpoint: "batch", body: { input_file_id: "", endpoint: "", completion_window: "" } }, pinned(record.model_group, deployment), principal, new AbortController().signal);
    call.deployment = deployment;
    call.finish({ status: "ok", httpStatus: 200, usage, units: { batch: true } });
    await settleUnreserved(env, call, principal, runtime);
  } catch (err) {
    console.warn(`[batches] could not record the cost of ${record.id}: ${(err as Error).message}`);
    await releaseCost(env.DB, record.id).catch(() => undefined);
  }
}

/** OpenAI's list page of the caller's objects, each as its deployment has it now (gone ones left out). */
async function listPage(c: Context<GatewayEnv>, kind: ObjectKind, path: (id: string) => string) {
  const query = listQuerySchema.safeParse(c.req.query());
  if (!query.success) throw invalidRequest(query.error);
  const { limit, after, purpose } = query.data;
  const owner = ownerOf(c.var.principal);
  const cursor = after ? await loadObject(c.env.DB, after, kind, owner) : undefined;
  const rows = await listObjects(c.env.DB, owner, kind, limit + 1, cursor);
  const objects = await Promise.all(
    rows.slice(0, limit).map(async (row) => {
      try {
        return await readObject(await forward(c, holder(c, row), "GET", path(row.id)));
      } catch {
        return undefined; // deleted upstream, or its deployment is gone
      }
    }),
  );
  const data = objects.filter((o): o is Record<string, unknown> => !!o && (!purpose || o.purpose === purpose));
  return c.json({ object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: rows.length > limit });
}

export const filesBatchesRoutes = new Hono<GatewayEnv>();

const fileUrl = (id: string) => `/files/${encodeURIComponent(id)}`;
const batchUrl = (id: string) => `/batches/${encodeURIComponent(id)}`;

for (const prefix of ["", "/v1"]) {
  filesBatchesRoutes.post(`${prefix}/files`, keepOwned, ...llmChain(readFileCall));
  filesBatchesRoutes.post(`${prefix}/batches`, keepOwned, ...llmChain(readBatchCall));

  filesBatchesRoutes.get(`${prefix}/files`, authenticate, (c) => listPage(c, "file", fileUrl));
  filesBatchesRoutes.get(`${prefix}/files/:id`, authenticate, async (c) => {
    const record = await owned(c, c.req.param("id"), "file");
    return passOn(await forward(c, holder(c, record), "GET", fileUrl(record.id)));
  });
  // The content streams through as it comes (an output file can be large).
  filesBatchesRoutes.get(`${prefix}/files/:id/content`, authenticate, async (c) => {
    const record = await owned(c, c.req.param("id"), "file");
    return passOn(await forward(c, holder(c, record), "GET", `${fileUrl(record.id)}/content`));
  });
  filesBatchesRoutes.delete(`${prefix}/files/:id`, authenticate, async (c) => {
    const record = await owned(c, c.req.param("id"), "file");
    const answer = passOn(await forward(c, holder(c, record), "DELETE", fileUrl(record.id)));
    await deleteObject(c.env.DB, record.id, record.owner);
    return answer;
  });

  filesBatchesRoutes.get(`${prefix}/batches`, authenticate, (c) => listPage(c, "batch", batchUrl));
  filesBatchesRoutes.get(`${prefix}/batches/:id`, authenticate, async (c) => {
    const record = await owned(c, c.req.param("id"), "batch");
    const deployment = holder(c, record);
    const batch = (await readObject(await forward(c, deployment, "GET", batchUrl(record.id)))) as unknown as BatchObject & { error_file_id?: string | null };
    // The files the provider made for the batch belong to its owner too (files.content(batch.output_file_id)).
    const made = [batch.output_file_id, batch.error_file_id].filter((id): id is string => typeof id === "string" && !!id);
    await Promise.all(made.map((id) => saveObject(c.env.DB, { id, kind: "file", owner: record.owner, model_group: record.model_group, deployment_id: record.deployment_id })));
    c.executionCtx.waitUntil(recordBatchCost(c, record, deployment, batch));
    return c.json(batch);
  });
  filesBatchesRoutes.post(`${prefix}/batches/:id/cancel`, authenticate, async (c) => {
    const record = await owned(c, c.req.param("id"), "batch");
    return passOn(await forward(c, holder(c, record), "POST", `${batchUrl(record.id)}/cancel`));
  });
}
