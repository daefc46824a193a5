// Anthropic's native /v1/messages: passthrough to anthropic/ deployments, translation to and from
// any other deployment (JSON and SSE), Anthropic-shaped errors, and count_tokens.
import { describe, expect, it } from "vitest";
import { MASTER_KEY, MOCK_URL, ollamaModel, openaiModel, testGateway, upstreamRequests } from "./helpers";

const anthropicModel = (name: string, model = name) => ({
  model_name: name,
  litellm_params: { model: `anthropic/${model}`, api_base: `${MOCK_URL}/anthropic`, api_key: "sk-ant-upstream-secret-1" },
});

/** Anthropic's SSE: named events with JSON data. */
async function readEvents(res: Response): Promise<{ event: string; data: any }[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "";
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? "";
      return { event, data: JSON.parse(data) };
    });
}

const post = (gw: Awaited<ReturnType<typeof testGateway>>, body: unknown, headers: Record<string, string> = {}) =>
  gw.fetch("/v1/messages", { method: "POST", json: body, key: null, headers: { "x-api-key": MASTER_KEY, "anthropic-version": "2023-06-01", ...headers } });

const weatherTool = { name: "get_weather", description: "Weather by city", input_schema: { type: "object", properties: { city: { type: "string" } } } };

describe("/v1/messages on an anthropic/ deployment (passthrough)", () => {
  it("sends the client's body unchanged except the model, forwards anthropic-beta, and returns Anthropic's answer as is", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude", "claude-sonnet-4-5")] });
    const marker = `m-${crypto.randomUUID()}`;
    const request = {
      model: "claude",
      max_tokens: 256,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: [{ type: "text", text: marker, cache_control: { type: "ephemeral" } }] }],
      tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 1 }],
      top_k: 5,
    };
    const res = await post(gw, request, { "anthropic-beta": "interleaved-thinking-2025-05-14" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-group")).toBe("claude");
    const body = (await res.json()) as any;
    expect(body).toEqual({
      id: "msg_mock_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Hello from the mock." }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 6, cache_creation_input_tokens: 2, cache_read_input_tokens: 3 },
    });
    const [seen] = await upstreamRequests(marker);
    expect(JSON.parse(seen.body)).toEqual({ ...request, model: "claude-sonnet-4-5" });
    expect(seen.headers["anthropic-beta"]).toBe("interleaved-thinking-2025-05-14");
    expect(seen.headers["x-api-key"]).toBe("sk-ant-upstream-secret-1");
  });

  it("streams Anthropic's events through unchanged", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude")] });
    const res = await post(gw, { model: "claude", max_tokens: 64, stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const events = await readEvents(res);
    expect(events.map((e) => e.event)).toEqual([
      "message_start", "ping", "content_block_start", ...Array(5).fill("content_block_delta"), "content_block_stop", "message_delta", "message_stop",
    ]);
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    expect(events.filter((e) => e.event === "content_block_delta").map((e) => e.data.delta.text).join("")).toBe("Hello from the mock.");
  });

  it("fills in max_tokens when the client leaves it out", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude")] });
    const marker = `m-${crypto.randomUUID()}`;
    expect((await post(gw, { model: "claude", messages: [{ role: "user", content: marker }] })).status).toBe(200);
    const [seen] = await upstreamRequests(marker);
    expect(JSON.parse(seen.body).max_tokens).toBe(4096);
  });

  it("returns upstream errors in Anthropic's shape, with retry-after", async () => {
    // No retries: the router would honour the 429's retry-after (7 s) before answering.
    const gw = await testGateway({ router_settings: { num_retries: 0 }, model_list: [anthropicModel("limited", "error-429"), anthropicModel("early", "stream-error")] });
    const res = await post(gw, { model: "limited", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error", message: expect.stringContaining("rate limit") } });
    // An error event right after message_start passes through as Anthropic sent it (the client's SDK raises it).
    const events = await readEvents(await post(gw, { model: "early", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] }));
    expect(events.at(-1)).toMatchObject({ event: "error", data: { type: "error", error: { type: "overloaded_error" } } });
  });
});

