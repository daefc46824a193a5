// LiteLLM's model management (general_settings.store_model_in_db), master key only, in its shapes:
//   POST /model/new                 {model_name, litellm_params, model_info?} -> the stored row
//   POST /model/update              {model_name?, litellm_params?, model_info: {id, ...}} -> the stored row
//   PATCH /model/{model_id}/update  the same, the id in the path
//   POST /model/delete              {id} -> {message}
// A model is checked as config.yaml's entries are (src/config/stored-models.ts), its credentials sealed in
// D1 and never answered; this isolate serves the change at once, the others within seconds.
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../../core/hono-env";
import type { Runtime } from "../../core/provider";
import { GatewayError } from "../../errors";
import {
  checkedEntry,
  deleteStoredModel,
  insertStoredModel,
  isStored,
  mergedBody,
  rowFor,
  rowView,
  storedModel,
  updateStoredModel,
} from "../../config/stored-models";
import { modelDeleteSchema, modelUpdateSchema } from "../../schema/model-store";
import { adminOnly, body } from "./admin";

export const storedModelRoutes = new Hono<GatewayEnv>();

type Ctx = Context<GatewayEnv>;

/** Who changed a model: the master key (or the UI's admin session). */
const BY = "admin";

/** LiteLLM's answer when store_model_in_db is off (status 500, type auth_error), with where to turn it on here. */
const storeOff = () =>
  new GatewayError(
    500,
    "server",
    "Set `'STORE_MODEL_IN_DB='True'` in your env to enable this feature. Here: general_settings.store_model_in_db: true in config.yaml (or the Worker var STORE_MODEL_IN_DB=True), then redeploy; models in config.yaml change with the file.",
    { type: "auth_error" },
  );

/** The isolate's newest-runtime loader; store_model_in_db off: LiteLLM's 500. */
function store(c: Ctx): NonNullable<Runtime["newest"]> {
  const newest = c.var.runtime.newest;
  if (!newest) throw storeOff();
  return newest;
}

/** Ids of the config's models (a stored model may not take one). */
const configIds = (runtime: Runtime) => new Set(runtime.config.model_list.filter((e) => !isStored(e)).map((e) => e.model_info!.id!));

const duplicateId = (id: string) => new GatewayError(400, "bad_request", `Invalid model: model_info.id: duplicate id '${id}'`, { param: "model_info.id" });

storedModelRoutes.post("/model/new", ...adminOnly, async (c) => {
  const newest = store(c);
  const entry = await checkedEntry(await body(c, z.looseObject({})), configIds(c.var.runtime));
  const row = await rowFor(entry, c.env, BY);
  if (!(await insertStoredModel(c.env.DB, row))) throw duplicateId(row.model_id);
  await newest(true);
  return c.json(rowView(row));
});

async function updateModel(c: Ctx, id: string, patch: z.infer<typeof modelUpdateSchema>) {
  const newest = store(c);
  const row = await storedModel(c.env.DB, id);
  const ids = configIds(c.var.runtime);
  if (!row) {
    if (ids.has(id)) throw new GatewayError(400, "bad_request", "Can't edit model. Model in config. Store model in db via `/model/new`. to edit.", { param: "model_info.id" });
    throw new GatewayError(404, "not_found", `Model ${id} not found on proxy.`, { param: "model_info.id" });
  }
  const updated = await rowFor(await checkedEntry(mergedBody(row, patch), ids), c.env, BY, row);
  if (!(await updateStoredModel(c.env.DB, updated))) throw new GatewayError(404, "not_found", `Model ${id} not found on proxy.`);
  await newest(true);
  return c.json(rowView(updated));
}

storedModelRoutes.post("/model/update", ...adminOnly, async (c) => {
  const patch = await body(c, modelUpdateSchema);
  if (!patch.model_info) throw new GatewayError(400, "bad_request", "model_info not provided", { param: "model_info" });
  const id = patch.model_info.id;
  if (typeof id !== "string" || !id) throw new GatewayError(400, "bad_request", "model_info.id not provided", { param: "model_info.id" });
  return updateModel(c, id, patch);
});

storedModelRoutes.patch("/model/:model_id/update", ...adminOnly, async (c) => updateModel(c, c.req.param("model_id"), await body(c, modelUpdateSchema)));

storedModelRoutes.post("/model/delete", ...adminOnly, async (c) => {
  const { id } = await body(c, modelDeleteSchema);
  const newest = c.var.runtime.newest;
  const notFound = () => {
    const where = configIds(c.var.runtime).has(id) ? " (it is a config.yaml model: remove it from the file and redeploy)" : "";
    return new GatewayError(400, "bad_request", `Model with id=${id} not found in db${where}`, { param: "id" });
  };
  // As LiteLLM: an id not in D1 is a 400 even with store_model_in_db off; one that is, then the 500.
  if (!newest) throw (await storedModel(c.env.DB, id)) ? storeOff() : notFound();
  if (!(await deleteStoredModel(c.env.DB, id))) throw notFound();
  await newest(true);
  return c.json({ message: `Model: ${id} deleted successfully` });
});
