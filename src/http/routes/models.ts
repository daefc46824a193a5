// GET /v1/models (OpenAI's list, only what the caller may use) and GET /model/info (LiteLLM's, secrets removed),
// both with the models stored at runtime (src/config/live-runtime.ts) after the config's.
import { Hono } from "hono";
import type { GatewayEnv } from "../../core/hono-env";
import { authenticate } from "../middleware/auth";
import { publicParams } from "../../config/public-params";
import { mayUse, modelPatternMatches } from "../../core/principal";
import { isStored } from "../../config/stored-models";

export const modelRoutes = new Hono<GatewayEnv>();

for (const path of ["/models", "/v1/models"]) {
  modelRoutes.get(path, authenticate, (c) => {
    const { runtime, principal } = c.var;
    const created = runtime.createdAt;
    const data = [...runtime.groups.values()]
      .filter((g) => mayUse(principal, g))
      .map((g) => ({ id: g.name, object: "model", created, owned_by: g.deployments[0]?.provider ?? "openai" }));
    for (const pattern of runtime.patternNames) {
      if (!principal.models?.length || principal.models.some((m) => modelPatternMatches(m, pattern))) data.push({ id: pattern, object: "model", created, owned_by: "openai" });
    }
    return c.json({ object: "list", data });
  });
}

// Config models and stored ones (model_info.db_model, as LiteLLM marks them); `?litellm_model_id=` narrows to one.
for (const path of ["/model/info", "/v1/model/info"]) {
  modelRoutes.get(path, authenticate, (c) => {
    const { runtime, principal } = c.var;
    const only = c.req.query("litellm_model_id");
    const data = runtime.config.model_list
      .filter((entry) => {
        if (only && entry.model_info?.id !== only) return false;
        const group = runtime.groups.get(entry.model_name);
        return group ? mayUse(principal, group) : !principal.models?.length;
      })
      .map((entry) => ({ model_name: entry.model_name, litellm_params: publicParams(entry.litellm_params), model_info: { ...entry.model_info, db_model: isStored(entry) } }));
    return c.json({ data });
  });
}
