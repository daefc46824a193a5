// The MCP gateway as a user runs it: `npm start`, the official SDK's MCP client against /mcp, and two
// real MCP servers built with the SDK on 127.0.0.1 (alpha: Streamable HTTP with a bearer token; beta:
// HTTP+SSE). Tools are listed prefixed and called on both, keys see and call only what their
// object_permission allows, refused calls never reach a server, sessions continue across requests
// and isolates (their state is in a Durable Object), and the REST and management routes work.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAlpha, startBeta, type MockMcpServer } from "../mocks/mcp-servers";
import { startGateway, type RunningGateway } from "./start";

const MASTER = "sk-mcp-e2e-master-000001";
const ALPHA_TOKEN = "alpha-upstream-secret";
let gw: RunningGateway;
let alpha: MockMcpServer;
let beta: MockMcpServer;

const admin = (path: string, body?: unknown, method = body === undefined ? "GET" : "POST") =>
  fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

async function newKey(fields: Record<string, unknown>): Promise<{ key: string; token: string }> {
  const res = await admin("/key/generate", fields);
  expect(res.status).toBe(200);
  return res.json<any>();
}

async function mcpClient(key: string, path = "/mcp", headers: Record<string, string> = {}): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}${path}`), { requestInit: { headers: { "x-litellm-api-key": key, ...headers } } });
  const client = new Client({ name: "mcp-e2e", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}

const textOf = (r: unknown) => ((r as { content: { text: string }[] }).content[0] ?? { text: "" }).text;
const toolNames = async (client: Client) => (await client.listTools()).tools.map((t) => t.name).sort();

beforeAll(async () => {
  [alpha, beta] = await Promise.all([startAlpha(ALPHA_TOKEN), startBeta()]);
  gw = await startGateway(
    `
model_list:
  - model_name: demo
    litellm_params: { model: openai/demo, mock_response: "hi" }
general_settings:
  master_key: os.environ/MCP_E2E_MASTER
mcp_servers:
  alpha:
    url: ${alpha.url}
    transport: http
    auth_type: bearer_token
    authentication_token: os.environ/ALPHA_TOKEN
    description: numbers and echoes
    disallowed_tools: [danger]
  beta:
    url: ${beta.url}
    transport: sse
  alpha_byo:
    url: ${alpha.url}
    description: the same server, credentials brought by each client
  local_files:
    command: npx
    args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]
