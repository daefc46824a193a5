import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../src/lib/ids";
import { MOCK_URL, openaiModel, readSse, testGateway, upstreamRequests } from "./helpers";

describe("chat completions through an OpenAI-compatible deployment", () => {
  it("answers in OpenAI's shape with LiteLLM's headers, and sends the upstream model and key", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test", "gpt-4o-mini")] });
    const marker = `marker-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", { model: "gpt-test", messages: [{ role: "user", content: marker }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0].message.content).toBe("Hello from the mock.");
    expect(body.usage.total_tokens).toBe(16);
    // A version-7 UUID: its first 48 bits are the Unix time in ms (the calls and spend_logs keys append in order).
    const callId = res.headers.get("x-litellm-call-id")!;
    expect(callId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Math.abs(parseInt(callId.replace("-", "").slice(0, 12), 16) - Date.now())).toBeLessThan(60_000);
    expect(res.headers.get("x-litellm-model-group")).toBe("gpt-test");
    expect(res.headers.get("x-litellm-model-id")).toMatch(/^[0-9a-f]{64}$/);
    expect(res.headers.get("x-litellm-model-api-base")).toMatch(/\/openai\/v1\/chat\/completions$/);
    expect(Number(res.headers.get("x-litellm-response-duration-ms"))).toBeGreaterThanOrEqual(0);
    expect(Number(res.headers.get("x-litellm-overhead-duration-ms"))).toBeGreaterThanOrEqual(0);

    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/openai/v1/chat/completions");
    expect(seen.headers.authorization).toBe("Bearer sk-upstream-secret-0000");
    expect(JSON.parse(seen.body).model).toBe("gpt-4o-mini");
  });

  it("passes an OpenAI-format answer through as the upstream wrote it, byte for byte; translated ones are re-written", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test", "gpt-4o-mini")] });
    const messages = [{ role: "user", content: "hi" }];
    const res = await gw.post("/v1/chat/completions", { model: "gpt-test", messages });
    const direct = await fetch(`${MOCK_URL}/openai/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", messages }) });
    const text = await direct.text();
    expect(text).toContain('\n  "service_tier": "default"');
    expect(await res.text()).toBe(text);
    // Anthropic's /v1/messages from the same deployment: translated, so serialised here.
    const translated = await gw.post("/v1/messages", { model: "gpt-test", max_tokens: 50, messages });
    expect(translated.status).toBe(200);
    const answer = await translated.text();
    expect(JSON.parse(answer)).toMatchObject({ type: "message", role: "assistant" });
    expect(answer).not.toContain("\n");
  });

  it("makes call ids that sort by time, whatever the random bits (uuidv7)", () => {
    const base = Date.UTC(2026, 10, 21);
    const ids = [0, 1, 255, 256, 65_536, 2 ** 32, 2 ** 40].map((d) => uuidv7(base + d));
    expect([...ids].sort()).toEqual(ids);
    for (const [i, d] of [0, 1, 255, 256, 65_536, 2 ** 32, 2 ** 40].entries()) expect(parseInt(ids[i].replace("-", "").slice(0, 12), 16)).toBe(base + d);
    expect(new Set(Array.from({ length: 1000 }, () => uuidv7(base))).size).toBe(1000);
  });

  it("works without the /v1 prefix and on Azure-style deployment paths", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")] });
    for (const path of ["/chat/completions", "/openai/deployments/gpt-test/chat/completions"]) {
      const res = await gw.post(path, { model: path.includes("deployments") ? undefined : "gpt-test", messages: [{ role: "user", content: "hi" }] });
      expect(res.status, path).toBe(200);
    }
  });

  it("streams chunks and ends with [DONE]; include_usage adds the usage chunk", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")] });
    const plain = await readSse(await gw.post("/v1/chat/completions", { model: "gpt-test", stream: true, messages: [{ role: "user", content: "hi" }] }));
    expect(plain.at(-1)).toBe("[DONE]");
    const contents = plain.slice(0, -1).map((c: any) => c.choices[0]?.delta?.content ?? "").join("");
    expect(contents).toBe("Hello from the mock.");
    expect(plain.some((c: any) => c.usage)).toBe(false);

    const withUsage = await readSse(
      await gw.post("/v1/chat/completions", { model: "gpt-test", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }),
    );
    const last = withUsage.at(-2) as any;
    expect(last.choices).toEqual([]);
    expect(last.usage.total_tokens).toBe(16);
  });

  it("always asks the upstream for stream usage, so spend can be counted", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")] });
    const marker = `marker-${crypto.randomUUID()}`;
    await (await gw.post("/v1/chat/completions", { model: "gpt-test", stream: true, messages: [{ role: "user", content: marker }] })).text();
    const [seen] = await upstreamRequests(marker);
    expect(JSON.parse(seen.body).stream_options).toEqual({ include_usage: true });
  });

  it("passes tool calls through, streaming included", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")] });
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    const res = await gw.post("/v1/chat/completions", { model: "gpt-test", tools, messages: [{ role: "user", content: "weather?" }] });
    const body = (await res.json()) as any;
    expect(body.choices[0].finish_reason).toBe("tool_calls");
    expect(body.choices[0].message.tool_calls[0].function).toEqual({ name: "get_weather", arguments: '{"city":"Paris"}' });

    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "gpt-test", tools, stream: true, messages: [{ role: "user", content: "weather?" }] }))) as any[];
    const args = chunks.slice(0, -1).flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []).map((t: any) => t.function.arguments).join("");
    expect(args).toBe('{"city":"Paris"}');
  });

  it("serves text completions and embeddings", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test"), { ...openaiModel("embed-test"), model_info: { mode: "embedding" } }] });
    const completion = (await (await gw.post("/v1/completions", { model: "gpt-test", prompt: "Say hi" })).json()) as any;
    expect(completion.object).toBe("text_completion");
    expect(completion.choices[0].text).toBe("Hello from the mock.");
    const emb = (await (await gw.post("/v1/embeddings", { model: "embed-test", input: ["a", "b"] })).json()) as any;
    expect(emb.object).toBe("list");
    expect(emb.data).toHaveLength(2);
    expect(emb.usage.prompt_tokens).toBe(8);
  });
});
