// Retries within a model group, retry_policy, backoff, timeouts, and failover of streams.
import { describe, expect, it, vi } from "vitest";
import { openaiModel, readSse, testGateway } from "./helpers";
import { chat, uid, upstreamCalls } from "./router-helpers";

const post = (gw: Awaited<ReturnType<typeof testGateway>>, body: unknown) => gw.post("/v1/chat/completions", body);

describe("retries", () => {
  it("retries a flaky upstream with exponential backoff (single deployment) until it answers", async () => {
    const name = `flaky-${uid()}`;
    const upstream = `flaky-2-500-${uid()}`;
    const gw = await testGateway({ model_list: [openaiModel(name, upstream)] });
    const started = Date.now();
    const res = await post(gw, chat(name));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-attempted-retries")).toBe("2");
    // 0.5 s then 1 s, each with up to 25% jitter off.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1100);
    expect(await upstreamCalls(upstream)).toHaveLength(3);
  });

  it("stops after num_retries (per request over router_settings), answering with the upstream error", async () => {
    const name = `flaky-${uid()}`;
    const upstream = `flaky-5-500-${uid()}`;
    const gw = await testGateway({ router_settings: { num_retries: 3 }, model_list: [openaiModel(name, upstream)] });
    const res = await post(gw, chat(name, "hi", { num_retries: 1 }));
    expect(res.status).toBe(500);
    expect(((await res.json()) as any).error.message).toContain("flaky failure 2 of 5");
    expect(await upstreamCalls(upstream)).toHaveLength(2);
  });

  it("honours the upstream's retry-after before retrying a lone deployment", async () => {
    const name = `ra-${uid()}`;
    const upstream = `flaky-1-429-${uid()}`;
    const gw = await testGateway({ model_list: [openaiModel(name, upstream)] });
    const started = Date.now();
    const res = await post(gw, chat(name));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("retries at once on another healthy deployment of the group", async () => {
    const name = `other-${uid()}`;
    const broken = `error-500-${uid()}`;
    const gw = await testGateway({
      model_list: [openaiModel(name, broken, { order: 1 }), { ...openaiModel(name, `ok-${uid()}`, { order: 2 }), model_info: { id: `good-${name}` } }],
    });
    const started = Date.now();
    const res = await post(gw, chat(name));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(400);
    expect(res.headers.get("x-litellm-attempted-retries")).toBe("1");
    expect(res.headers.get("x-litellm-model-id")).toBe(`good-${name}`);
    expect(await upstreamCalls(broken)).toHaveLength(1);
  });

  it("does not retry a plain 400 unless retry_policy asks for it", async () => {
    const name = `bad-${uid()}`;
    const upstream = `error-400-${uid()}`;
    const gw = await testGateway({ model_list: [openaiModel(name, upstream)] });
    expect((await post(gw, chat(name))).status).toBe(400);
    expect(await upstreamCalls(upstream)).toHaveLength(1);

    const upstream2 = `error-400-${uid()}`;
    const withPolicy = await testGateway({ router_settings: { retry_policy: { BadRequestErrorRetries: 1 } }, model_list: [openaiModel(name, upstream2)] });
    expect((await post(withPolicy, chat(name))).status).toBe(400);
    expect(await upstreamCalls(upstream2)).toHaveLength(2);
  });

  it("retry_policy overrides num_retries per error class", async () => {
    const name = `pol-${uid()}`;
    const upstream = `error-503-${uid()}`;
    const gw = await testGateway({
      router_settings: { num_retries: 0, retry_policy: { InternalServerErrorRetries: 2 } },
      model_list: [openaiModel(name, upstream)],
    });
    expect((await post(gw, chat(name))).status).toBe(503);
    expect(await upstreamCalls(upstream)).toHaveLength(3);

    const limited = `error-429-${uid()}`;
    const noRateLimitRetries = await testGateway({ router_settings: { retry_policy: { RateLimitErrorRetries: 0 } }, model_list: [openaiModel(name, limited)] });
    const res = await post(noRateLimitRetries, chat(name));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(await upstreamCalls(limited)).toHaveLength(1);
  });

  it("does not retry a 401 when the group has no other deployment, nor a 404", async () => {
    const name = `auth-${uid()}`;
    const unauthorized = `error-401-${uid()}`;
    const missing = `error-404-${uid()}`;
    const gw = await testGateway({ model_list: [openaiModel(name, unauthorized), openaiModel(`nf-${name}`, missing)] });
    const res = await post(gw, chat(name));
    expect(res.status).toBe(401);
    expect(JSON.stringify(await res.json())).not.toContain("sk-proj-abcdefgh");
    expect((await post(gw, chat(`nf-${name}`))).status).toBe(404);
    expect(await upstreamCalls(unauthorized)).toHaveLength(1);
    expect(await upstreamCalls(missing)).toHaveLength(1);
  });
});

describe("timeouts", () => {
  it("answers 408 and aborts the upstream fetch (the mock sees the disconnect)", async () => {
    const name = `to-${uid()}`;
    const upstream = `slow-3000-${uid()}`;
    const gw = await testGateway({ router_settings: { num_retries: 0 }, model_list: [openaiModel(name, upstream)] });
    const started = Date.now();
    const res = await post(gw, chat(name, "hi", { timeout: 0.3 }));
    expect(res.status).toBe(408);
    expect(((await res.json()) as any).error.type).toBe("timeout_error");
    expect(Date.now() - started).toBeLessThan(1500);
    await vi.waitFor(async () => expect((await upstreamCalls(upstream))[0].closedEarly).toBe(true));
  });

  it("uses the deployment's timeout, then retries on another deployment", async () => {
    const name = `tor-${uid()}`;
    const slow = `slow-3000-${uid()}`;
    const gw = await testGateway({
      model_list: [openaiModel(name, slow, { order: 1, timeout: 0.3 }), openaiModel(name, `quick-${uid()}`, { order: 2 })],
    });
    const res = await post(gw, chat(name));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-attempted-retries")).toBe("1");
    await vi.waitFor(async () => expect((await upstreamCalls(slow))[0].closedEarly).toBe(true));
  });

  it("stream_timeout limits the time to the first chunk", async () => {
    const name = `sto-${uid()}`;
    const upstream = `slow-3000-${uid()}`;
    const gw = await testGateway({ router_settings: { num_retries: 0, stream_timeout: 0.3 }, model_list: [openaiModel(name, upstream)] });
    const res = await post(gw, chat(name, "hi", { stream: true }));
    expect(res.status).toBe(408);
    expect(((await res.json()) as any).error.message).toContain("stream_timeout");
    await vi.waitFor(async () => expect((await upstreamCalls(upstream))[0].closedEarly).toBe(true));
  });
});

describe("streams", () => {
  for (const failure of ["stream-fail-first", "stream-error-first"]) {
    it(`fails over before the first byte reaches the client (${failure})`, async () => {
      const name = `sf-${uid()}`;
      const gw = await testGateway({
        model_list: [openaiModel(name, failure, { order: 1 }), { ...openaiModel(name, `good-${uid()}`, { order: 2 }), model_info: { id: `good-${name}` } }],
      });
      const res = await post(gw, chat(name, `marker-${uid()}`, { stream: true }));
      expect(res.status).toBe(200);
      expect(res.headers.get("x-litellm-model-id")).toBe(`good-${name}`);
      expect(res.headers.get("x-litellm-attempted-retries")).toBe("1");
      const chunks = (await readSse(res)) as any[];
      expect(chunks.at(-1)).toBe("[DONE]");
      expect(chunks.slice(0, -1).map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("Hello from the mock.");
    });
  }

  it("after the first byte, an upstream failure ends the stream with an OpenAI-shaped error event; the gateway stays healthy", async () => {
    const name = `mid-${uid()}`;
    const gw = await testGateway({ model_list: [openaiModel(name, "stream-break"), openaiModel(`ok-${name}`)] });
    const res = await post(gw, chat(name, "hi", { stream: true }));
    expect(res.status).toBe(200);
    const events = (await readSse(res)) as any[];
    const last = events.at(-1);
    expect(last.error).toMatchObject({ type: expect.any(String), code: expect.any(String) });
    expect(typeof last.error.message).toBe("string");
    expect(events.filter((e) => e.choices).length).toBeGreaterThan(0);
    expect(events).not.toContain("[DONE]");

    const after = await post(gw, chat(`ok-${name}`, "hi", { stream: true }));
    expect((await readSse(after)).at(-1)).toBe("[DONE]");
  });
});
