// LiteLLM's MCP routes: the MCP endpoint (`/mcp`, `/{server}/mcp`: Streamable HTTP), the REST
// shortcuts (`/mcp-rest/tools/list`, `/mcp-rest/tools/call`) and server management (`/v1/mcp/server`).
// The work is src/mcp's; here: who is calling, and the request's context.
import type { Context } from "hono";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { envLookup } from "../../config/runtime";
import type { GatewayEnv } from "../../core/hono-env";
import { OPEN } from "../../core/principal";
import { GatewayError } from "../../errors";
import { extractApiKey } from "../../keys/credentials";
import { authError, principalForKey } from "../../keys/lookup";
import { serveMcp } from "../../mcp/endpoint";
import { callTool, listTools } from "../../mcp/gateway";
import { allServers } from "../../mcp/registry";
import { mcpContext } from "../../mcp/request";
import { addServer, deleteServer, serverView } from "../../mcp/store";
import { newMcpServerSchema } from "../../schema/mcp";
import { adminOnly, body } from "./admin";

export const mcpRoutes = new Hono<GatewayEnv>();

/**
 * The caller, from `x-litellm-api-key` first (so `Authorization` can carry an upstream credential),
 * else the usual key headers. The key is checked (its object_permission is needed), from the isolate's cache when fresh.
 */
async function setCaller(c: Context<GatewayEnv>): Promise<void> {
  const runtime = c.var.runtime;
  if (!runtime.masterKey) return void c.set("principal", OPEN);
  const key = c.req.header("x-litellm-api-key")?.trim() || extractApiKey(c.req.raw.headers);
  if (!key) throw authError("Authentication Error, No api key passed in.");
  c.set("principal", await principalForKey(c.env, runtime, key, false));
}

const mcpAuth = createMiddleware<GatewayEnv>(async (c, next) => {
  await setCaller(c);
  return next();
});

const contextFor = (c: Context<GatewayEnv>, pathServer?: string) =>
  mcpContext({
    env: c.env,
    principal: c.var.principal,
    config: c.var.runtime.config,
    resolve: envLookup(c.env, c.var.runtime.config),
    masterKey: c.var.runtime.masterKey,
    headers: c.req.raw.headers,
    pathServer,
    authorizationIsUpstream: !!c.req.header("x-litellm-api-key"),
  });

for (const path of ["/mcp", "/mcp/"]) mcpRoutes.on(["GET", "POST", "DELETE"], path, mcpAuth, async (c) => serveMcp(c.req.raw, await contextFor(c)));

/**
 * `/{server}/mcp`. Not a `/:server/mcp` route: a parameter in the first segment makes Hono's SmartRouter
 * leave its one-regex RegExpRouter for every request, LLM calls included (test/worker/routing.test.ts).
 * The app's notFound handler sends such paths here instead; other paths get undefined (a 404).
 */
const SERVER_MCP_PATH = /^\/([^/]+)\/mcp\/?$/;
export async function serverMcp(c: Context<GatewayEnv>): Promise<Response | undefined> {
  const match = SERVER_MCP_PATH.exec(c.req.path);
  if (!match || !["GET", "POST", "DELETE"].includes(c.req.method)) return undefined;
  await setCaller(c);
  return serveMcp(c.req.raw, await contextFor(c, decodeURIComponent(match[1])));
}

// ---- REST (LiteLLM's /mcp-rest) ----

mcpRoutes.get("/mcp-rest/tools/list", mcpAuth, async (c) => {
  const serverId = c.req.query("server_id");
  const ctx = await contextFor(c);
  if (serverId) {
    ctx.servers = ctx.servers.filter((s) => s.id === serverId || s.name === serverId);
    if (!ctx.servers.length) return c.json({ tools: [], error: "server_not_found", message: `Server with id ${serverId} not found` });
  }
  // One server asked for: its upstream names; all servers: `<server>-<tool>` (LiteLLM's REST naming).
  const tools = await listTools(ctx, !serverId);
  return c.json({
    tools: tools.map(({ _server, ...t }) => ({ ...t, mcp_info: { server_name: _server.name, server_id: _server.id, ...(_server.description ? { description: _server.description } : {}) } })),
    error: null,
    message: "Successfully retrieved tools",
  });
});

const toolCallBody = z.looseObject({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()).default({}), server_id: z.string().min(1).optional() });

mcpRoutes.post("/mcp-rest/tools/call", mcpAuth, async (c) => {
  const input = await body(c, toolCallBody);
  return c.json(await callTool(await contextFor(c), input.name, input.arguments, input.server_id));
});

// ---- management (master key; the list is filtered to what the caller may use) ----

const serversFor = (c: Context<GatewayEnv>) => allServers(c.env, c.var.runtime.config, envLookup(c.env, c.var.runtime.config), c.var.runtime.masterKey);

mcpRoutes.get("/v1/mcp/server", mcpAuth, async (c) => c.json((await contextFor(c)).servers.map(serverView)));

mcpRoutes.get("/v1/mcp/server/:server_id", mcpAuth, async (c) => {
  const id = c.req.param("server_id");
  const server = (await contextFor(c)).servers.find((s) => s.id === id || s.name === id);
  if (!server) throw new GatewayError(404, "not_found", `MCP server '${id}' not found`);
  return c.json(serverView(server));
});

mcpRoutes.post("/v1/mcp/server", ...adminOnly, async (c) => {
  const input = await body(c, newMcpServerSchema);
  const row = await addServer(c.env, c.var.runtime.masterKey, input, await serversFor(c));
  const created = (await serversFor(c)).find((s) => s.id === row.server_id);
  return c.json(created ? serverView(created) : { server_id: row.server_id, server_name: row.server_name });
});

mcpRoutes.delete("/v1/mcp/server/:server_id", ...adminOnly, async (c) => {
  await deleteServer(c.env, c.req.param("server_id"), await serversFor(c));
  return c.json({ deleted: c.req.param("server_id") });
});
