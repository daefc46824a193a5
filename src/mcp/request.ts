// What one MCP request may reach: the servers the caller may use, narrowed by the URL (`/{server}/mcp`)
// and the `x-mcp-servers` header, and the headers the client sends each server: `x-mcp-{server}-{header}`
// (LiteLLM's per-client credentials), the server's `extra_headers`, and on `/{server}/mcp` with the
// gateway key in `x-litellm-api-key`, the client's own `Authorization`.
import type { Principal } from "../core/principal";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import type { ParsedConfig } from "../schema/config";
import { logToken } from "../metering/side-calls";
import type { McpContext } from "./gateway";
import { accessFor } from "./permissions";
import { allServers, type McpServerEntry } from "./registry";

/** Not server credential headers: LiteLLM's own x-mcp-* headers. */
const RESERVED = new Set(["x-mcp-servers", "x-mcp-access-groups", "x-mcp-auth"]);

export interface McpRequestInput {
  env: Env;
  principal: Principal;
  config: ParsedConfig;
  /** Resolves `os.environ/NAME` (config/runtime.ts envLookup). */
  resolve: (value: string) => string | undefined;
  masterKey: string | undefined;
  headers: Headers;
  /** `/{server}/mcp`: the one server in view. */
  pathServer?: string;
  /** The gateway key came in x-litellm-api-key, so Authorization is the client's upstream credential. */
  authorizationIsUpstream: boolean;
}

export async function mcpContext(input: McpRequestInput): Promise<McpContext> {
  const { env, principal, config, headers } = input;
  const access = accessFor(principal);
  const all = await allServers(env, config, input.resolve, input.masterKey);
  let servers = all.filter((s) => access.mayUseServer(s));
  if (input.pathServer !== undefined) {
    const wanted = all.find((s) => s.name === input.pathServer || s.id === input.pathServer);
    if (!wanted) throw new GatewayError(404, "not_found", `MCP server '${input.pathServer}' not found`);
    if (!servers.includes(wanted)) throw new GatewayError(403, "permission", `This key may not use MCP server '${input.pathServer}' (its object_permission leaves it out)`, { type: "mcp_server_not_allowed" });
    servers = [wanted];
  }
  const narrowed = headers.get("x-mcp-servers");
  if (narrowed) {
    const names = narrowed.split(",").map((n) => n.trim()).filter(Boolean);
    servers = servers.filter((s) => names.includes(s.name) || names.includes(s.id));
  }
  const perServer = clientHeadersByServer(headers, all);
  const forwardAuthorization = input.pathServer !== undefined && input.authorizationIsUpstream ? headers.get("authorization") : null;
  const token = logToken(principal, input.masterKey);
  return {
    env,
    principal,
    token: typeof token === "string" ? token : await token,
    servers,
    access,
    clientHeaders: (server) => {
      const out: Record<string, string> = {};
      for (const name of server.forwardHeaders) {
        const value = headers.get(name);
        if (value !== null) out[name] = value;
      }
      if (forwardAuthorization) out.authorization = forwardAuthorization;
      return { ...out, ...perServer.get(server) };
    },
    storePrompts: !!config.general_settings.store_prompts_in_spend_logs,
    keepLogRow: !config.general_settings.disable_spend_logs,
  };
}

/** `x-mcp-{server}-{header}: value` -> {server: {header: value}}; the longest matching server name wins. */
function clientHeadersByServer(headers: Headers, servers: McpServerEntry[]): Map<McpServerEntry, Record<string, string>> {
  const out = new Map<McpServerEntry, Record<string, string>>();
  const byLength = [...servers].sort((a, b) => b.name.length - a.name.length);
  headers.forEach((value, rawName) => {
    const name = rawName.toLowerCase();
    if (!name.startsWith("x-mcp-") || RESERVED.has(name)) return;
    const server = byLength.find((s) => name.startsWith(`x-mcp-${s.name.toLowerCase()}-`));
    if (!server) return;
    const header = name.slice(`x-mcp-${server.name}-`.length);
    if (!header) return;
    const own = out.get(server) ?? {};
    own[header] = value;
    out.set(server, own);
  });
  return out;
}
