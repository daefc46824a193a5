// The Responses API under `npm start`, driven by its two most common clients: the official openai
// SDK (responses.create JSON and streamed, responses.stream, retrieve, inputItems.list, delete) and
// the Vercel AI SDK's default OpenAI provider (createOpenAI()(model) calls /v1/responses:
// generateText and streamText with a tool). Each runs against a deployment that speaks the API
// natively (the OpenAI mock) and bridged to the Anthropic and Ollama mocks. Every call's spend must
// reach /spend/logs at the price of its usage; another key must not see a stored response; a key
// limited to other models is refused.
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, stepCountIs, streamText, tool } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startMockUpstream, type MockUpstream } from "../mocks/upstream";
import { adminCall, startGateway, type RunningGateway } from "./start";

const MASTER = "sk-e2e-responses-master-01";
const PRICE = { input: 2 ** -20, output: 2 ** -18, cacheRead: 2 ** -22 };
const prices = `input_cost_per_token: ${PRICE.input}, output_cost_per_token: ${PRICE.output}, cache_read_input_token_cost: ${PRICE.cacheRead}`;

/** What each model group's mock reports, and so what a call on it costs. */
const USAGE: Record<string, { prompt: number; cached: number; completion: number }> = {
  gpt: { prompt: 20, cached: 4, completion: 7 }, // the Responses mock
  claude: { prompt: 17, cached: 3, completion: 6 }, // 12 input + 3 cache read + 2 cache write, 6 output
  llama: { prompt: 26, cached: 0, completion: 5 },
};
const costOf = (group: string) => {
  const u = USAGE[group];
  return (u.prompt - u.cached) * PRICE.input + u.cached * PRICE.cacheRead + u.completion * PRICE.output;
};

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather by city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  strict: false,
};

let mock: MockUpstream;
let gw: RunningGateway;
let owner: { key: string; token: string };
let client: OpenAI;
let other: OpenAI;
/** Call ids (x-litellm-call-id) of the owner's calls, by model group: each must have its spend row. */
const calls: { id: string; group: string }[] = [];

const admin = (path: string, body?: unknown) => adminCall(gw, MASTER, path, body);

/** Records the owner's call ids from every answer (the SDKs hide headers). */
const recordingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const id = res.headers.get("x-litellm-call-id");
  const group = res.headers.get("x-litellm-model-group");
  if (id && group && res.ok && String(input).endsWith("/responses")) calls.push({ id, group });
  return res;
};

