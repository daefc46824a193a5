// The providers the LiteLLM guides' configs use besides the classic ones: cohere/ (v2 chat, streaming,
// tools, embeddings), azure_ai/ (Azure AI Foundry model inference), google/ (= Gemini on AI Studio) and
// an openrouter/ model id with a slash and a colon.
import { describe, expect, it } from "vitest";
import { azureAiTarget } from "../../src/providers/azure_ai/request";
import type { AdapterContext } from "../../src/core/provider";
import { AZURE_AI_KEY, COHERE_KEY } from "../mocks/credentials";
import { MOCK_URL, readSse, testGateway, upstreamRequests } from "./helpers";

const weatherTool = { type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };
const cohereModel = (name: string, model: string) => ({ model_name: name, litellm_params: { model: `cohere/${model}`, api_base: `${MOCK_URL}/cohere`, api_key: "os.environ/COHERE_KEY" } });
const cohereEnv = { COHERE_KEY };
const sentBody = async (marker: string) => JSON.parse((await upstreamRequests(marker))[0].body);

describe("cohere/ (v2 API)", () => {
  it("chats: messages, sampling params under Cohere's names, usage from usage.tokens", async () => {
    const gw = await testGateway({ model_list: [cohereModel("command", "command-a-03-2025")] }, cohereEnv);
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", {
      model: "command",
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: [{ type: "text", text: marker }] }],
      max_tokens: 100,
      top_p: 0.5,
      stop: "END",
      temperature: 0.2,
    });
    expect(res.status).toBe(200);
    const out = (await res.json()) as any;
    expect(out).toMatchObject({ id: "chatcmpl-c14c80c3-mock", object: "chat.completion", model: "command-a-03-2025", usage: { prompt_tokens: 71, completion_tokens: 5, total_tokens: 76 } });
    expect(out.choices[0]).toMatchObject({ message: { role: "assistant", content: "Hello from the mock." }, finish_reason: "stop" });
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/cohere/v2/chat");
    expect(seen.headers.authorization).toBe(`Bearer ${COHERE_KEY}`);
    expect(JSON.parse(seen.body)).toEqual({
      model: "command-a-03-2025",
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: marker }],
      max_tokens: 100,
      temperature: 0.2,
      p: 0.5,
      stop_sequences: ["END"],
    });
  });

  it("calls tools, sends tool results back by tool_call_id, and streams tool calls", async () => {
    const gw = await testGateway({ model_list: [cohereModel("command", "command-r-plus")] }, cohereEnv);
    const marker = `m-${crypto.randomUUID()}`;
    const first = (await (await gw.post("/v1/chat/completions", { model: "command", tools: [weatherTool], tool_choice: "required", messages: [{ role: "user", content: marker }] })).json()) as any;
    expect(first.choices[0].finish_reason).toBe("tool_calls");
    const call = first.choices[0].message.tool_calls[0];
    expect(call).toEqual({ id: "get_weather_mock1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    expect(first.choices[0].message.reasoning_content).toBe("I will look up the weather.");
    expect((await sentBody(marker)).tool_choice).toBe("REQUIRED");

    const second = await gw.post("/v1/chat/completions", {
      model: "command",
      tools: [weatherTool],
      messages: [{ role: "user", content: "weather?" }, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: call.id, content: `sunny ${marker}` }],
    });
    expect(((await second.json()) as any).choices[0].message.content).toBe("Hello from the mock.");
    const body = (await upstreamRequests(`sunny ${marker}`)).map((r) => JSON.parse(r.body))[0];
    expect(body.messages.slice(1)).toEqual([
      { role: "assistant", tool_calls: [{ id: call.id, type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: call.id, content: `sunny ${marker}` },
    ]);

    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "command", stream: true, tools: [weatherTool], messages: [{ role: "user", content: "w" }] }))) as any[];
    const deltas = chunks.flatMap((c) => c.choices?.[0]?.delta?.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, id: "get_weather_mock1", function: { name: "get_weather" } });
    expect(JSON.parse(deltas.map((d: any) => d.function?.arguments ?? "").join(""))).toEqual({ city: "Paris" });
    expect(chunks.find((c) => c.choices?.[0]?.finish_reason)?.choices[0].finish_reason).toBe("tool_calls");
  });

  it("streams text with the role first, the finish reason and the usage chunk", async () => {
    const gw = await testGateway({ model_list: [cohereModel("command", "command-a-03-2025")] }, cohereEnv);
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "command", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }))) as any[];
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "Hello" });
    expect(chunks.slice(0, -1).map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("Hello from the mock.");
    expect(chunks.find((c) => c.choices?.[0]?.finish_reason)?.choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-2).usage).toEqual({ prompt_tokens: 71, completion_tokens: 5, total_tokens: 76 });
  });

  it("embeds with v2/embed (input_type search_document by default, or the request's) and reports billed tokens", async () => {
    const gw = await testGateway({ model_list: [{ ...cohereModel("embed", "embed-v4.0"), model_info: { mode: "embedding" } }] }, cohereEnv);
    const marker = `m-${crypto.randomUUID()}`;
    const out = (await (await gw.post("/v1/embeddings", { model: "embed", input: [marker, "b"], dimensions: 2 })).json()) as any;
    expect(out.data.map((d: any) => d.embedding)).toEqual([[0.1, 0.2], [1.1, 1.2]]);
    expect(out.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    expect(await sentBody(marker)).toEqual({ model: "embed-v4.0", texts: [marker, "b"], input_type: "search_document", embedding_types: ["float"], output_dimension: 2 });
    const query = `q-${crypto.randomUUID()}`;
    await gw.post("/v1/embeddings", { model: "embed", input: query, input_type: "search_query" });
    expect((await sentBody(query)).input_type).toBe("search_query");
  });

  it("keeps Cohere's error message and status", async () => {
    const gw = await testGateway({ model_list: [cohereModel("limited", "error-429")], router_settings: { num_retries: 0 } }, cohereEnv);
    const res = await gw.post("/v1/chat/completions", { model: "limited", messages: [{ role: "user", content: "x" }] });
    expect(res.status).toBe(429);
    expect(((await res.json()) as any).error.message).toMatch(/^cohere error: You are using a Trial key/);
  });
});

