// SemanticCacheIndex: one Durable Object per cache namespace, holding the semantic cache's vectors when no
// Vectorize index is bound. A bounded index - at most MAX_VECTORS, the oldest evicted first - searched by
// brute-force cosine similarity, which over a few thousand vectors takes a few milliseconds. Vectors are
// kept in SQLite storage (they survive eviction) and in memory once read.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../env";
import type { VectorIndex, VectorMatch } from "./vectors";

export const MAX_VECTORS = 2048;

interface Row {
  key: string;
  scope: string;
  at: number;
  vector: Float32Array;
  norm: number;
}

const normOf = (v: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  return Math.sqrt(sum);
};

export class SemanticCacheIndex extends DurableObject<Env> implements VectorIndex {
  /** Oldest first. */
  private rows?: Row[];

  private get sql() {
    return this.ctx.storage.sql;
  }

  private load(): Row[] {
    if (this.rows) return this.rows;
    this.sql.exec("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, scope TEXT NOT NULL, at INTEGER NOT NULL, vector BLOB NOT NULL)");
    this.rows = this.sql
      .exec<{ key: string; scope: string; at: number; vector: ArrayBuffer }>("SELECT key, scope, at, vector FROM vectors ORDER BY at")
      .toArray()
      .map((r) => {
        const vector = new Float32Array(r.vector);
        return { key: r.key, scope: r.scope, at: r.at, vector, norm: normOf(vector) };
      });
    return this.rows;
  }

  async nearest(scope: string, query: number[], threshold: number): Promise<VectorMatch | null> {
    const norm = normOf(query);
    if (!norm) return null;
    let best: VectorMatch | null = null;
    for (const row of this.load()) {
      if (row.scope !== scope || row.vector.length !== query.length || !row.norm) continue;
      let dot = 0;
      for (let i = 0; i < query.length; i++) dot += row.vector[i] * query[i];
      const score = dot / (norm * row.norm);
      if (score >= threshold && (!best || score > best.score)) best = { key: row.key, score };
    }
    return best;
  }

  async add(scope: string, values: number[], key: string): Promise<void> {
    const rows = this.load();
    const vector = new Float32Array(values);
    const at = Date.now();
    const existing = rows.findIndex((r) => r.key === key);
    if (existing >= 0) rows.splice(existing, 1);
    rows.push({ key, scope, at, vector, norm: normOf(vector) });
    this.sql.exec("INSERT OR REPLACE INTO vectors (key, scope, at, vector) VALUES (?, ?, ?, ?)", key, scope, at, vector.buffer);
    while (rows.length > MAX_VECTORS) this.sql.exec("DELETE FROM vectors WHERE key = ?", rows.shift()!.key);
  }

  async clear(): Promise<void> {
    this.load();
    this.sql.exec("DELETE FROM vectors");
    this.rows = [];
  }
}
