// What isolates and the McpSession Durable Objects (./session-object.ts) say to each other, and
// `mcpSessionFor`, the one place their stubs are made (the class itself is imported only by src/index.ts).
import type { Env } from "../env";
import { GatewayError } from "../errors";
import type { UpstreamSession } from "./upstream";

/** One gateway MCP session (Mcp-Session-Id), as any isolate needs it to serve the session's next request. */
export interface McpSessionRecord {
  /** Who opened it: a virtual key's token, "master" or "open". Only they may use it. */
  owner: string;
  /** Negotiated at initialize. */
  protocolVersion: string;
  clientInfo?: { name?: string; version?: string };
  createdAt: number;
  lastSeenAt: number;
  /** Streamable HTTP upstream sessions opened for it, by server id. */
  upstream: Record<string, UpstreamSession>;
}

export interface McpSessionRpc {
  open(record: McpSessionRecord): Promise<void>;
  /** The session (marked as used now), or null when it does not exist or has expired. */
  touch(): Promise<McpSessionRecord | null>;
  /** Remembers (or, null, forgets) the upstream session for a server. */
  setUpstream(serverId: string, session: UpstreamSession | null): Promise<void>;
  /** Ends the session; returns what it held, so its upstream sessions can be ended too. */
  close(): Promise<McpSessionRecord | null>;
}

export function mcpSessionFor(env: Env, sessionId: string): McpSessionRpc {
  const ns = env.MCP_SESSIONS;
  if (!ns) throw new GatewayError(500, "server", "The MCP_SESSIONS Durable Object binding is missing from wrangler.toml (see README: MCP gateway).");
  return ns.get(ns.idFromName(sessionId)) as unknown as McpSessionRpc;
}
