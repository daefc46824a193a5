// Which MCP servers and tools a caller may use, as LiteLLM's object_permission says, from the key's
// config its guard confirmed (no D1 read per request). A key's and its team's permissions both apply
// (the most restrictive wins); either left unset restricts nothing. The server's own allowed_tools /
// disallowed_tools apply to everyone.
import type { Principal } from "../core/principal";
import type { ObjectPermission } from "../schema/mcp";
import type { McpServerEntry } from "./registry";

export interface McpAccess {
  mayUseServer(server: McpServerEntry): boolean;
  /** `tool` is the upstream (unprefixed) name. */
  mayCallTool(server: McpServerEntry, tool: string): boolean;
}

const named = (list: readonly string[], server: McpServerEntry) => list.includes(server.name) || list.includes(server.id);

function serverAllowed(p: ObjectPermission, server: McpServerEntry): boolean {
  const servers = p.mcp_servers ?? [];
  const groups = p.mcp_access_groups ?? [];
  if (!servers.length && !groups.length) return true;
  return named(servers, server) || server.accessGroups.some((g) => groups.includes(g));
}

function toolAllowed(p: ObjectPermission, server: McpServerEntry, tool: string): boolean {
  const tools = p.mcp_tool_permissions?.[server.name] ?? p.mcp_tool_permissions?.[server.id];
  return tools === undefined || tools.includes(tool);
}

/** The server's config: allowed_tools (empty = all) and disallowed_tools. */
export function serverOffers(server: McpServerEntry, tool: string): boolean {
  if (server.allowedTools?.length && !server.allowedTools.includes(tool)) return false;
  return !server.disallowedTools?.includes(tool);
}

export function accessFor(principal: Principal): McpAccess {
  const own = principal.key?.object_permission;
  const perms = [own?.key, own?.team].filter((p): p is ObjectPermission => !!p);
  return {
    mayUseServer: (server) => perms.every((p) => serverAllowed(p, server)),
    mayCallTool: (server, tool) => serverOffers(server, tool) && perms.every((p) => serverAllowed(p, server) && toolAllowed(p, server, tool)),
  };
}
