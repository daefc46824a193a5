// Bad input and upstream failures always end in OpenAI's error shape with LiteLLM's statuses, never a 5xx
// for the client's mistakes, never a secret.
import { describe, expect, it } from "vitest";
import { MASTER_KEY, openaiModel, readSse, testGateway, upstreamRequests } from "./helpers";

const msg = [{ role: "user", content: "hi" }];

async function errorOf(res: Response) {
  const body = (await res.json()) as any;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(body.error.code).toBe(String(res.status));
  return body.error;
}

describe("bad input", () => {
  it("refuses malformed JSON, non-objects, empty bodies, wrong types and missing fields with 400s", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")] });
    const raw = (body: string) => gw.fetch("/v1/chat/completions", { method: "POST", body, headers: { "content-type": "application/json" } });
    const cases: [Response, RegExp][] = [
      [await raw("{not json"), /not valid JSON/],
      [await raw("[1,2]"), /must be a JSON object/],
      [await raw(""), /empty/],
      [await gw.post("/v1/chat/completions", { model: "gpt-test" }), /messages/],
      [await gw.post("/v1/chat/completions", { messages: msg }), /model/],
      [await gw.post("/v1/chat/completions", { model: "gpt-test", messages: "hi" }), /messages/],
      [await gw.post("/v1/chat/completions", { model: "gpt-test", messages: [{ role: "wizard", content: "x" }] }), /messages\[0\]\.role/],
      [await gw.post("/v1/chat/completions", { model: "gpt-test", messages: msg, temperature: "hot" }), /temperature/],
      [await gw.post("/v1/chat/completions", { model: "gpt-test", messages: msg, max_tokens: -1 }), /max_tokens/],
      [await gw.post("/v1/embeddings", { model: "gpt-test" }), /input/],
    ];
    for (const [res, pattern] of cases) {
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.type).toBe("invalid_request_error");
      expect(error.message).toMatch(pattern);
    }
  });

  it("names the bad param", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")] });
    const error = await errorOf(await gw.post("/v1/chat/completions", { model: "gpt-test", messages: msg, temperature: 7 }));
    expect(error.param).toBe("temperature");
  });

  it("refuses a 5 MB body with 413 without reading it all", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")] });
    const big = JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "x".repeat(5 * 1024 * 1024) }] });
    const res = await gw.fetch("/v1/chat/completions", { method: "POST", body: big, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).message).toMatch(/larger than 4 MB/);
  });

  it("lists the caller's models for an unknown model (400)", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")] });
    const error = await errorOf(await gw.post("/v1/chat/completions", { model: "gpt-5-turbo", messages: msg }));
    expect(error.message).toBe("Invalid model name passed in model=gpt-5-turbo. Call `/v1/models` to view available models for your key.");
    expect(error.param).toBe("model");
  });

  it("answers unknown routes with a 404 in OpenAI's shape", async () => {
    const gw = await testGateway({ model_list: [] });
    const res = await gw.fetch("/v1/nope");
    expect(res.status).toBe(404);
    await errorOf(res);
  });
});

describe("auth", () => {
  it("accepts the master key in every header LiteLLM accepts, refuses others with 401", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")] });
    for (const header of ["x-api-key", "api-key", "x-goog-api-key", "x-litellm-api-key"]) {
      const res = await gw.fetch("/v1/models", { key: null, headers: { [header]: MASTER_KEY } });
      expect(res.status, header).toBe(200);
    }
    const missing = await gw.fetch("/v1/models", { key: null });
    expect(missing.status).toBe(401);
    expect((await errorOf(missing)).message).toContain("No api key passed in");
    const wrong = await gw.fetch("/v1/models", { key: "sk-wrong" });
    expect(wrong.status).toBe(401);
    const error = await errorOf(wrong);
    expect(error).toMatchObject({ type: "auth_error", message: expect.stringContaining("Invalid proxy server token passed") });
    expect(JSON.stringify(error)).not.toContain("sk-wrong");
  });

  it("is open when no master key is configured", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-test")], general_settings: {} });
    expect((await gw.fetch("/v1/models", { key: null })).status).toBe(200);
  });
});

