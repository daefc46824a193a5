// Where the semantic cache keeps its vectors: a Vectorize index when one is bound (cache_params.vectorize_binding),
// else one Durable Object per cache namespace holding a bounded index (./index-object.ts). Either way an
// entry is (scope, vector, the KV key of the cached answer), and only entries of the same scope are compared.
import type { Env } from "../../env";
import { sha256Hex } from "../../lib/sha256";

export interface VectorMatch {
  /** The KV key of the cached answer. */
  key: string;
  /** Cosine similarity. */
  score: number;
}

/** The vector store, as the cache uses it (and the Durable Object's RPC methods, as callers see them). */
export interface VectorIndex {
  /** The closest entry of `scope` at least `threshold` similar to `vector`, if any. */
  nearest(scope: string, vector: number[], threshold: number): Promise<VectorMatch | null>;
  add(scope: string, vector: number[], key: string): Promise<void>;
  /** Forgets every entry (a flush of the namespace). */
  clear(): Promise<void>;
}

/** Vectorize: `namespace` (64 bytes at most) is the scope, ids (64 at most) a hash of the key. Its index must use the cosine metric. */
function vectorizeIndex(index: Vectorize): VectorIndex {
  return {
    async nearest(scope, vector, threshold) {
      const { matches } = await index.query(vector, { topK: 1, namespace: scope, returnMetadata: "all" });
      const best = matches[0];
      const key = best?.metadata?.key;
      return best && best.score >= threshold && typeof key === "string" ? { key, score: best.score } : null;
    },
    async add(scope, vector, key) {
      await index.upsert([{ id: await sha256Hex(key), values: vector, namespace: scope, metadata: { key } }]);
    },
    // Scopes carry the namespace's generation: a flush orphans the old vectors, which nothing matches again.
    clear: async () => {},
  };
}

let warnedMissing = false;

/** The vector store for a cache namespace, or undefined when neither a Vectorize binding nor CACHE_INDEX is bound. */
export function vectorIndexFor(env: Env, vectorizeBinding: string | undefined, namespace: string): VectorIndex | undefined {
  const bound = vectorizeBinding ? (env[vectorizeBinding] as Vectorize | undefined) : undefined;
  if (bound && typeof bound.query === "function") return vectorizeIndex(bound);
  if (vectorizeBinding && !warnedMissing) {
    warnedMissing = true;
    console.warn(`[cache] cache_params.vectorize_binding '${vectorizeBinding}' is not bound in wrangler.toml; semantic vectors go to the CACHE_INDEX Durable Object`);
  }
  const ns = env.CACHE_INDEX;
  if (!ns) return undefined;
  return ns.get(ns.idFromName(`semantic:${namespace}`)) as unknown as VectorIndex;
}
