// The cache around one chat, completion or /v1/messages call: before it, the lookup (exact key, then the
// semantic index when configured), which on a hit hands the call its answer (call.cacheHit); after it,
// the answer stored in the background: a JSON answer at once, a stream once it has ended by itself.
import type { LlmCall, ReadyAnswer } from "../core/call";
import type { CacheSettings } from "../core/cache-settings";
import type { Principal } from "../core/principal";
import { inCacheBackground } from "./pending";
import type { CallControls } from "./controls";
import { hashMaterial, keyMaterial } from "./key";
import { captureStream, readyAnswer } from "./replay";
import { findSimilar, rememberSimilar, semanticProbe, type Semantic, type SemanticProbe } from "./semantic/lookup";
import { shownKey, type CacheEntry, type CacheStore, type CachedAnswer, type EntryKey } from "./store";

/** Streams are kept only up to KV's value limit (the store skips what is over it). */
const MAX_CAPTURE_BYTES = 25 * 1024 * 1024;

/** One call the cache works on. */
export interface CacheCall {
  call: LlmCall;
  principal: Principal;
  settings: CacheSettings;
  controls: CallControls;
  store: CacheStore;
}

/** Seconds to keep this call's answer: the request's (or an admin's) ttl, else its deployment's, else the config's. */
export function ttlOf(c: CacheCall): number {
  return c.controls.ttl ?? c.call.deployment?.params.ttl ?? c.settings.ttl;
}

/** The call answers from the cache: LiteLLM's hit headers, and the answer dispatch sends instead of calling upstream. */
export function markHit(call: LlmCall, answer: ReadyAnswer, shown: string): void {
  call.cacheHit = answer;
  call.headers["x-litellm-cache-key"] = shown;
  call.headers["x-litellm-cache-hit"] = "true";
}

const answers = (call: LlmCall, entry: CacheEntry | undefined): entry is CachedAnswer => entry?.kind === (call.stream ? "sse" : "json");

export interface AnswerLookup {
  key: EntryKey;
  probe?: SemanticProbe;
}

/** Looks the call's answer up; a hit sets call.cacheHit. Undefined when the cache cannot be used now. */
export async function lookUpAnswer(c: CacheCall, semantic: Semantic | undefined): Promise<AnswerLookup | undefined> {
  const { call, controls, store } = c;
  const material = keyMaterial(call);
  const hashing = hashMaterial(material);
  const keying = store.entryKey(controls.namespace, await hashing);
  const key = keying instanceof Promise ? await keying : keying;
  if (!key) return undefined;
  call.headers["x-litellm-cache-key"] = key.shown;
  const lookup: AnswerLookup = { key };
  if (semantic) lookup.probe = await semanticProbe(call, material, c.principal.token ?? c.principal.kind, key.kv.slice(0, key.kv.lastIndexOf("/")));
  if (!controls.read) return lookup;
  const [entry] = await store.read([key.kv], controls.maxAgeMs);
  if (answers(call, entry)) {
    markHit(call, readyAnswer(call, entry), key.shown);
    return lookup;
  }
  if (semantic && lookup.probe) {
    const match = await findSimilar(semantic, lookup.probe);
    const [similar] = match ? await store.read([match.key], controls.maxAgeMs) : [];
    if (match && answers(call, similar)) {
      markHit(call, readyAnswer(call, similar), shownKey(match.key));
      call.headers["x-litellm-semantic-similarity"] = String(match.score);
    }
  }
  return lookup;
}

/** Stores the call's answer in the background; returns the response to send (a stream is copied as it goes). */
export function storeAnswer(c: CacheCall, lookup: AnswerLookup, res: Response, semantic: Semantic | undefined): Response {
  const { call, store } = c;
  if (!c.controls.write || call.cacheHit || !res.ok || !res.body) return res;
  const ttl = ttlOf(c);
  const save = async (kind: CachedAnswer["kind"], text: string | undefined) => {
    const outcome = call.outcome ?? (await call.done);
    if (text === undefined || outcome.status !== "ok") return;
    const at = Date.now();
    await store.write(lookup.key.kv, { kind, text, usage: outcome.usage, at, exp: at + ttl * 1000 }, ttl);
    if (semantic && lookup.probe) await rememberSimilar(semantic, lookup.probe, lookup.key.kv);
  };
  if (!call.stream) {
    inCacheBackground(res.clone().text().then((text) => save("json", text)));
    return res;
  }
  const captured = captureStream(res.body, MAX_CAPTURE_BYTES);
  inCacheBackground(captured.text.then((text) => save("sse", text)));
  return new Response(captured.body, res);
}
