// The start command itself, driven by the official `openai` SDK against a mock upstream.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockUpstream, type MockUpstream } from "../mocks/upstream";
import { startGateway, type RunningGateway } from "./start";

const MASTER = "sk-e2e-master-key-0001";
let mock: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  mock = await startMockUpstream();
  const config = `
model_list:
  - model_name: gpt-e2e
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${mock.url}/openai/v1, api_key: os.environ/E2E_UPSTREAM_KEY }
  - model_name: limited
    litellm_params: { model: openai/error-429, api_base: ${mock.url}/openai/v1, api_key: os.environ/E2E_UPSTREAM_KEY }
  - model_name: llama-e2e
    litellm_params: { model: ollama_chat/llama3.2, api_base: ${mock.url} }
  - model_name: embed-e2e
    litellm_params: { model: ollama/nomic-embed-text, api_base: ${mock.url} }
    model_info: { mode: embedding }
  - model_name: demo
    litellm_params: { model: openai/demo, mock_response: "hi there" }
general_settings:
  master_key: os.environ/E2E_MASTER_KEY
router_settings:
  num_retries: 0 # "limited" answers 429 with retry-after 7: retrying would wait 7 s per retry
`;
  gw = await startGateway(config, { E2E_MASTER_KEY: MASTER, E2E_UPSTREAM_KEY: "sk-upstream-e2e-secret" });
  client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await mock?.close();
});

describe("npm start + the openai SDK", () => {
  it("chats, with the key from the process environment reaching the upstream", async () => {
    const res = await client.chat.completions.create({ model: "gpt-e2e", messages: [{ role: "user", content: "e2e-chat-marker" }] });
    expect(res.choices[0].message.content).toBe("Hello from the mock.");
    const seen = mock.requests.find((r) => r.body.includes("e2e-chat-marker"))!;
    expect(seen.headers.authorization).toBe("Bearer sk-upstream-e2e-secret");
  });

  it("streams from an Ollama deployment (NDJSON turned into SSE chunks) with usage", async () => {
    const stream = await client.chat.completions.create({
      model: "llama-e2e",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "hi" }],
    });
    let text = "";
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Hello from the mock.");
    expect(usage).toMatchObject({ prompt_tokens: 26, completion_tokens: 5, total_tokens: 31 });
  });

  it("embeds and lists models", async () => {
    const emb = await client.embeddings.create({ model: "embed-e2e", input: ["a", "b"] });
    expect(emb.data).toHaveLength(2);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(["demo", "embed-e2e", "gpt-e2e", "limited", "llama-e2e"]);
  });

  it("answers mock deployments at once", async () => {
    const res = await client.chat.completions.create({ model: "demo", messages: [{ role: "user", content: "hi" }] });
    expect(res.choices[0].message.content).toBe("hi there");
  });

  it("maps errors to the SDK's error classes with OpenAI's shape", async () => {
    const bad = new OpenAI({ apiKey: "sk-wrong", baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: "gpt-e2e", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({ status: 401 });
    await expect(client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 400,
      error: expect.objectContaining({ message: expect.stringContaining("Invalid model name passed in model=nope") }),
    });
    const limited = await client.chat.completions.create({ model: "limited", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(JSON.stringify(limited.error)).not.toContain("sk-upstream-e2e-secret");
  });

  it("never prints a secret", () => {
    expect(gw.output()).not.toContain("sk-upstream-e2e-secret");
    expect(gw.output()).not.toContain(MASTER);
  });
});
