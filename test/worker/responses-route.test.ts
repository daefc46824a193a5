// POST /v1/responses through the whole chain inside workerd: passthrough to deployments that speak
// the Responses API (openai/, azure/, supported_endpoints), the chat bridge for the others (the
// Anthropic and Ollama mocks), stored responses in local D1 (previous_response_id, GET, DELETE,
// input_items, another key, expiry), spend rows with LiteLLM's call_type.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { sweepExpired } from "../../src/responses/store";
import { MOCK_URL, ollamaModel, openaiModel, spendRow, testGateway, upstreamRequests } from "./helpers";
import { flushKey, newKey, unique } from "./keys-helpers";

const testEnv = env as unknown as Env;

const PRICE = { input_cost_per_token: 2 ** -20, output_cost_per_token: 2 ** -18 };
const claude = { model_name: "claude", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: `${MOCK_URL}/anthropic`, api_key: "sk-ant-upstream-1", ...PRICE } };
const gpt = openaiModel("gpt", "gpt-4.1-mini", PRICE);
const llama = { ...ollamaModel("llama", "llama3.2"), model_info: { id: "llama-1" } };
const azure = { model_name: "azure-gpt", litellm_params: { model: "azure/my-gpt", api_base: `${MOCK_URL}/azure`, api_key: "azure-upstream-secret-key" } };

const weather = { type: "function", name: "get_weather", description: "Weather by city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } };

async function events(res: Response): Promise<{ event: string; data: any }[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1] ?? "", data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null") }));
}

const json = async (res: Response | Promise<Response>) => (await res).json() as Promise<any>;


