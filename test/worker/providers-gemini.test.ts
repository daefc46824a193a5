// OpenAI-format clients on a gemini/ deployment: golden request/response/stream translation against
// a mock speaking the Gemini API's wire format, embeddings, and error mapping.
import { describe, expect, it } from "vitest";
import { toGeminiSchema } from "../../src/providers/gemini/request";
import { MOCK_URL, readSse, testGateway, upstreamRequests } from "./helpers";

const geminiModel = (name: string, model = name, extra: Record<string, unknown> = {}) => ({
  model_name: name,
  litellm_params: { model: `gemini/${model}`, api_base: `${MOCK_URL}/gemini`, api_key: "AIzaSy-upstream-secret-gemini", ...extra },
});

const weatherTool = { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, additionalProperties: false } } };

async function sent(marker: string) {
  const [seen] = await upstreamRequests(marker);
  return { body: JSON.parse(seen.body), headers: seen.headers, path: seen.path };
}

describe("gemini adapter: requests and responses", () => {
  it("maps system, roles, images, sampling and stop params, with x-goog-api-key", async () => {
    const gw = await testGateway({ model_list: [geminiModel("flash", "gemini-2.5-flash")] });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", {
      model: "flash",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: marker }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }] },
        { role: "assistant", content: "Earlier answer." },
        { role: "user", content: "Again?" },
      ],
      max_completion_tokens: 200,
      temperature: 0.3,
      top_p: 0.8,
      stop: ["END"],
      n: 2,
      seed: 7,
    });
    expect(res.status).toBe(200);
    const { body, headers, path } = await sent(marker);
    expect(path).toBe("/gemini/v1beta/models/gemini-2.5-flash:generateContent");
    expect(headers["x-goog-api-key"]).toBe("AIzaSy-upstream-secret-gemini");
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [
        { role: "user", parts: [{ text: marker }, { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }] },
        { role: "model", parts: [{ text: "Earlier answer." }] },
        { role: "user", parts: [{ text: "Again?" }] },
      ],
      generationConfig: { maxOutputTokens: 200, temperature: 0.3, topP: 0.8, stopSequences: ["END"], candidateCount: 2, seed: 7 },
    });
    const out = (await res.json()) as any;
    expect(out).toMatchObject({
      id: "chatcmpl-resp-mock-1",
      object: "chat.completion",
      model: "gemini-2.5-flash-001",
      usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14, prompt_tokens_details: { cached_tokens: 2 } },
    });
    expect(out.choices).toHaveLength(2);
    expect(out.choices[1]).toMatchObject({ index: 1, message: { role: "assistant", content: "Hello from the mock." }, finish_reason: "stop" });
  });

  it("fetches http image URLs and sends them inline (Gemini takes bytes)", async () => {
    const gw = await testGateway({ model_list: [geminiModel("flash")] });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", {
      model: "flash",
      messages: [{ role: "user", content: [{ type: "text", text: marker }, { type: "image_url", image_url: { url: `${MOCK_URL}/__requests?contains=nothing-${marker}` } }] }],
    });
    expect(res.status).toBe(200);
    const part = (await sent(marker)).body.contents[0].parts[1];
    expect(part.inlineData.mimeType).toBe("application/json");
    expect(atob(part.inlineData.data)).toBe("[]");
  });

  it("maps tools (schemas cleaned for Gemini), tool_choice, tool calls with generated ids, and tool results", async () => {
    const gw = await testGateway({ model_list: [geminiModel("flash")] });
    const marker = `m-${crypto.randomUUID()}`;
    const first = (await (await gw.post("/v1/chat/completions", { model: "flash", tools: [weatherTool], tool_choice: "required", messages: [{ role: "user", content: marker }] })).json()) as any;
    const body = (await sent(marker)).body;
    expect(body.tools).toEqual([{ functionDeclarations: [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }] }]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY" } });
    expect(first.choices[0].finish_reason).toBe("tool_calls");
    const call = first.choices[0].message.tool_calls[0];
    expect(call).toMatchObject({ type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    expect(call.id).toMatch(/^call_/);

    const marker2 = `m-${crypto.randomUUID()}`;
    const second = await gw.post("/v1/chat/completions", {
      model: "flash",
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      messages: [{ role: "user", content: marker2 }, first.choices[0].message, { role: "tool", tool_call_id: call.id, content: '{"temp":18}' }],
    });
    expect(second.status).toBe(200);
    const body2 = (await sent(marker2)).body;
    expect(body2.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } });
    expect(body2.contents.slice(1)).toEqual([
      { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } } }] },
      { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { temp: 18 } } }] },
    ]);
    const none = `m-${crypto.randomUUID()}`;
    await gw.post("/v1/chat/completions", { model: "flash", tools: [weatherTool], tool_choice: "none", messages: [{ role: "user", content: none }] });
    expect((await sent(none)).body.toolConfig).toEqual({ functionCallingConfig: { mode: "NONE" } });
  });

  it("carries Gemini's thought signature through the tool-call id and back", async () => {
    const gw = await testGateway({ model_list: [geminiModel("pro", "think-3-pro")] });
    const first = (await (await gw.post("/v1/chat/completions", { model: "pro", tools: [weatherTool], messages: [{ role: "user", content: "weather?" }] })).json()) as any;
    const call = first.choices[0].message.tool_calls[0];
    expect(call.id).toContain("__thought__c2lnLW1vY2stMQ==");
    const marker = `m-${crypto.randomUUID()}`;
    const second = await gw.post("/v1/chat/completions", {
      model: "pro",
      tools: [weatherTool],
      messages: [{ role: "user", content: marker }, first.choices[0].message, { role: "tool", tool_call_id: call.id, content: "18C" }],
    });
    expect(second.status).toBe(200);
    expect((await sent(marker)).body.contents[1].parts[0]).toEqual({ functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: "c2lnLW1vY2stMQ==" });
    expect((await sent(marker)).body.contents[2].parts[0].functionResponse.response).toEqual({ content: "18C" });
  });

  it("maps response_format to responseMimeType + a cleaned responseSchema", async () => {
    const gw = await testGateway({ model_list: [geminiModel("flash")] });
    const marker = `m-${crypto.randomUUID()}`;
    const schema = { type: "object", properties: { answer: { type: ["string", "null"] }, kind: { $ref: "#/$defs/kind" } }, required: ["answer"], additionalProperties: false, $defs: { kind: { type: "string", enum: ["a", "b"] } } };
    const res = await gw.post("/v1/chat/completions", { model: "flash", response_format: { type: "json_schema", json_schema: { name: "a", schema, strict: true } }, messages: [{ role: "user", content: marker }] });
    expect(((await res.json()) as any).choices[0].message.content).toBe('{"answer":"forty-two"}');
    expect((await sent(marker)).body.generationConfig).toEqual({
      responseMimeType: "application/json",
      responseSchema: { type: "object", properties: { answer: { type: "string", nullable: true }, kind: { type: "string", enum: ["a", "b"] } }, required: ["answer"] },
    });
    expect(toGeminiSchema({ oneOf: [{ const: "x" }, { type: "integer" }] })).toEqual({ anyOf: [{ enum: ["x"] }, { type: "integer" }] });
  });

  it("maps reasoning_effort to a thinking budget and surfaces thoughts as reasoning_content with reasoning tokens", async () => {
    const gw = await testGateway({ model_list: [geminiModel("flash")] });
    const marker = `m-${crypto.randomUUID()}`;
    const out = (await (await gw.post("/v1/chat/completions", { model: "flash", reasoning_effort: "high", messages: [{ role: "user", content: marker }] })).json()) as any;
    expect((await sent(marker)).body.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 4096, includeThoughts: true });
    expect(out.choices[0].message).toMatchObject({ content: "Hello from the mock.", reasoning_content: "Thinking it over." });
    expect(out.usage).toMatchObject({ completion_tokens: 8, total_tokens: 17, completion_tokens_details: { reasoning_tokens: 3 } });
  });

  it("maps safety finish reasons and blocked prompts to content_filter", async () => {
    const gw = await testGateway({ model_list: [geminiModel("unsafe"), geminiModel("blocked")] });
    const unsafe = (await (await gw.post("/v1/chat/completions", { model: "unsafe", messages: [{ role: "user", content: "x" }] })).json()) as any;
    expect(unsafe.choices[0].finish_reason).toBe("content_filter");
    const blocked = (await (await gw.post("/v1/chat/completions", { model: "blocked", messages: [{ role: "user", content: "x" }] })).json()) as any;
    expect(blocked.choices[0]).toMatchObject({ message: { content: null }, finish_reason: "content_filter" });
  });
});

