// The MCP gateway's parts inside workerd (real local D1 and Durable Objects): config checks and the
// stdio warning, object_permission on keys and teams carried on the key's config, the permission
// rules, credentials sealed at rest in D1, and the endpoint's protocol answers, with a tool call over /mcp
// to a real MCP server (admitted, logged). End to end with the SDK's client: test/node/mcp-e2e.test.ts.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { compileConfig, ConfigError } from "../../src/config/compile";
import type { Principal } from "../../src/core/principal";
import { accessFor } from "../../src/mcp/permissions";
import type { McpServerEntry } from "../../src/mcp/registry";
import { authHeaders } from "../../src/mcp/registry";
import { seal, unseal } from "../../src/mcp/secrets";
import { MCP_ALPHA_TOKEN } from "../mocks/credentials";
import { testGateway } from "./helpers";
import { flushKey, json, keyGuard, newKey, testEnv, unique } from "./keys-helpers";

const server = (name: string, extra: Partial<McpServerEntry> = {}): McpServerEntry => ({
  id: name,
  name,
  url: `http://127.0.0.1:9/${name}`,
  transport: "http",
  headers: {},
  accessGroups: [],
  forwardHeaders: [],
  source: "config",
  ...extra,
});

describe("MCP config", () => {
  it("warns once per stdio server, naming it (never a refusal), and refuses http servers without a url", async () => {
    const compiled = await compileConfig({
      mcp_servers: {
        fs: { command: "npx", args: ["-y", "server-filesystem"] },
        git: { transport: "stdio", command: "uvx" },
        web: { url: "https://mcp.example.com/mcp", transport: "http", auth_type: "bearer_token", authentication_token: "os.environ/WEB_TOKEN" },
      },
    });
    const stdio = compiled.warnings.filter((w) => w.includes("stdio"));
    expect(stdio).toHaveLength(2);
    expect(stdio[0]).toContain("mcp_servers.fs:");
    expect(stdio[1]).toContain("mcp_servers.git:");

    await expect(compileConfig({ mcp_servers: { nourl: { transport: "sse" } } })).rejects.toThrow(/mcp_servers\.nourl\.url: required/);
    const bad = await compileConfig({ mcp_servers: { "has-dash": { url: "https://x" } } }).catch((e: ConfigError) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as ConfigError).issues.join()).toMatch(/no '-'/);
  });

  it("sends the credential the way auth_type says (LiteLLM's headers)", () => {
    expect(authHeaders("api_key", "k")).toEqual({ "X-API-Key": "k" });
    expect(authHeaders("bearer_token", "t")).toEqual({ Authorization: "Bearer t" });
    expect(authHeaders("basic", "user:pass")).toEqual({ Authorization: `Basic ${btoa("user:pass")}` });
    expect(authHeaders("authorization", "Token abc")).toEqual({ Authorization: "Token abc" });
    expect(authHeaders("none", "x")).toEqual({});
  });
});