beforeAll(async () => {
  mock = await startMockUpstream();
  gw = await startGateway(
    `
model_list:
  - model_name: gpt
    litellm_params: { model: openai/gpt-4.1-mini, api_base: ${mock.url}/openai/v1, api_key: os.environ/E2E_OPENAI_KEY, ${prices} }
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_base: ${mock.url}/anthropic, api_key: os.environ/E2E_ANTHROPIC_KEY, ${prices} }
  - model_name: claude-broken
    litellm_params: { model: anthropic/stream-break, api_base: ${mock.url}/anthropic, api_key: os.environ/E2E_ANTHROPIC_KEY, ${prices} }
  - model_name: llama
    litellm_params: { model: ollama_chat/llama3.2, api_base: ${mock.url}, ${prices} }
general_settings:
  master_key: os.environ/E2E_MASTER_KEY
`,
    { E2E_MASTER_KEY: MASTER, E2E_OPENAI_KEY: "sk-upstream-openai-responses", E2E_ANTHROPIC_KEY: "sk-ant-upstream-responses" },
  );
  owner = await admin("/key/generate", { key_alias: "responses-owner" });
  const another = await admin("/key/generate", { key_alias: "responses-other" });
  client = new OpenAI({ apiKey: owner.key, baseURL: `${gw.url}/v1`, maxRetries: 0, fetch: recordingFetch });
  other = new OpenAI({ apiKey: another.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.stop();
  await mock?.close();
});

describe.each(["gpt", "claude", "llama"])("openai SDK -> /v1/responses on %s", (model) => {
  it("responses.create: a function call, then previous_response_id with its output; retrieve and inputItems.list", async () => {
    const first = await client.responses.create({ model, instructions: "Be brief.", input: "Weather in Paris?", tools: [weatherTool] });
    expect(first.object).toBe("response");
    expect(first.status).toBe("completed");
    const call = first.output.find((i) => i.type === "function_call")!;
    expect(call).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}', status: "completed" });
    expect(first.usage).toMatchObject({ input_tokens: USAGE[model].prompt, output_tokens: USAGE[model].completion });

    // The Ollama mock calls a tool whenever tools are offered: its second turn offers none.
    const second = await client.responses.create({
      model,
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: '{"temp":18}' }],
      ...(model === "llama" ? {} : { tools: [weatherTool] }),
    });
    expect(second.output_text).toBe("Hello from the mock.");
    expect(second.previous_response_id).toBe(first.id);

    expect(await client.responses.retrieve(second.id)).toEqual(second);
    const items = [];
    for await (const item of client.responses.inputItems.list(second.id, { order: "asc" })) items.push(item);
    expect(items).toMatchObject([{ type: "function_call_output", call_id: call.call_id }]);
  });

  it("responses.create({stream}) and responses.stream: events in order, then a streamed answer continued", async () => {
    const stream = await client.responses.create({ model, input: "Weather in Paris?", tools: [weatherTool], stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.type).slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
    expect(events.flatMap((e) => (e.type === "response.function_call_arguments.delta" ? [e.delta] : [])).join("")).toBe('{"city":"Paris"}');
    const done = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(done.type).toBe("response.completed");
    expect(done.response.usage?.total_tokens).toBe(USAGE[model].prompt + USAGE[model].completion);

    const deltas: string[] = [];
    const next = client.responses.stream({ model, previous_response_id: done.response.id, input: [{ type: "function_call_output", call_id: (done.response.output.find((i) => i.type === "function_call") as { call_id: string }).call_id, output: "18C" }] });
    next.on("response.output_text.delta", (e) => deltas.push(e.delta));
    const final = await next.finalResponse();
    expect(deltas.join("")).toBe("Hello from the mock.");
    expect(final.output_text).toBe("Hello from the mock.");
  });
});

describe("Vercel AI SDK (createOpenAI()(model) -> /v1/responses)", () => {
  const weather = tool({ description: "Weather by city", inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => ({ city, temp: 18 }) });
  const provider = () => createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: owner.key, fetch: recordingFetch });

  it.each(["gpt", "claude"])("generateText on %s runs the tool and answers (the second step refers to stored items)", async (model) => {
    const result = await generateText({ model: provider()(model), prompt: "Weather in Paris?", tools: { get_weather: weather }, stopWhen: stepCountIs(3) });
    expect(result.steps[0].toolCalls[0]).toMatchObject({ toolName: "get_weather", input: { city: "Paris" } });
    expect(result.steps[0].toolResults[0]).toMatchObject({ output: { city: "Paris", temp: 18 } });
    expect(result.text).toBe("Hello from the mock.");
    expect(result.totalUsage.inputTokens).toBe(2 * USAGE[model].prompt);
  });

  it.each(["gpt", "claude", "llama"])("streamText on %s streams text, and a tool call", async (model) => {
    const text = streamText({ model: provider()(model), prompt: "Say hello" });
    let streamed = "";
    for await (const delta of text.textStream) streamed += delta;
    expect(streamed).toBe("Hello from the mock.");
    expect((await text.usage).outputTokens).toBe(USAGE[model].completion);

    const withTool = streamText({ model: provider()(model), prompt: "Weather in Paris?", tools: { get_weather: tool({ description: "Weather by city", inputSchema: z.object({ city: z.string() }) }) } });
    const parts: string[] = [];
    for await (const part of withTool.fullStream) parts.push(part.type);
    expect(parts).toContain("tool-call");
    expect((await withTool.toolCalls)[0]).toMatchObject({ toolName: "get_weather", input: { city: "Paris" } });
  });
});

