// Embeddings are cached per input item, as LiteLLM does: a batch whose items are partly cached sends
// only the missing ones upstream, and its answer is put back together in the request's order.
import { GatewayError } from "../errors";
import { inCacheBackground } from "./pending";
import type { EmbeddingRequest, EmbeddingResponse } from "../schema/openai";
import { markHit, ttlOf, type CacheCall } from "./answers";
import { embeddingItemKeys } from "./key";
import type { CachedEmbedding, CacheEntry, EntryKey } from "./store";

type Input = EmbeddingRequest["input"];

/** The request's inputs one by one: a string, a list of strings, one tokenised input, or a list of them. */
export function embeddingItems(input: Input): unknown[] {
  if (typeof input === "string") return [input];
  return typeof input[0] === "number" ? [input] : (input as unknown[]);
}

export const isEmbedding = (e: CacheEntry | undefined): e is CachedEmbedding => e?.kind === "embedding";

/** An answer made only of cached items. */
export function cachedEmbeddingAnswer(entries: readonly CachedEmbedding[]): EmbeddingResponse {
  const tokens = entries.reduce((n, e) => n + e.tokens, 0);
  return {
    object: "list",
    model: entries[0].model,
    data: entries.map((e, index) => ({ object: "embedding", index, embedding: e.embedding })),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** `tokens` shared over `count` items, as LiteLLM splits them (the remainder to the first ones). */
export function shareOf(tokens: number, count: number, i: number): number {
  return Math.floor(tokens / count) + (i < tokens % count ? 1 : 0);
}

/**
 * The upstream's answer for the missing items merged with the cached ones, in the request's order.
 * Its usage counts every item (the cached ones at their stored share); spend counts only the upstream's.
 */
export function mergeEmbeddings(upstream: EmbeddingResponse, cached: readonly (CachedEmbedding | undefined)[]): EmbeddingResponse {
  const fresh = [...upstream.data].sort((a, b) => a.index - b.index);
  let next = 0;
  let cachedTokens = 0;
  const data = cached.map((entry, index) => {
    if (entry) {
      cachedTokens += entry.tokens;
      return { object: "embedding" as const, index, embedding: entry.embedding };
    }
    return { ...fresh[next++], index };
  });
  const prompt = upstream.usage.prompt_tokens + cachedTokens;
  return { ...upstream, data, usage: { ...upstream.usage, prompt_tokens: prompt, total_tokens: upstream.usage.total_tokens + cachedTokens } };
}

/** A batch stores at most this many new items (each is one KV write). */
const MAX_ITEM_WRITES = 128;
/** x-litellm-cache-key lists the items' keys for batches up to this size. */
const MAX_SHOWN_KEYS = 32;

export interface EmbeddingLookup {
  keys: EntryKey[];
  /** Per item: its cached embedding, or undefined (sent upstream). */
  cached: (CachedEmbedding | undefined)[];
}

/**
 * Looks every input item up. All cached: the call answers from the cache (call.cacheHit). Some cached:
 * the call's input is narrowed to the missing items (the answer is merged back by completeEmbeddings).
 */
export async function lookUpEmbeddings(c: CacheCall): Promise<EmbeddingLookup | undefined> {
  const { call, controls, store } = c;
  const body = call.request.body as EmbeddingRequest;
  const items = embeddingItems(body.input);
  const hashes = await embeddingItemKeys(call, items);
  const keys = await Promise.all(hashes.map((h) => store.entryKey(controls.namespace, h)));
  if (keys.some((k) => !k)) return undefined;
  const found = keys as EntryKey[];
  if (found.length <= MAX_SHOWN_KEYS) call.headers["x-litellm-cache-key"] = found.map((k) => k.shown).join(",");
  const cached = controls.read ? (await store.read(found.map((k) => k.kv), controls.maxAgeMs)).map((e) => (isEmbedding(e) ? e : undefined)) : found.map(() => undefined);
  const missing = items.filter((_, i) => !cached[i]);
  if (!missing.length) {
    const answer = cachedEmbeddingAnswer(cached as CachedEmbedding[]);
    markHit(call, { kind: "json", body: answer, usage: { ...answer.usage, completion_tokens: 0 }, text: JSON.stringify(answer) }, call.headers["x-litellm-cache-key"] ?? "");
  } else if (missing.length < items.length) {
    body.input = missing as EmbeddingRequest["input"];
  }
  return { keys: found, cached };
}

/** Merges a partly cached batch's answer, and stores the new items in the background. */
export async function completeEmbeddings(c: CacheCall, lookup: EmbeddingLookup, res: Response): Promise<Response> {
  const { call, store } = c;
  if (call.cacheHit || !res.ok) return res;
  const missing = lookup.cached.flatMap((e, i) => (e ? [] : [i]));
  const partial = missing.length < lookup.cached.length;
  if (!partial && !c.controls.write) return res;
  const save = (upstream: EmbeddingResponse) => {
    if (!c.controls.write || upstream.data.length !== missing.length) return;
    const ttl = ttlOf(c);
    const at = Date.now();
    const data = [...upstream.data].sort((a, b) => a.index - b.index);
    const writes = missing.slice(0, MAX_ITEM_WRITES).map((item, j) => {
      const entry: CachedEmbedding = { kind: "embedding", embedding: data[j].embedding, model: upstream.model, tokens: shareOf(upstream.usage.prompt_tokens, missing.length, j), at, exp: at + ttl * 1000 };
      return store.write(lookup.keys[item].kv, entry, ttl);
    });
    inCacheBackground(Promise.all(writes));
  };
  if (!partial) {
    inCacheBackground(res.clone().json().then((json) => save(json as EmbeddingResponse)));
    return res;
  }
  const upstream = (await res.json()) as EmbeddingResponse;
  if (upstream.data?.length !== missing.length) {
    throw new GatewayError(502, "server", `The upstream answered ${upstream.data?.length ?? 0} embeddings for ${missing.length} inputs`, { upstream: true });
  }
  save(upstream);
  return new Response(JSON.stringify(mergeEmbeddings(upstream, lookup.cached)), res);
}
