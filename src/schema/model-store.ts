// Models added at runtime (LiteLLM's store_model_in_db): the config key, and the bodies of /model/new,
// /model/update and /model/delete. A stored model itself is validated by modelEntrySchema, as a config entry.
import { z } from "zod";

export const modelStoreSettingsShape = {
  /** /model/new, /model/update, /model/delete keep models in D1, merged with model_list (LiteLLM's; also env STORE_MODEL_IN_DB). */
  store_model_in_db: z.boolean().optional(),
};

/** /model/update (the id in model_info) and PATCH /model/{id}/update: what is given replaces, what is left out (or null) is kept. */
export const modelUpdateSchema = z.looseObject({
  model_name: z.string().min(1).nullish(),
  litellm_params: z.record(z.string(), z.unknown()).nullish(),
  model_info: z.record(z.string(), z.unknown()).nullish(),
});

export const modelDeleteSchema = z.looseObject({ id: z.string().min(1) });