describe("upstream errors", () => {
  it.each([
    ["error-400", 400, "invalid_request_error"],
    ["error-401", 401, "auth_error"],
    ["error-403", 403, "permission_error"],
    ["error-404", 404, "not_found_error"],
    ["error-429", 429, "rate_limit_error"],
    ["error-500", 500, "internal_server_error"],
    ["error-503", 503, "service_unavailable_error"],
    ["error-400-context", 400, "invalid_request_error"],
  ])("%s -> %i with the upstream's message", async (model, status, type) => {
    // No retries: a lone deployment's 429 would otherwise be retried after its retry-after (7 s) twice.
    const gw = await testGateway({ router_settings: { num_retries: 0 }, model_list: [openaiModel("m", model)] });
    const res = await gw.post("/v1/chat/completions", { model: "m", messages: msg });
    expect(res.status).toBe(status);
    const error = await errorOf(res);
    expect(error.type).toBe(type);
    expect(error.message).toMatch(/^openai error: /);
    if (status === 429) expect(res.headers.get("retry-after")).toBe("7");
  });

  it("never passes on a provider key, even the masked one in OpenAI's 401 message", async () => {
    const gw = await testGateway({ model_list: [openaiModel("m", "error-401")] });
    const error = await errorOf(await gw.post("/v1/chat/completions", { model: "m", messages: msg }));
    expect(error.message).not.toMatch(/sk-proj|sk-upstream/);
    expect(error.message).toContain("[redacted]");
  });

  it("maps a non-JSON error page and a non-JSON 200 to clear errors", async () => {
    const html = await testGateway({ router_settings: { num_retries: 0 }, model_list: [openaiModel("m", "error-502-html")] });
    const res = await html.post("/v1/chat/completions", { model: "m", messages: msg });
    expect(res.status).toBe(502);
    await errorOf(res);
    const garbage = await testGateway({ router_settings: { num_retries: 0 }, model_list: [openaiModel("m", "garbage")] });
    const res2 = await garbage.post("/v1/chat/completions", { model: "m", messages: msg });
    expect(res2.status).toBe(502);
    expect((await errorOf(res2)).message).toContain("not JSON");
  });

  it("answers 500 with a clear message when the upstream cannot be reached", async () => {
    const gw = await testGateway({ model_list: [{ model_name: "m", litellm_params: { model: "openai/x", api_base: "http://127.0.0.1:9/v1" } }] });
    const res = await gw.post("/v1/chat/completions", { model: "m", messages: msg });
    expect(res.status).toBe(500);
    expect((await errorOf(res)).message).toContain("Could not reach openai");
  });

  it("times out with 408 and aborts the upstream request", async () => {
    const gw = await testGateway({ model_list: [openaiModel("m", "slow-1500", { timeout: 0.2 })] });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: marker }] });
    expect(res.status).toBe(408);
    await errorOf(res);
    await new Promise((r) => setTimeout(r, 100));
    expect((await upstreamRequests(marker))[0].closedEarly).toBe(true);
  });

  it("ends a stream cut mid-way with an SSE error event in OpenAI's shape", async () => {
    const gw = await testGateway({ model_list: [openaiModel("m", "stream-break")] });
    const res = await gw.post("/v1/chat/completions", { model: "m", stream: true, messages: msg });
    expect(res.status).toBe(200);
    const events = (await readSse(res)) as any[];
    expect(events.some((e) => e.choices?.[0]?.delta?.content === "Hello")).toBe(true);
    expect(events.at(-1).error).toMatchObject({ message: "The upstream connection was lost mid-stream", type: "internal_server_error", code: "502" });
  });

  it("aborts the upstream stream when the client disconnects", async () => {
    const gw = await testGateway({ model_list: [openaiModel("m", "stream-slow-200")] });
    const marker = `m-${crypto.randomUUID()}`;
    const res = await gw.post("/v1/chat/completions", { model: "m", stream: true, messages: [{ role: "user", content: marker }] });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 500));
    expect((await upstreamRequests(marker))[0].closedEarly).toBe(true);
  });
});