describe("azure_ai/ (Azure AI Foundry model inference)", () => {
  const azureAi = (name: string, model: string, base = `${MOCK_URL}/azure-ai/models`) => ({
    model_name: name,
    litellm_params: { model: `azure_ai/${model}`, api_base: base, api_key: "os.environ/AZURE_AI_KEY", api_version: "2024-05-01-preview" },
  });

  it("chats with OpenAI's format: text-only content flattened, no parameters the API does not define, api-version kept", async () => {
    const gw = await testGateway({ model_list: [azureAi("mistral", "Mistral-large-2411")] }, { AZURE_AI_KEY });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", { model: "mistral", messages: [{ role: "user", content: [{ type: "text", text: marker }] }], max_tokens: 20 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).choices[0].message.content).toBe("Hello from the mock.");
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/azure-ai/models/chat/completions");
    expect(seen.headers.authorization).toBe(`Bearer ${AZURE_AI_KEY}`);
    expect(JSON.parse(seen.body)).toEqual({ model: "Mistral-large-2411", messages: [{ role: "user", content: marker }], max_tokens: 20 });

    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "mistral", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }))) as any[];
    expect(chunks.slice(0, -1).map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("Hello from the mock.");
    expect(chunks.at(-2).usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 5 });
  });

  it("embeds, and serves a serverless endpoint (base without /models)", async () => {
    const gw = await testGateway({ model_list: [{ ...azureAi("emb", "embed-v-4-0"), model_info: { mode: "embedding" } }, azureAi("serverless", "Phi-4", `${MOCK_URL}/azure-ai`)] }, { AZURE_AI_KEY });
    const out = (await (await gw.post("/v1/embeddings", { model: "emb", input: "hello" })).json()) as any;
    expect(out.data[0].embedding).toEqual([0.75, 0.5]);
    const marker = `m-${crypto.randomUUID()}`;
    expect((await gw.post("/v1/chat/completions", { model: "serverless", messages: [{ role: "user", content: marker }] })).status).toBe(200);
    expect((await upstreamRequests(marker))[0].path).toBe("/azure-ai/chat/completions");
  });

  it("puts the key in api-key on Azure's hosts and builds LiteLLM's URLs", () => {
    const ctx = (api_base: string) => ({ deployment: { modelName: "m", model: "m", params: { model: "azure_ai/m", api_base, api_key: "k", api_version: "2024-05-01-preview" } }, env: {} }) as unknown as AdapterContext;
    const foundry = azureAiTarget("/chat/completions", ctx("https://res.services.ai.azure.com/models"));
    expect(foundry.url).toBe("https://res.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview");
    expect(foundry.headers["api-key"]).toBe("k");
    expect(foundry.headers.authorization).toBeUndefined();
    expect(azureAiTarget("/embeddings", ctx("https://res.services.ai.azure.com")).url).toBe("https://res.services.ai.azure.com/models/embeddings?api-version=2024-05-01-preview");
    const serverless = azureAiTarget("/chat/completions", ctx("https://my-llama.eastus2.models.ai.azure.com/v1/chat/completions?api-version=x"));
    expect(serverless.url).toBe("https://my-llama.eastus2.models.ai.azure.com/v1/chat/completions?api-version=x");
    expect(serverless.headers.authorization).toBe("Bearer k");
  });
});

