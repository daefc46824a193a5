// The semantic cache (LiteLLM's redis-semantic / qdrant-semantic): a paraphrase above the threshold
// hits, below it misses, with the vectors in the CACHE_INDEX Durable Object or in a Vectorize binding.
// The mock upstream's semantic-embed model makes texts sharing its few known words close (test/mocks/upstream.ts).
import { describe, expect, it } from "vitest";
import { cacheWorkDone } from "../../src/cache/pending";
import type { GatewayConfigInput } from "../../src/schema/config";
import { openaiModel, testGateway, upstreamRequests, type TestGateway } from "./helpers";
import { newKey, testEnv } from "./keys-helpers";
import { runInDurableObject } from "cloudflare:test";
import { MAX_VECTORS, type SemanticCacheIndex } from "../../src/cache/semantic/index-object";
import { vectorIndexFor } from "../../src/cache/semantic/vectors";

const semanticConfig = (params: Record<string, unknown> = {}): GatewayConfigInput => ({
  model_list: [openaiModel("gpt", "gpt-4o"), openaiModel("embedder", "semantic-embed-1"), openaiModel("broken-embedder", "error-500")],
  router_settings: { num_retries: 0 },
  litellm_settings: {
    cache: true,
    cache_params: { type: "qdrant-semantic", similarity_threshold: 0.9, qdrant_semantic_cache_embedding_model: "embedder", qdrant_api_base: "https://unused", ...params },
  },
});

/** A chat call with a system message unique to the test (part of the scope: tests do not see each other's entries). */
async function ask(gw: TestGateway, system: string, question: string, key?: string) {
  const res = await gw.fetch("/v1/chat/completions", {
    method: "POST",
    json: { model: "gpt", messages: [{ role: "system", content: system }, { role: "user", content: question }] },
    ...(key ? { key } : {}),
  });
  const text = await res.text();
  await cacheWorkDone();
  return { status: res.status, text, hit: res.headers.get("x-litellm-cache-hit") === "true", similarity: res.headers.get("x-litellm-semantic-similarity") };
}

const chatCalls = async (system: string) => (await upstreamRequests(system)).filter((r) => r.path.endsWith("/chat/completions")).length;

/** A stand-in for a Vectorize binding (the platform's, which cannot run offline): exact cosine over what was upserted. */
function fakeVectorize() {
  const vectors: { id: string; values: number[]; namespace?: string; metadata?: Record<string, unknown> }[] = [];
  const cosine = (a: number[], b: number[]) => {
    const dot = a.reduce((s, x, i) => s + x * b[i], 0);
    return dot / (Math.hypot(...a) * Math.hypot(...b));
  };
  return {
    vectors,
    async query(vector: number[], options: { topK?: number; namespace?: string }) {
      const matches = vectors
        .filter((v) => v.namespace === options.namespace)
        .map((v) => ({ id: v.id, score: cosine(vector, v.values), metadata: v.metadata }))
        .sort((a, b) => b.score - a.score)
        .slice(0, options.topK ?? 5);
      return { matches, count: matches.length };
    },
    async upsert(list: typeof vectors) {
      for (const v of list) {
        const i = vectors.findIndex((x) => x.id === v.id);
        if (i >= 0) vectors.splice(i, 1);
        vectors.push(v);
      }
      return { mutationId: crypto.randomUUID() };
    },
  };
}

describe("the Durable Object index", () => {
  it("holds at most MAX_VECTORS vectors, the oldest evicted first, and compares only within a scope", async () => {
    const index = vectorIndexFor(testEnv, undefined, `evict-${crypto.randomUUID()}`)!;
    // Unit vectors at distinct angles: each is its own nearest neighbour.
    const vector = (i: number) => [Math.cos(i / 1000), Math.sin(i / 1000)];
    // Filled inside the object (one RPC per vector would take long), then asked through its stub.
    await runInDurableObject(index as unknown as DurableObjectStub<SemanticCacheIndex>, async (object: SemanticCacheIndex) => {
      for (let i = 0; i <= MAX_VECTORS; i++) await object.add("scope", vector(i), `key-${i}`);
    });
    expect(await index.nearest("scope", vector(0), 0.9999999)).toBeNull();
    expect(await index.nearest("scope", vector(1), 0.9999999)).toMatchObject({ key: "key-1" });
    expect(await index.nearest("scope", vector(MAX_VECTORS), 0.9999999)).toMatchObject({ key: `key-${MAX_VECTORS}` });
    expect(await index.nearest("other-scope", vector(1), 0)).toBeNull();
    await index.clear();
    expect(await index.nearest("scope", vector(1), 0)).toBeNull();
  });
});