describe("MCP permissions", () => {
  const principal = (key: unknown, team: unknown = null): Principal => ({ kind: "virtual_key", token: "t", key: { object_permission: { key, team } } as never });

  it("applies the key's and the team's object_permission together, and the server's own tool lists", () => {
    const a = server("a", { accessGroups: ["eng"] });
    const b = server("b", { disallowedTools: ["rm"] });
    const c = server("c", { allowedTools: ["read"] });

    const open = accessFor({ kind: "master" });
    expect([a, b, c].every((s) => open.mayUseServer(s))).toBe(true);
    expect(open.mayCallTool(b, "rm")).toBe(false);
    expect(open.mayCallTool(c, "write")).toBe(false);
    expect(open.mayCallTool(c, "read")).toBe(true);

    const byName = accessFor(principal({ mcp_servers: ["b"] }));
    expect([a, b, c].map((s) => byName.mayUseServer(s))).toEqual([false, true, false]);

    const byGroup = accessFor(principal({ mcp_access_groups: ["eng"] }));
    expect([a, b, c].map((s) => byGroup.mayUseServer(s))).toEqual([true, false, false]);

    // Key allows a and b, team allows b and c: only b.
    const both = accessFor(principal({ mcp_servers: ["a", "b"] }, { mcp_servers: ["b", "c"] }));
    expect([a, b, c].map((s) => both.mayUseServer(s))).toEqual([false, true, false]);

    const tools = accessFor(principal({ mcp_tool_permissions: { a: ["x"] } }, { mcp_tool_permissions: { a: ["x", "y"] } }));
    expect(tools.mayCallTool(a, "x")).toBe(true);
    expect(tools.mayCallTool(a, "y")).toBe(false); // the key's list is narrower
    expect(tools.mayCallTool(b, "anything")).toBe(true);

    const none = accessFor(principal({ mcp_servers: ["no-mcp-servers"] }));
    expect([a, b, c].some((s) => none.mayUseServer(s))).toBe(false);
  });

  it("stores object_permission on keys and teams and carries both on the key's config (no D1 read per request)", async () => {
    const gw = await testGateway({ model_list: [] });
    const teamRes = await gw.post("/team/new", { team_alias: "mcp-team", object_permission: { mcp_servers: ["b"] } });
    expect(teamRes.status).toBe(200);
    const team = await teamRes.json<{ team_id: string; object_permission: unknown }>();
    expect(team.object_permission).toEqual({ mcp_servers: ["b"] });

    const key = await newKey(gw, { team_id: team.team_id, object_permission: { mcp_servers: ["a", "b"], mcp_tool_permissions: { b: ["read"] } } });
    expect(key.object_permission).toEqual({ mcp_servers: ["a", "b"], mcp_tool_permissions: { b: ["read"] } });
    const looked = await keyGuard(key.token).lookup(key.token);
    expect(looked.ok && looked.config.object_permission).toEqual({ key: { mcp_servers: ["a", "b"], mcp_tool_permissions: { b: ["read"] } }, team: { mcp_servers: ["b"] } });

    const updated = await gw.post("/key/update", { key: key.key, object_permission: { mcp_servers: ["a"] } });
    expect((await updated.json<{ object_permission: unknown }>()).object_permission).toEqual({ mcp_servers: ["a"] });
    const refused = await gw.post("/key/update", { key: key.key, object_permission: { mcp_servers: "a" } });
    expect(refused.status).toBe(400);
  });
});

describe("MCP servers added at runtime", () => {
  it("seals credentials with AES-GCM under LITELLM_SALT_KEY: D1 never holds them in the clear", async () => {
    const gw = await testGateway({ model_list: [] }, { LITELLM_SALT_KEY: "salt-for-tests-0001" });
    const secret = "upstream-token-never-in-d1";
    const res = await gw.post("/v1/mcp/server", { server_name: "sealed", url: "https://mcp.example.com/mcp", auth_type: "bearer_token", credentials: { auth_value: secret }, static_headers: { "x-tenant": "tenant-header-secret" } });
    expect(res.status).toBe(200);
    const { server_id } = await res.json<{ server_id: string }>();
    const row = await testEnv.DB.prepare("SELECT * FROM mcp_servers WHERE server_id = ?").bind(server_id).first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(JSON.stringify(row)).not.toContain("tenant-header-secret");
    expect(await unseal("salt-for-tests-0001", row!.credentials)).toEqual({ auth_value: secret, static_headers: { "x-tenant": "tenant-header-secret" } });
    // Another secret cannot open it.
    await expect(unseal("another-salt", row!.credentials)).rejects.toThrow(/cannot be decrypted/);
    // Two seals of the same value differ (random IV).
    expect(await seal("s", { a: 1 })).not.toBe(await seal("s", { a: 1 }));
    expect((await gw.fetch(`/v1/mcp/server/${server_id}`, { method: "DELETE" })).status).toBe(200);
  });
});

