// GET /metrics: LiteLLM's Prometheus metrics for the whole gateway, when "prometheus" is among the
// config's callbacks. Counters and histograms come from the metrics hub (every isolate's calls), the
// budget gauges from D1, deployment state from the router's cooldowns (KV), limits from the config.
// No key needed unless litellm_settings.require_auth_for_metrics_endpoint (then any valid key), as LiteLLM.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../../core/hono-env";
import type { Runtime } from "../../core/provider";
import type { Env } from "../../env";
import { GatewayError, toGatewayError } from "../../errors";
import { EXPOSITION_CONTENT_TYPE, renderExposition } from "../../observability/metrics/exposition";
import { budgetGauges, deploymentGauges, type DeploymentGaugeInput } from "../../observability/metrics/gauges";
import { deploymentBase } from "../../observability/record";
import { routerFor } from "../../router";
import { authenticate } from "../middleware/auth";
import { observerFor } from "../middleware/observe";

export const metricsRoutes = new Hono<GatewayEnv>();

const metricsAuth = createMiddleware<GatewayEnv>(async (c, next) => {
  const o = observerFor(c.var.runtime, c.env);
  if (!o.settings.prometheus) throw new GatewayError(404, "not_found", `Route not found: GET ${c.req.path} (add "prometheus" to litellm_settings.callbacks)`);
  if (o.settings.requireMetricsAuth) {
    try {
      await authenticate(c, async () => {});
    } catch (err) {
      throw new GatewayError(401, "auth", `Unauthorized access to metrics endpoint: ${toGatewayError(err).message}`, { type: "auth_error" });
    }
  }
  await next();
});

/** Every configured deployment, with whether it cools down now (the router's view, refreshed from KV per group). */
async function configuredDeployments(runtime: Runtime, env: Env): Promise<DeploymentGaugeInput[]> {
  const cooldowns = routerFor(runtime, env).cooldowns;
  const out: DeploymentGaugeInput[] = [];
  for (const group of runtime.groups.values()) {
    await cooldowns.refresh(group.deployments);
    for (const d of group.deployments) {
      out.push({ labels: [d.model, d.id, deploymentBase(d.params.api_base), d.provider], rpm: d.params.rpm, tpm: d.params.tpm, cooling: cooldowns.isCooling(d.id) });
    }
  }
  return out;
}

for (const path of ["/metrics", "/metrics/"]) {
  metricsRoutes.get(path, metricsAuth, async (c) => {
    const { runtime } = c.var;
    const o = observerFor(runtime, c.env);
    const now = Date.now();
    if (!o.metrics) throw new GatewayError(500, "server", "Metrics need the OBSERVABILITY Durable Object binding (class ObservabilityHub) in wrangler.toml");
    const [series, budgets, deployments] = await Promise.all([o.metrics.scrape(), budgetGauges(c.env.DB, now), configuredDeployments(runtime, c.env)]);
    const text = renderExposition([...deploymentGauges(deployments, series, now), ...budgets]);
    return c.body(text, 200, { "content-type": EXPOSITION_CONTENT_TYPE });
  });
}
