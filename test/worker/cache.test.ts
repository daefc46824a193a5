// The response cache (issue #17): exact-match hits in KV, what changes the key, LiteLLM's controls,
// ttl, streams stored and replayed, per-item embeddings, spend and limits of hits, the admin routes.
import { describe, expect, it, vi } from "vitest";
import { cacheWorkDone } from "../../src/cache/pending";
import { CacheStore } from "../../src/cache/store";
import { compileConfig } from "../../src/config/compile";
import type { GatewayConfigInput } from "../../src/schema/config";
import { MASTER_KEY, openaiModel, readSse, testGateway, upstreamRequests, type TestGateway } from "./helpers";
import { flushKey, json, keyGuard, newKey, pricedMock, testEnv } from "./keys-helpers";

const cacheConfig = (params: Record<string, unknown> = {}, extra: Partial<GatewayConfigInput> = {}): GatewayConfigInput => ({
  model_list: [openaiModel("gpt", "gpt-4o"), openaiModel("gpt-other", "gpt-4o"), openaiModel("embed", "text-embed-3"), openaiModel("breaks", "stream-break")],
  litellm_settings: { cache: true, cache_params: { type: "redis", host: "localhost", port: 6379, ...params } },
  ...extra,
});

const marker = () => `q-${crypto.randomUUID()}`;

/** A chat call; waits for what the cache stores in the background, so the next call can find it. */
async function ask(gw: TestGateway, content: string, extra: Record<string, unknown> = {}, init: { headers?: Record<string, string>; key?: string | null } = {}) {
  const res = await gw.fetch("/v1/chat/completions", { method: "POST", json: { model: "gpt", messages: [{ role: "user", content }], ...extra }, ...init });
  const text = await res.text();
  await cacheWorkDone();
  return { res, text, status: res.status, hit: res.headers.get("x-litellm-cache-hit") === "true", key: res.headers.get("x-litellm-cache-key") };
}

const upstreamCount = async (m: string) => (await upstreamRequests(m)).length;

describe("config", () => {
  it("accepts LiteLLM's cache settings, says in one line that KV serves them, and checks semantic settings", async () => {
    const compiled = await compileConfig(cacheConfig({ ttl: 600, namespace: "n", supported_call_types: ["acompletion"], password: "secret" }));
    expect(compiled.warnings).toEqual([
      "response cache on: cache_params.type 'redis' is served by Workers KV (binding KV); not used here: host, port, password",
    ]);
    await expect(compileConfig(cacheConfig({ type: "redis-semantic" }))).rejects.toThrow(/similarity_threshold/);
    await expect(compileConfig(cacheConfig({ type: "redis-semantic", similarity_threshold: 0.8 }))).rejects.toThrow(/embedding model 'text-embedding-ada-002' is not a model_name/);
    const semantic = await compileConfig(cacheConfig({ type: "redis-semantic", similarity_threshold: 0.8, redis_semantic_cache_embedding_model: "embed" }));
    expect(semantic.warnings[0]).toContain("semantic matches (similarity >= 0.8, embeddings from 'embed') in a Durable Object per namespace");
    await expect(compileConfig(cacheConfig({ type: "memcached" }))).rejects.toThrow(/cache_params.type/);
  });
});