describe("google/ and model ids with slashes and colons", () => {
  it("google/ is Gemini on AI Studio, with GEMINI_API_KEY and Gemini's prices", async () => {
    const gw = await testGateway(
      {
        model_list: [
          { model_name: "flash", litellm_params: { model: "google/gemini-3.5-flash", api_base: `${MOCK_URL}/gemini` } },
          { model_name: "priced", litellm_params: { model: "google/gemini-2.5-flash", api_base: `${MOCK_URL}/gemini` } },
        ],
      },
      { GEMINI_API_KEY: "AIzaSy-google-prefix-key" },
    );
    const priced = await gw.post("/v1/chat/completions", { model: "priced", messages: [{ role: "user", content: "x" }] });
    expect(Number(priced.headers.get("x-litellm-response-cost"))).toBeGreaterThan(0);
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", { model: "flash", messages: [{ role: "user", content: marker }] });
    expect(res.status).toBe(200);
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/gemini/v1beta/models/gemini-3.5-flash:generateContent");
    expect(seen.headers["x-goog-api-key"]).toBe("AIzaSy-google-prefix-key");
  });

  it("routes openrouter/google/gemma-3-27b-it:free by its full name, sends the id whole, and names it in headers and /v1/models", async () => {
    const id = "openrouter/google/gemma-3-27b-it:free";
    const gw = await testGateway({
      model_list: [
        { model_name: id, litellm_params: { model: id, api_base: `${MOCK_URL}/openai/v1`, api_key: "sk-or-test-1234567890" }, model_info: { id: "gemma:free/1" } },
        { model_name: "openrouter/*", litellm_params: { model: "openrouter/*", api_base: `${MOCK_URL}/openai/v1`, api_key: "sk-or-test-1234567890" } },
      ],
    });
    for (const model of [id, "openrouter/meta-llama/llama-3.3-70b-instruct:free"]) {
      const marker = `m-${crypto.randomUUID()}`;
      const res = await gw.post("/v1/chat/completions", { model, messages: [{ role: "user", content: marker }] });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-litellm-model-group")).toBe(model);
      expect(JSON.parse((await upstreamRequests(marker))[0].body).model).toBe(model.slice("openrouter/".length));
      if (model === id) expect(res.headers.get("x-litellm-model-id")).toBe("gemma:free/1");
    }
    const models = (await (await gw.fetch("/v1/models")).json()) as any;
    expect(models.data.map((m: any) => m.id)).toEqual([id, "openrouter/*"]);
  });
});
