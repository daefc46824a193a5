// bedrock/ deployments: SigV4 signing (verified by the mock as AWS would), Converse request/response
// translation, ConverseStream's binary event stream, Titan/Cohere embeddings, and error mapping.
import { describe, expect, it } from "vitest";
import { bedrock } from "../../src/providers/bedrock/adapter";
import { awsEventStreamDecoder, crc32 } from "../../src/providers/shared/aws-event-stream";
import type { AdapterContext } from "../../src/core/provider";
import { MOCK_URL, readSse, testGateway, upstreamRequests } from "./helpers";

const ACCESS_KEY = "AKIDMOCKGATEWAY";
const SECRET_KEY = "mock/secret+key/for-sigv4";

const bedrockModel = (name: string, model: string, extra: Record<string, unknown> = {}) => ({
  model_name: name,
  litellm_params: {
    model: `bedrock/${model}`,
    api_base: `${MOCK_URL}/bedrock`,
    aws_access_key_id: "os.environ/TEST_AWS_KEY_ID",
    aws_secret_access_key: "os.environ/TEST_AWS_SECRET",
    aws_region_name: "us-west-2",
    ...extra,
  },
});
const awsEnv = { TEST_AWS_KEY_ID: ACCESS_KEY, TEST_AWS_SECRET: SECRET_KEY };
const CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const weatherTool = { type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };

async function sent(marker: string) {
  const [seen] = await upstreamRequests(marker);
  return { body: JSON.parse(seen.body), headers: seen.headers, path: seen.path };
}

