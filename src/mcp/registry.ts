// The MCP servers the gateway fronts: the config's `mcp_servers` (built once per isolate, `os.environ/`
// resolved) merged with those added by /v1/mcp/server (D1, re-read by each isolate every few seconds,
// at once in the isolate that changed them).
import type { Env } from "../env";
import { database, mcpServers, type McpServerRow } from "../schema/database";
import type { McpAuthType, McpServerConfig } from "../schema/mcp";
import type { ParsedConfig } from "../schema/config";
import { sealingSecret, unseal } from "./secrets";

/** One upstream MCP server, ready to call. */
export interface McpServerEntry {
  /** server_id: the config's name for config servers, the stored id for D1 ones. */
  id: string;
  /** The tool prefix (`<name>-<tool>`): alias, else server_name. */
  name: string;
  url: string;
  transport: "http" | "sse";
  description?: string;
  /** The server's own credential and static headers. */
  headers: Record<string, string>;
  allowedTools?: string[];
  disallowedTools?: string[];
  accessGroups: string[];
  /** Client request headers forwarded as they are (lowercase names). */
  forwardHeaders: string[];
  authType?: McpAuthType;
  mcpInfo?: Record<string, unknown>;
  source: "config" | "db";
  createdAt?: number;
  updatedAt?: number;
}

/** Stored encrypted: what must not sit in D1 in the clear. */
export interface SealedCredentials {
  auth_value?: string;
  static_headers?: Record<string, string>;
}

/** The headers auth_type sends the credential in (LiteLLM's MCP client does the same). */
export function authHeaders(type: McpAuthType | undefined, value: string | undefined): Record<string, string> {
  if (!value || !type || type === "none") return {};
  switch (type) {
    case "api_key":
      return { "X-API-Key": value };
    case "bearer_token":
      return { Authorization: `Bearer ${value}` };
    case "basic":
      // `user:password` is encoded here; an already encoded value is sent as given.
      return { Authorization: `Basic ${value.includes(":") ? btoa(value) : value}` };
    case "authorization":
      return { Authorization: value };
  }
}

const lower = (names: string[] | undefined | null) => (names ?? []).map((n) => n.toLowerCase());
const transportOf = (t: string | undefined): "http" | "sse" => (t === "sse" ? "sse" : "http");

function configEntry(name: string, server: McpServerConfig, resolve: (v: string) => string | undefined): McpServerEntry | undefined {
  if (server.transport === "stdio" || !server.url) return undefined; // warned about at start (config/mcp.ts)
  const url = resolve(server.url);
  if (!url) return undefined;
  const token = server.authentication_token ?? server.auth_value;
  const statics: Record<string, string> = {};
  for (const [k, v] of Object.entries(server.static_headers ?? {})) {
    const value = resolve(v);
    if (value !== undefined) statics[k] = value;
  }
  return {
    id: name,
    name: server.alias ?? name,
    url,
    transport: transportOf(server.transport),
    description: server.description,
    headers: { ...statics, ...authHeaders(server.auth_type, token === undefined ? undefined : resolve(token)) },
    allowedTools: server.allowed_tools,
    disallowedTools: server.disallowed_tools,
    accessGroups: server.access_groups ?? [],
    forwardHeaders: lower(server.extra_headers),
    authType: server.auth_type,
    mcpInfo: server.mcp_info,
    source: "config",
  };
}

async function storedEntry(row: McpServerRow, secret: string | undefined): Promise<McpServerEntry> {
  const creds = row.credentials && secret ? await unseal<SealedCredentials>(secret, row.credentials) : {};
  return {
    id: row.server_id,
    name: row.alias ?? row.server_name,
    url: row.url,
    transport: transportOf(row.transport),
    description: row.description ?? undefined,
    headers: { ...creds.static_headers, ...authHeaders((row.auth_type ?? undefined) as McpAuthType | undefined, creds.auth_value) },
    allowedTools: row.allowed_tools ?? undefined,
    disallowedTools: row.disallowed_tools ?? undefined,
    accessGroups: row.mcp_access_groups ?? [],
    forwardHeaders: lower(row.extra_headers),
    authType: (row.auth_type ?? undefined) as McpAuthType | undefined,
    mcpInfo: row.mcp_info ?? undefined,
    source: "db",
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// ---- per isolate ----

/** How long an isolate serves the D1 servers it read before reading them again. */
const STORED_TTL_MS = 3_000;
const configEntries = new WeakMap<ParsedConfig, McpServerEntry[]>();
let stored: { at: number; entries: Promise<McpServerEntry[]> } | undefined;

/** Every server: the config's, then the stored ones. */
export async function allServers(env: Env, config: ParsedConfig, resolve: (v: string) => string | undefined, masterKey: string | undefined): Promise<McpServerEntry[]> {
  let fromConfig = configEntries.get(config);
  if (!fromConfig) {
    fromConfig = Object.entries(config.mcp_servers ?? {}).flatMap(([name, s]) => configEntry(name, s, resolve) ?? []);
    configEntries.set(config, fromConfig);
  }
  if (!stored || Date.now() - stored.at > STORED_TTL_MS) {
    const secret = sealingSecret(env, masterKey);
    const loading = database(env.DB)
      .select()
      .from(mcpServers)
      .orderBy(mcpServers.created_at)
      .all()
      .then((rows) => Promise.all(rows.map((r) => storedEntry(r, secret).catch((err: Error) => (console.error(`[mcp] server ${r.server_name} left out: ${err.message}`), undefined)))))
      .then((entries) => entries.filter((e) => e !== undefined));
    stored = { at: Date.now(), entries: loading };
    loading.catch(() => (stored = undefined));
  }
  return [...fromConfig, ...(await stored.entries)];
}

/** After a change through /v1/mcp/server: this isolate reads D1 again on its next request. */
export function forgetStoredServers(): void {
  stored = undefined;
}
