// Two real MCP servers, built with the official SDK, on 127.0.0.1 (for the MCP gateway's tests):
//   alpha: Streamable HTTP (stateful sessions), needs `Authorization: Bearer <token>`; tools add, echo,
//          danger; a resource and a prompt.
//   beta:  the older HTTP+SSE transport (GET /sse, POST /messages), no auth; tools reverse, now.
// Each counts the tool calls that reach it, so tests can prove a refused call never got there.
import { createServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export interface MockMcpServer {
  url: string;
  /** Tool name -> calls that reached the server. */
  calls: Map<string, number>;
  /** Sessions opened (initialize requests that succeeded). */
  sessions: () => number;
  /** Authorization headers seen. */
  authorizations: string[];
  close(): Promise<void>;
}

const count = (calls: Map<string, number>, name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
const text = (t: string) => ({ content: [{ type: "text" as const, text: t }] });

function alphaServer(calls: Map<string, number>): McpServer {
  const server = new McpServer({ name: "alpha", version: "1.0.0" });
  server.registerTool("add", { description: "Adds two numbers", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => (count(calls, "add"), text(String(a + b))));
  server.registerTool("echo", { description: "Echoes text", inputSchema: { text: z.string() } }, async ({ text: t }) => (count(calls, "echo"), text(t)));
  server.registerTool("danger", { description: "Must never be reached through the gateway", inputSchema: {} }, async () => (count(calls, "danger"), text("boom")));
  server.registerResource("readme", "alpha://readme", { mimeType: "text/plain" }, async (uri) => ({ contents: [{ uri: uri.href, text: "alpha readme" }] }));
  server.registerPrompt("greet", { argsSchema: { who: z.string() } }, ({ who }) => ({ messages: [{ role: "user", content: { type: "text", text: `Hello ${who}` } }] }));
  return server;
}

function betaServer(calls: Map<string, number>): McpServer {
  const server = new McpServer({ name: "beta", version: "1.0.0" });
  server.registerTool("reverse", { description: "Reverses text", inputSchema: { text: z.string() } }, async ({ text: t }) => (count(calls, "reverse"), text([...t].reverse().join(""))));
  server.registerTool("now", { description: "The time", inputSchema: {} }, async () => (count(calls, "now"), text(new Date(0).toISOString())));
  return server;
}

async function listen(http: HttpServer): Promise<string> {
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
}

/** Streamable HTTP at /mcp, stateful (Mcp-Session-Id), requiring `Authorization: Bearer <token>`. */
export async function startAlpha(token: string): Promise<MockMcpServer> {
  const calls = new Map<string, number>();
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const authorizations: string[] = [];
  let sessions = 0;
  const http = createServer(async (req, res) => {
    authorizations.push(req.headers.authorization ?? "");
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: "invalid token" }));
      return;
    }
    const body = req.method === "POST" ? await readJson(req) : undefined;
    const id = req.headers["mcp-session-id"] as string | undefined;
    let transport = id ? transports.get(id) : undefined;
    if (!transport) {
      if (id) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null }));
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (sid) => {
          sessions++;
          transports.set(sid, transport!);
        },
      });
      transport.onclose = () => transport!.sessionId && transports.delete(transport!.sessionId);
      await alphaServer(calls).connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
  const url = await listen(http);
  return {
    url: `${url}/mcp`,
    calls,
    sessions: () => sessions,
    authorizations,
    async close() {
      for (const t of transports.values()) await t.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

/** HTTP+SSE: GET /sse opens a session's stream, POST /messages?sessionId= sends to it. */
export async function startBeta(): Promise<MockMcpServer> {
  const calls = new Map<string, number>();
  const transports = new Map<string, SSEServerTransport>();
  const authorizations: string[] = [];
  let sessions = 0;
  const http = createServer(async (req, res) => {
    authorizations.push(req.headers.authorization ?? "");
    const url = new URL(req.url!, "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/sse") {
      const transport = new SSEServerTransport("/messages", res);
      transports.set(transport.sessionId, transport);
      res.on("close", () => transports.delete(transport.sessionId));
      sessions++;
      await betaServer(calls).connect(transport);
      return;
    }
    if (req.method === "POST" && url.pathname === "/messages") {
      const transport = transports.get(url.searchParams.get("sessionId") ?? "");
      if (!transport) return void res.writeHead(404).end("unknown session");
      await transport.handlePostMessage(req, res, await readJson(req));
      return;
    }
    res.writeHead(404).end();
  });
  const url = await listen(http);
  return {
    url: `${url}/sse`,
    calls,
    sessions: () => sessions,
    authorizations,
    async close() {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}