describe("gemini adapter: streaming", () => {
  it("streams text chunks, the finish chunk and the usage chunk", async () => {
    const gw = await testGateway({ model_list: [geminiModel("flash")] });
    const marker = `m-${crypto.randomUUID()}`;
    const chunks = (await readSse(
      await gw.post("/v1/chat/completions", { model: "flash", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: marker }] }),
    )) as any[];
    expect((await sent(marker)).path).toBe("/gemini/v1beta/models/flash:streamGenerateContent");
    expect(chunks.at(-1)).toBe("[DONE]");
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks.slice(0, -2).map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("Hello from the mock.");
    expect(chunks.at(-3).choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-2).usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 });
  });

  it("streams a tool call as one delta with its whole arguments, finishing with tool_calls", async () => {
    const gw = await testGateway({ model_list: [geminiModel("flash")] });
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "flash", stream: true, tools: [weatherTool], messages: [{ role: "user", content: "weather?" }] }))) as any[];
    const calls = chunks.slice(0, -1).flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ index: 0, type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    expect(chunks.at(-2).choices[0].finish_reason).toBe("tool_calls");
  });
});

describe("gemini adapter: embeddings and errors", () => {
  it("embeds through batchEmbedContents, floats or OpenAI's base64", async () => {
    const gw = await testGateway({ model_list: [{ ...geminiModel("embed", "text-embedding-004"), model_info: { mode: "embedding" } }] });
    const marker = `m-${crypto.randomUUID()}`;
    const res = (await (await gw.post("/v1/embeddings", { model: "embed", input: [marker, "second"], dimensions: 2 })).json()) as any;
    const { body, path } = await sent(marker);
    expect(path).toBe("/gemini/v1beta/models/text-embedding-004:batchEmbedContents");
    expect(body.requests[0]).toEqual({ model: "models/text-embedding-004", content: { parts: [{ text: marker }] }, outputDimensionality: 2 });
    expect(res.data.map((d: any) => d.embedding)).toEqual([[0.25, 0.5], [1.25, 1.5]]);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
    const b64 = (await (await gw.post("/v1/embeddings", { model: "embed", input: "x", encoding_format: "base64", dimensions: 2 })).json()) as any;
    const floats = new Float32Array(Uint8Array.from(atob(b64.data[0].embedding), (ch) => ch.charCodeAt(0)).buffer);
    expect([...floats]).toEqual([0.25, 0.5]);
  });

  it("maps Google's errors: bad key -> 401, quota -> 429 with retryDelay, context length, overload", async () => {
    // No retries: the router would honour the 429's retry-after (37 s) before answering.
    const gw = await testGateway({ router_settings: { num_retries: 0 }, model_list: [geminiModel("key", "error-400-key"), geminiModel("quota", "error-429"), geminiModel("ctx", "error-400-context"), geminiModel("busy", "error-503")] });
    const call = (model: string) => gw.post("/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] });
    const key = await call("key");
    expect(key.status).toBe(401);
    const keyBody = (await key.json()) as any;
    expect(keyBody.error.message).toContain("API key not valid");
    expect(JSON.stringify(keyBody)).not.toContain("AIzaSy-upstream-secret-gemini");
    const quota = await call("quota");
    expect(quota.status).toBe(429);
    expect(quota.headers.get("retry-after")).toBe("37");
    const ctx = await call("ctx");
    expect(ctx.status).toBe(400);
    expect(((await ctx.json()) as any).error.message).toContain("exceeds the maximum number of tokens");
    expect((await call("busy")).status).toBe(503);
  });
});
