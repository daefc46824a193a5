// The gateway as a Hono app, built from a compiled config. src/index.ts builds the deployed one from
// the config bundled at build time; tests build their own from configs they write.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { CompiledConfig } from "../config/compile";
import { buildRuntime } from "../config/runtime";
import type { GatewayEnv } from "../core/hono-env";
import type { Runtime } from "../core/provider";
import type { Env } from "../env";
import { GatewayError, toGatewayError } from "../errors";
import { uuidv7 } from "../lib/ids";
import { filesBatchesRoutes } from "./routes/files-batches";
import { healthRoutes } from "./routes/health";
import { keyRoutes } from "./routes/keys";
import { llmRoutes } from "./routes/llm";
import { messagesRoutes } from "./routes/messages";
import { modelRoutes } from "./routes/models";
import { responsesRoutes } from "./routes/responses";
import { spendRoutes } from "./routes/spend";
import { teamAndUserRoutes } from "./routes/teams-users";
import { uiRoutes } from "./routes/ui";

/** Anthropic's API paths answer errors in Anthropic's shape (the SDKs read error.type); every other path in OpenAI's. */
const errorShape = (path: string) => (path.startsWith("/v1/messages") ? "anthropic" : "openai");

export function createGateway(compiled: CompiledConfig) {
  // One runtime per env object, i.e. per isolate in production.
  const runtimes = new WeakMap<Env, Runtime>();
  const runtimeFor = (env: Env) => {
    let runtime = runtimes.get(env);
    if (!runtime) runtimes.set(env, (runtime = buildRuntime(compiled, env)));
    return runtime;
  };

  const app = new Hono<GatewayEnv>();

  app.use(
    createMiddleware<GatewayEnv>(async (c, next) => {
      c.set("runtime", runtimeFor(c.env));
      c.set("callId", uuidv7());
      await next();
      // An LLM call's answer has it from successHeaders already.
      if (!c.get("call")?.answered) c.res.headers.set("x-litellm-call-id", c.get("callId"));
    }),
  );

  app.route("/", healthRoutes);
  app.route("/", modelRoutes);
  app.route("/", llmRoutes);
  app.route("/", messagesRoutes);
  app.route("/", responsesRoutes);
  app.route("/", filesBatchesRoutes);
  app.route("/", keyRoutes);
  app.route("/", teamAndUserRoutes);
  app.route("/", spendRoutes);
  app.route("/", uiRoutes);

  app.notFound((c) => new GatewayError(404, "not_found", `Route not found: ${c.req.method} ${c.req.path}`).toResponse({ "x-litellm-call-id": c.get("callId") ?? "" }));

  // The one error renderer: every route's failures end here.
  app.onError((err, c) => {
    const error = toGatewayError(err);
    if (!(err instanceof GatewayError)) console.error(`[${c.get("callId")}] internal error: ${err.name}: ${err.message}`);
    return error.toResponse({ "x-litellm-call-id": c.get("callId") ?? "" }, errorShape(c.req.path));
  });

  return app;
}
