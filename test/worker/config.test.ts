import { describe, expect, it } from "vitest";
import { ConfigError, compileConfig } from "../../src/config/compile";
import { MOCK_URL, openaiModel, testGateway } from "./helpers";

describe("config compilation", () => {
  it("names the path of every bad field and what was expected", async () => {
    const err = await compileConfig({
      model_list: [{ model_name: "x", litellm_params: { model: "openai/x", rpm: "lots" } }, { model_name: "y", litellm_params: { model: "nosuch/y" } }],
      router_settings: { routing_strategy: "random-walk" },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).issues.join("\n");
    expect(text).toContain("model_list[0].litellm_params.rpm");
    expect(text).toContain("router_settings.routing_strategy");
  });

  it("refuses unknown providers and bare names no provider can be inferred from (gpt-4o is inferred: test/worker/guides-config.test.ts)", async () => {
    const err = (await compileConfig({ model_list: [{ model_name: "y", litellm_params: { model: "nosuch/y" } }, { model_name: "z", litellm_params: { model: "my-finetune" } }] }).catch((e) => e)) as ConfigError;
    expect(err.issues[0]).toMatch(/model_list\[0\]\.litellm_params\.model: unknown provider 'nosuch'/);
    expect(err.issues[1]).toMatch(/model_list\[1\]\.litellm_params\.model: expected '<provider>\/<model id>'/);
  });

  it("refuses fallbacks that name no model group", async () => {
    const err = (await compileConfig({
      model_list: [openaiModel("a"), openaiModel("b")],
      router_settings: { fallbacks: [{ a: ["b", "claud"] }], default_fallbacks: ["nope"] },
    }).catch((e) => e)) as ConfigError;
    expect(err.issues).toEqual([
      "router_settings.fallbacks[0].a[1]: no model_list entry is named 'claud'",
      "router_settings.default_fallbacks[0]: no model_list entry is named 'nope'",
    ]);
    await expect(compileConfig({ model_list: [openaiModel("a"), { model_name: "anthropic/*", litellm_params: { model: "anthropic/*" } }], litellm_settings: { fallbacks: [{ a: ["anthropic/claude-x"] }] } })).resolves.toBeDefined();
  });

  it("warns in one line about keys it does not act on, never fails on them", async () => {
    const compiled = await compileConfig({
      model_list: [{ model_name: "x", litellm_params: { model: "openai/x", some_future_param: 1 } }],
      litellm_settings: { success_callback: ["langfuse"], mystery: true },
    });
    expect(compiled.warnings).toHaveLength(1);
    expect(compiled.warnings[0]).toContain("model_list[].litellm_params.some_future_param");
    expect(compiled.warnings[0]).toContain("litellm_settings.success_callback");
    expect(compiled.warnings[0]).toContain("litellm_settings.mystery");
  });

  it("gives each deployment a stable id (LiteLLM's model id) unless model_info.id is set", async () => {
    const a = await compileConfig({ model_list: [openaiModel("m")] });
    const b = await compileConfig({ model_list: [openaiModel("m")] });
    expect(a.config.model_list[0].model_info!.id).toBe(b.config.model_list[0].model_info!.id);
    const c = await compileConfig({ model_list: [{ ...openaiModel("m"), model_info: { id: "mine" } }] });
    expect(c.config.model_list[0].model_info!.id).toBe("mine");
  });
});

describe("model resolution", () => {
  it("routes wildcards, with exact names winning and the most specific pattern first", async () => {
    const gw = await testGateway({
      model_list: [
        { model_name: "*", litellm_params: { model: "*", mock_response: "catch-all" } },
        { model_name: "team/*", litellm_params: { model: "openai/*", api_base: `${MOCK_URL}/openai/v1` } },
        { model_name: "exact", litellm_params: { model: "openai/x", mock_response: "exact" } },
      ],
    });
    const ask = async (model: string) => (await (await gw.post("/v1/chat/completions", { model, messages: [{ role: "user", content: "x" }] })).json()) as any;
    expect((await ask("exact")).choices[0].message.content).toBe("exact");
    expect((await ask("team/gpt-4o")).choices[0].message.content).toBe("Hello from the mock.");
    expect((await ask("team/gpt-4o")).model).toBe("gpt-4o");
    expect((await ask("anything-else")).choices[0].message.content).toBe("catch-all");
  });

  it("resolves model_group_alias to its group", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")], router_settings: { model_group_alias: { "gpt-4": "gpt-test" } } });
    const res = await gw.post("/v1/chat/completions", { model: "gpt-4", messages: [{ role: "user", content: "x" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-group")).toBe("gpt-test");
  });

  it("reads os.environ/NAME from the Worker's env, then environment_variables", async () => {
    const gw = await testGateway(
      {
        model_list: [{ model_name: "m", litellm_params: { model: "openai/gpt", api_base: "os.environ/MOCK_BASE", api_key: "os.environ/UPSTREAM_KEY" } }],
        environment_variables: { MOCK_BASE: `${MOCK_URL}/openai/v1` },
      },
      { UPSTREAM_KEY: "sk-from-env-1234" },
    );
    expect((await gw.post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "x" }] })).status).toBe(200);
  });
});

describe("/v1/models and /model/info", () => {
  it("lists models in OpenAI's shape and shows params without secrets", async () => {
    const gw = await testGateway({
      model_list: [
        openaiModel("gpt-test", "gpt-4o", { extra_headers: { "CF-Access-Client-Secret": "very-secret-value" }, aws_secret_access_key: "aws-secret" }),
        { model_name: "demo", litellm_params: { model: "openai/demo", mock_response: "x" } },
      ],
    });
    for (const path of ["/v1/models", "/models"]) {
      const list = (await (await gw.fetch(path)).json()) as any;
      expect(list.object).toBe("list");
      expect(list.data.map((m: any) => m.id)).toEqual(["gpt-test", "demo"]);
      expect(list.data[0]).toMatchObject({ object: "model", owned_by: "openai", created: expect.any(Number) });
    }
    const info = (await (await gw.fetch("/model/info")).json()) as any;
    const text = JSON.stringify(info);
    expect(text).not.toContain("sk-upstream-secret");
    expect(text).not.toContain("very-secret-value");
    expect(text).not.toContain("aws-secret");
    expect(info.data[0]).toMatchObject({ model_name: "gpt-test", litellm_params: { model: "openai/gpt-4o" }, model_info: { id: expect.any(String) } });
  });
});

describe("health", () => {
  it("answers liveness and readiness without a key", async () => {
    const gw = await testGateway({ model_list: [] });
    for (const path of ["/health/liveliness", "/health/liveness"]) {
      const res = await gw.fetch(path, { key: null });
      expect(await res.json()).toBe("I'm alive!");
    }
    const ready = await gw.fetch("/health/readiness", { key: null });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "healthy", db: "connected" });
  });

  it("probes every deployment with the master key and reports healthy and unhealthy endpoints", async () => {
    const gw = await testGateway({ model_list: [openaiModel("good", "gpt-4o"), openaiModel("bad", "error-401"), { ...openaiModel("emb"), model_info: { mode: "embedding" } }] });
    expect((await gw.fetch("/health", { key: null })).status).toBe(401);
    const report = (await (await gw.fetch("/health")).json()) as any;
    expect(report.healthy_count).toBe(2);
    expect(report.unhealthy_count).toBe(1);
    expect(report.unhealthy_endpoints[0]).toMatchObject({ model_name: "bad", status: 401 });
    expect(JSON.stringify(report)).not.toContain("sk-upstream-secret");
  });
});
