// /v1/mcp/server: MCP servers added at runtime, kept in D1 (credentials sealed, secrets.ts) and merged
// with the config's. Views in LiteLLM's LiteLLM_MCPServerTable shape; never a credential.
import { eq } from "drizzle-orm";
import type { Env } from "../env";
import { GatewayError, badRequest } from "../errors";
import { database, mcpServers, type McpServerRow } from "../schema/database";
import type { NewMcpServer } from "../schema/mcp";
import { forgetStoredServers, type McpServerEntry, type SealedCredentials } from "./registry";
import { sealingSecret, seal } from "./secrets";

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function serverView(s: McpServerEntry) {
  return {
    server_id: s.id,
    server_name: s.source === "config" ? s.id : s.name,
    alias: s.name,
    description: s.description ?? null,
    url: s.url,
    transport: s.transport,
    auth_type: s.authType ?? null,
    allowed_tools: s.allowedTools ?? null,
    disallowed_tools: s.disallowedTools ?? null,
    mcp_access_groups: s.accessGroups,
    extra_headers: s.forwardHeaders,
    mcp_info: { server_name: s.name, ...(s.description ? { description: s.description } : {}), ...s.mcpInfo },
    /** "config": from config.yaml (read-only here); "db": added through this API. */
    source: s.source,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}

export async function addServer(env: Env, masterKey: string | undefined, input: NewMcpServer, existing: McpServerEntry[]): Promise<McpServerRow> {
  const name = input.alias ?? input.server_name;
  const clash = existing.find((s) => s.name === name || s.id === input.server_name || s.id === input.server_id);
  if (clash) throw badRequest(`an MCP server named '${name}' already exists (${clash.source === "config" ? "in config.yaml" : `server_id ${clash.id}`})`, "server_name");
  const credentials: SealedCredentials = { auth_value: input.credentials?.auth_value, static_headers: input.static_headers };
  const hasSecrets = credentials.auth_value !== undefined || credentials.static_headers !== undefined;
  const secret = sealingSecret(env, masterKey);
  if (hasSecrets && !secret) throw badRequest("storing MCP server credentials needs LITELLM_SALT_KEY (or a master key) to encrypt them with", "credentials");
  const now = Date.now();
  const row: McpServerRow = {
    server_id: input.server_id ?? crypto.randomUUID(),
    server_name: input.server_name,
    alias: input.alias ?? null,
    description: input.description ?? null,
    url: input.url,
    transport: input.transport === "sse" ? "sse" : "http",
    auth_type: input.auth_type ?? null,
    credentials: hasSecrets ? await seal(secret!, credentials) : null,
    allowed_tools: input.allowed_tools ?? null,
    disallowed_tools: input.disallowed_tools ?? null,
    mcp_access_groups: input.mcp_access_groups ?? null,
    extra_headers: input.extra_headers ?? null,
    mcp_info: input.mcp_info ?? null,
    created_at: now,
    updated_at: now,
  };
  try {
    await database(env.DB).insert(mcpServers).values(row);
  } catch (err) {
    if (/UNIQUE/i.test(String((err as Error).message) + String(((err as Error).cause as Error | undefined)?.message))) throw badRequest(`an MCP server with this server_id or server_name already exists`, "server_name");
    throw err;
  }
  forgetStoredServers();
  return row;
}

export async function deleteServer(env: Env, serverId: string, existing: McpServerEntry[]): Promise<void> {
  const server = existing.find((s) => s.id === serverId || s.name === serverId);
  if (!server) throw new GatewayError(404, "not_found", `MCP server '${serverId}' not found`);
  if (server.source === "config") throw badRequest(`MCP server '${serverId}' is defined in config.yaml; remove it there`, "server_id");
  await database(env.DB).delete(mcpServers).where(eq(mcpServers.server_id, server.id));
  forgetStoredServers();
}
