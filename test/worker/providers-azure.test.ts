// azure/ deployments: URL, api-version and key handling, Azure's stream annotations, content-filter
// and other error mapping, against a mock speaking Azure OpenAI's wire format.
import { describe, expect, it } from "vitest";
import { azure } from "../../src/providers/azure/adapter";
import { DEFAULT_API_VERSION } from "../../src/providers/azure/request";
import type { AdapterContext } from "../../src/core/provider";
import { MOCK_URL, readSse, testGateway, upstreamRequests } from "./helpers";

const azureModel = (name: string, deployment = name, extra: Record<string, unknown> = {}) => ({
  model_name: name,
  litellm_params: { model: `azure/${deployment}`, api_base: `${MOCK_URL}/azure`, api_key: "azure-upstream-secret-key", ...extra },
});

describe("azure adapter", () => {
  it("calls the deployment URL with api-version (config, then AZURE_API_VERSION, then the default) and the api-key header", async () => {
    const configured = await testGateway({ model_list: [azureModel("gpt", "my-gpt4o", { api_version: "2024-10-21" })] });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await configured.post("/v1/chat/completions", { model: "gpt", messages: [{ role: "user", content: marker }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-api-base")).toBe(`${MOCK_URL}/azure/openai/deployments/my-gpt4o/chat/completions`);
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/azure/openai/deployments/my-gpt4o/chat/completions");
    expect(seen.headers["api-key"]).toBe("azure-upstream-secret-key");
    expect(seen.headers.authorization).toBeUndefined();
    const body = (await res.json()) as any;
    expect(body.choices[0].message.content).toBe("Hello from the mock.");
    expect(body.usage.total_tokens).toBe(18);

    const fromEnv = await testGateway({ model_list: [azureModel("gpt", "my-gpt4o")] }, { AZURE_API_VERSION: "2024-06-01" });
    const fromDefault = await testGateway({ model_list: [azureModel("gpt", "my-gpt4o")] });
    const seenUrl = async (gw: typeof fromEnv) => {
      const res = await gw.post("/v1/chat/completions", { model: "gpt", messages: [{ role: "user", content: "hi" }] });
      expect(res.status).toBe(200);
    };
    await seenUrl(fromEnv);
    await seenUrl(fromDefault);
    const ctx = (env: Record<string, unknown>, params: Record<string, unknown> = {}): AdapterContext => ({
      deployment: { id: "d", modelName: "gpt", provider: "azure", model: "my-gpt4o", params: { model: "azure/my-gpt4o", api_base: "https://r.openai.azure.com/", api_key: "k", ...params }, info: {}, adapter: azure },
      env: env as never,
      callId: "c",
      stream: false,
    });
    const url = (c: AdapterContext) => (azure.chat!.buildRequest({ model: "gpt", messages: [{ role: "user", content: "x" }] }, c) as { url: string }).url;
    expect(url(ctx({}, { api_version: "2024-10-21" }))).toBe("https://r.openai.azure.com/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21");
    expect(url(ctx({ AZURE_API_VERSION: "2024-06-01" }))).toBe("https://r.openai.azure.com/openai/deployments/my-gpt4o/chat/completions?api-version=2024-06-01");
    expect(url(ctx({}))).toBe(`https://r.openai.azure.com/openai/deployments/my-gpt4o/chat/completions?api-version=${DEFAULT_API_VERSION}`);
    expect(url(ctx({}, { api_version: "v1" }))).toBe("https://r.openai.azure.com/openai/v1/chat/completions");
  });

  it("uses an Entra token as Bearer when there is no key, and the v1 API", async () => {
    const gw = await testGateway({ model_list: [azureModel("gpt", "my-gpt4o", { api_key: undefined, azure_ad_token: "entra-token", api_version: "v1" })] });
    const marker = `m-${crypto.randomUUID()}`;
    expect((await gw.post("/v1/chat/completions", { model: "gpt", messages: [{ role: "user", content: marker }] })).status).toBe(200);
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/azure/openai/v1/chat/completions");
    expect(seen.headers.authorization).toBe("Bearer entra-token");
    expect(JSON.parse(seen.body).model).toBe("my-gpt4o");
  });

  it("streams without Azure's choice-less annotation chunks, with usage", async () => {
    const gw = await testGateway({ model_list: [azureModel("gpt")] });
    const marker = `m-${crypto.randomUUID()}`;
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "gpt", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: marker }] }))) as any[];
    expect(JSON.parse((await upstreamRequests(marker))[0].body).stream_options).toEqual({ include_usage: true });
    expect(chunks.at(-1)).toBe("[DONE]");
    expect(chunks.slice(0, -2).every((c) => c.choices.length === 1)).toBe(true);
    expect(chunks.slice(0, -2).map((c) => c.choices[0].delta.content ?? "").join("")).toBe("Hello from the mock.");
    expect(chunks.at(-2)).toMatchObject({ choices: [], usage: { total_tokens: 18 } });
  });

  it("serves completions and embeddings on the deployment paths", async () => {
    const gw = await testGateway({ model_list: [azureModel("gpt"), { ...azureModel("emb", "my-embedding"), model_info: { mode: "embedding" } }] });
    const marker = `m-${crypto.randomUUID()}`;
    const completion = (await (await gw.post("/v1/completions", { model: "gpt", prompt: marker })).json()) as any;
    expect(completion.choices[0].text).toBe("Hello from the mock.");
    expect((await upstreamRequests(marker))[0].path).toBe("/azure/openai/deployments/gpt/completions");
    const emb = (await (await gw.post("/v1/embeddings", { model: "emb", input: ["a"] })).json()) as any;
    expect(emb.data[0].embedding).toEqual([0.5, 0.25]);
  });

  it("turns content-filter refusals into content_policy errors (400) and passes a filtered answer's finish_reason", async () => {
    const gw = await testGateway({ model_list: [azureModel("filtered"), azureModel("filtered-output")] });
    const res = await gw.post("/v1/chat/completions", { model: "filtered", messages: [{ role: "user", content: "x" }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.message).toContain("content management policy");
    expect(body.error.param).toBe("prompt");
    const out = (await (await gw.post("/v1/chat/completions", { model: "filtered-output", messages: [{ role: "user", content: "x" }] })).json()) as any;
    expect(out.choices[0].finish_reason).toBe("content_filter");

    const ctx = { deployment: { provider: "azure", params: { model: "azure/x", api_key: "k" } }, env: {}, callId: "c", stream: false } as unknown as AdapterContext;
    const filtered = azure.mapError({ status: 400, headers: new Headers(), text: JSON.stringify({ error: { code: "content_filter", message: "filtered", innererror: { code: "ResponsibleAIPolicyViolation" } } }) }, ctx);
    expect(filtered).toMatchObject({ status: 400, kind: "content_policy" });
    const context = azure.mapError({ status: 400, headers: new Headers(), text: JSON.stringify({ error: { code: "context_length_exceeded", message: "This model's maximum context length is 128000 tokens." } }) }, ctx);
    expect(context).toMatchObject({ status: 400, kind: "context_window" });
    const limited = azure.mapError({ status: 429, headers: new Headers({ "retry-after-ms": "6000" }), text: "{}" }, ctx);
    expect(limited).toMatchObject({ status: 429, kind: "rate_limit", retryAfter: 6 });
  });

  it("maps 401, 429 (retry-after) and 5xx for clients", async () => {
    // No retries: the router would honour the 429's retry-after (6 s) before answering.
    const gw = await testGateway({ router_settings: { num_retries: 0 }, model_list: [azureModel("bad", "x", { api_key: "wrong" }), azureModel("limited", "error-429"), azureModel("down", "error-503"), azureModel("ctx", "error-400-context")] });
    const call = (model: string) => gw.post("/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] });
    const bad = await call("bad");
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as any).error.message).toContain("Access denied");
    const limited = await call("limited");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("6");
    expect((await call("down")).status).toBe(503);
    expect((await call("ctx")).status).toBe(400);
  });

  it("needs an api_base", async () => {
    const gw = await testGateway({ model_list: [{ model_name: "gpt", litellm_params: { model: "azure/x", api_key: "k" } }] });
    const res = await gw.post("/v1/chat/completions", { model: "gpt", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(500);
    expect(((await res.json()) as any).error.message).toContain("AZURE_API_BASE");
  });
});
