// The response cache (issue #17), by kind of answer: streams stored and replayed, /v1/messages in
// Anthropic's format, text completions, embeddings per item, and what a hit costs and counts.
import { describe, expect, it } from "vitest";
import { cacheWorkDone } from "../../src/cache/pending";
import { MASTER_KEY, openaiModel, readSse, testGateway, upstreamRequests, type TestGateway } from "./helpers";
import { flushKey, json, keyGuard, newKey, pricedMock, testEnv } from "./keys-helpers";
import { ask, cacheConfig, marker, upstreamCount } from "./cache-helpers";

describe("streams", () => {
  it("stores a completed stream and replays it, chunked, with the same text and usage chunk", async () => {
    const gw = await testGateway(cacheConfig());
    const m = marker();
    const body = { stream: true, stream_options: { include_usage: true } };
    const first = await ask(gw, m, body);
    expect(first.res.headers.get("content-type")).toBe("text/event-stream");
    const second = await gw.fetch("/v1/chat/completions", { method: "POST", json: { model: "gpt", messages: [{ role: "user", content: m }], ...body } });
    const reader = second.body!.getReader();
    const decoder = new TextDecoder();
    let replayed = "";
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      replayed += decoder.decode(value, { stream: true });
    }
    await cacheWorkDone();
    expect(second.headers.get("x-litellm-cache-hit")).toBe("true");
    expect(second.headers.get("content-type")).toBe("text/event-stream");
    expect(replayed).toBe(first.text);
    expect(chunks).toBeGreaterThan(3);
    const events = await readSse(new Response(replayed));
    expect(events.at(-1)).toBe("[DONE]");
    expect((events.at(-2) as any).usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 5 });
    expect(await upstreamCount(m)).toBe(1);
    // Without include_usage it is another answer (no usage chunk): a miss.
    expect((await ask(gw, m, { stream: true })).hit).toBe(false);
  });

  it("never stores a stream that was cut", async () => {
    const gw = await testGateway(cacheConfig());
    const m = marker();
    const first = await ask(gw, m, { model: "breaks", stream: true });
    expect(first.text).toContain("error");
    expect((await ask(gw, m, { model: "breaks", stream: true })).hit).toBe(false);
    expect(await upstreamCount(m)).toBe(2);
  });

  it("stores nothing when the client leaves mid-stream", async () => {
    const gw = await testGateway(cacheConfig({}, { model_list: [openaiModel("gpt", "stream-slow-50")] }));
    const m = marker();
    const res = await gw.fetch("/v1/chat/completions", { method: "POST", json: { model: "gpt", stream: true, messages: [{ role: "user", content: m }] } });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await cacheWorkDone();
    expect((await ask(gw, m, { stream: true })).hit).toBe(false);
  });
});

describe("/v1/messages", () => {
  const messages = (gw: TestGateway, content: string, extra: Record<string, unknown> = {}) =>
    gw.fetch("/v1/messages", { method: "POST", json: { model: "gpt", max_tokens: 100, messages: [{ role: "user", content }], ...extra }, key: null, headers: { "x-api-key": MASTER_KEY } });

  it("replays Anthropic answers in Anthropic's format, JSON and SSE, apart from OpenAI-format answers", async () => {
    const gw = await testGateway(cacheConfig());
    const m = marker();
    const first = await messages(gw, m);
    const firstText = await first.text();
    await cacheWorkDone();
    const second = await messages(gw, m);
    expect(second.headers.get("x-litellm-cache-hit")).toBe("true");
    expect(await second.text()).toBe(firstText);
    expect(JSON.parse(firstText).type).toBe("message");
    // The same question on /chat/completions is another answer (OpenAI's format).
    expect((await ask(gw, m, { max_completion_tokens: 100 })).hit).toBe(false);

    const stream = await messages(gw, m, { stream: true });
    const streamText = await stream.text();
    await cacheWorkDone();
    const replay = await messages(gw, m, { stream: true });
    expect(replay.headers.get("x-litellm-cache-hit")).toBe("true");
    const replayText = await replay.text();
    expect(replayText).toBe(streamText);
    expect(replayText).toContain("event: message_start");
    expect(replayText).toContain("event: message_stop");
    expect(await upstreamCount(m)).toBe(3);
  });
});

