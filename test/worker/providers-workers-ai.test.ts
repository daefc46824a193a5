// workers_ai/ (and cloudflare/) deployments. The AI binding cannot exist offline, so these tests pass
// a fake binding object (a test double of the platform binding, not of our code) through testGateway's
// env; it answers in the shapes Workers AI models use (native {response, tool_calls, usage}, OpenAI's,
// SSE streams, and `<code>: message` errors). The REST path is tested against a mock of the REST API.
import { describe, expect, it } from "vitest";
import { MOCK_URL, readSse, testGateway, upstreamRequests } from "./helpers";

const TEXT = "Hello from the mock.";
const WORDS = ["Hello", " from", " the", " mock", "."];
const usage = { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 };

function sseStream(events: object[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("") + "data: [DONE]\n\n");
  return new ReadableStream({ start: (c) => (c.enqueue(bytes), c.close()) });
}

/** A fake `env.AI` that records its calls. */
function fakeAi() {
  const calls: { model: string; inputs: any; options: any }[] = [];
  const ai = {
    async run(model: string, inputs: any, options: any) {
      calls.push({ model, inputs, options });
      if (model === "@cf/test/capacity") throw new Error("3040: Capacity temporarily exceeded, please try again.");
      if (model === "@cf/test/missing") throw new Error("AiError: 5007: No such model @cf/test/missing or task");
      if (model === "@cf/test/long") throw new Error("AiError: 5021: The estimated number of input and maximum output tokens (32769) exceeded this model context window limit (24000).");
      if (model === "@cf/test/broken") throw new Error("internal error");
      if (inputs.text) return { shape: [inputs.text.length, 2], data: inputs.text.map((_: unknown, i: number) => [i, 0.5]) };
      const wantsTool = inputs.tools?.length && inputs.messages?.at(-1)?.role !== "tool";
      if (model === "@cf/test/openai") {
        if (!inputs.stream) return { id: "chatcmpl-cf", object: "chat.completion", created: 1, model, choices: [{ index: 0, message: { role: "assistant", content: TEXT, reasoning_content: "Hmm." }, finish_reason: "stop" }], usage };
        return sseStream([
          ...WORDS.map((w) => ({ id: "chatcmpl-cf", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })),
          { id: "chatcmpl-cf", object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage },
        ]);
      }
      if (wantsTool && !inputs.stream) return { response: "", tool_calls: [{ name: inputs.tools[0].function.name, arguments: { city: "Paris" } }], usage };
      if (wantsTool) {
        return sseStream([
          { response: "", tool_calls: [{ id: "call_cf_1", type: "function", index: 0, function: { name: inputs.tools[0].function.name } }] },
          { response: "", tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
          { response: "", tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
          { response: "", tool_calls: [{ id: null, type: null, function: { name: null } }] },
          { response: "", usage },
        ]);
      }
      if (inputs.stream) return sseStream([...WORDS.map((w) => ({ response: w, p: "pad" })), { response: "", usage }]);
      return { response: inputs.response_format ? { answer: 42 } : TEXT, usage };
    },
  };
  return { ai, calls };
}

const cfModel = (name: string, model: string, prefix = "workers_ai", extra: Record<string, unknown> = {}) => ({ model_name: name, litellm_params: { model: `${prefix}/${model}`, ...extra } });

describe("workers_ai through the AI binding", () => {
  it("runs chat on env.AI with Workers AI's inputs and answers in OpenAI's shape", async () => {
    const { ai, calls } = fakeAi();
    const gw = await testGateway({ model_list: [cfModel("llama", "@cf/meta/llama-3.3-70b-instruct-fp8-fast")] }, { AI: ai });
    const res = await gw.post("/v1/chat/completions", {
      model: "llama",
      messages: [{ role: "developer", content: "Be brief." }, { role: "user", content: [{ type: "text", text: "Hi " }, { type: "text", text: "there" }] }],
      max_completion_tokens: 64,
      temperature: 0.4,
      seed: 1,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-api-base")).toBe("workers-ai://binding/@cf/meta/llama-3.3-70b-instruct-fp8-fast");
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ object: "chat.completion", model: "@cf/meta/llama-3.3-70b-instruct-fp8-fast", choices: [{ message: { role: "assistant", content: TEXT }, finish_reason: "stop" }], usage });
    expect(calls[0].model).toBe("@cf/meta/llama-3.3-70b-instruct-fp8-fast");
    expect(calls[0].inputs).toEqual({ messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi there" }], max_tokens: 64, temperature: 0.4, seed: 1 });
    expect(calls[0].options.signal).toBeInstanceOf(AbortSignal);
  });

  it("maps response_format to Workers AI's JSON mode (schema under json_schema)", async () => {
    const { ai, calls } = fakeAi();
    const gw = await testGateway({ model_list: [cfModel("llama", "@cf/meta/llama-3.1-8b-instruct")] }, { AI: ai });
    const schema = { type: "object", properties: { answer: { type: "number" } } };
    const body = (await (await gw.post("/v1/chat/completions", { model: "llama", response_format: { type: "json_schema", json_schema: { name: "a", schema } }, messages: [{ role: "user", content: "?" }] })).json()) as any;
    expect(calls[0].inputs.response_format).toEqual({ type: "json_schema", json_schema: schema });
    expect(body.choices[0].message.content).toBe('{"answer":42}');
  });

  it("streams SSE from the binding as OpenAI chunks with usage", async () => {
    const { ai, calls } = fakeAi();
    const gw = await testGateway({ model_list: [cfModel("llama", "@cf/meta/llama-3.1-8b-instruct")] }, { AI: ai });
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "llama", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }))) as any[];
    expect(calls[0].inputs.stream).toBe(true);
    expect(chunks.at(-1)).toBe("[DONE]");
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks.slice(0, -2).map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(TEXT);
    expect(chunks.at(-3).choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-2).usage).toEqual(usage);
  });

  it("returns tool calls (whole, or streamed in pieces) with ids, and sends tool results back", async () => {
    const { ai, calls } = fakeAi();
    const gw = await testGateway({ model_list: [cfModel("llama", "@cf/meta/llama-3.3-70b-instruct-fp8-fast")] }, { AI: ai });
    const tools = [{ type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    const body = (await (await gw.post("/v1/chat/completions", { model: "llama", tools, messages: [{ role: "user", content: "weather?" }] })).json()) as any;
    expect(body.choices[0].finish_reason).toBe("tool_calls");
    const call = body.choices[0].message.tool_calls[0];
    expect(call).toMatchObject({ type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    expect(call.id).toMatch(/^call_/);
    expect(calls[0].inputs.tools).toEqual(tools);

    await gw.post("/v1/chat/completions", { model: "llama", tools, messages: [{ role: "user", content: "weather?" }, body.choices[0].message, { role: "tool", tool_call_id: call.id, content: "18C" }] });
    expect(calls[1].inputs.messages.slice(1)).toEqual([
      { role: "assistant", content: "", tool_calls: [{ id: call.id, type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", content: "18C", tool_call_id: call.id },
    ]);

    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "llama", stream: true, tools, messages: [{ role: "user", content: "weather?" }] }))) as any[];
    const deltas = chunks.slice(0, -1).flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(deltas[0]).toEqual({ index: 0, id: "call_cf_1", type: "function", function: { name: "get_weather", arguments: "" } });
    expect(deltas.map((d: any) => d.function.arguments).join("")).toBe('{"city":"Paris"}');
    expect(chunks.at(-2).choices[0].finish_reason).toBe("tool_calls");
  });

  it("reads models that answer in OpenAI's format, JSON and stream", async () => {
    const { ai } = fakeAi();
    const gw = await testGateway({ model_list: [cfModel("oss", "@cf/test/openai")] }, { AI: ai });
    const body = (await (await gw.post("/v1/chat/completions", { model: "oss", messages: [{ role: "user", content: "hi" }] })).json()) as any;
    expect(body.choices[0].message).toMatchObject({ content: TEXT, reasoning_content: "Hmm." });
    expect(body.usage).toEqual(usage);
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "oss", stream: true, messages: [{ role: "user", content: "hi" }] }))) as any[];
    expect(chunks.slice(0, -1).map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(TEXT);
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
  });

  it("serves embeddings (float and base64) and text completions", async () => {
    const { ai, calls } = fakeAi();
    const gw = await testGateway({ model_list: [{ ...cfModel("bge", "@cf/baai/bge-small-en-v1.5"), model_info: { mode: "embedding" } }, cfModel("llama", "@cf/meta/llama-3.1-8b-instruct")] }, { AI: ai });
    const emb = (await (await gw.post("/v1/embeddings", { model: "bge", input: ["a", "b"] })).json()) as any;
    expect(calls[0].inputs).toEqual({ text: ["a", "b"] });
    expect(emb.data.map((d: any) => d.embedding)).toEqual([[0, 0.5], [1, 0.5]]);
    const b64 = (await (await gw.post("/v1/embeddings", { model: "bge", input: "a", encoding_format: "base64" })).json()) as any;
    expect(typeof b64.data[0].embedding).toBe("string");
    const completion = (await (await gw.post("/v1/completions", { model: "llama", prompt: "Say hi", max_tokens: 5 })).json()) as any;
    expect(calls.at(-1)!.inputs).toEqual({ prompt: "Say hi", max_tokens: 5 });
    expect(completion).toMatchObject({ object: "text_completion", choices: [{ text: TEXT, finish_reason: "stop" }], usage });
  });

  it("maps binding errors by their Workers AI code (3040 -> 429, 5007 -> 404, 5021 -> 400 context window, none -> 500)", async () => {
    const { ai } = fakeAi();
    const gw = await testGateway({ model_list: [cfModel("busy", "@cf/test/capacity"), cfModel("gone", "@cf/test/missing", "cloudflare"), cfModel("long", "@cf/test/long"), cfModel("broken", "@cf/test/broken")] }, { AI: ai });
    const long = await gw.post("/v1/chat/completions", { model: "long", messages: [{ role: "user", content: "hi" }] });
    expect(long.status).toBe(400);
    expect(((await long.json()) as any).error.message).toContain("context window limit");
    expect((await gw.post("/v1/chat/completions", { model: "broken", messages: [{ role: "user", content: "hi" }] })).status).toBe(500);
    const busy = await gw.post("/v1/chat/completions", { model: "busy", messages: [{ role: "user", content: "hi" }] });
    expect(busy.status).toBe(429);
    expect(((await busy.json()) as any).error.message).toContain("Capacity temporarily exceeded");
    expect((await gw.post("/v1/chat/completions", { model: "gone", messages: [{ role: "user", content: "hi" }] })).status).toBe(404);
  });
});