describe("the /mcp endpoint", () => {
  const post = (gw: Awaited<ReturnType<typeof testGateway>>, body: unknown, headers: Record<string, string> = {}) =>
    gw.fetch("/mcp", { method: "POST", json: body, headers: { accept: "application/json, text/event-stream", ...headers } });

  it("negotiates the protocol version, issues a session, and wants it on every later request", async () => {
    const gw = await testGateway({ model_list: [] });
    const init = await post(gw, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
    expect(init.status).toBe(200);
    const session = init.headers.get("mcp-session-id")!;
    expect(session).toBeTruthy();
    const body = await init.json<{ result: { protocolVersion: string; capabilities: Record<string, unknown> } }>();
    expect(body.result.protocolVersion).toBe("2025-03-26");
    expect(Object.keys(body.result.capabilities)).toEqual(expect.arrayContaining(["tools", "resources", "prompts"]));

    const unknownVersion = await post(gw, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "1999-01-01", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
    expect((await unknownVersion.json<{ result: { protocolVersion: string } }>()).result.protocolVersion).toMatch(/^20\d\d-/);

    const noSession = await post(gw, { jsonrpc: "2.0", id: 2, method: "tools/list" });
    expect(noSession.status).toBe(400);
    const listed = await post(gw, { jsonrpc: "2.0", id: 3, method: "tools/list" }, { "mcp-session-id": session, "mcp-protocol-version": "2025-03-26" });
    expect(await listed.json()).toEqual({ jsonrpc: "2.0", id: 3, result: { tools: [] } });
    const badVersion = await post(gw, { jsonrpc: "2.0", id: 4, method: "tools/list" }, { "mcp-session-id": session, "mcp-protocol-version": "1999-01-01" });
    expect(badVersion.status).toBe(400);
    const unknownTool = await post(gw, { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "nope-tool", arguments: {} } }, { "mcp-session-id": session });
    expect(((await unknownTool.json()) as { error: { message: string } }).error.message).toMatch(/not available to this key/);

    expect((await gw.fetch("/mcp", { method: "DELETE", headers: { "mcp-session-id": session } })).status).toBe(200);
    expect((await post(gw, { jsonrpc: "2.0", id: 6, method: "tools/list" }, { "mcp-session-id": session })).status).toBe(404);
    expect((await gw.fetch("/nothing/mcp", { method: "POST", json: {} })).status).toBe(404);
    expect((await gw.fetch("/some/other/path")).status).toBe(404);
  });

  it("a tools/call over /mcp is admitted by the key's guard (counted in its rpm) and logged in the spend log", async () => {
    // A real MCP server (test/mocks/mcp-servers.ts' alpha, Streamable HTTP), started by test/global-setup.ts.
    const alphaUrl = (env as unknown as { MCP_ALPHA_URL: string }).MCP_ALPHA_URL;
    const gw = await testGateway({ model_list: [], mcp_servers: { alpha: { url: alphaUrl, transport: "http", auth_type: "bearer_token", authentication_token: MCP_ALPHA_TOKEN } } });
    const { key, token } = await newKey(gw, { key_alias: unique("mcp"), rpm_limit: 2 });
    const rpc = (body: unknown, session?: string) =>
      gw.fetch("/mcp", { method: "POST", key, json: body, headers: { accept: "application/json, text/event-stream", ...(session ? { "mcp-session-id": session, "mcp-protocol-version": "2025-03-26" } : {}) } });
    const init = await rpc({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
    expect(init.status).toBe(200);
    const session = init.headers.get("mcp-session-id")!;
    // Listing is not a tool call: it is not counted.
    const listed = await json(rpc({ jsonrpc: "2.0", id: 2, method: "tools/list" }, session));
    expect(listed.result.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(["alpha-add", "alpha-echo"]));

    const call = (id: number, name: string, args: Record<string, unknown>) => json(rpc({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }, session));
    expect(await call(3, "alpha-add", { a: 2, b: 3 })).toMatchObject({ id: 3, result: { content: [{ type: "text", text: "5" }] } });
    expect(await call(4, "alpha-echo", { text: "over /mcp" })).toMatchObject({ id: 4, result: { content: [{ type: "text", text: "over /mcp" }] } });
    // rpm_limit 2: the third tool call this minute is refused, as a JSON-RPC error carrying the 429.
    const refused = await call(5, "alpha-add", { a: 1, b: 1 });
    expect(refused.result).toBeUndefined();
    expect(refused.error.message).toMatch(/Rate limit exceeded for api_key: .*Limit type: requests\. Current limit: 2/);
    expect(refused.error.data).toMatchObject({ status: 429 });

    await flushKey(token);
    const rows = await json<any[]>(gw.fetch(`/spend/logs?api_key=${token}`));
    expect(rows.map((r) => r.model).sort()).toEqual(["MCP: alpha-add", "MCP: alpha-echo"]);
    for (const row of rows) {
      expect(row).toMatchObject({ call_type: "call_mcp_tool", status: "success", spend: 0, custom_llm_provider: "mcp" });
      expect(row.metadata.mcp_tool_call_metadata).toMatchObject({ mcp_server_name: "alpha", namespaced_tool_name: row.model.slice(5), status: "success" });
    }
    expect(rows.find((r) => r.model === "MCP: alpha-add").metadata.mcp_tool_call_metadata.name).toBe("add");
    expect(await keyGuard(token).snapshot()).toMatchObject({ spend: 0, reserved: 0, inFlight: 0 });
  });
});