describe("POST /v1/responses, bridged through chat completions", () => {
  it("answers a Response from an anthropic/ deployment, with spend logged as aresponses", async () => {
    const gw = await testGateway({ model_list: [claude] });
    const marker = unique("bridge");
    const res = await gw.post("/v1/responses", { model: "claude", instructions: "Be brief.", input: marker, max_output_tokens: 100 });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ object: "response", status: "completed", model: "claude-sonnet-4-5", instructions: "Be brief." });
    expect(body.id).toMatch(/^resp_[0-9a-f]{24}$/);
    expect(body.output).toEqual([{ id: expect.stringMatching(/^msg_/), type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", annotations: [], logprobs: [], text: "Hello from the mock." }] }]);
    // The mock's usage: 12 input + 3 cache read + 2 cache write, 6 output.
    expect(body.usage).toMatchObject({ input_tokens: 17, output_tokens: 6, input_tokens_details: { cached_tokens: 3, cache_write_tokens: 2 } });
    const [seen] = await upstreamRequests(marker);
    expect(JSON.parse(seen.body)).toMatchObject({ model: "claude-sonnet-4-5", system: [{ type: "text", text: "Be brief." }], max_tokens: 100, messages: [{ role: "user", content: [{ type: "text", text: marker }] }] });
    const cost = Number(res.headers.get("x-litellm-response-cost"));
    expect(cost).toBeGreaterThan(0);
    const row = await spendRow(gw, res.headers.get("x-litellm-call-id"));
    expect(row).toMatchObject({ call_type: "aresponses", model_group: "claude", custom_llm_provider: "anthropic", prompt_tokens: 17, completion_tokens: 6, status: "success" });
    expect(row.spend).toBeCloseTo(cost, 15);
  });

  it("streams OpenAI's events from an Ollama deployment, a tool call included, and the stream's spend", async () => {
    const gw = await testGateway({ model_list: [llama] });
    const res = await gw.post("/v1/responses", { model: "llama", input: "weather in Paris?", tools: [weather], stream: true });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const all = await events(res);
    expect(all.map((e) => e.event)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(all.map((e) => e.data.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const done = all.at(-1)!.data.response;
    expect(done.output[0]).toMatchObject({ type: "function_call", name: "get_weather", arguments: '{"city":"Paris"}', status: "completed" });
    expect(done.usage).toMatchObject({ input_tokens: 26, output_tokens: 5, total_tokens: 31 });
    const row = await spendRow(gw, res.headers.get("x-litellm-call-id"));
    expect(row).toMatchObject({ call_type: "aresponses", prompt_tokens: 26, completion_tokens: 5, model_id: "llama-1" });
  });

  it("continues a bridged conversation with previous_response_id, lists and deletes it, for its own key only", async () => {
    const gw = await testGateway({ model_list: [claude] });
    const owner = await newKey(gw);
    const other = await newKey(gw);
    const first = await json(gw.post("/v1/responses", { model: "claude", input: "weather?", tools: [weather] }, owner.key));
    const call = first.output.find((o: any) => o.type === "function_call");
    expect(call).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}' });

    const marker = unique("turn2");
    const second = await gw.post("/v1/responses", { model: "claude", previous_response_id: first.id, tools: [weather], input: [{ type: "function_call_output", call_id: call.call_id, output: `18C ${marker}` }] }, owner.key);
    expect(second.status, await second.clone().text()).toBe(200);
    expect((await json(second)).output.at(-1).content[0].text).toBe("Hello from the mock.");
    const [seen] = await upstreamRequests(marker);
    const messages = JSON.parse(seen.body).messages;
    expect(messages.map((m: any) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(messages[1].content.find((b: any) => b.type === "tool_use")).toMatchObject({ id: call.call_id, name: "get_weather" });
    expect(messages[2].content[0]).toMatchObject({ type: "tool_result", tool_use_id: call.call_id });

    expect(await json(gw.fetch(`/v1/responses/${first.id}`, { key: owner.key }))).toEqual(first);
    const items = await json(gw.fetch(`/v1/responses/${first.id}/input_items?order=asc`, { key: owner.key }));
    expect(items).toMatchObject({ object: "list", has_more: false, data: [{ type: "message", role: "user", content: [{ type: "input_text", text: "weather?" }] }] });

    // Another key: the response does not exist for it, to read, continue or delete.
    const foreign = await gw.fetch(`/v1/responses/${first.id}`, { key: other.key });
    expect(foreign.status).toBe(404);
    expect((await json(foreign)).error.message).toBe(`Response with id '${first.id}' not found.`);
    expect((await gw.fetch(`/responses/${first.id}/input_items`, { key: other.key })).status).toBe(404);
    expect((await gw.fetch(`/v1/responses/${first.id}`, { method: "DELETE", key: other.key })).status).toBe(404);
    const stolen = await gw.post("/v1/responses", { model: "claude", previous_response_id: first.id, input: "hi" }, other.key);
    expect(stolen.status).toBe(400);
    expect((await json(stolen)).error).toMatchObject({ param: "previous_response_id", code: "previous_response_not_found" });

    expect(await json(gw.fetch(`/v1/responses/${first.id}`, { method: "DELETE", key: owner.key }))).toEqual({ id: first.id, object: "response", deleted: true });
    expect((await gw.fetch(`/v1/responses/${first.id}`, { key: owner.key })).status).toBe(404);
  });

  it("keeps nothing with store: false, refuses built-in tools on bridged-only models, and a key's other models", async () => {
    const gw = await testGateway({ model_list: [claude, gpt] });
    const unstored = await json(gw.post("/v1/responses", { model: "claude", input: "hi", store: false }));
    expect(unstored.store).toBe(false);
    expect((await gw.fetch(`/v1/responses/${unstored.id}`)).status).toBe(404);

    const builtIn = await gw.post("/v1/responses", { model: "claude", input: "news?", tools: [{ type: "web_search" }] });
    expect(builtIn.status).toBe(400);
    expect((await json(builtIn)).error).toMatchObject({ code: "unsupported_on_bridge", param: "tools[0]" });

    const limited = await newKey(gw, { models: ["gpt"] });
    const refused = await gw.post("/v1/responses", { model: "claude", input: "hi" }, limited.key);
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.type).toBe("key_model_access_denied");
  });

  it("forgets expired responses and sweeps them", async () => {
    const gw = await testGateway({ model_list: [claude], general_settings: { master_key: "sk-master-test-1234", responses_store_ttl: "1h" } });
    const made = await json(gw.post("/v1/responses", { model: "claude", input: "hi" }));
    const row = await testEnv.DB.prepare("SELECT created_at, expires_at FROM stored_responses WHERE id = ?").bind(made.id).first<{ created_at: number; expires_at: number }>();
    expect(row!.expires_at - row!.created_at).toBe(3_600_000);
    await testEnv.DB.prepare("UPDATE stored_responses SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, made.id).run();
    expect((await gw.fetch(`/v1/responses/${made.id}`)).status).toBe(404);
    await sweepExpired(testEnv.DB, Date.now() + 2 * 3_600_000);
    expect(await testEnv.DB.prepare("SELECT id FROM stored_responses WHERE id = ?").bind(made.id).first()).toBeNull();
  });
});

describe("POST /v1/responses, native passthrough", () => {
  it("sends the client's request as is (routing controls removed) and answers with the upstream's Response", async () => {
    const gw = await testGateway({ model_list: [gpt] });
    const marker = unique("native");
    const res = await gw.post("/v1/responses", { model: "gpt", input: marker, tools: [{ type: "web_search" }], num_retries: 1, metadata: { run: "a" } });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ object: "response", model: "gpt-4.1-mini-2025-01-01", output: [{ type: "message" }] });
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/openai/v1/responses");
    expect(seen.headers.authorization).toBe("Bearer sk-upstream-secret-0000");
    expect(JSON.parse(seen.body)).toEqual({ model: "gpt-4.1-mini", input: marker, tools: [{ type: "web_search" }], metadata: { run: "a" } });
    // 20 input (4 cached) and 7 output tokens.
    const expected = 16 * PRICE.input_cost_per_token + 4 * PRICE.input_cost_per_token + 7 * PRICE.output_cost_per_token;
    expect(Number(res.headers.get("x-litellm-response-cost"))).toBeCloseTo(expected, 15);
    const row = await spendRow(gw, res.headers.get("x-litellm-call-id"));
    expect(row).toMatchObject({ call_type: "aresponses", prompt_tokens: 20, completion_tokens: 7, cached_tokens: 4 });

    // Stored as native: GET, input_items and DELETE go to the deployment that holds it.
    const got = await json(gw.fetch(`/v1/responses/${body.id}`));
    expect(got).toEqual(body);
    const items = await json(gw.fetch(`/v1/responses/${body.id}/input_items`));
    expect(items.data[0]).toMatchObject({ role: "user", content: marker });
    expect(await json(gw.fetch(`/v1/responses/${body.id}`, { method: "DELETE" }))).toEqual({ id: body.id, object: "response", deleted: true });
    expect((await gw.fetch(`/v1/responses/${body.id}`)).status).toBe(404);
  });

  it("streams the upstream's frames as written and takes the usage from response.completed", async () => {
    const gw = await testGateway({ model_list: [gpt] });
    const res = await gw.post("/v1/responses", { model: "gpt", input: "hi", stream: true });
    const all = await events(res);
    expect(all.map((e) => e.event)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array(5).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(all.map((e) => e.data.delta ?? "").join("")).toBe("Hello from the mock.");
    const row = await spendRow(gw, res.headers.get("x-litellm-call-id"));
    expect(row).toMatchObject({ call_type: "aresponses", prompt_tokens: 20, completion_tokens: 7 });
    // previous_response_id on the native record passes through to the deployment that holds it.
    const id = all.at(-1)!.data.response.id;
    const next = await gw.post("/v1/responses", { model: "gpt", input: "and then?", previous_response_id: id });
    expect(next.status, await next.clone().text()).toBe(200);
    expect((await json(next)).previous_response_id).toBe(id);
  });

  it("serves deployments with supported_endpoints natively, azure/ at its resource URL, and sends built-in tools of mixed groups to native deployments only", async () => {
    const vllm = { model_name: "mixed", litellm_params: { model: "hosted_vllm/qwen", api_base: `${MOCK_URL}/openai/v1`, api_key: "vllm-key" }, model_info: { supported_endpoints: ["/v1/chat/completions", "/v1/responses"] } };
    const gw = await testGateway({ model_list: [vllm, { ...claude, model_name: "mixed" }, azure] });
    for (let i = 0; i < 4; i++) {
      const marker = unique("mixed");
      const res = await gw.post("/v1/responses", { model: "mixed", input: marker, tools: [{ type: "web_search" }] });
      expect(res.status, await res.clone().text()).toBe(200);
      const [seen] = await upstreamRequests(marker);
      expect(seen.path).toBe("/openai/v1/responses");
    }
    const marker = unique("azure");
    const res = await gw.post("/v1/responses", { model: "azure-gpt", input: marker });
    expect(res.status, await res.clone().text()).toBe(200);
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/azure/openai/responses");
    expect(seen.headers["api-key"]).toBe("azure-upstream-secret-key");
    expect(JSON.parse(seen.body).model).toBe("my-gpt");
    const made = await json(res);
    expect((await json(gw.fetch(`/v1/responses/${made.id}/input_items?limit=5`))).data[0]).toMatchObject({ content: marker });
    const [listed] = (await upstreamRequests("")).filter((r) => r.path === `/azure/openai/responses/${made.id}/input_items`);
    expect(listed).toBeDefined();
    expect(await json(gw.fetch(`/v1/responses/${made.id}`, { method: "DELETE" }))).toMatchObject({ id: made.id, deleted: true });
  });

  it("continues a bridged conversation on a native deployment by sending it as input", async () => {
    const gw = await testGateway({ model_list: [claude, gpt] });
    const first = await json(gw.post("/v1/responses", { model: "claude", input: "first question" }));
    const marker = unique("switch");
    const res = await gw.post("/v1/responses", { model: "gpt", previous_response_id: first.id, input: marker });
    expect(res.status, await res.clone().text()).toBe(200);
    const [seen] = await upstreamRequests(marker);
    const sent = JSON.parse(seen.body);
    expect(sent.previous_response_id).toBeUndefined();
    expect(sent.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "first question" }] },
      { type: "message", role: "assistant", content: "Hello from the mock." },
      { type: "message", role: "user", content: marker },
    ]);
  });
});