describe("exact-match cache", () => {
  it("answers the same request twice with one upstream call, the second a hit with identical content", async () => {
    const gw = await testGateway(cacheConfig());
    const m = marker();
    const first = await ask(gw, m, { temperature: 0.2 });
    expect(first.status).toBe(200);
    expect(first.hit).toBe(false);
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    const second = await ask(gw, m, { temperature: 0.2 });
    expect(second.status).toBe(200);
    expect(second.hit).toBe(true);
    expect(second.key).toBe(first.key);
    expect(second.text).toBe(first.text);
    expect(second.res.headers.get("content-type")).toBe("application/json");
    expect(second.res.headers.get("x-litellm-response-cost")).toBe("0");
    expect(await upstreamCount(m)).toBe(1);
  });

  it("keys on the model group and every output-affecting field, canonically; never on the caller's key", async () => {
    const gw = await testGateway(cacheConfig());
    const m = marker();
    const tool = { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: {} } } };
    await ask(gw, m, { temperature: 0.2 });
    // Another temperature, tools, or another model group: misses.
    expect((await ask(gw, m, { temperature: 0.3 })).hit).toBe(false);
    expect((await ask(gw, m, { temperature: 0.2, tools: [tool] })).hit).toBe(false);
    expect((await ask(gw, m, { temperature: 0.2, model: "gpt-other" })).hit).toBe(false);
    expect(await upstreamCount(m)).toBe(4);
    // The same request written differently: key order, defaults, a text part for a string, and gateway-only fields.
    const same = await gw.fetch("/v1/chat/completions", {
      method: "POST",
      json: { stream: false, n: 1, messages: [{ content: [{ type: "text", text: m }], role: "user" }], temperature: 0.2, model: "gpt", user: "someone", metadata: { tags: ["x"] }, num_retries: 1 },
    });
    expect(same.headers.get("x-litellm-cache-hit")).toBe("true");
    // A virtual key gets the master key's cached answer: the key is not part of the cache key.
    const { key } = await newKey(gw);
    expect((await ask(gw, m, { temperature: 0.2 }, { key })).hit).toBe(true);
    expect(await upstreamCount(m)).toBe(4);
  });

  it("no-cache skips the lookup, no-store the write; also as Cache-Control headers", async () => {
    const gw = await testGateway(cacheConfig());
    const m = marker();
    await ask(gw, m, { cache: { "no-store": true } });
    expect((await ask(gw, m)).hit).toBe(false); // nothing was stored; this one stores
    expect((await ask(gw, m, { cache: { "no-cache": true } })).hit).toBe(false);
    expect((await ask(gw, m, {}, { headers: { "cache-control": "no-cache" } })).hit).toBe(false);
    expect((await ask(gw, m)).hit).toBe(true);
    expect(await upstreamCount(m)).toBe(4);

    const n = marker();
    await ask(gw, n, {}, { headers: { "cache-control": "no-store" } });
    expect((await ask(gw, n)).hit).toBe(false);
  });

  it("expires answers after their ttl (request ttl, deployment ttl) and honours s-maxage", async () => {
    const gw = await testGateway(cacheConfig({}, { model_list: [openaiModel("gpt", "gpt-4o"), openaiModel("short", "gpt-4o", { ttl: 1 })] }));
    const m = marker();
    await ask(gw, m, { cache: { ttl: 1 } });
    expect((await ask(gw, m)).hit).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await ask(gw, m)).hit).toBe(false);

    const d = marker();
    await ask(gw, d, { model: "short" });
    expect((await ask(gw, d, { model: "short" })).hit).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await ask(gw, d, { model: "short" })).hit).toBe(false);

    const s = marker();
    await ask(gw, s);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await ask(gw, s, { cache: { "s-maxage": 1 } })).hit).toBe(false);
    expect((await ask(gw, s, { cache: { "s-maxage": 60 } })).hit).toBe(true);
  });

  it("keeps namespaces apart", async () => {
    const gw = await testGateway(cacheConfig({ namespace: "team-a" }));
    const m = marker();
    const first = await ask(gw, m);
    expect(first.key).toMatch(/^team-a:[0-9a-f]{64}$/);
    expect((await ask(gw, m, { cache: { namespace: "other" } })).hit).toBe(false);
    const other = await ask(gw, m, { cache: { namespace: "other" } });
    expect(other.hit).toBe(true);
    expect(other.key).toMatch(/^other:/);
    expect((await ask(gw, m)).hit).toBe(true);
  });

  it("mode default_off caches only requests that opt in; supported_call_types narrows what is cached", async () => {
    const gw = await testGateway(cacheConfig({ mode: "default_off" }));
    const m = marker();
    await ask(gw, m);
    expect((await ask(gw, m)).hit).toBe(false);
    await ask(gw, m, { cache: { "use-cache": true } });
    expect((await ask(gw, m, { cache: { "use-cache": true } })).hit).toBe(true);

    const embedOnly = await testGateway(cacheConfig({ supported_call_types: ["aembedding"] }));
    const e = marker();
    await ask(embedOnly, e);
    const again = await ask(embedOnly, e);
    expect(again.hit).toBe(false);
    expect(again.key).toBeNull();
  });

  it("does not cache errors", async () => {
    const gw = await testGateway(cacheConfig({}, { model_list: [openaiModel("gpt", "error-500")], router_settings: { num_retries: 0 } }));
    const m = marker();
    expect((await ask(gw, m)).status).toBe(500);
    expect((await ask(gw, m)).status).toBe(500);
    expect(await upstreamCount(m)).toBe(2);
  });

  it("refuses a malformed cache object with a 400 naming the field", async () => {
    const gw = await testGateway(cacheConfig());
    const res = await ask(gw, marker(), { cache: { ttl: "soon" } });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.param).toBe("cache.ttl");
  });

  it("is off without litellm_settings.cache, and router_settings.cache_responses turns it on", async () => {
    const off = await testGateway({ model_list: [openaiModel("gpt", "gpt-4o")] });
    const m = marker();
    await ask(off, m);
    const again = await ask(off, m);
    expect(again.hit).toBe(false);
    expect(again.key).toBeNull();
    const on = await testGateway({ model_list: [openaiModel("gpt", "gpt-4o")], router_settings: { cache_responses: true } });
    await ask(on, m);
    expect((await ask(on, m)).hit).toBe(true);
  });
});

