// Config as the LiteLLM guides write it: YAML 1.1 (PyYAML), duplicate sections, models without a
// provider prefix, keys with no meaning on Workers, unset os.environ/ names, and the router keys the
// guides use (fallback_model, priority, supports_*, bare fallback mappings, retry_policy shorthand).
import { afterEach, describe, expect, it, vi } from "vitest";
import { compileConfig, ConfigError } from "../../src/config/compile";
import { readConfigYaml, YamlError } from "../../src/config/yaml";
import { resolveSettings } from "../../src/router/settings";
import { MOCK_URL, openaiModel, testGateway, upstreamRequests } from "./helpers";

const ask = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: "user", content: `q-${crypto.randomUUID()}` }], ...extra });
const uid = () => crypto.randomUUID().slice(0, 8);

afterEach(() => vi.restoreAllMocks());

describe("reading config.yaml as LiteLLM (PyYAML) does", () => {
  it("reads YAML 1.1 booleans, keeps y/n and dates as text, and keeps the last of a key written twice, naming both lines", () => {
    const { raw, warnings } = readConfigYaml(
      ["router_settings:", "  routing_strategy: least-busy", "litellm_settings:", "  drop_params: yes", "  set_verbose: Off", "  tag: y", "  api_version: 2024-02-01", "router_settings:", "  num_retries: 3", ""].join("\n"),
      "guide.yaml",
    );
    expect(raw).toEqual({ router_settings: { num_retries: 3 }, litellm_settings: { drop_params: true, set_verbose: false, tag: "y", api_version: "2024-02-01" } });
    expect(warnings).toEqual(["guide.yaml: 'router_settings' is written twice (lines 1 and 8); the last one is used, as LiteLLM does"]);
  });

  it("says where YAML that does not parse is wrong", () => {
    expect(() => readConfigYaml("model_list:\n  - model_name: [a\n")).toThrow(YamlError);
  });
});

describe("models without a provider prefix", () => {
  it("infers the provider as LiteLLM does, says so at start, and routes to it", async () => {
    const compiled = await compileConfig({
      model_list: [
        { model_name: "gpt-4o", litellm_params: { model: "gpt-4o", api_base: `${MOCK_URL}/openai/v1`, api_key: "sk-upstream-secret-0000" } },
        { model_name: "claude", litellm_params: { model: "claude-sonnet-4-5" } },
        { model_name: "cmd", litellm_params: { model: "command-r-plus" } },
      ],
    });
    expect(compiled.warnings).toContain(
      "model without a provider prefix, inferred as LiteLLM does (write the prefix to be explicit): gpt-4o -> openai/gpt-4o, claude-sonnet-4-5 -> anthropic/claude-sonnet-4-5, command-r-plus -> cohere/command-r-plus",
    );
    const gw = await testGateway({ model_list: [compiled.config.model_list[0]] });
    const body = ask("gpt-4o");
    const res = await gw.post("/v1/chat/completions", body);
    expect(res.status).toBe(200);
    expect((await upstreamRequests(body.messages[0].content))[0].path).toBe("/openai/v1/chat/completions");
    const err = (await compileConfig({ model_list: [{ model_name: "x", litellm_params: { model: "my-local-model" } }] }).catch((e) => e)) as ConfigError;
    expect(err.issues[0]).toContain("expected '<provider>/<model id>', got 'my-local-model' (no provider can be inferred from that name)");
  });
});

