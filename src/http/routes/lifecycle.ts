// POST /__gateway/drain: how `npm start` shuts down without losing spend (scripts/start.ts). On SIGTERM it
// asks the Worker to stop admitting calls, let the ones it admitted end, and deliver their settlements
// and its leases' returns to the guards; then it stops wrangler. Only `npm start` knows the token (a
// random one per run, GATEWAY_DRAIN_TOKEN); without it the route does not exist (a deployed Worker has none).
import { Hono } from "hono";
import type { GatewayEnv } from "../../core/hono-env";
import { GatewayError } from "../../errors";
import { safeEqual } from "../../keys/credentials";
import { drain } from "../../limits/shutdown";

/** How long running calls (streams) may take to end before the shutdown goes ahead anyway. */
const DRAIN_TIMEOUT_MS = 10_000;

export const lifecycleRoutes = new Hono<GatewayEnv>();

lifecycleRoutes.post("/__gateway/drain", async (c) => {
  const expected = c.env.GATEWAY_DRAIN_TOKEN;
  const given = c.req.header("x-gateway-drain-token");
  if (typeof expected !== "string" || !expected || !given || !safeEqual(given, expected)) {
    throw new GatewayError(404, "not_found", `Route not found: ${c.req.method} ${c.req.path}`);
  }
  const running = await drain(c.env, DRAIN_TIMEOUT_MS);
  return c.json({ drained: running === 0, calls_still_running: running });
});