describe("bedrock adapter: Converse", () => {
  it("signs with SigV4 (credentials from os.environ/), encodes the model id, and translates the request", async () => {
    const gw = await testGateway({ model_list: [bedrockModel("claude", CLAUDE)] }, awsEnv);
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", {
      model: "claude",
      messages: [
        { role: "system", content: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }] },
        { role: "user", content: [{ type: "text", text: marker }, { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } }] },
        { role: "user", content: "More?" },
      ],
      max_tokens: 300,
      temperature: 0.1,
      top_p: 0.5,
      stop: ["END"],
      user: "alice@example.com",
    });
    expect(res.status).toBe(200);
    const { body, headers, path } = await sent(marker);
    expect(path).toBe(`/bedrock/model/${encodeURIComponent(CLAUDE)}/converse`);
    expect(headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/\\d{8}/us-west-2/bedrock/aws4_request, SignedHeaders=`));
    expect(headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
    expect(body).toEqual({
      system: [{ text: "Be brief." }, { cachePoint: { type: "default" } }],
      messages: [{ role: "user", content: [{ text: marker }, { image: { format: "jpeg", source: { bytes: "/9j/4AAQ" } } }, { text: "More?" }] }],
      inferenceConfig: { maxTokens: 300, temperature: 0.1, topP: 0.5, stopSequences: ["END"] },
      requestMetadata: { user: "alice@example.com" },
    });
    const out = (await res.json()) as any;
    expect(out).toMatchObject({
      object: "chat.completion",
      model: CLAUDE,
      choices: [{ message: { role: "assistant", content: "Hello from the mock." }, finish_reason: "stop" }],
      usage: { prompt_tokens: 15, completion_tokens: 5, total_tokens: 20, prompt_tokens_details: { cached_tokens: 4 }, cache_creation_input_tokens: 1 },
    });
  });

  it("sends the session token, and a Bedrock API key as Bearer without signing", async () => {
    const gw = await testGateway({
      model_list: [bedrockModel("temp", CLAUDE, { aws_session_token: "session-token-xyz" }), bedrockModel("keyed", CLAUDE, { aws_access_key_id: undefined, aws_secret_access_key: undefined, api_key: "bedrock-api-key-mock" })],
    }, awsEnv);
    const marker = `m-${crypto.randomUUID()}`;
    expect((await gw.post("/v1/chat/completions", { model: "temp", messages: [{ role: "user", content: marker }] })).status).toBe(200);
    expect((await sent(marker)).headers["x-amz-security-token"]).toBe("session-token-xyz");
    const marker2 = `m-${crypto.randomUUID()}`;
    expect((await gw.post("/v1/chat/completions", { model: "keyed", messages: [{ role: "user", content: marker2 }] })).status).toBe(200);
    expect((await sent(marker2)).headers.authorization).toBe("Bearer bedrock-api-key-mock");
  });

  it("maps a wrong secret to 401 (the mock recomputes the signature as AWS does)", async () => {
    const gw = await testGateway({ model_list: [bedrockModel("claude", CLAUDE)] }, { ...awsEnv, TEST_AWS_SECRET: "not-the-secret" });
    const res = await gw.post("/v1/chat/completions", { model: "claude", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(401);
    const body = (await res.json()) as any;
    expect(body.error.message).toContain("signature we calculated does not match");
    expect(JSON.stringify(body)).not.toContain("not-the-secret");
  });

  it("translates tools, tool_choice, toolUse and merged toolResults", async () => {
    const gw = await testGateway({ model_list: [bedrockModel("claude", CLAUDE)] }, awsEnv);
    const marker = `m-${crypto.randomUUID()}`;
    const first = (await (await gw.post("/v1/chat/completions", { model: "claude", tools: [weatherTool], tool_choice: "required", messages: [{ role: "user", content: marker }] })).json()) as any;
    expect((await sent(marker)).body.toolConfig).toEqual({
      tools: [{ toolSpec: { name: "get_weather", description: "Weather", inputSchema: { json: weatherTool.function.parameters } } }],
      toolChoice: { any: {} },
    });
    expect(first.choices[0]).toMatchObject({ finish_reason: "tool_calls", message: { content: null, tool_calls: [{ id: "tooluse_mock_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] } });

    const marker2 = `m-${crypto.randomUUID()}`;
    const second = await gw.post("/v1/chat/completions", {
      model: "claude",
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      messages: [
        { role: "user", content: marker2 },
        { role: "assistant", content: null, tool_calls: [
          { id: "tooluse_mock_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          { id: "tooluse_mock_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
        ] },
        { role: "tool", tool_call_id: "tooluse_mock_1", content: "18C" },
        { role: "tool", tool_call_id: "tooluse_mock_2", content: "4C" },
      ],
    });
    expect(second.status).toBe(200);
    const body = (await sent(marker2)).body;
    expect(body.toolConfig.toolChoice).toEqual({ tool: { name: "get_weather" } });
    expect(body.messages.slice(1)).toEqual([
      { role: "assistant", content: [
        { toolUse: { toolUseId: "tooluse_mock_1", name: "get_weather", input: { city: "Paris" } } },
        { toolUse: { toolUseId: "tooluse_mock_2", name: "get_weather", input: { city: "Oslo" } } },
      ] },
      { role: "user", content: [
        { toolResult: { toolUseId: "tooluse_mock_1", content: [{ text: "18C" }] } },
        { toolResult: { toolUseId: "tooluse_mock_2", content: [{ text: "4C" }] } },
      ] },
    ]);

    // Tool history without tools in the request still needs a toolConfig on Bedrock.
    const marker3 = `m-${crypto.randomUUID()}`;
    const summary = await gw.post("/v1/chat/completions", {
      model: "claude",
      messages: [
        { role: "user", content: marker3 },
        { role: "assistant", content: null, tool_calls: [{ id: "tooluse_mock_1", type: "function", function: { name: "get_weather", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "tooluse_mock_1", content: "18C" },
      ],
    });
    expect(summary.status).toBe(200);
    expect((await sent(marker3)).body.toolConfig.tools[0].toolSpec.name).toBe("get_weather");
  });

  it("serves response_format with the JSON tool, and reasoning_effort as Claude's thinking", async () => {
    const gw = await testGateway({ model_list: [bedrockModel("claude", CLAUDE)] }, awsEnv);
    const json = (await (await gw.post("/v1/chat/completions", { model: "claude", response_format: { type: "json_object" }, messages: [{ role: "user", content: "json" }] })).json()) as any;
    expect(json.choices[0]).toMatchObject({ message: { content: '{"answer":"forty-two"}' }, finish_reason: "stop" });
    const marker = `m-${crypto.randomUUID()}`;
    const think = (await (await gw.post("/v1/chat/completions", { model: "claude", reasoning_effort: "medium", messages: [{ role: "user", content: marker }] })).json()) as any;
    expect((await sent(marker)).body.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 2048 } });
    expect(think.choices[0].message).toMatchObject({ reasoning_content: "Pondering.", thinking_blocks: [{ type: "thinking", thinking: "Pondering.", signature: "bedrock-sig-1" }] });
  });

  it("maps guardrail interventions to content_filter", async () => {
    const gw = await testGateway({ model_list: [bedrockModel("guarded", "guardrail")] }, awsEnv);
    const out = (await (await gw.post("/v1/chat/completions", { model: "guarded", messages: [{ role: "user", content: "x" }] })).json()) as any;
    expect(out.choices[0].finish_reason).toBe("content_filter");
  });
});

describe("bedrock adapter: ConverseStream", () => {
  it("decodes the binary event stream into OpenAI chunks with usage", async () => {
    const gw = await testGateway({ model_list: [bedrockModel("claude", CLAUDE)] }, awsEnv);
    const marker = `m-${crypto.randomUUID()}`;
    const chunks = (await readSse(
      await gw.post("/v1/chat/completions", { model: "claude", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: marker }] }),
    )) as any[];
    const { path, headers } = await sent(marker);
    expect(path).toBe(`/bedrock/model/${encodeURIComponent(CLAUDE)}/converse-stream`);
    expect(headers.accept).toBe("application/vnd.amazon.eventstream");
    expect(chunks.at(-1)).toBe("[DONE]");
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.slice(0, -2).map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("Hello from the mock.");
    expect(chunks.at(-3).choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-2).usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
  });

  it("streams toolUse input deltas as tool-call argument deltas", async () => {
    const gw = await testGateway({ model_list: [bedrockModel("claude", CLAUDE)] }, awsEnv);
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "claude", stream: true, tools: [weatherTool], messages: [{ role: "user", content: "weather?" }] }))) as any[];
    const calls = chunks.slice(0, -1).flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: "tooluse_mock_1", type: "function", function: { name: "get_weather", arguments: "" } });
    expect(calls.map((c: any) => c.function.arguments).join("")).toBe('{"city":"Paris"}');
    expect(chunks.at(-2).choices[0].finish_reason).toBe("tool_calls");
  });

  it("turns an exception event before output into an HTTP error, and a corrupt frame into an error", async () => {
    const gw = await testGateway({ model_list: [bedrockModel("throttled", "stream-throttle"), bedrockModel("corrupt", "stream-corrupt")] }, awsEnv);
    const throttled = await gw.post("/v1/chat/completions", { model: "throttled", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(throttled.status).toBe(429);
    expect(((await throttled.json()) as any).error.message).toContain("Too many tokens");
    const corrupt = await gw.post("/v1/chat/completions", { model: "corrupt", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(corrupt.status).toBe(502);
    expect(((await corrupt.json()) as any).error.message).toContain("checksum");
  });

  it("decoder: frames split anywhere decode the same, and CRC32 matches the standard check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    const frame = encodeFrame({ ":event-type": "contentBlockDelta", ":message-type": "event" }, '{"delta":{"text":"hé"}}');
    const two = new Uint8Array([...frame, ...encodeFrame({ ":event-type": "messageStop", ":message-type": "event" }, '{"stopReason":"end_turn"}')]);
    for (let cut = 1; cut < two.length; cut += 7) {
      const decoder = awsEventStreamDecoder();
      const events = [...decoder.push(two.slice(0, cut)), ...decoder.push(two.slice(cut)), ...decoder.end()];
      expect(events).toEqual([
        { event: "contentBlockDelta", data: '{"delta":{"text":"hé"}}' },
        { event: "messageStop", data: '{"stopReason":"end_turn"}' },
      ]);
    }
    const truncated = awsEventStreamDecoder();
    truncated.push(frame.slice(0, frame.length - 3));
    expect(() => truncated.end()).toThrow(/truncated/);
  });
});

/** A test-side event-stream encoder (string headers only). */
function encodeFrame(headers: Record<string, string>, payload: string): Uint8Array {
  const enc = new TextEncoder();
  const headerBytes: number[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = enc.encode(name);
    const v = enc.encode(value);
    headerBytes.push(n.length, ...n, 7, v.length >> 8, v.length & 0xff, ...v);
  }
  const data = enc.encode(payload);
  const total = 12 + headerBytes.length + data.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headerBytes.length);
  view.setUint32(8, crc32(out, 0, 8));
  out.set(headerBytes, 12);
  out.set(data, 12 + headerBytes.length);
  view.setUint32(total - 4, crc32(out, 0, total - 4));
  return out;
}

describe("bedrock adapter: embeddings and errors", () => {
  it("embeds with Titan (one input, token count reported) and Cohere (batches)", async () => {
    const gw = await testGateway({
      model_list: [bedrockModel("titan", "amazon.titan-embed-text-v2:0"), bedrockModel("cohere", "cohere.embed-english-v3")].map((m) => ({ ...m, model_info: { mode: "embedding" as const } })),
    }, awsEnv);
    const marker = `m-${crypto.randomUUID()}`;
    const titan = (await (await gw.post("/v1/embeddings", { model: "titan", input: marker, dimensions: 256 })).json()) as any;
    expect(titan).toMatchObject({ object: "list", data: [{ index: 0, embedding: [0.5, -0.5] }], usage: { prompt_tokens: 4 } });
    expect((await sent(marker)).body).toEqual({ inputText: marker, dimensions: 256 });
    expect((await gw.post("/v1/embeddings", { model: "titan", input: ["a", "b"] })).status).toBe(400);
    const marker2 = `m-${crypto.randomUUID()}`;
    const cohere = (await (await gw.post("/v1/embeddings", { model: "cohere", input: [marker2, "b"] })).json()) as any;
    expect(cohere.data.map((d: any) => d.embedding)).toEqual([[0.125, 0.25], [0.125, 0.25]]);
    expect((await sent(marker2)).body).toEqual({ texts: [marker2, "b"], input_type: "search_document" });
  });

  it("maps AWS exceptions: throttling 429, context-length 400, access 403, 5xx", async () => {
    const gw = await testGateway({ model_list: [["t", "error-429"], ["c", "error-400-context"], ["a", "error-403"], ["u", "error-503"]].map(([n, m]) => bedrockModel(n, m)) }, awsEnv);
    const call = (model: string) => gw.post("/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] });
    expect((await call("t")).status).toBe(429);
    const ctx = await call("c");
    expect(ctx.status).toBe(400);
    expect(((await ctx.json()) as any).error.message).toContain("Input is too long");
    expect((await call("a")).status).toBe(403);
    expect((await call("u")).status).toBe(503);
    const context: AdapterContext = { deployment: { provider: "bedrock", params: { model: "bedrock/x" } }, env: {}, callId: "c", stream: false } as unknown as AdapterContext;
    const failure = (type: string, status: number, message: string) => bedrock.mapError({ status, headers: new Headers({ "x-amzn-errortype": `${type}:http://internal.amazon.com/` }), text: JSON.stringify({ message }) }, context);
    expect(failure("ValidationException", 400, "Input is too long for requested model.")).toMatchObject({ kind: "context_window", status: 400 });
    expect(failure("ThrottlingException", 429, "slow")).toMatchObject({ kind: "rate_limit" });
    expect(failure("UnrecognizedClientException", 403, "The security token included in the request is invalid.")).toMatchObject({ kind: "auth", status: 401 });
    expect(failure("ModelNotReadyException", 429, "warming")).toMatchObject({ kind: "rate_limit", status: 429 });
  });

  it("says which setting is missing", async () => {
    const gw = await testGateway({ model_list: [bedrockModel("claude", CLAUDE, { aws_region_name: undefined })] }, awsEnv);
    const res = await gw.post("/v1/chat/completions", { model: "claude", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(500);
    expect(((await res.json()) as any).error.message).toContain("aws_region_name");
  });
});
