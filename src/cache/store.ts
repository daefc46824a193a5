// Cache entries in Workers KV. KV is eventually consistent, allows one write per second per key and has
// no flush, so: writes go in the background (never on an answer's path), a read that fails or is slow
// is a miss, values over KV's limit are skipped, and a flush bumps a generation number that is part of
// every key (old entries are orphaned and expire). Each isolate reads a namespace's generation once and
// refreshes it in the background. The entries this isolate read or wrote last are also kept in memory
// (bounded in size, for at most a minute: no staler than KV itself may be elsewhere), so a hot answer
// costs no KV read.
import { inBackground } from "../lib/background";
import { bounded } from "./bounded";
import type { Usage } from "../schema/openai";

/** An answer as the client got it: the JSON text, or the whole SSE text of a stream. */
export interface CachedAnswer {
  kind: "json" | "sse";
  text: string;
  usage?: Usage;
  /** Stored at / expires at (epoch ms). */
  at: number;
  exp: number;
}

/** One embedding of a batch (entries are per input item). */
export interface CachedEmbedding {
  kind: "embedding";
  embedding: number[] | string;
  model: string;
  /** This item's share of the batch's prompt tokens. */
  tokens: number;
  at: number;
  exp: number;
}

export type CacheEntry = CachedAnswer | CachedEmbedding;

/** Where one entry lives: its KV key, and the key LiteLLM shows (`x-litellm-cache-key`, `/cache/delete`). */
export interface EntryKey {
  kv: string;
  shown: string;
}

/** KV's largest value is 25 MiB. */
const KV_VALUE_LIMIT = 25 * 1024 * 1024;
/** KV's shortest expirationTtl; shorter ttls are enforced on read. */
const KV_MIN_TTL_S = 60;
const KV_WRITE_INTERVAL_MS = 1_000;
/** How stale a namespace's generation may get in an isolate before it is re-read (in the background). */
const GENERATION_REFRESH_MS = 10_000;
/** A read slower than this is a miss. */
const READ_TIMEOUT_MS = 1_000;
/** KV's bulk get takes up to 100 keys. */
const BULK = 100;

/** The in-memory copies: at most this many characters of entries, each for at most a minute. */
const MEMORY_MAX_CHARS = 8 * 1024 * 1024;
const MEMORY_MAX_AGE_MS = 60_000;

const GLOBAL_GENERATION = "cache-gen";
const generationKey = (namespace: string) => `cache-gen/${namespace}`;

interface Generation {
  value: number;
  readAt: number;
  refreshing?: Promise<void>;
}

function parseEntry(text: string | null | undefined): CacheEntry | undefined {
  if (!text) return undefined;
  try {
    const entry = JSON.parse(text) as CacheEntry;
    return typeof entry.exp === "number" ? entry : undefined;
  } catch {
    return undefined;
  }
}

const fresh = (entry: CacheEntry | undefined, now: number, maxAgeMs: number | undefined) =>
  entry && entry.exp > now && (maxAgeMs === undefined || now - entry.at <= maxAgeMs) ? entry : undefined;

/** Recently read or written entries by KV key, oldest first (a Map keeps insertion order). */
class MemoryCopies {
  private readonly entries = new Map<string, { entry: CacheEntry; chars: number; until: number }>();
  private chars = 0;

  get(key: string, now: number): CacheEntry | undefined {
    const copy = this.entries.get(key);
    if (!copy) return undefined;
    if (copy.until <= now) {
      this.delete(key);
      return undefined;
    }
    return copy.entry;
  }

  set(key: string, entry: CacheEntry, chars: number, now: number): void {
    if (chars > MEMORY_MAX_CHARS / 8) return;
    this.delete(key);
    this.entries.set(key, { entry, chars, until: now + MEMORY_MAX_AGE_MS });
    this.chars += chars;
    for (const [oldest, copy] of this.entries) {
      if (this.chars <= MEMORY_MAX_CHARS) break;
      this.entries.delete(oldest);
      this.chars -= copy.chars;
    }
  }

  delete(key: string): void {
    const copy = this.entries.get(key);
    if (!copy) return;
    this.entries.delete(key);
    this.chars -= copy.chars;
  }
}

export class CacheStore {
  private readonly generations = new Map<string, Generation>();
  private readonly memory = new MemoryCopies();
  /** Keys with a write under way. */
  private readonly writing = new Set<string>();
  private readonly loading = new Map<string, Promise<number | undefined>>();

