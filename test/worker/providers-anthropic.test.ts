// OpenAI-format clients on an anthropic/ deployment: golden request/response/stream translation
// against a mock speaking Anthropic's real wire format, and error mapping.
import { describe, expect, it } from "vitest";
import { anthropic } from "../../src/providers/anthropic/adapter";
import type { AdapterContext } from "../../src/core/provider";
import { MOCK_URL, readSse, testGateway, upstreamRequests } from "./helpers";

const anthropicModel = (name: string, model = name, extra: Record<string, unknown> = {}, info?: Record<string, unknown>) => ({
  model_name: name,
  litellm_params: { model: `anthropic/${model}`, api_base: `${MOCK_URL}/anthropic`, api_key: "sk-ant-upstream-secret-1", ...extra },
  ...(info ? { model_info: info } : {}),
});

const weatherTool = { type: "function", function: { name: "get_weather", description: "Weather by city", parameters: { type: "object", properties: { city: { type: "string" } } } } };

async function lastUpstreamBody(marker: string) {
  const [seen] = await upstreamRequests(marker);
  return { body: JSON.parse(seen.body), headers: seen.headers, path: seen.path };
}

describe("anthropic adapter: requests", () => {
  it("hoists system messages (keeping cache_control), merges same-role turns, maps params and headers", async () => {
    const gw = await testGateway({
      model_list: [anthropicModel("claude", "claude-sonnet-4-5", { extra_headers: { "anthropic-beta": "prompt-caching-2024-07-31" } }, { max_output_tokens: 8192 })],
    });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", {
      model: "claude",
      messages: [
        { role: "system", content: [{ type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } }] },
        { role: "user", content: marker },
        { role: "user", content: [{ type: "text", text: "Look:" }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }, { type: "image_url", image_url: "https://example.com/cat.jpg" }] },
        { role: "developer", content: "Answer in English." },
      ],
      stop: "END",
      temperature: 0.2,
      top_p: 0.9,
      user: "user-7",
    });
    expect(res.status).toBe(200);
    const { body, headers, path } = await lastUpstreamBody(marker);
    expect(path).toBe("/anthropic/v1/messages");
    expect(headers["x-api-key"]).toBe("sk-ant-upstream-secret-1");
    expect(headers["anthropic-version"]).toBe("2023-06-01");
    expect(headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
    expect(headers.authorization).toBeUndefined();
    expect(body).toEqual({
      model: "claude-sonnet-4-5",
      system: [
        { type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } },
        { type: "text", text: "Answer in English." },
      ],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: marker },
            { type: "text", text: "Look:" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
          ],
        },
      ],
      max_tokens: 8192,
      stop_sequences: ["END"],
      temperature: 0.2,
      top_p: 0.9,
      metadata: { user_id: "user-7" },
    });
  });

  it("answers in OpenAI's shape with Anthropic's usage (cache reads and writes counted as prompt tokens)", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude")] });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", { model: "claude", max_tokens: 100, messages: [{ role: "user", content: marker }] });
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      id: "msg_mock_1",
      object: "chat.completion",
      model: "claude",
      choices: [{ index: 0, message: { role: "assistant", content: "Hello from the mock." }, finish_reason: "stop" }],
      usage: { prompt_tokens: 17, completion_tokens: 6, total_tokens: 23, prompt_tokens_details: { cached_tokens: 3 }, cache_creation_input_tokens: 2 },
    });
    expect((await lastUpstreamBody(marker)).body.max_tokens).toBe(100);
  });

  it("defaults max_tokens to 4096 without model_info, and maps max_tokens stop to length", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude", "claude-maxed")] });
    const marker = `m-${crypto.randomUUID()}`;
    const body = (await (await gw.post("/v1/chat/completions", { model: "claude", messages: [{ role: "user", content: marker }] })).json()) as any;
    expect(body.choices[0].finish_reason).toBe("length");
    expect((await lastUpstreamBody(marker)).body.max_tokens).toBe(4096);
  });

  it("translates tools, tool_choice, parallel_tool_calls, tool calls and merged parallel tool results", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude")] });
    const marker = `m-${crypto.randomUUID()}`;
    const first = (await (
      await gw.post("/v1/chat/completions", { model: "claude", tools: [weatherTool], tool_choice: "required", parallel_tool_calls: false, messages: [{ role: "user", content: marker }] })
    ).json()) as any;
    expect(first.choices[0].finish_reason).toBe("tool_calls");
    expect(first.choices[0].message.content).toBe("Let me check.");
    expect(first.choices[0].message.tool_calls).toEqual([{ id: "toolu_mock_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }]);
    const sent = (await lastUpstreamBody(marker)).body;
    expect(sent.tools).toEqual([{ name: "get_weather", description: "Weather by city", input_schema: weatherTool.function.parameters }]);
    expect(sent.tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true });

    const marker2 = `m-${crypto.randomUUID()}`;
    const second = await gw.post("/v1/chat/completions", {
      model: "claude",
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      messages: [
        { role: "user", content: marker2 },
        { role: "assistant", content: null, tool_calls: [
          { id: "toolu_mock_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          { id: "toolu_mock_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
        ] },
        { role: "tool", tool_call_id: "toolu_mock_1", content: "18C" },
        { role: "tool", tool_call_id: "toolu_mock_2", content: [{ type: "text", text: "21C" }] },
      ],
    });
    expect(second.status).toBe(200);
    const sent2 = (await lastUpstreamBody(marker2)).body;
    expect(sent2.tool_choice).toEqual({ type: "tool", name: "get_weather" });
    expect(sent2.messages.slice(1)).toEqual([
      { role: "assistant", content: [
        { type: "tool_use", id: "toolu_mock_1", name: "get_weather", input: { city: "Paris" } },
        { type: "tool_use", id: "toolu_mock_2", name: "get_weather", input: { city: "Rome" } },
      ] },
      { role: "user", content: [
        { type: "tool_result", tool_use_id: "toolu_mock_1", content: "18C" },
        { type: "tool_result", tool_use_id: "toolu_mock_2", content: [{ type: "text", text: "21C" }] },
      ] },
    ]);
  });

  it("maps tool_choice none and auto", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude")] });
    for (const [choice, expected] of [["none", { type: "none" }], ["auto", { type: "auto" }]] as const) {
      const marker = `m-${crypto.randomUUID()}`;
      await gw.post("/v1/chat/completions", { model: "claude", tools: [weatherTool], tool_choice: choice, messages: [{ role: "user", content: marker }] });
      expect((await lastUpstreamBody(marker)).body.tool_choice).toEqual(expected);
    }
  });

  it("serves response_format through a forced JSON tool and returns its input as content", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude")] });
    const marker = `m-${crypto.randomUUID()}`;
    const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
    const res = await gw.post("/v1/chat/completions", {
      model: "claude",
      response_format: { type: "json_schema", json_schema: { name: "answer", schema } },
      messages: [{ role: "user", content: marker }],
    });
    const body = (await res.json()) as any;
    expect(body.choices[0].message.content).toBe('{"answer":"forty-two"}');
    expect(body.choices[0].message.tool_calls).toBeUndefined();
    expect(body.choices[0].finish_reason).toBe("stop");
    const sent = (await lastUpstreamBody(marker)).body;
    expect(sent.tools[0]).toMatchObject({ name: "json_tool_call", input_schema: schema });
    expect(sent.tool_choice).toEqual({ type: "tool", name: "json_tool_call" });

    const chunks = (await readSse(
      await gw.post("/v1/chat/completions", { model: "claude", stream: true, response_format: { type: "json_object" }, messages: [{ role: "user", content: "json please" }] }),
    )) as any[];
    const content = chunks.slice(0, -1).map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(JSON.parse(content)).toEqual({ answer: "forty-two" });
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
  });

  it("turns reasoning_effort into a thinking budget and surfaces thinking as reasoning_content with its signature", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude")] });
    const marker = `m-${crypto.randomUUID()}`;
    const body = (await (await gw.post("/v1/chat/completions", { model: "claude", reasoning_effort: "low", max_tokens: 500, messages: [{ role: "user", content: marker }] })).json()) as any;
    const sent = (await lastUpstreamBody(marker)).body;
    expect(sent.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(sent.max_tokens).toBe(1524); // room for the answer after the thinking budget
    expect(body.choices[0].message.reasoning_content).toBe("Let me think.");
    expect(body.choices[0].message.thinking_blocks).toEqual([{ type: "thinking", thinking: "Let me think.", signature: "sig_mock_abc" }]);

    // The signed thinking goes back on the next turn, first in the assistant message.
    const marker2 = `m-${crypto.randomUUID()}`;
    await gw.post("/v1/chat/completions", {
      model: "claude",
      reasoning_effort: "low",
      messages: [{ role: "user", content: marker2 }, { ...body.choices[0].message }, { role: "user", content: "and?" }],
    });
    const sent2 = (await lastUpstreamBody(marker2)).body;
    expect(sent2.messages[1].content).toEqual([
      { type: "thinking", thinking: "Let me think.", signature: "sig_mock_abc" },
      { type: "text", text: "Hello from the mock." },
    ]);

    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "claude", stream: true, reasoning_effort: "medium", messages: [{ role: "user", content: "hi" }] }))) as any[];
    const deltas = chunks.slice(0, -1).map((c) => c.choices[0]?.delta ?? {});
    expect(deltas.map((d) => d.reasoning_content ?? "").join("")).toBe("Let me think.");
    expect(deltas.flatMap((d) => d.thinking_blocks ?? [])).toEqual([{ type: "thinking", thinking: "", signature: "sig_mock_abc" }]);
    expect(deltas.map((d) => d.content ?? "").join("")).toBe("Hello from the mock.");
  });

  it("refuses what Anthropic cannot do, unless drop_params", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude")] });
    const res = await gw.post("/v1/chat/completions", { model: "claude", seed: 3, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.param).toBe("seed");
    const n = await gw.post("/v1/chat/completions", { model: "claude", n: 2, messages: [{ role: "user", content: "hi" }] });
    expect(n.status).toBe(400);
    const dropped = await gw.post("/v1/chat/completions", { model: "claude", seed: 3, drop_params: true, messages: [{ role: "user", content: "hi" }] });
    expect(dropped.status).toBe(200);
  });
});