describe("/v1/completions", () => {
  const complete = async (gw: TestGateway, prompt: string, extra: Record<string, unknown> = {}) => {
    const res = await gw.fetch("/v1/completions", { method: "POST", json: { model: "gpt", prompt, max_tokens: 16, ...extra } });
    const text = await res.text();
    await cacheWorkDone();
    return { res, text, hit: res.headers.get("x-litellm-cache-hit") === "true" };
  };

  it("caches text completions and replays them, JSON and streamed (with the usage chunk)", async () => {
    const gw = await testGateway(cacheConfig());
    const m = marker();
    const first = await complete(gw, m);
    expect(first.res.status).toBe(200);
    expect(first.hit).toBe(false);
    expect(JSON.parse(first.text)).toMatchObject({ object: "text_completion", choices: [{ text: "Hello from the mock." }] });
    const second = await complete(gw, m);
    expect(second.hit).toBe(true);
    expect(second.text).toBe(first.text);
    expect(second.res.headers.get("x-litellm-response-cost")).toBe("0");
    // Another prompt, or the same question on /chat/completions: misses.
    expect((await complete(gw, `${m}-other`)).hit).toBe(false);
    expect((await ask(gw, m, { max_tokens: 16 })).hit).toBe(false);

    const stream = { stream: true, stream_options: { include_usage: true } };
    const streamed = await complete(gw, m, stream);
    expect(streamed.hit).toBe(false);
    expect(streamed.res.headers.get("content-type")).toBe("text/event-stream");
    const replay = await complete(gw, m, stream);
    expect(replay.hit).toBe(true);
    expect(replay.res.headers.get("content-type")).toBe("text/event-stream");
    expect(replay.text).toBe(streamed.text);
    const events = await readSse(new Response(replay.text));
    expect(events.filter((e: any) => e.object === "text_completion" && e.choices[0]?.text).map((e: any) => e.choices[0].text).join("")).toBe("Hello from the mock.");
    expect((events.at(-2) as any).usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 5 });
    expect(events.at(-1)).toBe("[DONE]");
    // Upstream: the JSON miss, the other prompt, the chat call and the streamed miss; never the hits.
    expect(await upstreamCount(m)).toBe(4);
  });
});

describe("embeddings", () => {
  const embed = async (gw: TestGateway, input: unknown, extra: Record<string, unknown> = {}) => {
    const res = await gw.fetch("/v1/embeddings", { method: "POST", json: { model: "embed", input, ...extra } });
    const body = (await res.json()) as any;
    await cacheWorkDone();
    return { res, body };
  };

  it("caches per input item: a batch with 3 of 5 cached sends only the other 2, answered in order", async () => {
    const gw = await testGateway(cacheConfig());
    const m = marker();
    const items = [1, 2, 3, 4, 5].map((i) => `${m}-item-${i}${"x".repeat(i)}`);
    const alone = await embed(gw, [items[0], items[2], items[4]]);
    expect(alone.res.status).toBe(200);

    const batch = await embed(gw, items);
    expect(batch.res.status).toBe(200);
    expect(batch.res.headers.get("x-litellm-cache-hit")).toBeNull();
    const sent = await upstreamRequests(m);
    expect(sent).toHaveLength(2);
    expect(JSON.parse(sent[1].body).input).toEqual([items[1], items[3]]);
    // Every item's own vector (the mock's text-embed model), in the request's order.
    expect(batch.body.data.map((d: any) => d.index)).toEqual([0, 1, 2, 3, 4]);
    expect(batch.body.data.map((d: any) => d.embedding[0])).toEqual(items.map((t) => t.length));
    // Usage: the upstream's 8 tokens for 2 items plus the cached items' 4 each.
    expect(batch.body.usage).toEqual({ prompt_tokens: 20, total_tokens: 20 });

    const all = await embed(gw, items);
    expect(all.res.headers.get("x-litellm-cache-hit")).toBe("true");
    expect(all.body.data).toEqual(batch.body.data);
    expect(all.body.usage.prompt_tokens).toBe(20);
    expect(await upstreamRequests(m)).toHaveLength(2);
    // A single string input is one item.
    expect((await embed(gw, items[3])).res.headers.get("x-litellm-cache-hit")).toBe("true");
    // encoding_format changes the answer: another key.
    expect((await embed(gw, items[3], { encoding_format: "base64" })).res.headers.get("x-litellm-cache-hit")).toBeNull();
  });
});

