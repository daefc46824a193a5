// GET /guardrails/list: the configured guardrails in LiteLLM's shape (secrets masked), for any valid
// key, as LiteLLM's route (clients list them to pick per-request guardrails).
import { Hono } from "hono";
import type { GatewayEnv } from "../../core/hono-env";
import { guardrailsOf } from "../../config/guardrails";
import { authenticate } from "../middleware/auth";

export const guardrailRoutes = new Hono<GatewayEnv>();

guardrailRoutes.get("/guardrails/list", authenticate, (c) => c.json(guardrailsOf(c.var.runtime).list()));