describe("the bridge's extras", () => {
  it("reasoning on Anthropic comes back as a reasoning item whose thinking signature goes back up on the next turn", async () => {
    const first = await client.responses.create({ model: "claude", reasoning: { effort: "low" }, input: "Weather in Paris?", tools: [weatherTool] });
    const reasoning = first.output.find((i) => i.type === "reasoning")!;
    expect(reasoning.summary).toEqual([{ type: "summary_text", text: "Let me think." }]);
    const call = first.output.find((i) => i.type === "function_call")!;
    const marker = `reasoning-${crypto.randomUUID()}`;
    await client.responses.create({ model: "claude", reasoning: { effort: "low" }, previous_response_id: first.id, tools: [weatherTool], input: [{ type: "function_call_output", call_id: call.call_id, output: marker }] });
    const seen = JSON.parse(mock.requests.find((r) => r.body.includes(marker))!.body);
    expect(seen.messages[1].content[0]).toEqual({ type: "thinking", thinking: "Let me think.", signature: "sig_mock_abc" });
  });

  it("images in the input reach Anthropic and Ollama in their own form", async () => {
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    for (const model of ["claude", "llama"]) {
      const marker = `image-${model}-${crypto.randomUUID()}`;
      const res = await client.responses.create({ model, input: [{ role: "user", content: [{ type: "input_text", text: marker }, { type: "input_image", image_url: `data:image/png;base64,${png}`, detail: "auto" }] }] });
      expect(res.output_text).toBe("Hello from the mock.");
      const seen = JSON.parse(mock.requests.find((r) => r.body.includes(marker))!.body);
      if (model === "claude") expect(seen.messages[0].content).toContainEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: png } });
      else expect(seen.messages[0].images).toEqual([png]);
    }
  });

  it("a failure mid-stream reaches the SDK as an APIError after response.failed", async () => {
    const stream = await client.responses.create({ model: "claude-broken", input: "hi", stream: true });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of stream) seen.push(event.type);
    })();
    await expect(reading).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(seen).toContain("response.output_text.delta");
    expect(seen).toContain("response.failed");
  });
});

describe("keys and spend", () => {
  it("another key cannot read, continue or delete a response; a key limited to other models is refused", async () => {
    for (const model of ["gpt", "claude"]) {
      const mine = await client.responses.create({ model, input: "private" });
      await expect(other.responses.retrieve(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      await expect(other.responses.inputItems.list(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      await expect(other.responses.delete(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      const refused = other.responses.create({ model, previous_response_id: mine.id, input: "and?" });
      await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
      await expect(refused).rejects.toThrow(`Previous response with id '${mine.id}' not found.`);
      await client.responses.delete(mine.id);
      await expect(client.responses.retrieve(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    }
    const limited = await admin("/key/generate", { models: ["gpt"] });
    const limitedClient = new OpenAI({ apiKey: limited.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await expect(limitedClient.responses.create({ model: "claude", input: "hi" })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    const ok = await limitedClient.responses.create({ model: "gpt", input: "hi" });
    expect(ok.output_text).toBe("Hello from the mock.");
  });

  it("every call of the owner's key is in /spend/logs as aresponses, at the price of its usage", async () => {
    const expected = calls.filter((c) => c.group in USAGE);
    expect(expected.length).toBeGreaterThan(20);
    let rows: { request_id: string; model_group: string; call_type: string; spend: number; prompt_tokens: number; completion_tokens: number }[] = [];
    for (let i = 0; i < 75; i++) {
      rows = await admin(`/spend/logs?api_key=${owner.token}`);
      if (expected.every((c) => rows.some((r) => r.request_id === c.id))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const c of expected) {
      const row = rows.find((r) => r.request_id === c.id);
      expect(row, `${c.group} call ${c.id}`).toBeDefined();
      expect(row).toMatchObject({ model_group: c.group, call_type: "aresponses", prompt_tokens: USAGE[c.group].prompt, completion_tokens: USAGE[c.group].completion });
      expect(row!.spend).toBeCloseTo(costOf(c.group), 15);
    }
    const info = await admin(`/key/info?key=${owner.token}`);
    expect(info.info.spend).toBeGreaterThan(0);
  });

  it("never prints a secret", () => {
    for (const secret of [MASTER, owner.key, "sk-upstream-openai-responses", "sk-ant-upstream-responses"]) expect(gw.output()).not.toContain(secret);
  });
});