describe("/v1/messages on other providers (translated)", () => {
  it("translates the request to OpenAI's format and the answer back to an Anthropic message", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt", "gpt-4o-mini")] });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await post(gw, {
      model: "gpt",
      max_tokens: 300,
      system: "You are terse.",
      stop_sequences: ["END"],
      temperature: 0.5,
      metadata: { user_id: "u-1" },
      messages: [
        { role: "user", content: [{ type: "text", text: marker }, { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }] },
        { role: "assistant", content: [{ type: "text", text: "Checking." }, { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "18C" }, { type: "text", text: "Thanks" }] },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      type: "message",
      role: "assistant",
      model: "gpt-4o-mini",
      content: [{ type: "text", text: "Hello from the mock." }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 11, output_tokens: 5, cache_read_input_tokens: 0 },
    });
    expect(body.id).toMatch(/^msg_/);
    const [seen] = await upstreamRequests(marker);
    expect(JSON.parse(seen.body)).toMatchObject({
      model: "gpt-4o-mini",
      max_completion_tokens: 300,
      stop: ["END"],
      temperature: 0.5,
      user: "u-1",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: [{ type: "text", text: marker }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }] },
        { role: "assistant", content: "Checking.", tool_calls: [{ id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "toolu_1", content: "18C" },
        { role: "user", content: "Thanks" },
      ],
    });
  });

  it("returns tool calls as tool_use blocks, with tools and tool_choice translated", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt")] });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await post(gw, { model: "gpt", max_tokens: 100, tools: [weatherTool], tool_choice: { type: "any", disable_parallel_tool_use: true }, messages: [{ role: "user", content: marker }] });
    const body = (await res.json()) as any;
    expect(body.stop_reason).toBe("tool_use");
    expect(body.content).toEqual([{ type: "tool_use", id: "call_abc", name: "get_weather", input: { city: "Paris" } }]);
    const sent = JSON.parse((await upstreamRequests(marker))[0].body);
    expect(sent.tools).toEqual([{ type: "function", function: { name: "get_weather", description: "Weather by city", parameters: weatherTool.input_schema } }]);
    expect(sent.tool_choice).toBe("required");
    expect(sent.parallel_tool_calls).toBe(false);
  });

  it("streams Anthropic events built from OpenAI chunks, with usage in message_delta", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt")] });
    const events = await readEvents(await post(gw, { model: "gpt", max_tokens: 100, stream: true, messages: [{ role: "user", content: "hello there" }] }));
    expect(events.map((e) => e.event)).toEqual(["message_start", "content_block_start", ...Array(5).fill("content_block_delta"), "content_block_stop", "message_delta", "message_stop"]);
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    expect(events[0].data.message).toMatchObject({ role: "assistant", content: [], model: "gpt" });
    expect(events[0].data.message.usage.input_tokens).toBeGreaterThan(0); // an estimate until message_delta
    expect(events.filter((e) => e.event === "content_block_delta").map((e) => e.data.delta.text).join("")).toBe("Hello from the mock.");
    expect(events.at(-2)!.data).toEqual({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { input_tokens: 11, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } });
  });

  it("streams tool calls as tool_use blocks with input_json_delta", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt")] });
    const events = await readEvents(await post(gw, { model: "gpt", max_tokens: 100, stream: true, tools: [weatherTool], messages: [{ role: "user", content: "weather?" }] }));
    const start = events.find((e) => e.event === "content_block_start")!;
    expect(start.data).toEqual({ type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "call_abc", name: "get_weather", input: {} } });
    const json = events.filter((e) => e.data.delta?.type === "input_json_delta").map((e) => e.data.delta.partial_json).join("");
    expect(JSON.parse(json)).toEqual({ city: "Paris" });
    expect(events.at(-2)!.data.delta.stop_reason).toBe("tool_use");
  });

  it("works with an Ollama deployment too, streaming included", async () => {
    const gw = await testGateway({ model_list: [ollamaModel("llama", "llama3.2")] });
    const json = (await (await post(gw, { model: "llama", max_tokens: 50, messages: [{ role: "user", content: "hi" }] })).json()) as any;
    expect(json.content).toEqual([{ type: "text", text: "Hello from the mock." }]);
    expect(json.usage).toMatchObject({ input_tokens: 26, output_tokens: 5 });
    const events = await readEvents(await post(gw, { model: "llama", max_tokens: 50, stream: true, messages: [{ role: "user", content: "hi" }] }));
    expect(events.filter((e) => e.event === "content_block_delta").map((e) => e.data.delta.text).join("")).toBe("Hello from the mock.");
    expect(events.at(-1)!.event).toBe("message_stop");
  });

  it("ends a stream that breaks after it started with Anthropic's error event", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt", "stream-break")] });
    const events = await readEvents(await post(gw, { model: "gpt", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] }));
    expect(events[0].event).toBe("message_start");
    expect(events.filter((e) => e.event === "content_block_delta").map((e) => e.data.delta.text).join("")).toBe("Hello from");
    expect(events.at(-1)).toMatchObject({ event: "error", data: { type: "error", error: { type: expect.any(String), message: expect.any(String) } } });
  });

  it("refuses Anthropic-only features for a deployment that cannot serve them", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt")] });
    const res = await post(gw, { model: "gpt", max_tokens: 10, tools: [{ type: "web_search_20250305", name: "web_search" }], messages: [{ role: "user", content: "news?" }] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining("web_search") } });
  });
});

describe("/v1/messages: auth, validation, count_tokens", () => {
  it("takes the key from x-api-key or Bearer, and answers auth and model errors in Anthropic's shape", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt")] });
    const bearer = await gw.post("/v1/messages", { model: "gpt", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
    expect(bearer.status).toBe(200);
    const wrong = await post(gw, { model: "gpt", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }, { "x-api-key": "sk-wrong" });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const unknown = await post(gw, { model: "nope", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining("Invalid model name") } });
    const invalid = await post(gw, { model: "gpt", messages: [{ role: "system", content: "x" }] });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as any).error.message).toContain("messages[0].role");
  });

  it("counts tokens with Anthropic for anthropic/ deployments and estimates for others", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude"), openaiModel("gpt")] });
    const count = (model: string) => gw.fetch("/v1/messages/count_tokens", { method: "POST", json: { model, system: "Be brief.", messages: [{ role: "user", content: "How far is the moon?" }], tools: [weatherTool] } });
    expect(await (await count("claude")).json()).toEqual({ input_tokens: 42 });
    const estimate = (await (await count("gpt")).json()) as any;
    expect(estimate.input_tokens).toBeGreaterThan(10);
    expect((await count("nope")).status).toBe(400);
  });
});
