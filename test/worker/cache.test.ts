// The response cache (issue #17): exact-match hits in KV, what changes the key, LiteLLM's controls,
// ttl, KV's limits, key and team controls, the admin routes. Answers of each kind: cache-answers.test.ts.
import { describe, expect, it, vi } from "vitest";
import { CacheStore } from "../../src/cache/store";
import { compileConfig } from "../../src/config/compile";
import { openaiModel, testGateway } from "./helpers";
import { json, newKey, testEnv } from "./keys-helpers";
import { ask, cacheConfig, marker, upstreamCount } from "./cache-helpers";

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
