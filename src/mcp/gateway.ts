// The gateway's own MCP work: one view over every server the caller may use. Tools and prompts are
// named `<server>-<name>`; resources keep their URIs. A call to a tool the caller may not use is
// refused here, before any upstream is reached. Each tool call is admitted under the key's limits
// (counted in its rpm) and logged in the spend log (metering/side-calls.ts).
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CallToolResultSchema,
  GetPromptResultSchema,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ListToolsResultSchema,
  McpError,
  ErrorCode,
  ReadResourceResultSchema,
  type CallToolResult,
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "../core/principal";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { inBackground } from "../lib/background";
import { uuidv7 } from "../lib/ids";
import { admitSideCall, settleSideCall } from "../metering/side-calls";
import type { McpAccess } from "./permissions";
import type { McpServerEntry } from "./registry";
import type { McpSessionRecord, McpSessionRpc } from "./session-rpc";
import { withServer } from "./upstream";

export const TOOL_SEPARATOR = "-";
const MAX_PAGES = 20;

/** Everything one gateway request needs to reach its servers. */
export interface McpContext {
  env: Env;
  principal: Principal;
  /** The token spend is logged under (metering/side-calls.ts logToken). */
  token: string;
  /** The servers this request may reach (caller's permissions, the URL's server, x-mcp-servers). */
  servers: McpServerEntry[];
  access: McpAccess;
  /** Headers the client sends each server (x-mcp-<server>-<header>, extra_headers). */
  clientHeaders(server: McpServerEntry): Record<string, string>;
  /** The gateway session the request belongs to, if any. */
  session?: { id: string; record: McpSessionRecord; stub: McpSessionRpc };
  storePrompts: boolean;
  keepLogRow: boolean;
}

/** Runs `work` against one server, resuming and remembering the session's upstream session. */
async function onServer<T>(ctx: McpContext, server: McpServerEntry, work: (client: Client) => Promise<T>): Promise<T> {
  const saved = ctx.session?.record.upstream[server.id];
  const headers = { ...server.headers, ...ctx.clientHeaders(server) };
  const { result, session } = await withServer(server, headers, saved, !!ctx.session, work);
  if (ctx.session && session?.sessionId !== saved?.sessionId) {
    if (session) ctx.session.record.upstream[server.id] = session;
    else delete ctx.session.record.upstream[server.id];
    await ctx.session.stub.setUpstream(server.id, session ?? null);
  }
  return result;
}

/** One result per server that answered; a server that fails is left out and logged (as LiteLLM does). */
async function fromEach<T>(ctx: McpContext, servers: McpServerEntry[], work: (client: Client, server: McpServerEntry) => Promise<T[]>): Promise<T[]> {
  const settled = await Promise.allSettled(servers.map((s) => onServer(ctx, s, (client) => work(client, s))));
  return settled.flatMap((r, i) => {
    if (r.status === "fulfilled") return r.value;
    console.warn(`[mcp] ${(r.reason as Error).message} (${servers[i].name} left out of the list)`);
    return [];
  });
}

/** A server without resources or prompts answers "method not found": it simply has none. */
const noneIfUnsupported = <T>(err: unknown): T[] => {
  if (err instanceof McpError && err.code === ErrorCode.MethodNotFound) return [];
  throw err;
};

/** Every page of a paginated list. */
async function allPages<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const { items, nextCursor } = await page(cursor);
    out.push(...items);
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return out;
}

const prefixed = (server: McpServerEntry, name: string) => `${server.name}${TOOL_SEPARATOR}${name}`;

/** The server in view and upstream name of a `<server>-<name>` (the longest server name that fits wins). */
export function splitName(ctx: McpContext, name: string): { server: McpServerEntry; name: string } | undefined {
  const matches = ctx.servers.filter((s) => name.startsWith(s.name + TOOL_SEPARATOR)).sort((a, b) => b.name.length - a.name.length);
  return matches.length ? { server: matches[0], name: name.slice(matches[0].name.length + 1) } : undefined;
}

// ---------------------------------------------------------------- tools

/** The tools the caller may call, named `<server>-<tool>` (`prefix: false` keeps upstream names). */
export async function listTools(ctx: McpContext, prefix = true): Promise<(Tool & { _server: McpServerEntry })[]> {
  return fromEach(ctx, ctx.servers, async (client, server) => {
    const tools = await allPages(async (cursor) => {
      const r = await client.request({ method: "tools/list", params: cursor ? { cursor } : {} }, ListToolsResultSchema);
      return { items: r.tools, nextCursor: r.nextCursor };
    });
    return tools.filter((t) => ctx.access.mayCallTool(server, t.name)).map((t) => ({ ...t, name: prefix ? prefixed(server, t.name) : t.name, _server: server }));
  });
}

export const toolNotAllowed = (name: string) =>
  new GatewayError(403, "permission", `MCP tool '${name}' is not available to this key: it is unknown, or the key's object_permission, the server's allowed_tools / disallowed_tools or x-mcp-servers leave it out.`, {
    type: "mcp_tool_not_allowed",
  });

/**
 * Calls a tool, named `<server>-<tool>` (or, with `serverId`, by its upstream name). Refused without
 * reaching the server unless the caller may call it; admitted under the key's limits; logged.
 */
