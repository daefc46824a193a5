// `npm start` driven by the official SDKs across providers: the Anthropic SDK on /v1/messages (to an
// OpenAI-format deployment and to an anthropic/ one), and the openai SDK on anthropic/, gemini/,
// bedrock/ and azure/ deployments, tools and streaming included. Upstreams are the mocks speaking
// each provider's wire format; the Worker is the real bundle under wrangler dev.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockUpstream, type MockUpstream } from "../mocks/upstream";
import { startGateway, type RunningGateway } from "./start";

const MASTER = "sk-e2e-providers-master-01";
let mock: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;
let anthropic: Anthropic;

const weather = { name: "get_weather", description: "Weather by city", input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] } };
const weatherFn = { type: "function" as const, function: { name: weather.name, description: weather.description, parameters: weather.input_schema } };

beforeAll(async () => {
  mock = await startMockUpstream();
  const config = `
model_list:
  - model_name: gpt
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${mock.url}/openai/v1, api_key: os.environ/E2E_OPENAI_KEY }
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_base: ${mock.url}/anthropic, api_key: os.environ/E2E_ANTHROPIC_KEY }
  - model_name: claude-limited
    litellm_params: { model: anthropic/error-429, api_base: ${mock.url}/anthropic, api_key: os.environ/E2E_ANTHROPIC_KEY }
  - model_name: gemini
    litellm_params: { model: gemini/gemini-2.5-flash, api_base: ${mock.url}/gemini, api_key: os.environ/E2E_GEMINI_KEY }
  - model_name: bedrock-claude
    litellm_params:
      model: bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0
      api_base: ${mock.url}/bedrock
      aws_access_key_id: os.environ/E2E_AWS_KEY_ID
      aws_secret_access_key: os.environ/E2E_AWS_SECRET
      aws_region_name: us-east-1
  - model_name: azure-gpt
    litellm_params: { model: azure/my-gpt4o, api_base: ${mock.url}/azure, api_key: os.environ/E2E_AZURE_KEY }
general_settings:
  master_key: os.environ/E2E_MASTER_KEY
`;
  gw = await startGateway(config, {
    E2E_MASTER_KEY: MASTER,
    E2E_OPENAI_KEY: "sk-upstream-openai-e2e",
    E2E_ANTHROPIC_KEY: "sk-ant-upstream-e2e-1",
    E2E_GEMINI_KEY: "AIza-upstream-gemini-e2e",
    E2E_AWS_KEY_ID: "AKIDMOCKGATEWAY",
    E2E_AWS_SECRET: "mock/secret+key/for-sigv4",
    E2E_AZURE_KEY: "azure-upstream-secret-key",
  });
  openai = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await mock?.close();
});