describe("anthropic adapter: streaming", () => {
  it("streams text as OpenAI chunks with a finish chunk and, when asked, the usage chunk", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude")] });
    const chunks = (await readSse(
      await gw.post("/v1/chat/completions", { model: "claude", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }),
    )) as any[];
    expect(chunks.at(-1)).toBe("[DONE]");
    expect(chunks[0]).toMatchObject({ id: "msg_mock_1", object: "chat.completion.chunk", choices: [{ delta: { role: "assistant", content: "" } }] });
    const text = chunks.slice(0, -2).map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe("Hello from the mock.");
    expect(chunks.at(-3).choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-2)).toMatchObject({ choices: [], usage: { prompt_tokens: 17, completion_tokens: 6, total_tokens: 23, prompt_tokens_details: { cached_tokens: 3 } } });
  });

  it("streams tool calls: id and name first, then argument deltas", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("claude")] });
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "claude", stream: true, tools: [weatherTool], messages: [{ role: "user", content: "weather?" }] }))) as any[];
    const calls = chunks.slice(0, -1).flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: "toolu_mock_1", type: "function", function: { name: "get_weather", arguments: "" } });
    expect(calls.length).toBeGreaterThan(2);
    expect(calls.map((c: any) => c.function.arguments).join("")).toBe('{"city":"Paris"}');
    expect(chunks.at(-2).choices[0].finish_reason).toBe("tool_calls");
  });

  it("an in-stream error before any output is an HTTP error; a cut after output ends with an SSE error event", async () => {
    const gw = await testGateway({ model_list: [anthropicModel("early", "stream-error"), anthropicModel("late", "stream-break")] });
    const early = await gw.post("/v1/chat/completions", { model: "early", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(early.status).toBe(503);
    expect(((await early.json()) as any).error.message).toContain("Overloaded");
    const late = (await readSse(await gw.post("/v1/chat/completions", { model: "late", stream: true, messages: [{ role: "user", content: "hi" }] }))) as any[];
    expect(late.map((c) => c.choices?.[0]?.delta?.content ?? "").join("")).toBe("Hello from");
    expect(late.at(-1).error).toBeDefined();
  });
});

