import { describe, expect, it } from "vitest";
import { ollamaModel, readSse, testGateway, upstreamRequests } from "./helpers";

describe("ollama_chat/ (POST /api/chat)", () => {
  it("maps params to options, messages natively, and usage from eval counts", async () => {
    const gw = await testGateway({ model_list: [ollamaModel("llama", "llama3.2")] });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", {
      model: "llama",
      max_tokens: 50,
      temperature: 0.2,
      stop: "END",
      response_format: { type: "json_object" },
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: [{ type: "text", text: marker }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }] },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.choices[0]).toMatchObject({ message: { role: "assistant", content: "Hello from the mock." }, finish_reason: "stop" });
    expect(body.usage).toEqual({ prompt_tokens: 26, completion_tokens: 5, total_tokens: 31 });
    const [seen] = await upstreamRequests(marker);
    expect(seen.path).toBe("/api/chat");
    const sent = JSON.parse(seen.body);
    expect(sent).toMatchObject({ model: "llama3.2", stream: false, format: "json", options: { num_predict: 50, temperature: 0.2, stop: ["END"] } });
    expect(sent.messages[1]).toEqual({ role: "user", content: marker, images: ["iVBORw0KGgo="] });
  });

  it("turns NDJSON into OpenAI chunks with a final usage chunk", async () => {
    const gw = await testGateway({ model_list: [ollamaModel("llama", "llama3.2")] });
    const chunks = (await readSse(
      await gw.post("/v1/chat/completions", { model: "llama", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }),
    )) as any[];
    expect(chunks.at(-1)).toBe("[DONE]");
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    const text = chunks.slice(0, -1).map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe("Hello from the mock.");
    expect(chunks.find((c) => c.choices?.[0]?.finish_reason)?.choices[0].finish_reason).toBe("stop");
    // A local model costs nothing: its usage chunk says so (usage.cost, as every priced stream).
    expect(chunks.at(-2).usage).toEqual({ prompt_tokens: 26, completion_tokens: 5, total_tokens: 31, cost: 0 });
    for (const c of chunks.slice(0, -1)) expect(c.object).toBe("chat.completion.chunk");
  });

  it("maps tools both ways (arguments JSON string <-> object)", async () => {
    const gw = await testGateway({ model_list: [ollamaModel("llama", "llama3.2")] });
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
    const marker = `m-${crypto.randomUUID()}`;
    const res = (await (
      await gw.post("/v1/chat/completions", {
        model: "llama",
        tools,
        messages: [
          { role: "user", content: marker },
          { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
          { role: "tool", tool_call_id: "call_1", content: "cold" },
        ],
      })
    ).json()) as any;
    expect(res.choices[0].finish_reason).toBe("tool_calls");
    expect(res.choices[0].message.tool_calls[0]).toMatchObject({ type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    const sent = JSON.parse((await upstreamRequests(marker))[0].body);
    expect(sent.messages[1].tool_calls).toEqual([{ function: { name: "get_weather", arguments: { city: "Oslo" } } }]);
    expect(sent.messages[2]).toMatchObject({ role: "tool", content: "cold", tool_name: "get_weather" });

    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "llama", tools, stream: true, messages: [{ role: "user", content: "w" }] }))) as any[];
    const call = chunks.flatMap((c) => c.choices?.[0]?.delta?.tool_calls ?? [])[0];
    expect(call).toMatchObject({ index: 0, type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    expect(chunks.find((c) => c.choices?.[0]?.finish_reason)?.choices[0].finish_reason).toBe("tool_calls");
  });

  it("maps a missing model (404 {error}) to a 404 in OpenAI's shape", async () => {
    const gw = await testGateway({ model_list: [ollamaModel("llama", "error-404")] });
    const res = await gw.post("/v1/chat/completions", { model: "llama", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ type: "not_found_error", code: "404" });
    expect(body.error.message).toContain("not found, try pulling it first");
  });

  it("ends a stream with an SSE error event when Ollama reports an error mid-stream", async () => {
    const gw = await testGateway({ model_list: [ollamaModel("llama", "stream-error")] });
    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "llama", stream: true, messages: [{ role: "user", content: "hi" }] }))) as any[];
    expect(chunks.at(-1).error.message).toContain("an error was encountered while running the model");
    expect(chunks.some((c) => c.choices?.[0]?.delta?.content === "Hello")).toBe(true);
  });
});