`,
    { MCP_E2E_MASTER: MASTER, ALPHA_TOKEN },
  );
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([alpha?.close(), beta?.close()]);
});

describe("MCP gateway under npm start", () => {
  it("warns once at start about the stdio server, naming it", () => {
    const lines = gw.output().split("\n").filter((l) => l.includes("stdio servers"));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toContain("local_files");
    expect(lines[0]).toContain("cannot run on Cloudflare Workers");
  });

  it("lists every server's tools prefixed, and calls a tool on each (Streamable HTTP with a bearer token, and SSE)", async () => {
    const { client } = await mcpClient(MASTER);
    const names = await toolNames(client);
    expect(names).toEqual(expect.arrayContaining(["alpha-add", "alpha-echo", "beta-now", "beta-reverse"]));
    expect(names).not.toContain("alpha-danger"); // disallowed_tools
    // alpha_byo needs the client's own credential: without one it is left out, not an error.
    expect(names.some((n) => n.startsWith("alpha_byo-"))).toBe(false);

    expect(textOf(await client.callTool({ name: "alpha-add", arguments: { a: 2, b: 3 } }))).toBe("5");
    expect(textOf(await client.callTool({ name: "beta-reverse", arguments: { text: "gateway" } }))).toBe("yawetag");
    expect(alpha.authorizations.filter((a) => a === `Bearer ${ALPHA_TOKEN}`).length).toBeGreaterThan(0);
    await client.close();
  });

  it("continues a session across requests: a new connection with the session id needs no initialize", async () => {
    const { client, transport } = await mcpClient(MASTER);
    await client.callTool({ name: "alpha-echo", arguments: { text: "one" } });
    const sessionId = transport.sessionId!;
    expect(sessionId).toMatch(/[0-9a-f-]{36}/);
    const upstreamSessions = alpha.sessions();

    // A separate client (another process could do the same) resumes the gateway session by its id.
    const resumed = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { sessionId, requestInit: { headers: { "x-litellm-api-key": MASTER } } });
    resumed.setProtocolVersion(transport.protocolVersion!);
    const second = new Client({ name: "mcp-e2e-resumed", version: "1.0.0" });
    await second.connect(resumed); // no initialize: the session exists
    expect(textOf(await second.callTool({ name: "alpha-echo", arguments: { text: "two" } }))).toBe("two");
    // The gateway kept its upstream session too (no new initialize upstream).
    expect(alpha.sessions()).toBe(upstreamSessions);

    // Another key cannot use this session.
    const other = await newKey({});
    const stolen = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { "x-litellm-api-key": other.key, "mcp-session-id": sessionId, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(stolen.status).toBe(404);

    // DELETE ends it; the next request with its id is a 404 (the client must initialize again).
    await transport.terminateSession();
    const after = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { "x-litellm-api-key": MASTER, "mcp-session-id": sessionId, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    });
    expect(after.status).toBe(404);
    await client.close();
    await second.close();
  });

  it("a key allowed one server sees and calls only that one; the other is refused without being reached", async () => {
    const { key } = await newKey({ object_permission: { mcp_servers: ["beta"] } });
    const { client } = await mcpClient(key);
    const names = await toolNames(client);
    expect(names).toEqual(["beta-now", "beta-reverse"]);
    expect(textOf(await client.callTool({ name: "beta-now", arguments: {} }))).toBe("1970-01-01T00:00:00.000Z");

    const addsBefore = alpha.calls.get("add") ?? 0;
    await expect(client.callTool({ name: "alpha-add", arguments: { a: 1, b: 1 } })).rejects.toThrow(/not available to this key/);
    expect(alpha.calls.get("add") ?? 0).toBe(addsBefore);
    // Its own server's URL is refused too.
    await expect(mcpClient(key, "/alpha/mcp")).rejects.toThrow();
    await client.close();
  });

  it("refuses a disallowed tool, and a tool outside the key's mcp_tool_permissions, without reaching the server", async () => {
    const { client } = await mcpClient(MASTER);
    await expect(client.callTool({ name: "alpha-danger", arguments: {} })).rejects.toThrow(/not available/);
    expect(alpha.calls.get("danger") ?? 0).toBe(0);
    await client.close();

    const { key } = await newKey({ object_permission: { mcp_tool_permissions: { alpha: ["add"] } } });
    const limited = await mcpClient(key);
    const names = await toolNames(limited.client);
    expect(names.filter((n) => n.startsWith("alpha-"))).toEqual(["alpha-add"]);
    const echoes = alpha.calls.get("echo") ?? 0;
    await expect(limited.client.callTool({ name: "alpha-echo", arguments: { text: "x" } })).rejects.toThrow(/not available/);
    expect(alpha.calls.get("echo") ?? 0).toBe(echoes);
    await limited.client.close();
  });

  it("serves one server at /{server}/mcp, narrows with x-mcp-servers, and passes per-client credentials in x-mcp-{server}-{header}", async () => {
    const single = await mcpClient(MASTER, "/beta/mcp");
    expect(await toolNames(single.client)).toEqual(["beta-now", "beta-reverse"]);
    await single.client.close();

    const narrowed = await mcpClient(MASTER, "/mcp", { "x-mcp-servers": "alpha" });
    expect((await toolNames(narrowed.client)).every((n) => n.startsWith("alpha-"))).toBe(true);
    await narrowed.client.close();

    const byo = await mcpClient(MASTER, "/mcp", { "x-mcp-alpha_byo-authorization": `Bearer ${ALPHA_TOKEN}` });
    expect(await toolNames(byo.client)).toEqual(expect.arrayContaining(["alpha_byo-add"]));
    expect(textOf(await byo.client.callTool({ name: "alpha_byo-add", arguments: { a: 20, b: 22 } }))).toBe("42");
    await byo.client.close();

    // On /{server}/mcp with the gateway key in x-litellm-api-key, Authorization is the upstream credential.
    const own = await mcpClient(MASTER, "/alpha_byo/mcp", { authorization: `Bearer ${ALPHA_TOKEN}` });
    expect(textOf(await own.client.callTool({ name: "alpha_byo-echo", arguments: { text: "mine" } }))).toBe("mine");
    await own.client.close();
  });

  it("lists and reads resources and prompts through the gateway", async () => {
    const { client } = await mcpClient(MASTER);
    const resources = await client.listResources();
    expect(resources.resources.map((r) => r.uri)).toContain("alpha://readme");
    const read = await client.readResource({ uri: "alpha://readme" });
    expect((read.contents[0] as { text: string }).text).toBe("alpha readme");
    const prompts = await client.listPrompts();
    expect(prompts.prompts.map((p) => p.name)).toContain("alpha-greet");
    const prompt = await client.getPrompt({ name: "alpha-greet", arguments: { who: "gateway" } });
    expect((prompt.messages[0].content as { text: string }).text).toBe("Hello gateway");
    await client.close();
  });

  it("REST: /mcp-rest/tools/list and /mcp-rest/tools/call, with the key's permissions", async () => {
    const { key } = await newKey({ object_permission: { mcp_servers: ["alpha"] } });
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const list = await (await fetch(`${gw.url}/mcp-rest/tools/list`, { headers })).json<any>();
    expect(list.tools.map((t: { name: string }) => t.name).sort()).toEqual(["alpha-add", "alpha-echo"]);
    expect(list.tools[0].mcp_info.server_name).toBe("alpha");
    const one = await (await fetch(`${gw.url}/mcp-rest/tools/list?server_id=alpha`, { headers })).json<any>();
    expect(one.tools.map((t: { name: string }) => t.name).sort()).toEqual(["add", "echo"]);

    const call = await fetch(`${gw.url}/mcp-rest/tools/call`, { method: "POST", headers, body: JSON.stringify({ name: "alpha-add", arguments: { a: 4, b: 5 } }) });
    expect(call.status).toBe(200);
    expect(textOf(await call.json<any>())).toBe("9");
    const byServer = await fetch(`${gw.url}/mcp-rest/tools/call`, { method: "POST", headers, body: JSON.stringify({ server_id: "alpha", name: "echo", arguments: { text: "rest" } }) });
    expect(textOf(await byServer.json<any>())).toBe("rest");

    const reverses = beta.calls.get("reverse") ?? 0;
    const refused = await fetch(`${gw.url}/mcp-rest/tools/call`, { method: "POST", headers, body: JSON.stringify({ name: "beta-reverse", arguments: { text: "no" } }) });
    expect(refused.status).toBe(403);
    expect((await refused.json<any>()).error.type).toBe("mcp_tool_not_allowed");
    expect(beta.calls.get("reverse") ?? 0).toBe(reverses);
  });

  it("logs each tool call in the spend log and counts it in the key's rpm", async () => {
    const { key, token } = await newKey({ rpm_limit: 2 });
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const call = () => fetch(`${gw.url}/mcp-rest/tools/call`, { method: "POST", headers, body: JSON.stringify({ name: "beta-reverse", arguments: { text: "ab" } }) });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    const limited = await call();
    expect(limited.status).toBe(429);
    expect((await limited.json<any>()).error.message).toMatch(/Rate limit exceeded/);

    let logs: { call_type: string; model: string; status: string; metadata: { mcp_tool_call_metadata: { mcp_server_name: string; name: string; latency_ms: number } } }[] = [];
    for (let i = 0; i < 50 && logs.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 200));
      logs = await (await admin(`/spend/logs?api_key=${token}`)).json<any>();
    }
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatchObject({ call_type: "call_mcp_tool", model: "MCP: beta-reverse", status: "success" });
    expect(logs[0].metadata.mcp_tool_call_metadata).toMatchObject({ mcp_server_name: "beta", name: "reverse" });
    expect(logs[0].metadata.mcp_tool_call_metadata.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it("adds, lists and deletes servers at runtime (/v1/mcp/server), credentials never shown", async () => {
    const created = await admin("/v1/mcp/server", {
      server_name: "gamma",
      url: alpha.url,
      transport: "http",
      auth_type: "bearer_token",
      credentials: { auth_value: ALPHA_TOKEN },
      allowed_tools: ["echo"],
    });
    expect(created.status).toBe(200);
    const server = await created.json<any>();
    expect(server).toMatchObject({ server_name: "gamma", source: "db", allowed_tools: ["echo"] });
    expect(JSON.stringify(server)).not.toContain(ALPHA_TOKEN);

    const listed = await (await admin("/v1/mcp/server")).json<any>();
    expect(listed.map((s: { server_name: string }) => s.server_name)).toEqual(expect.arrayContaining(["alpha", "beta", "gamma"]));
    expect(JSON.stringify(listed)).not.toContain(ALPHA_TOKEN);

    const { client } = await mcpClient(MASTER);
    const names = await toolNames(client);
    expect(names).toContain("gamma-echo");
    expect(names).not.toContain("gamma-add");
    expect(textOf(await client.callTool({ name: "gamma-echo", arguments: { text: "stored" } }))).toBe("stored");
    await client.close();

    // Virtual keys may not manage servers.
    const { key } = await newKey({});
    const refused = await fetch(`${gw.url}/v1/mcp/server`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ server_name: "x", url: alpha.url }) });
    expect(refused.status).toBe(403);
    expect((await admin(`/v1/mcp/server/alpha`, undefined, "DELETE")).status).toBe(400); // config servers stay

    expect((await admin(`/v1/mcp/server/${server.server_id}`, undefined, "DELETE")).status).toBe(200);
    const again = await mcpClient(MASTER);
    expect((await toolNames(again.client)).some((n) => n.startsWith("gamma-"))).toBe(false);
    await again.client.close();
  });

  it("refuses a bad key before any upstream is reached", async () => {
    const res = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { "x-litellm-api-key": "sk-not-a-real-key-000000000000", "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
    });
    expect(res.status).toBe(401);
  });
});