describe("anthropic adapter: errors", () => {
  const ctx = (): AdapterContext => ({
    deployment: { id: "d", modelName: "claude", provider: "anthropic", model: "m", params: { model: "anthropic/m", api_key: "sk-ant-secret-key-123" }, info: {}, adapter: anthropic },
    env: {} as never,
    callId: "c",
    stream: false,
  });
  const fail = (status: number, type: string, message: string, headers: Record<string, string> = {}) =>
    anthropic.mapError({ status, headers: new Headers(headers), text: JSON.stringify({ type: "error", error: { type, message } }) }, ctx());

  it("classifies Anthropic's errors for the router", () => {
    expect(fail(401, "authentication_error", "invalid x-api-key")).toMatchObject({ status: 401, kind: "auth" });
    expect(fail(429, "rate_limit_error", "slow down", { "retry-after": "12" })).toMatchObject({ status: 429, kind: "rate_limit", retryAfter: 12 });
    expect(fail(400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum")).toMatchObject({ status: 400, kind: "context_window" });
    expect(fail(400, "invalid_request_error", "input length and `max_tokens` exceed context limit: 190000 + 20000 > 200000")).toMatchObject({ kind: "context_window" });
    expect(fail(400, "invalid_request_error", "Output blocked by content filtering policy")).toMatchObject({ status: 400, kind: "content_policy" });
    expect(fail(529, "overloaded_error", "Overloaded")).toMatchObject({ status: 503, kind: "unavailable" });
    expect(fail(500, "api_error", "Internal server error")).toMatchObject({ status: 500, kind: "server" });
    expect(fail(400, "invalid_request_error", "bad key sk-ant-secret-key-123 here").message).not.toContain("sk-ant-secret-key-123");
  });

  it("answers clients with the upstream's status, message and retry-after", async () => {
    // No retries: the router would honour the 429's retry-after (7 s) before answering.
    const gw = await testGateway({ router_settings: { num_retries: 0 }, model_list: [401, 429, 500].map((s) => anthropicModel(`e${s}`, `error-${s}`)).concat([anthropicModel("ctx", "error-400-context")]) });
    const r401 = await gw.post("/v1/chat/completions", { model: "e401", messages: [{ role: "user", content: "hi" }] });
    expect(r401.status).toBe(401);
    const r429 = await gw.post("/v1/chat/completions", { model: "e429", messages: [{ role: "user", content: "hi" }] });
    expect(r429.status).toBe(429);
    expect(r429.headers.get("retry-after")).toBe("7");
    expect(((await r429.json()) as any).error.message).toContain("rate limit");
    const ctxErr = await gw.post("/v1/chat/completions", { model: "ctx", messages: [{ role: "user", content: "hi" }] });
    expect(ctxErr.status).toBe(400);
    expect(((await ctxErr.json()) as any).error.message).toContain("prompt is too long");
    expect((await gw.post("/v1/chat/completions", { model: "e500", messages: [{ role: "user", content: "hi" }] })).status).toBe(500);
  });
});