describe("Anthropic SDK -> /v1/messages", () => {
  it("reaches an OpenAI-format deployment and gets an Anthropic message back", async () => {
    const msg = await anthropic.messages.create({ model: "gpt", max_tokens: 100, system: "Be brief.", messages: [{ role: "user", content: "e2e-anthropic-to-openai" }] });
    expect(msg).toMatchObject({ type: "message", role: "assistant", content: [{ type: "text", text: "Hello from the mock." }], stop_reason: "end_turn" });
    expect(msg.usage).toMatchObject({ input_tokens: 11, output_tokens: 5 });
    const seen = JSON.parse(mock.requests.find((r) => r.body.includes("e2e-anthropic-to-openai"))!.body);
    expect(seen.messages[0]).toEqual({ role: "system", content: "Be brief." });
  });

  it("streams from an OpenAI-format deployment through the SDK's message stream", async () => {
    const stream = anthropic.messages.stream({ model: "gpt", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe("Hello from the mock.");
    expect(final.content).toHaveLength(1);
    expect(final.content[0]).toMatchObject({ type: "text", text: "Hello from the mock." });
    expect(final.usage).toMatchObject({ input_tokens: 11, output_tokens: 5 });
  });

  it("does tools both ways with an OpenAI-format deployment, streaming included", async () => {
    const msg = await anthropic.messages.create({ model: "gpt", max_tokens: 100, tools: [weather], messages: [{ role: "user", content: "weather in Paris?" }] });
    expect(msg.stop_reason).toBe("tool_use");
    const use = msg.content.find((b) => b.type === "tool_use")!;
    expect(use).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Paris" } });
    const followUp = await anthropic.messages.create({
      model: "gpt",
      max_tokens: 100,
      tools: [weather],
      messages: [
        { role: "user", content: "weather in Paris?" },
        { role: "assistant", content: msg.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.type === "tool_use" ? use.id : "", content: "18C" }] },
      ],
    });
    expect(followUp.content[0]).toMatchObject({ type: "tool_use" }); // the mock always calls a tool when tools are offered

    const final = await anthropic.messages.stream({ model: "gpt", max_tokens: 100, tools: [weather], messages: [{ role: "user", content: "weather?" }] }).finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content.find((b) => b.type === "tool_use")).toMatchObject({ name: "get_weather", input: { city: "Paris" } });
  });

  it("passes through to an anthropic/ deployment (JSON, stream, count_tokens), the upstream key swapped in", async () => {
    const msg = await anthropic.messages.create({ model: "claude", max_tokens: 50, messages: [{ role: "user", content: "e2e-anthropic-passthrough" }] });
    expect(msg).toMatchObject({ id: "msg_mock_1", model: "claude-sonnet-4-5", content: [{ type: "text", text: "Hello from the mock." }] });
    const seen = mock.requests.find((r) => r.body.includes("e2e-anthropic-passthrough"))!;
    expect(seen.headers["x-api-key"]).toBe("sk-ant-upstream-e2e-1");
    expect(JSON.parse(seen.body)).toEqual({ model: "claude-sonnet-4-5", max_tokens: 50, messages: [{ role: "user", content: "e2e-anthropic-passthrough" }] });
    const final = await anthropic.messages.stream({ model: "claude", max_tokens: 50, messages: [{ role: "user", content: "hi" }] }).finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text: "Hello from the mock." });
    expect(final.usage).toMatchObject({ input_tokens: 12, output_tokens: 6, cache_read_input_tokens: 3 });
    expect(await anthropic.messages.countTokens({ model: "claude", messages: [{ role: "user", content: "hi" }] })).toEqual({ input_tokens: 42 });
  });

  it("raises the SDK's own error classes", async () => {
    const bad = new Anthropic({ apiKey: "sk-wrong", baseURL: gw.url, maxRetries: 0 });
    await expect(bad.messages.create({ model: "gpt", max_tokens: 5, messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    const limited = await anthropic.messages.create({ model: "claude-limited", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(JSON.stringify(limited.error)).not.toContain("sk-ant-upstream-e2e-1");
  });
});

describe("openai SDK -> provider adapters", () => {
  it("anthropic/: chat, tool calls and a streamed tool call", async () => {
    const res = await openai.chat.completions.create({ model: "claude", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }] });
    expect(res.choices[0].message.content).toBe("Hello from the mock.");
    expect(res.usage).toMatchObject({ prompt_tokens: 17, completion_tokens: 6 });
    const tools = await openai.chat.completions.create({ model: "claude", tools: [weatherFn], messages: [{ role: "user", content: "weather?" }] });
    expect(tools.choices[0].finish_reason).toBe("tool_calls");
    const call = tools.choices[0].message.tool_calls![0];
    expect(call.type === "function" && call.function).toEqual({ name: "get_weather", arguments: '{"city":"Paris"}' });
    const back = await openai.chat.completions.create({
      model: "claude",
      tools: [weatherFn],
      tool_choice: "none",
      messages: [{ role: "user", content: "weather?" }, tools.choices[0].message, { role: "tool", tool_call_id: call.id, content: "18C" }],
    });
    expect(back.choices[0].message.content).toBe("Hello from the mock.");

    const stream = await openai.chat.completions.create({ model: "claude", stream: true, tools: [weatherFn], messages: [{ role: "user", content: "weather?" }] });
    let args = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) args += tc.function?.arguments ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(args).toBe('{"city":"Paris"}');
    expect(finish).toBe("tool_calls");
  });

  for (const model of ["gemini", "bedrock-claude", "azure-gpt"]) {
    it(`${model}: chat and stream with usage`, async () => {
      const res = await openai.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
      expect(res.choices[0].message.content).toBe("Hello from the mock.");
      expect(res.usage?.total_tokens).toBeGreaterThan(0);
      const stream = await openai.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] });
      let text = "";
      let total = 0;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? "";
        total = chunk.usage?.total_tokens ?? total;
      }
      expect(text).toBe("Hello from the mock.");
      expect(total).toBeGreaterThan(0);
    });
  }

  it("never prints a secret", () => {
    for (const secret of [MASTER, "sk-ant-upstream-e2e-1", "AIza-upstream-gemini-e2e", "mock/secret+key/for-sigv4", "azure-upstream-secret-key"]) expect(gw.output()).not.toContain(secret);
  });
});