describe("workers_ai through the REST API (no binding)", () => {
  const rest = (name: string, model: string, key = "cf-api-token-mock") =>
    cfModel(name, model, "cloudflare", { api_base: `${MOCK_URL}/cloudflare/client/v4/accounts/acct-1/ai/run`, api_key: key });

  it("calls /ai/run/<model> with the token, JSON and SSE", async () => {
    const gw = await testGateway({ model_list: [rest("llama", "@cf/meta/llama-3.1-8b-instruct")] });
    const marker = `m-${crypto.randomUUID()}`;
    const body = (await (await gw.post("/v1/chat/completions", { model: "llama", messages: [{ role: "user", content: marker }] })).json()) as any;
    expect(body.choices[0].message.content).toBe(TEXT);
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/cloudflare/client/v4/accounts/acct-1/ai/run/@cf/meta/llama-3.1-8b-instruct");
    expect(seen.headers.authorization).toBe("Bearer cf-api-token-mock");
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "llama", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }))) as any[];
    expect(chunks.slice(0, -2).map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(TEXT);
    expect(chunks.at(-2).usage).toEqual(usage);
  });

  it("maps REST errors, and says what to configure when neither binding nor credentials exist", async () => {
    const gw = await testGateway({ model_list: [rest("bad", "@cf/x", "wrong"), rest("busy", "@cf/test/capacity"), cfModel("none", "@cf/x")] });
    expect((await gw.post("/v1/chat/completions", { model: "bad", messages: [{ role: "user", content: "hi" }] })).status).toBe(401);
    expect((await gw.post("/v1/chat/completions", { model: "busy", messages: [{ role: "user", content: "hi" }] })).status).toBe(429);
    const none = await gw.post("/v1/chat/completions", { model: "none", messages: [{ role: "user", content: "hi" }] });
    expect(none.status).toBe(500);
    expect(((await none.json()) as any).error.message).toContain('[ai] binding = "AI"');
  });
});