describe("semantic cache", () => {
  it("answers a paraphrase above the threshold from the cache and sends one below it upstream (Durable Object index)", async () => {
    const gw = await testGateway(semanticConfig());
    const system = `s-${crypto.randomUUID()}`;
    const first = await ask(gw, system, "What is the capital of France?");
    expect(first.hit).toBe(false);
    const paraphrase = await ask(gw, system, "Tell me France's capital.");
    expect(paraphrase.hit).toBe(true);
    expect(Number(paraphrase.similarity)).toBeGreaterThan(0.99);
    expect(paraphrase.text).toBe(first.text);
    expect(await chatCalls(system)).toBe(1);
    // cos 0.5 (Spain) and 0.82 (an extra word) are below 0.9.
    expect((await ask(gw, system, "What is the capital of Spain?")).hit).toBe(false);
    expect((await ask(gw, system, "Which city is the capital of France?")).hit).toBe(false);
    expect(await chatCalls(system)).toBe(3);
    // The rest of the conversation is part of the scope.
    expect((await ask(gw, `${system}-other`, "Tell me France's capital.")).hit).toBe(false);
  });

  it("keeps each key's semantic matches to itself, as LiteLLM does", async () => {
    const gw = await testGateway(semanticConfig());
    const system = `s-${crypto.randomUUID()}`;
    await ask(gw, system, "What is the capital of France?");
    const { key } = await newKey(gw);
    expect((await ask(gw, system, "Tell me France's capital.", key)).hit).toBe(false);
    expect((await ask(gw, system, "France: its capital?", key)).hit).toBe(true);
  });

  it("lowers the bar with a lower threshold", async () => {
    const gw = await testGateway(semanticConfig({ similarity_threshold: 0.8 }));
    const system = `s-${crypto.randomUUID()}`;
    await ask(gw, system, "What is the capital of France?");
    const close = await ask(gw, system, "Which city is the capital of France?");
    expect(close.hit).toBe(true);
    expect(Number(close.similarity)).toBeCloseTo(2 / Math.sqrt(6), 2);
  });

  it("keeps vectors in a Vectorize binding when one is configured", async () => {
    const vectorize = fakeVectorize();
    const gw = await testGateway(semanticConfig({ vectorize_binding: "CACHE_VECTORS" }), { CACHE_VECTORS: vectorize });
    const system = `s-${crypto.randomUUID()}`;
    await ask(gw, system, "What is the capital of France?");
    expect(vectorize.vectors).toHaveLength(1);
    expect(vectorize.vectors[0].namespace).toMatch(/^[0-9a-f]{64}$/);
    expect(vectorize.vectors[0].id).toMatch(/^[0-9a-f]{64}$/);
    expect((await ask(gw, system, "Tell me France's capital.")).hit).toBe(true);
    expect((await ask(gw, system, "What is the capital of Spain?")).hit).toBe(false);
    expect(await chatCalls(system)).toBe(2);
  });

  it("counts a failing embedding model as a miss, never an error", async () => {
    const gw = await testGateway(semanticConfig({ qdrant_semantic_cache_embedding_model: "broken-embedder" }));
    const system = `s-${crypto.randomUUID()}`;
    expect((await ask(gw, system, "What is the capital of France?")).status).toBe(200);
    const again = await ask(gw, system, "What is the capital of France?");
    // The exact cache still works; the paraphrase cannot be matched.
    expect(again.hit).toBe(true);
    const paraphrase = await ask(gw, system, "Tell me France's capital.");
    expect(paraphrase.status).toBe(200);
    expect(paraphrase.hit).toBe(false);
  });

  it("forgets a namespace's vectors on /cache/flushall", async () => {
    const namespace = `ns-${crypto.randomUUID().slice(0, 8)}`;
    const gw = await testGateway(semanticConfig({ namespace }));
    const system = `s-${crypto.randomUUID()}`;
    await ask(gw, system, "What is the capital of France?");
    expect((await ask(gw, system, "Tell me France's capital.")).hit).toBe(true);
    expect((await gw.post("/cache/flushall", { namespace })).status).toBe(200);
    expect((await ask(gw, system, "Tell me France's capital.")).hit).toBe(false);
  });
});