export async function callTool(ctx: McpContext, name: string, args: Record<string, unknown>, serverId?: string): Promise<CallToolResult> {
  const target = serverId ? byServerId(ctx, serverId, name) : splitName(ctx, name);
  if (!target || !ctx.access.mayCallTool(target.server, target.name)) throw toolNotAllowed(name);
  const { server } = target;
  const fullName = prefixed(server, target.name);
  const requestId = uuidv7();
  const model = `MCP: ${fullName}`;
  await admitSideCall(ctx.env, ctx.principal, requestId, model);
  const startedAt = Date.now();
  let status: "success" | "failure" = "failure";
  let error: string | undefined;
  let result: CallToolResult | undefined;
  try {
    result = await onServer(ctx, server, (client) => client.request({ method: "tools/call", params: { name: target.name, arguments: args } }, CallToolResultSchema));
    status = result.isError ? "failure" : "success";
    if (result.isError) error = "the tool reported an error (isError)";
    return result;
  } catch (err) {
    error = (err as Error).message;
    throw new GatewayError(502, "server", error, { type: "mcp_server_error" });
  } finally {
    inBackground(
      settleSideCall(
        ctx.env,
        {
          requestId,
          principal: ctx.principal,
          token: ctx.token,
          callType: "call_mcp_tool",
          model,
          modelGroup: model,
          provider: "mcp",
          apiBase: server.url.split("?")[0],
          status,
          startedAt,
          endedAt: Date.now(),
          cost: 0,
          metadata: {
            mcp_tool_call_metadata: { name: target.name, namespaced_tool_name: fullName, mcp_server_name: server.name, status, latency_ms: Date.now() - startedAt },
            ...(error ? { error } : {}),
          },
          messages: ctx.storePrompts ? args : undefined,
          response: ctx.storePrompts ? result : undefined,
        },
        ctx.keepLogRow,
      ),
    );
  }
}

function byServerId(ctx: McpContext, serverId: string, name: string) {
  const server = ctx.servers.find((s) => s.id === serverId || s.name === serverId);
  if (!server) return undefined;
  return { server, name: name.startsWith(server.name + TOOL_SEPARATOR) ? name.slice(server.name.length + 1) : name };
}

// ---------------------------------------------------------------- resources and prompts

export async function listResources(ctx: McpContext): Promise<Resource[]> {
  return fromEach(ctx, ctx.servers, (client) =>
    allPages(async (cursor) => {
      const r = await client.request({ method: "resources/list", params: cursor ? { cursor } : {} }, ListResourcesResultSchema);
      return { items: r.resources, nextCursor: r.nextCursor };
    }).catch(noneIfUnsupported<Resource>),
  );
}

export async function listResourceTemplates(ctx: McpContext): Promise<ResourceTemplate[]> {
  return fromEach(ctx, ctx.servers, (client) =>
    allPages(async (cursor) => {
      const r = await client.request({ method: "resources/templates/list", params: cursor ? { cursor } : {} }, ListResourceTemplatesResultSchema);
      return { items: r.resourceTemplates, nextCursor: r.nextCursor };
    }).catch(noneIfUnsupported<ResourceTemplate>),
  );
}

/** Reads a resource from the server that lists it; else from the first server that can read it. */
export async function readResource(ctx: McpContext, uri: string): Promise<ReadResourceResult> {
  const listed = await Promise.all(
    ctx.servers.map((s) =>
      onServer(ctx, s, (client) => client.request({ method: "resources/list", params: {} }, ListResourcesResultSchema)).then(
        (r) => r.resources.some((x) => x.uri === uri),
        () => false,
      ),
    ),
  );
  const order = [...ctx.servers.filter((_, i) => listed[i]), ...ctx.servers.filter((_, i) => !listed[i])];
  let last: Error | undefined;
  for (const server of order) {
    try {
      return await onServer(ctx, server, (client) => client.request({ method: "resources/read", params: { uri } }, ReadResourceResultSchema));
    } catch (err) {
      last = err as Error;
    }
  }
  throw new GatewayError(404, "not_found", `No MCP server available to this key could read resource '${uri}'${last ? `: ${last.message}` : ""}`);
}

export async function listPrompts(ctx: McpContext): Promise<Prompt[]> {
  return fromEach(ctx, ctx.servers, async (client, server) => {
    const prompts = await allPages(async (cursor) => {
      const r = await client.request({ method: "prompts/list", params: cursor ? { cursor } : {} }, ListPromptsResultSchema);
      return { items: r.prompts, nextCursor: r.nextCursor };
    }).catch(noneIfUnsupported<Prompt>);
    return prompts.map((p) => ({ ...p, name: prefixed(server, p.name) }));
  });
}

export async function getPrompt(ctx: McpContext, name: string, args: Record<string, string> | undefined): Promise<GetPromptResult> {
  const target = splitName(ctx, name);
  if (!target) throw new GatewayError(404, "not_found", `MCP prompt '${name}' is not available to this key`);
  return onServer(ctx, target.server, (client) => client.request({ method: "prompts/get", params: { name: target.name, arguments: args } }, GetPromptResultSchema));
}