describe("ollama/ (POST /api/generate)", () => {
  it("flattens messages into one prompt and answers chat and completions", async () => {
    const gw = await testGateway({ model_list: [ollamaModel("gen", "llama3.2", "ollama")] });
    const marker = `m-${crypto.randomUUID()}`;
    const chat = (await (await gw.post("/v1/chat/completions", { model: "gen", messages: [{ role: "system", content: "sys" }, { role: "user", content: marker }] })).json()) as any;
    expect(chat.choices[0].message.content).toBe("Hello from the mock.");
    const sent = JSON.parse((await upstreamRequests(marker))[0].body);
    expect(sent.prompt).toBe(`### System:\nsys\n\n### User:\n${marker}\n\n### Assistant:\n`);

    const text = (await readSse(await gw.post("/v1/completions", { model: "gen", prompt: "once upon", stream: true }))) as any[];
    expect(text.slice(0, -1).map((c) => c.choices[0]?.text ?? "").join("")).toBe("Hello from the mock.");
    expect(text[0].object).toBe("text_completion");
  });

  it("serves tools as LiteLLM does: described in a JSON-only system prompt, the JSON answer turned into a tool call (it refused them before)", async () => {
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    const gw = await testGateway({ model_list: [ollamaModel("gen", "llama3.2", "ollama")] });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", { model: "gen", tools, messages: [{ role: "system", content: "sys" }, { role: "user", content: marker }] });
    expect(res.status).toBe(200);
    const out = (await res.json()) as any;
    expect(out.choices[0].finish_reason).toBe("tool_calls");
    const call = out.choices[0].message.tool_calls[0];
    expect(call).toMatchObject({ type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    const sent = JSON.parse((await upstreamRequests(marker))[0].body);
    expect(sent.format).toBe("json");
    expect(sent.prompt).toContain(`### System:\nsys Produce JSON OUTPUT ONLY! Adhere to this format {"name": "function_name", "arguments":{"argument_name": "argument_value"}} The following functions are available to you:\n${JSON.stringify(tools[0])}\n`);

    // The tool result goes back in the prompt with the call written out; the model's JSON answer is the content.
    const next = `n-${crypto.randomUUID()}`;
    const second = (await (await gw.post("/v1/chat/completions", {
      model: "gen",
      tools,
      messages: [{ role: "user", content: "weather?" }, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: call.id, content: next }],
    })).json()) as any;
    expect(second.choices[0]).toMatchObject({ message: { content: '{"answer":"Hello from the mock."}' }, finish_reason: "stop" });
    expect(JSON.parse((await upstreamRequests(next))[0].body).prompt).toContain('Tool Calls: [\n  {\n    "id": "' + call.id);

    const chunks = (await readSse(await gw.post("/v1/chat/completions", { model: "gen", tools, stream: true, messages: [{ role: "user", content: "w" }] }))) as any[];
    const streamed = chunks.flatMap((c) => c.choices?.[0]?.delta?.tool_calls ?? []);
    expect(streamed).toHaveLength(1);
    expect(streamed[0]).toMatchObject({ index: 0, function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    expect(chunks.find((c) => c.choices?.[0]?.finish_reason)?.choices[0].finish_reason).toBe("tool_calls");
  });

  it("embeds through /api/embed, as floats or base64 (the openai SDK's default)", async () => {
    const gw = await testGateway({ model_list: [{ ...ollamaModel("emb", "nomic-embed-text", "ollama"), model_info: { mode: "embedding" } }] });
    const floats = (await (await gw.post("/v1/embeddings", { model: "emb", input: "hello" })).json()) as any;
    expect(floats.data[0].embedding).toEqual([0.1, 0.2, 0.3]);
    expect(floats.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const b64 = (await (await gw.post("/v1/embeddings", { model: "emb", input: "hello", encoding_format: "base64" })).json()) as any;
    const bytes = Uint8Array.from(atob(b64.data[0].embedding), (ch) => ch.charCodeAt(0));
    expect([...new Float32Array(bytes.buffer)].map((x) => Math.round(x * 10) / 10)).toEqual([0.1, 0.2, 0.3]);
  });
});