describe("KV", () => {
  it("stores answers in KV, where another isolate (a store without this one's memory copies) finds them", async () => {
    const gw = await testGateway(cacheConfig());
    const m = marker();
    const first = await ask(gw, m);
    const elsewhere = new CacheStore(testEnv.KV);
    const key = await elsewhere.entryKey("", first.key!);
    const [entry] = await elsewhere.read([key!.kv]);
    expect(entry).toMatchObject({ kind: "json", text: first.text, usage: { prompt_tokens: 11, completion_tokens: 5 } });
  });

  it("reads many keys at once (KV's bulk get), absent ones as misses", async () => {
    const writer = new CacheStore(testEnv.KV);
    const keys = [0, 1, 2].map(() => `cache/test/${crypto.randomUUID()}`);
    const at = Date.now();
    for (const [i, key] of keys.entries()) if (i !== 1) await writer.write(key, { kind: "embedding", embedding: [i], model: "m", tokens: i, at, exp: at + 60_000 }, 60);
    const reader = new CacheStore(testEnv.KV);
    const read = await reader.read(keys);
    expect(read.map((e) => (e?.kind === "embedding" ? e.embedding : undefined))).toEqual([[0], undefined, [2]]);
  });

  it("writes a key once when the same answer arrives twice within a second (KV's one write per second per key)", async () => {
    let puts = 0;
    const kv = { get: async () => null, put: async () => void puts++, delete: async () => {} } as unknown as KVNamespace;
    const store = new CacheStore(kv);
    const entry = () => ({ kind: "json" as const, text: "{}", at: Date.now(), exp: Date.now() + 60_000 });
    await Promise.all([store.write("k", entry(), 60), store.write("k", entry(), 60)]);
    await store.write("k", entry(), 60);
    expect(puts).toBe(1);
  });

  it("skips values over KV's 25 MiB limit with one debug line", async () => {
    const store = new CacheStore(testEnv.KV);
    const debug = vi.spyOn(console, "debug").mockImplementation(() => {});
    const key = `cache/test/${crypto.randomUUID()}`;
    await store.write(key, { kind: "json", text: "x".repeat(26 * 1024 * 1024), at: Date.now(), exp: Date.now() + 60_000 }, 60);
    expect(debug).toHaveBeenCalledTimes(1);
    debug.mockRestore();
    expect(await testEnv.KV.get(key)).toBeNull();
  });
});