describe("keys with no meaning on Workers", () => {
  it("warn one line each, never refuse", async () => {
    const compiled = await compileConfig({
      model_list: [openaiModel("a")],
      general_settings: { database_url: "postgresql://u:p@db:5432/litellm", alerting: ["slack"], alerting_threshold: 300 },
      litellm_settings: { set_verbose: true },
      mcp_servers: { filesystem: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem"] }, github: { url: "https://api.githubcopilot.com/mcp" } },
    });
    expect(compiled.warnings).toEqual([
      "general_settings.database_url is not needed on Workers: keys, teams, users and spend live in D1 (the DB binding in wrangler.toml); ignored",
      "general_settings.alerting (Slack/webhook alerts) is not supported yet; ignored",
      "general_settings.alerting_threshold is not supported yet (it goes with alerting); ignored",
      "litellm_settings.set_verbose has no meaning on Workers: every failed upstream call is logged already; follow the logs with `wrangler tail` (or the terminal running npm start); ignored",
      "mcp_servers.filesystem: stdio MCP servers (command: npx) cannot run on Workers (a Worker cannot start processes): run it behind an HTTP MCP endpoint and give its url instead; ignored",
      "mcp_servers (github): MCP servers are not served yet; ignored",
    ]);
  });
});

describe("an os.environ/ name that is not set", () => {
  it("is warned about when the Worker builds its runtime, and its deployment fails naming it, never using another key", async () => {
    const warn = vi.spyOn(console, "warn");
    const backup = { ...openaiModel("gpt-backup", "gpt-4o", { api_key: "os.environ/OPENAI_API_KEY_BACKUP" }), model_info: { id: `backup-${uid()}` } };
    const gw = await testGateway({ model_list: [backup], router_settings: { num_retries: 2 } }, { OPENAI_API_KEY: "sk-the-other-key-000000" });
    const body = ask("gpt-backup");
    const res = await gw.post("/v1/chat/completions", body);
    expect(res.status).toBe(500);
    const error = ((await res.json()) as any).error;
    expect(error.message).toContain("litellm_params.api_key is os.environ/OPENAI_API_KEY_BACKUP, which is not set");
    // Tried once: it would fail the same way again.
    expect(warn.mock.calls.filter((a) => String(a[0]).includes(`deployment=${backup.model_info.id} `))).toHaveLength(1);
    expect(await upstreamRequests(body.messages[0].content)).toHaveLength(0);
    expect(warn.mock.calls.some((a) => String(a[0]).includes("model_list[0].litellm_params.api_key is os.environ/OPENAI_API_KEY_BACKUP, which is not set"))).toBe(true);
  });

  it("leaves the group's other deployments serving", async () => {
    const gw = await testGateway({
      model_list: [
        { ...openaiModel("gpt", "gpt-4o", { api_key: "os.environ/OPENAI_API_KEY_BACKUP" }), model_info: { id: `unset-${uid()}` } },
        { ...openaiModel("gpt", "gpt-4o"), model_info: { id: `set-${uid()}` } },
      ],
    });
    for (let i = 0; i < 4; i++) expect((await gw.post("/v1/chat/completions", ask("gpt"))).status).toBe(200);
  });
});

describe("router keys the guides use", () => {
  it("fallbacks written as a bare mapping (and a single name) fire like LiteLLM's list", async () => {
    const broken = `broken-${uid()}`;
    const gw = await testGateway({
      model_list: [{ ...openaiModel("gpt-4o", "error-500"), model_info: { id: broken } }, openaiModel("claude-opus"), openaiModel("local-qwen")],
      router_settings: { num_retries: 0, fallbacks: { "gpt-4o": ["claude-opus", "local-qwen"] } as never },
    });
    const res = await gw.post("/v1/chat/completions", ask("gpt-4o"));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-group")).toBe("claude-opus");
    const single = await compileConfig({ model_list: [openaiModel("a"), openaiModel("b")], litellm_settings: { fallbacks: [{ a: "b" }] as never } });
    expect(single.config.litellm_settings.fallbacks).toEqual([{ a: ["b"] }]);
  });

  it("fallback_model is the fallback of every group without its own list", async () => {
    const gw = await testGateway({
      model_list: [{ ...openaiModel("flaky", "error-503"), model_info: { id: `flaky-${uid()}` } }, openaiModel("safe-harbor")],
      router_settings: { num_retries: 0, fallback_model: "safe-harbor" },
    });
    const res = await gw.post("/v1/chat/completions", ask("flaky"));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-group")).toBe("safe-harbor");
    expect(res.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
    await expect(compileConfig({ model_list: [openaiModel("a")], router_settings: { fallback_model: "nope" } })).rejects.toThrow(/router_settings.fallback_model: no model_list entry is named 'nope'/);
  });

  it("priority makes tiers like order, lowest first", async () => {
    const [cheap, premium] = [`cheap-${uid()}`, `premium-${uid()}`];
    const gw = await testGateway({
      model_list: [
        { ...openaiModel("chat", "gpt-4o", { priority: 2 }), model_info: { id: premium } },
        { ...openaiModel("chat", "gpt-4o-mini", { priority: 1 }), model_info: { id: cheap } },
      ],
    });
    for (let i = 0; i < 5; i++) expect((await gw.post("/v1/chat/completions", ask("chat"))).headers.get("x-litellm-model-id")).toBe(cheap);
  });

  it("retry_policy {num_retries, retry_after}: retries for every error, waiting at least retry_after seconds each time", async () => {
    const config = { model_list: [{ ...openaiModel("down", "error-500"), model_info: { id: `down-${uid()}` } }], router_settings: { retry_policy: { num_retries: 2, retry_after: 1 } } };
    const settings = resolveSettings((await compileConfig(config)).config);
    expect(settings).toMatchObject({ numRetries: 2, retryAfterS: 1 });
    const gw = await testGateway(config);
    const started = Date.now();
    const body = ask("down");
    const res = await gw.post("/v1/chat/completions", body);
    expect(res.status).toBe(500);
    expect(await upstreamRequests(body.messages[0].content)).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it("supports_function_calling / supports_vision false: shown by /model/info, skipped for requests that need them, a clear 400 when none is left", async () => {
    const [plain, full] = [`plain-${uid()}`, `full-${uid()}`];
    const gw = await testGateway({
      model_list: [
        { ...openaiModel("mixed", "gpt-4o"), model_info: { id: plain, supports_function_calling: false, supports_vision: false } },
        { ...openaiModel("mixed", "gpt-4o"), model_info: { id: full, supports_function_calling: true } },
        { ...openaiModel("text-only", "gpt-4o"), model_info: { supports_vision: false, supports_reasoning: false } },
      ],
    });
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: {} } } }];
    const image = [{ role: "user", content: [{ type: "text", text: "what is it?" }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }] }];
    for (let i = 0; i < 4; i++) {
      expect((await gw.post("/v1/chat/completions", ask("mixed", { tools }))).headers.get("x-litellm-model-id")).toBe(full);
      expect((await gw.post("/v1/chat/completions", { model: "mixed", messages: image })).headers.get("x-litellm-model-id")).toBe(full);
    }
    const refused = await gw.post("/v1/chat/completions", { model: "text-only", messages: image });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error).toMatchObject({
      param: "messages",
      message: "model=text-only does not support images: no deployment of this model group can serve the request (model_info supports_vision: false). Use a model that supports it, or remove messages from the request.",
    });
    expect((await gw.post("/v1/chat/completions", ask("text-only", { tools }))).status).toBe(200);
    const info = ((await (await gw.fetch("/model/info")).json()) as any).data;
    expect(info[0].model_info).toMatchObject({ supports_function_calling: false, supports_vision: false });
    expect(info[2].model_info).toMatchObject({ supports_vision: false, supports_reasoning: false });
  });
});