  constructor(
    private readonly kv: KVNamespace,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The KV key of `hash` in `namespace` now. A plain value once the namespace's generation is known in
   * this isolate; undefined when it cannot be read (the call then goes without the cache).
   */
  entryKey(namespace: string, hash: string): EntryKey | undefined | Promise<EntryKey | undefined> {
    const shown = namespace ? `${namespace}:${hash}` : hash;
    const global = this.generation(GLOBAL_GENERATION);
    const own = this.generation(generationKey(namespace));
    const make = (g: number | undefined, n: number | undefined) => (g === undefined || n === undefined ? undefined : { kv: `cache/${g}.${n}/${namespace}/${hash}`, shown });
    if (typeof global === "number" && typeof own === "number") return make(global, own);
    return Promise.all([global, own]).then(([g, n]) => make(g, n));
  }

  /** The entries of `keys` that exist, are fresh and are at most `maxAgeMs` old; a failed or slow read is a miss. */
  async read(keys: readonly string[], maxAgeMs?: number): Promise<(CacheEntry | undefined)[]> {
    const now = this.now();
    const out = keys.map((k) => this.memory.get(k, now));
    const missing = keys.filter((_, i) => !out[i]);
    if (missing.length) {
      const texts = await this.readKv(missing);
      let j = 0;
      keys.forEach((key, i) => {
        if (out[i]) return;
        const text = texts[j++];
        const entry = parseEntry(text);
        if (entry) this.memory.set(key, entry, text!.length, now);
        out[i] = entry;
      });
    }
    return out.map((e) => fresh(e, now, maxAgeMs));
  }

  /** The texts of `keys` in KV (undefined: absent, or the read failed or was slow). */
  private async readKv(keys: readonly string[]): Promise<(string | null | undefined)[]> {
    if (keys.length === 1) return [await bounded(this.kv.get(keys[0], "text"), READ_TIMEOUT_MS).catch(() => undefined)];
    const batches: Promise<(string | null | undefined)[]>[] = [];
    for (let i = 0; i < keys.length; i += BULK) {
      const slice = keys.slice(i, i + BULK);
      batches.push(
        bounded(this.kv.get(slice, "text"), READ_TIMEOUT_MS)
          .catch(() => undefined)
          .then((found) => slice.map((k) => found?.get(k))),
      );
    }
    return (await Promise.all(batches)).flat();
  }

  /** Stores an entry for `ttlSeconds` (KV keeps it at least a minute; reads enforce the real ttl). */
  async write(key: string, entry: CacheEntry, ttlSeconds: number): Promise<void> {
    // KV takes one write per second per key: the same answer arriving twice at once (concurrent misses) is stored once.
    const recent = this.memory.get(key, this.now());
    if (this.writing.has(key) || (recent && entry.at - recent.at < KV_WRITE_INTERVAL_MS)) return;
    const value = JSON.stringify(entry);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: count the bytes only when that bound is over the limit.
    if (value.length * 3 > KV_VALUE_LIMIT && new TextEncoder().encode(value).byteLength > KV_VALUE_LIMIT) {
      console.debug(`[cache] not stored: the answer is ${value.length} characters, over KV's 25 MiB value limit`);
      return;
    }
    this.writing.add(key);
    try {
      await this.kv.put(key, value, { expirationTtl: Math.max(KV_MIN_TTL_S, Math.ceil(ttlSeconds)) });
    } finally {
      this.writing.delete(key);
    }
    this.memory.set(key, entry, value.length, this.now());
  }

  delete(keys: readonly string[]): Promise<unknown> {
    for (const k of keys) this.memory.delete(k);
    return Promise.all(keys.map((k) => this.kv.delete(k)));
  }

  /** Orphans every entry of `namespace` (or of every namespace): its generation goes up by one. */
  async flush(namespace?: string): Promise<number> {
    const key = namespace === undefined ? GLOBAL_GENERATION : generationKey(namespace);
    const current = Number((await this.kv.get(key, "text")) ?? 0) || 0;
    const next = current + 1;
    await this.kv.put(key, String(next));
    this.generations.set(key, { value: next, readAt: this.now() });
    return next;
  }

  /** A write and a read of a probe entry. */
  async ping(): Promise<boolean> {
    const key = `cache-ping/${crypto.randomUUID()}`;
    await this.kv.put(key, "1", { expirationTtl: KV_MIN_TTL_S });
    const back = await this.kv.get(key, "text");
    inBackground(this.kv.delete(key));
    return back === "1";
  }

  private generation(key: string): number | undefined | Promise<number | undefined> {
    const known = this.generations.get(key);
    if (!known) return this.load(key);
    if (this.now() - known.readAt > GENERATION_REFRESH_MS && !known.refreshing) {
      known.refreshing = this.load(key).then(() => {
        known.refreshing = undefined;
      });
      inBackground(known.refreshing);
    }
    return known.value;
  }

  private load(key: string): Promise<number | undefined> {
    let loading = this.loading.get(key);
    if (loading) return loading;
    loading = this.kv
      .get(key, "text")
      .then((text) => {
        const value = Number(text ?? 0) || 0;
        this.generations.set(key, { value, readAt: this.now() });
        return value;
      })
      .catch(() => this.generations.get(key)?.value)
      .finally(() => this.loading.delete(key));
    this.loading.set(key, loading);
    return loading;
  }
}

const stores = new WeakMap<KVNamespace, CacheStore>();

/** One store per KV binding (per isolate in production). */
export function cacheStoreFor(kv: KVNamespace): CacheStore {
  let store = stores.get(kv);
  if (!store) stores.set(kv, (store = new CacheStore(kv)));
  return store;
}

/** The key LiteLLM shows for a KV key (`cache/<generation>/<namespace>/<hash>`). */
export function shownKey(kv: string): string {
  const hash = kv.slice(kv.lastIndexOf("/") + 1);
  const namespace = kv.slice(kv.indexOf("/", "cache/".length) + 1, kv.lastIndexOf("/"));
  return namespace ? `${namespace}:${hash}` : hash;
}

/** The KV key of a key LiteLLM shows (`namespace:hash` or `hash`), for /cache/delete. */
export function parseShownKey(shown: string): { namespace: string; hash: string } | undefined {
  const m = /^(?:(.*):)?([0-9a-f]{64})$/.exec(shown.trim());
  return m ? { namespace: m[1] ?? "", hash: m[2] } : undefined;
}