describe("a failing KV", () => {
  it("treats a KV that fails as a miss and never fails the call", async () => {
    const broken = {
      get: async () => {
        throw new Error("KV is down");
      },
      put: async () => {
        throw new Error("KV is down");
      },
      delete: async () => {},
    };
    const gw = await testGateway(cacheConfig(), { KV: broken });
    const m = marker();
    const first = await ask(gw, m);
    const second = await ask(gw, m);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.hit).toBe(false);
  });
});

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

describe("key and team controls", () => {
  it("refuses cache controls outside the key's allowed_cache_controls (LiteLLM's 403)", async () => {
    const gw = await testGateway(cacheConfig());
    const { key } = await newKey(gw, { allowed_cache_controls: ["no-cache"] });
    expect((await ask(gw, marker(), { cache: { "no-cache": true } }, { key })).status).toBe(200);
    const refused = await ask(gw, marker(), { cache: { "no-store": true } }, { key });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text).error.message).toBe("Not allowed to set no-store as a cache control. Contact admin to change permissions.");
    const info = await json<any>(gw.fetch(`/key/info?key=${key}`));
    expect(info.info.allowed_cache_controls).toEqual(["no-cache"]);
  });

  it("lets key or team metadata opt a key out of the cache", async () => {
    const gw = await testGateway(cacheConfig());
    const m = marker();
    await ask(gw, m);
    const { key: optedOut } = await newKey(gw, { metadata: { cache: { "no-cache": true, "no-store": true } } });
    const res = await ask(gw, m, {}, { key: optedOut });
    expect(res.hit).toBe(false);
    expect(res.key).toBeNull();

    const team = await json<any>(gw.post("/team/new", { metadata: { cache: { "no-cache": true } } }));
    const { key: member } = await newKey(gw, { team_id: team.team_id });
    expect((await ask(gw, m, {}, { key: member })).hit).toBe(false);
    // A key's own metadata wins over its team's.
    const { key: own } = await newKey(gw, { team_id: team.team_id, metadata: { cache: { ttl: 60 } } });
    expect((await ask(gw, m, {}, { key: own })).hit).toBe(true);
  });
});

describe("admin routes", () => {
  it("/cache/ping, /cache/delete and /cache/flushall (per namespace, or all), master key only", async () => {
    const gw = await testGateway(cacheConfig());
    const ping = await json<any>(gw.fetch("/cache/ping"));
    expect(ping).toMatchObject({ status: "healthy", cache_type: "redis", backend: "workers-kv", ping_response: true });

    const { key } = await newKey(gw);
    expect((await gw.fetch("/cache/ping", { key })).status).toBe(403);
    expect((await gw.post("/cache/flushall", {}, key)).status).toBe(403);

    const m = marker();
    const first = await ask(gw, m);
    expect((await ask(gw, m)).hit).toBe(true);
    expect(await json(gw.post("/cache/delete", { keys: [first.key] }))).toMatchObject({ status: "success" });
    expect((await ask(gw, m)).hit).toBe(false);
    expect((await gw.post("/cache/delete", { keys: ["not-a-key"] })).status).toBe(400);

    await ask(gw, m, { cache: { namespace: "ns1" } });
    expect((await ask(gw, m)).hit).toBe(true);
    expect((await ask(gw, m, { cache: { namespace: "ns1" } })).hit).toBe(true);
    expect(await json(gw.post("/cache/flushall", { namespace: "ns1" }))).toMatchObject({ status: "success", namespace: "ns1" });
    expect((await ask(gw, m, { cache: { namespace: "ns1" } })).hit).toBe(false);
    expect((await ask(gw, m)).hit).toBe(true);
    const all = await gw.fetch("/cache/flushall", { method: "POST" });
    expect(all.status).toBe(200);
    expect((await ask(gw, m)).hit).toBe(false);
  });

  it("answers LiteLLM's 503 when the cache is off", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt", "gpt-4o")] });
    expect((await gw.fetch("/cache/ping")).status).toBe(503);
  });
});

