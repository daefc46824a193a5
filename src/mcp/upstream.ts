// Talking to one upstream MCP server with the official SDK's client (its transports use fetch, so they
// run in the Worker). Streamable HTTP servers keep one upstream session per gateway session (its id
// lives in the session's Durable Object, so any isolate resumes it); SSE servers hold their session on
// an open stream, so each gateway request opens one, uses it and closes it (LiteLLM does the same).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import type { McpServerEntry } from "./registry";

/** An upstream Streamable HTTP session, resumable from any isolate. */
export interface UpstreamSession {
  sessionId: string;
  protocolVersion: string;
}

/**
 * The gateway passes results through untouched; the calling client validates them against the tools'
 * output schemas. (The SDK's default validator compiles schemas to code, which Workers forbid.)
 */
const passThrough: jsonSchemaValidator = { getValidator: () => (input: unknown) => ({ valid: true, data: input, errorMessage: undefined }) as never };

/** fetch with only what Workers' fetch takes (the SSE client's EventSource adds `mode` and `credentials`). */
const workerFetch = (url: string | URL, init?: RequestInit): Promise<Response> =>
  fetch(url, { method: init?.method, headers: init?.headers, body: init?.body, signal: init?.signal, redirect: init?.redirect });

function transportFor(server: McpServerEntry, headers: Record<string, string>, saved: UpstreamSession | undefined) {
  const url = new URL(server.url);
  const requestInit = { headers };
  if (server.transport === "sse") return new SSEClientTransport(url, { requestInit, fetch: workerFetch, eventSourceInit: { fetch: workerFetch } });
  const transport = new StreamableHTTPClientTransport(url, { requestInit, fetch: workerFetch, sessionId: saved?.sessionId });
  if (saved) transport.setProtocolVersion(saved.protocolVersion);
  return transport;
}

export class UpstreamUnreachable extends Error {
  constructor(
    readonly server: string,
    cause: Error,
  ) {
    super(`MCP server '${server}' failed: ${cause.message}`);
  }
}

/**
 * Runs `work` on a client connected to `server`, then closes it. `saved`: the gateway session's upstream
 * session (Streamable HTTP), resumed without a new initialize; one the server no longer knows (404) is
 * replaced. Returns the upstream session in use afterwards, for the gateway session to keep.
 * `keep`: false ends a new upstream session when done (no gateway session to remember it).
 */
export async function withServer<T>(
  server: McpServerEntry,
  headers: Record<string, string>,
  saved: UpstreamSession | undefined,
  keep: boolean,
  work: (client: Client) => Promise<T>,
): Promise<{ result: T; session: UpstreamSession | undefined }> {
  try {
    return await attempt(server, headers, saved, keep, work);
  } catch (err) {
    if (saved && err instanceof StreamableHTTPError && err.code === 404) return attempt(server, headers, undefined, keep, work).catch(unreachable(server));
    throw unreachable(server)(err);
  }
}

const unreachable = (server: McpServerEntry) => (err: unknown) => {
  throw err instanceof UpstreamUnreachable ? err : new UpstreamUnreachable(server.name, err as Error);
};

async function attempt<T>(server: McpServerEntry, headers: Record<string, string>, saved: UpstreamSession | undefined, keep: boolean, work: (client: Client) => Promise<T>) {
  const transport = transportFor(server, headers, saved);
  const client = new Client({ name: "edge-llm-gateway", version: "1.0.0" }, { jsonSchemaValidator: passThrough });
  try {
    await client.connect(transport);
    const result = await work(client);
    let session: UpstreamSession | undefined;
    if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
      session = { sessionId: transport.sessionId, protocolVersion: transport.protocolVersion ?? saved?.protocolVersion ?? LATEST_PROTOCOL_VERSION };
      if (!keep && !saved) await transport.terminateSession().catch(() => {});
    }
    return { result, session: keep ? session : undefined };
  } finally {
    await client.close().catch(() => {});
  }
}

/** Ends an upstream session a gateway session held (DELETE /mcp); failures are the upstream's business. */
export async function endUpstreamSession(server: McpServerEntry, headers: Record<string, string>, saved: UpstreamSession): Promise<void> {
  const transport = transportFor(server, headers, saved);
  if (!(transport instanceof StreamableHTTPClientTransport)) return;
  try {
    await transport.terminateSession();
  } catch {
    // Gone already, or unreachable: either way the session is over for us.
  } finally {
    await transport.close().catch(() => {});
  }
}
