// MCP in LiteLLM's shapes: the config's `mcp_servers:` entries, the `object_permission` of keys and
// teams (which servers and tools they may use), and the /v1/mcp/server management bodies.
import { z } from "zod";

/** `http` is Streamable HTTP (LiteLLM's default); `streamable_http` is accepted as its other name. */
export const mcpTransports = ["http", "streamable_http", "sse", "stdio"] as const;
/** How the server's credential is sent: X-API-Key, Authorization: Bearer / Basic / as given. */
export const mcpAuthTypes = ["none", "api_key", "bearer_token", "basic", "authorization"] as const;

/**
 * Server names prefix their tools (`<server>-<tool>`), so they may not contain the `-` separator
 * (LiteLLM refuses them too).
 */
export const MCP_SERVER_NAME = /^[A-Za-z0-9_.]{1,64}$/;
export const MCP_SERVER_NAME_RULE = "MCP server names may use letters, digits, '_' and '.' (tools are named '<server>-<tool>', so no '-')";
export const mcpServerName = z.string().regex(MCP_SERVER_NAME, MCP_SERVER_NAME_RULE);

const names = z.array(z.string().min(1));

/** One `mcp_servers.<name>` entry of config.yaml. Any string may be `os.environ/NAME`. */
export const mcpServerConfigSchema = z.looseObject({
  url: z.string().optional(),
  transport: z.enum(mcpTransports).optional(),
  auth_type: z.enum(mcpAuthTypes).optional(),
  /** The credential auth_type sends (LiteLLM also reads it as `auth_value`). */
  authentication_token: z.string().optional(),
  auth_value: z.string().optional(),
  description: z.string().optional(),
  /** Only these tools are offered (upstream names); empty or absent = all. */
  allowed_tools: names.optional(),
  disallowed_tools: names.optional(),
  /** Access groups a key's object_permission.mcp_access_groups can name. */
  access_groups: names.optional(),
  /** Client request headers forwarded to this server as they are (e.g. ["Authorization"]). */
  extra_headers: names.optional(),
  /** Headers always sent to this server. */
  static_headers: z.record(z.string(), z.string()).optional(),
  alias: z.string().optional(),
  mcp_info: z.record(z.string(), z.unknown()).optional(),
  /** stdio servers (a local process): cannot run on Workers; the start-up warning names them. */
  command: z.string().optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
});

/** Names are checked at build time (config/mcp.ts), where the message can name the server. */
export const mcpServersSchema = z.record(z.string(), mcpServerConfigSchema);

export type McpServerConfig = z.infer<typeof mcpServerConfigSchema>;
export type McpTransport = (typeof mcpTransports)[number];
export type McpAuthType = (typeof mcpAuthTypes)[number];

/** LiteLLM's object_permission on /key/generate, /key/update, /team/new, /team/update. */
export const objectPermissionSchema = z.strictObject({
  /** Server names (or server_ids) the key/team may use; absent = every server. */
  mcp_servers: z.array(z.string().min(1)).optional(),
  /** Access groups whose servers it may use. */
  mcp_access_groups: z.array(z.string().min(1)).optional(),
  /** Per server: the only tools it may call (upstream names). A server not listed: all its tools. */
  mcp_tool_permissions: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
  /** Accepted for LiteLLM compatibility; this gateway has no vector stores or agents. */
  vector_stores: z.array(z.string()).optional(),
  agents: z.array(z.string()).optional(),
  agent_access_groups: z.array(z.string()).optional(),
});
export type ObjectPermission = z.infer<typeof objectPermissionSchema>;

/** POST /v1/mcp/server (LiteLLM's NewMCPServerRequest, the fields this gateway acts on). */
export const newMcpServerSchema = z.looseObject({
  server_id: z.string().trim().min(1).max(128).optional(),
  server_name: mcpServerName,
  alias: z.string().optional(),
  description: z.string().optional(),
  url: z.url({ protocol: /^https?$/ }),
  transport: z.enum(["http", "streamable_http", "sse"]).default("http"),
  auth_type: z.enum(mcpAuthTypes).optional(),
  /** LiteLLM's MCPCredentials; auth_value is the credential auth_type sends. Stored encrypted. */
  credentials: z.looseObject({ auth_value: z.string().optional() }).optional(),
  allowed_tools: names.optional(),
  disallowed_tools: names.optional(),
  mcp_access_groups: names.optional(),
  extra_headers: names.optional(),
  /** Stored encrypted with the credentials (they often carry secrets). */
  static_headers: z.record(z.string(), z.string()).optional(),
  mcp_info: z.record(z.string(), z.unknown()).optional(),
});
export type NewMcpServer = z.infer<typeof newMcpServerSchema>;