describe("spend and limits of a hit", () => {
  it("logs a hit at cost 0 with cache_hit, reserves nothing, and still counts the key's rpm", async () => {
    const gw = await testGateway({ ...cacheConfig(), model_list: [pricedMock("priced")] });
    const { key, token } = await newKey(gw, { rpm_limit: 3, max_budget: 1 });
    const m = marker();
    const first = await ask(gw, m, { model: "priced" }, { key });
    expect(Number(first.res.headers.get("x-litellm-response-cost"))).toBeGreaterThan(0);
    const second = await ask(gw, m, { model: "priced" }, { key });
    expect(second.hit).toBe(true);
    expect(second.res.headers.get("x-litellm-response-cost")).toBe("0");
    expect(second.res.headers.get("x-litellm-key-spend")).toBe(first.res.headers.get("x-litellm-key-spend"));
    expect((await ask(gw, m, { model: "priced" }, { key })).hit).toBe(true);
    // The fourth call this minute, a hit or not, is over rpm_limit 3.
    const fourth = await ask(gw, m, { model: "priced" }, { key });
    expect(fourth.status).toBe(429);

    await flushKey(token);
    const logs = await json<any[]>(gw.fetch(`/spend/logs?api_key=${token}`));
    expect(logs).toHaveLength(3);
    const hits = logs.filter((l) => l.cache_hit);
    expect(hits).toHaveLength(2);
    for (const hit of hits) expect(hit).toMatchObject({ spend: 0, model_group: "priced", status: "success" });
    expect(logs.find((l) => !l.cache_hit).spend).toBeGreaterThan(0);
    const stored = await testEnv.DB.prepare("SELECT spend FROM keys WHERE token = ?").bind(token).first<{ spend: number }>();
    expect(stored!.spend).toBe(logs.find((l) => !l.cache_hit).spend);
  });
});

describe("a hit and the key's limits", () => {
  it("counts a hit in the key's rpm but not in its tpm: only upstream tokens are charged", async () => {
    const gw = await testGateway(cacheConfig());
    // The mock upstream answers 16 tokens a call: tpm_limit 20 admits a second miss (16 < 20), not a third.
    const { key } = await newKey(gw, { rpm_limit: 10, tpm_limit: 20 });
    const m = marker();
    const first = await ask(gw, m, {}, { key });
    expect(first.hit).toBe(false);
    const remaining: [string | null, string | null][] = [];
    for (let i = 0; i < 3; i++) {
      const hit = await ask(gw, m, {}, { key });
      expect(hit.hit).toBe(true);
      remaining.push([hit.res.headers.get("x-ratelimit-remaining-requests"), hit.res.headers.get("x-ratelimit-remaining-tokens")]);
    }
    // Each hit takes a request from the minute's 10; the tokens left stay those the miss left.
    expect(remaining).toEqual([["8", "4"], ["7", "4"], ["6", "4"]]);
    const miss = await ask(gw, marker(), {}, { key });
    expect(miss.status).toBe(200);
    expect(miss.res.headers.get("x-ratelimit-remaining-tokens")).toBe("4");
    const refused = await ask(gw, marker(), {}, { key });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text).error.message).toContain("Limit type: tokens. Current limit: 20");
  });

  it("reserves nothing for a hit: a key with less budget left than one call's worst case gets many hits at once", async () => {
    const gw = await testGateway({ ...cacheConfig(), model_list: [pricedMock("priced")] });
    // Without max_tokens a call's worst case is 4,096 output tokens (1/64 USD here); the budget is far below it,
    // so a miss holds what is left (a partial hold, one at a time) and concurrent misses would be told to retry.
    const { key, token } = await newKey(gw, { max_budget: 0.001 });
    const m = marker();
    const first = await ask(gw, m, { model: "priced" }, { key });
    expect(first.status).toBe(200);
    const cost = Number(first.res.headers.get("x-litellm-response-cost"));
    const hits = await Promise.all(Array.from({ length: 8 }, () => ask(gw, m, { model: "priced" }, { key })));
    expect(hits.map((h) => [h.status, h.hit])).toEqual(Array(8).fill([200, true]));
    // Spend unchanged, nothing held (a lease the guard may have handed out with the hits holds 0 USD).
    expect(await keyGuard(token).snapshot()).toMatchObject({ spend: cost, reserved: 0 });
    // The same burst of misses: at most one holds the rest of the budget, the others are refused.
    const misses = await Promise.all(Array.from({ length: 8 }, () => ask(gw, marker(), { model: "priced" }, { key })));
    expect(misses.filter((r) => r.status === 429).length).toBeGreaterThan(0);
  });
});
