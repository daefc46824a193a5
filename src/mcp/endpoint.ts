// `/mcp` and `/{server}/mcp`: the MCP Streamable HTTP endpoint. The SDK's Server and its Web-standard
// transport do the protocol (JSON-RPC, version negotiation, Accept and version headers); each request
// gets a fresh pair, so any isolate can serve it. What the SDK keeps in memory for a session is kept
// instead in the session's Durable Object (session-object.ts): the gateway issues Mcp-Session-Id at
// initialize, checks it on every later request, and ends it on DELETE.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  isInitializeRequest,
  LATEST_PROTOCOL_VERSION,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type InitializeRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { GatewayError } from "../errors";
import { inBackground } from "../lib/background";
import { callTool, getPrompt, listPrompts, listResources, listResourceTemplates, listTools, readResource, type McpContext } from "./gateway";
import { mcpSessionFor, type McpSessionRecord } from "./session-rpc";
import { endUpstreamSession } from "./upstream";

const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** SSE comment on an idle GET stream, so proxies keep it open. */
const KEEPALIVE_MS = 25_000;

const rpcError = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), { status, headers: { "content-type": "application/json", ...headers } });

/** A gateway refusal as a JSON-RPC error the client's SDK shows (status kept in `data`). */
function asMcpError(err: unknown): McpError {
  if (err instanceof McpError) return err;
  if (err instanceof GatewayError) return new McpError(err.status === 403 || err.status === 404 ? ErrorCode.InvalidParams : ErrorCode.InternalError, err.message, { status: err.status, type: err.type });
  return new McpError(ErrorCode.InternalError, (err as Error).message);
}

const handled =
  <A, R>(fn: (arg: A) => Promise<R>) =>
  async (arg: A): Promise<R> => {
    try {
      return await fn(arg);
    } catch (err) {
      throw asMcpError(err);
    }
  };

function gatewayServer(ctx: McpContext): Server {
  const server = new Server(
    { name: "edge-llm-gateway", version: "1.0.0" },
    { capabilities: { tools: {}, resources: {}, prompts: {} }, instructions: `Tools of ${ctx.servers.length} MCP server(s), named <server>-<tool>.` },
  );
  server.setRequestHandler(ListToolsRequestSchema, handled(async () => ({ tools: (await listTools(ctx)).map(({ _server, ...t }) => t) })));
  server.setRequestHandler(CallToolRequestSchema, handled((r) => callTool(ctx, r.params.name, r.params.arguments ?? {})));
  server.setRequestHandler(ListResourcesRequestSchema, handled(async () => ({ resources: await listResources(ctx) })));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, handled(async () => ({ resourceTemplates: await listResourceTemplates(ctx) })));
  server.setRequestHandler(ReadResourceRequestSchema, handled((r) => readResource(ctx, r.params.uri)));
  server.setRequestHandler(ListPromptsRequestSchema, handled(async () => ({ prompts: await listPrompts(ctx) })));
  server.setRequestHandler(GetPromptRequestSchema, handled((r) => getPrompt(ctx, r.params.name, r.params.arguments)));
  return server;
}

/** Who may use a session: the key that opened it. */
const ownerOf = (ctx: McpContext) => ctx.principal.token ?? ctx.principal.kind;

/** The request's session, checked: its owner must be the caller. Undefined with the Response to send instead. */
async function sessionOf(req: Request, ctx: McpContext): Promise<McpContext["session"] | Response> {
  const id = req.headers.get("mcp-session-id");
  if (!id) return rpcError(400, -32000, "Bad Request: Mcp-Session-Id header is required (send initialize first)");
  const stub = mcpSessionFor(ctx.env, id);
  const record = await stub.touch();
  if (!record || record.owner !== ownerOf(ctx)) return rpcError(404, -32001, "Session not found");
  return { id, record, stub };
}

function versionError(req: Request): Response | undefined {
  const v = req.headers.get("mcp-protocol-version");
  if (v !== null && !SUPPORTED_PROTOCOL_VERSIONS.includes(v)) return rpcError(400, -32000, `Bad Request: Unsupported protocol version: ${v} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`);
  return undefined;
}

export async function serveMcp(req: Request, ctx: McpContext): Promise<Response> {
  switch (req.method) {
    case "POST":
      return post(req, ctx);
    case "GET":
      return get(req, ctx);
    case "DELETE":
      return remove(req, ctx);
    default:
      return rpcError(405, -32000, "Method not allowed.", { allow: "GET, POST, DELETE" });
  }
}

async function post(req: Request, ctx: McpContext): Promise<Response> {
  const text = await req.text();
  if (text.length > MAX_BODY_BYTES) return rpcError(413, -32000, `Request body too large (over ${MAX_BODY_BYTES} bytes)`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return rpcError(400, -32700, "Parse error: Invalid JSON");
  }
  const messages = Array.isArray(body) ? body : [body];
  const init = messages.find(isInitializeRequest) as InitializeRequest | undefined;
  let sessionId: string | undefined;
  if (init) {
    sessionId = crypto.randomUUID();
  } else {
    const session = await sessionOf(req, ctx);
    if (session instanceof Response) return session;
    ctx.session = session;
  }
  const server = gatewayServer(ctx);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  const res = await transport.handleRequest(new Request(req.url, { method: "POST", headers: req.headers }), { parsedBody: body });
  inBackground(server.close());
  if (!init || !sessionId || res.status !== 200) return res;
  const requested = init.params.protocolVersion;
  const record: McpSessionRecord = {
    owner: ownerOf(ctx),
    protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION,
    clientInfo: { name: init.params.clientInfo?.name, version: init.params.clientInfo?.version },
    createdAt: Date.now(),
    lastSeenAt: Date.now(),
    upstream: {},
  };
  await mcpSessionFor(ctx.env, sessionId).open(record);
  const headers = new Headers(res.headers);
  headers.set("mcp-session-id", sessionId);
  return new Response(res.body, { status: res.status, headers });
}

/**
 * The optional server-to-client stream. The gateway sends no requests or notifications of its own, so
 * it carries keep-alive comments only, until the client goes away.
 */
async function get(req: Request, ctx: McpContext): Promise<Response> {
  if (!req.headers.get("accept")?.includes("text/event-stream")) return rpcError(406, -32000, "Not Acceptable: Client must accept text/event-stream");
  const session = await sessionOf(req, ctx);
  if (session instanceof Response) return session;
  const bad = versionError(req);
  if (bad) return bad;
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(": connected\n\n"));
      timer = setInterval(() => controller.enqueue(encoder.encode(": keep-alive\n\n")), KEEPALIVE_MS);
    },
    cancel() {
      clearInterval(timer);
    },
  });
  req.signal.addEventListener("abort", () => clearInterval(timer));
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform", "mcp-session-id": session!.id } });
}

/** Ends the session, and the upstream sessions it opened. */
async function remove(req: Request, ctx: McpContext): Promise<Response> {
  const session = await sessionOf(req, ctx);
  if (session instanceof Response) return session;
  const bad = versionError(req);
  if (bad) return bad;
  const record = await session!.stub.close();
  for (const [serverId, upstream] of Object.entries(record?.upstream ?? {})) {
    const server = ctx.servers.find((s) => s.id === serverId);
    if (server) inBackground(endUpstreamSession(server, { ...server.headers, ...ctx.clientHeaders(server) }, upstream));
  }
  return new Response(null, { status: 200 });
}
