// LiteLLM's Realtime route: `GET /v1/realtime?model=...` upgraded to a WebSocket and proxied to an
// openai/ or azure/ deployment (src/realtime). Browsers cannot set headers on a WebSocket, so the key
// may also come as the `openai-insecure-api-key.<key>` subprotocol OpenAI's clients send.
import { Hono } from "hono";
import type { Context } from "hono";
import { resolveGroup } from "../../config/runtime";
import type { GatewayEnv } from "../../core/hono-env";
import { mayUse, modelAccessDenied, OPEN, type Principal } from "../../core/principal";
import { GatewayError, badRequest } from "../../errors";
import { extractApiKey } from "../../keys/credentials";
import { authError, principalForKey } from "../../keys/lookup";
import { logToken } from "../../metering/side-calls";
import { openRealtime } from "../../realtime/session";
import { realtimeDeployment } from "../../realtime/upstream";

export const realtimeRoutes = new Hono<GatewayEnv>();

const KEY_PROTOCOL = "openai-insecure-api-key.";
const BETA_PROTOCOL = "openai-beta.";

function offeredProtocols(c: Context<GatewayEnv>): string[] {
  return (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim()).filter(Boolean);
}

async function caller(c: Context<GatewayEnv>, protocols: string[]): Promise<Principal> {
  const runtime = c.var.runtime;
  if (!runtime.masterKey) return OPEN;
  const key = extractApiKey(c.req.raw.headers) ?? protocols.find((p) => p.startsWith(KEY_PROTOCOL))?.slice(KEY_PROTOCOL.length);
  if (!key) throw authError("Authentication Error, No api key passed in.");
  return principalForKey(c.env, runtime, key, false);
}

async function realtime(c: Context<GatewayEnv>) {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new GatewayError(426, "bad_request", "The Realtime API is a WebSocket: connect with `Upgrade: websocket` (e.g. wss://<gateway>/v1/realtime?model=...)");
  }
  const protocols = offeredProtocols(c);
  const principal = await caller(c, protocols);
  const model = c.req.query("model");
  if (!model) throw badRequest("give the model: /v1/realtime?model=<model_name>", "model");
  const group = resolveGroup(c.var.runtime, model);
  if (!mayUse(principal, group)) throw modelAccessDenied(principal, group);
  const deployment = realtimeDeployment(group.deployments);
  if (!deployment) throw badRequest(`model '${group.name}' has no openai/ or azure/ deployment, which the Realtime API needs`, "model");
  const settings = c.var.runtime.config.general_settings;
  const token = logToken(principal, c.var.runtime.masterKey);
  // Subprotocol `openai-beta.realtime-v1` is the browser's way of sending `OpenAI-Beta: realtime=v1`.
  const betaProtocol = protocols.find((p) => p.startsWith(BETA_PROTOCOL))?.slice(BETA_PROTOCOL.length).replace(/-(v\d+)$/, "=$1");
  return openRealtime({
    env: c.env,
    principal,
    token: typeof token === "string" ? token : await token,
    group,
    deployment,
    beta: c.req.header("openai-beta") ?? betaProtocol,
    protocol: protocols.includes("realtime") ? "realtime" : undefined,
    keepLogRow: !settings.disable_spend_logs,
  });
}

realtimeRoutes.get("/v1/realtime", realtime);
realtimeRoutes.get("/realtime", realtime);