describe("mode: responses", () => {
  it("makes /health probe with a Responses call, natively or through the bridge", async () => {
    const gw = await testGateway({ model_list: [{ ...gpt, model_info: { mode: "responses" } }, { ...claude, model_info: { mode: "responses" } }, { ...openaiModel("gone", "error-404"), model_info: { mode: "responses" } }] });
    const report = await json(gw.fetch("/health"));
    expect(report.healthy_endpoints.map((e: any) => e.model_name).sort()).toEqual(["claude", "gpt"]);
    expect(report.healthy_endpoints.find((e: any) => e.model_name === "gpt").api_base).toBe(`${MOCK_URL}/openai/v1/responses`);
    expect(report.unhealthy_endpoints).toMatchObject([{ model_name: "gone", status: 404 }]);
  });

  it("serves a mock_response deployment through the bridge", async () => {
    const gw = await testGateway({ model_list: [{ model_name: "demo", litellm_params: { model: "openai/demo", mock_response: "Hi from the demo." } }] });
    const body = await json(gw.post("/responses", { model: "demo", input: "hi" }));
    expect(body).toMatchObject({ status: "completed", output: [{ type: "message", content: [{ type: "output_text", text: "Hi from the demo." }] }] });
  });
});

describe("spend of virtual keys on /v1/responses", () => {
  it("charges the key for bridged and native calls", async () => {
    const gw = await testGateway({ model_list: [claude, gpt] });
    const key = await newKey(gw);
    const a = await gw.post("/v1/responses", { model: "claude", input: "hi" }, key.key);
    const b = await gw.post("/v1/responses", { model: "gpt", input: "hi", stream: true }, key.key);
    await b.text();
    await flushKey(key.token);
    const info = await json(gw.fetch(`/key/info?key=${key.token}`));
    const native = 16 * PRICE.input_cost_per_token + 4 * PRICE.input_cost_per_token + 7 * PRICE.output_cost_per_token;
    expect(info.info.spend).toBeCloseTo(Number(a.headers.get("x-litellm-response-cost")) + native, 15);
  });
});
