// The Worker: the gateway built from the config that scripts/build-config.ts compiled from
// config.yaml at build time (wrangler's [build] step), plus the Durable Object classes.
import compiled from "../build/config.json";
import { createGateway } from "./http/app";
import type { CompiledConfig } from "./config/compile";
import { envLookup } from "./config/runtime";
import type { Env } from "./env";
import { sendDailyReport } from "./observability/alerts/daily-report";
import { resolveSettings } from "./observability/settings";

const config = compiled as unknown as CompiledConfig;
const app = createGateway(config);

export default {
  fetch: app.fetch,
  // The cron trigger (wrangler.toml [triggers]): the daily spend report, when alerting asks for it.
  scheduled(controller, env, ctx) {
    const settings = resolveSettings(config.config, env, envLookup(env, config.config)).alerts;
    ctx.waitUntil(sendDailyReport(settings, env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;

export { KeyGuard } from "./limits/guard/key-guard";
export { RouterState } from "./router/router-state";
export { McpSession } from "./mcp/session-object";
export { SemanticCacheIndex } from "./cache/semantic/index-object";
export { ObservabilityHub } from "./observability/hub";
