// The gateway as a Hono app, built from a compiled config. src/index.ts builds the deployed one from
// the config bundled at build time; tests build their own from configs they write.
import { Hono, type Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { CompiledConfig } from "../config/compile";
import { LiveRuntime } from "../config/live-runtime";
import type { GatewayEnv } from "../core/hono-env";
import type { Env } from "../env";
import { GatewayError, toGatewayError } from "../errors";
import { uuidv7 } from "../lib/ids";
import { guardrailRoutes } from "./routes/guardrails";
import { cacheRoutes } from "./routes/cache";
import { filesBatchesRoutes } from "./routes/files-batches";
import { healthRoutes } from "./routes/health";
import { keyRoutes } from "./routes/keys";
import { lifecycleRoutes } from "./routes/lifecycle";
import { llmRoutes } from "./routes/llm";
import { mcpRoutes, serverMcp } from "./routes/mcp";
import { messagesRoutes } from "./routes/messages";
import { metricsRoutes } from "./routes/metrics";
import { finishRequest } from "./middleware/observe";
import { modelRoutes } from "./routes/models";
import { storedModelRoutes } from "./routes/stored-models";
import { responsesRoutes } from "./routes/responses";
import { realtimeRoutes } from "./routes/realtime";
import { spendRoutes } from "./routes/spend";
import { teamAndUserRoutes } from "./routes/teams-users";
import { uiRoutes } from "./routes/ui";
import { logText } from "../lib/safe-text";

/** Anthropic's API paths answer errors in Anthropic's shape (the SDKs read error.type); every other path in OpenAI's. */
const errorShape = (path: string) => (path.startsWith("/v1/messages") ? "anthropic" : "openai");

export function createGateway(compiled: CompiledConfig) {
  // One live runtime per env object, i.e. per isolate in production (two apps on one env: two isolates).
  const runtimes = new WeakMap<Env, LiveRuntime>();
  const runtimeFor = (env: Env) => {
    let live = runtimes.get(env);
    if (!live) runtimes.set(env, (live = new LiveRuntime(compiled, env)));
    return live.current();
  };

  const app = new Hono<GatewayEnv>();

  app.use(
    createMiddleware<GatewayEnv>(async (c, next) => {
      // The Runtime this request keeps to its end, even if stored models change meanwhile.
      const runtime = runtimeFor(c.env);
      c.set("runtime", runtime instanceof Promise ? await runtime : runtime);
      c.set("callId", uuidv7());
      const startedAt = Date.now();
      await next();
      // An LLM call's answer has it from successHeaders already.
      if (!c.get("call")?.answered) c.res.headers.set("x-litellm-call-id", c.get("callId"));
      finishRequest(c, startedAt);
    }),
  );

  app.route("/", healthRoutes);
  app.route("/", modelRoutes);
  app.route("/", storedModelRoutes);
  app.route("/", llmRoutes);
  app.route("/", messagesRoutes);
  app.route("/", responsesRoutes);
  app.route("/", filesBatchesRoutes);
  app.route("/", keyRoutes);
  app.route("/", teamAndUserRoutes);
  app.route("/", spendRoutes);
  app.route("/", uiRoutes);
  app.route("/", realtimeRoutes);
  app.route("/", mcpRoutes);
  app.route("/", lifecycleRoutes);
  app.route("/", guardrailRoutes);
  app.route("/", cacheRoutes);
  app.route("/", metricsRoutes);

  // The one error renderer: every route's failures end here.
  const renderError = (err: Error, c: Context<GatewayEnv>) => {
    const error = toGatewayError(err);
    if (!(err instanceof GatewayError)) console.error(`[${c.get("callId")}] internal error: ${logText(`${err.name}: ${err.message}`)}`);
    return error.toResponse({ "x-litellm-call-id": c.get("callId") ?? "" }, errorShape(c.req.path));
  };

  app.notFound(async (c) => {
    // `/{server}/mcp` is served from here (see serverMcp): no route parameter in the first segment.
    const mcp = await serverMcp(c).catch((err: Error) => renderError(err, c));
    return mcp ?? new GatewayError(404, "not_found", `Route not found: ${c.req.method} ${c.req.path}`).toResponse({ "x-litellm-call-id": c.get("callId") ?? "" });
  });
  app.onError(renderError);

  return app;
}
