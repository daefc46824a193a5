// ObservabilityHub: the Durable Object that makes metrics the whole gateway's and alerts once-only.
//
// "metrics": each isolate sends the changes of its calls (counters and histograms to add, gauges with
// the time of their reading) at most once every couple of seconds (./metrics/shipper.ts), and a scrape
// reads the totals from here, so a scrape landing on any isolate sees every isolate's calls. Totals live
// in the object's SQLite storage: they survive restarts and deploys, so counters never go backwards.
// A batch carries an id; a repeated delivery (a retry after a lost answer) is not counted twice.
//
// Cardinality: series are keyed by their labels (keys, teams, users, models, statuses, routes). Past
// MAX_LINES exposition lines, new series have their caller labels (key, alias, team, user, end user,
// requested model) folded into "__other__": totals stay right, the breakdown by caller stops growing.
//
// "alerts": claim(key, ttl) is true once per key per ttl: an isolate that sees an alertable event (a
// budget crossed, a deployment cooled down) claims it here first. A Durable Object, not KV: two
// isolates reading KV's eventually consistent value in the same second would both send the alert.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { bucketsOf, CALLER_LABELS, FAMILY_BY_NAME, type Family } from "./metrics/families";
import { mergeValues, type MetricsBatch, type Series } from "./metrics/series";
import type { HubRpc } from "./hub-rpc";

/** About 5 MB of exposition text. */
const MAX_LINES = 50_000;
const BATCH_MEMORY_MS = 60 * 60_000;
const PRUNE_EVERY_MS = 60_000;
const OTHER = "__other__";

interface Stored {
  family: Family;
  labels: string[];
  values: number[];
}

const linesOf = (f: Family) => (f.type === "histogram" ? bucketsOf(f).length + 3 : 1);

export class ObservabilityHub extends DurableObject<Env> implements HubRpc {
  private readonly sql: SqlStorage;
  private readonly series = new Map<string, Stored>();
  private lines = 0;
  private folding = false;
  private prunedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS series (family TEXT NOT NULL, labels TEXT NOT NULL, v TEXT NOT NULL, PRIMARY KEY (family, labels))`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, until INTEGER NOT NULL)`);
    for (const row of this.sql.exec<{ family: string; labels: string; v: string }>(`SELECT family, labels, v FROM series`)) {
      const family = FAMILY_BY_NAME.get(row.family);
      if (!family) continue; // a family an earlier version had
      this.series.set(`${row.family}\u0000${row.labels}`, { family, labels: JSON.parse(row.labels), values: JSON.parse(row.v) });
      this.lines += linesOf(family);
    }
  }

  async add(batch: MetricsBatch): Promise<void> {
    this.apply(batch);
  }

  async scrape(batch?: MetricsBatch): Promise<Series[]> {
    if (batch?.series.length) this.apply(batch);
    const out: Series[] = [];
    for (const s of this.series.values()) out.push([s.family.name, s.labels, s.values]);
    return out;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const row = this.sql.exec<{ until: number }>(`SELECT until FROM claims WHERE key = ?`, key).toArray()[0];
    if (row && row.until > now) return false;
    this.sql.exec(`INSERT INTO claims (key, until) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until = excluded.until`, key, now + ttlMs);
    this.prune(now);
    return true;
  }

  /** Adds a batch to the totals and stores the series it changed, unless the batch was applied before. */
  private apply(batch: MetricsBatch): void {
    const now = Date.now();
    if (this.sql.exec(`SELECT 1 FROM batches WHERE id = ?`, batch.id).toArray().length) return;
    this.sql.exec(`INSERT INTO batches (id, at) VALUES (?, ?)`, batch.id, now);
    this.ctx.storage.transactionSync(() => {
      for (const [name, labels, values] of batch.series) {
        const family = FAMILY_BY_NAME.get(name);
        if (!family || labels.length !== family.labels.length) continue; // from another version: skip rather than corrupt
        const stored = this.seriesFor(family, labels, values.length);
        mergeValues(family.type, stored.values, values);
        this.sql.exec(
          `INSERT INTO series (family, labels, v) VALUES (?, ?, ?) ON CONFLICT (family, labels) DO UPDATE SET v = excluded.v`,
          family.name,
          JSON.stringify(stored.labels),
          JSON.stringify(stored.values),
        );
      }
    });
    this.prune(now);
  }

  /** The stored series for these labels, made (or folded, past the cap) when new. */
  private seriesFor(family: Family, labels: string[], width: number): Stored {
    const key = `${family.name}\u0000${JSON.stringify(labels)}`;
    const found = this.series.get(key);
    if (found) return found;
    if (this.lines + linesOf(family) > MAX_LINES) {
      if (!this.folding) console.warn(`[metrics] more than ${MAX_LINES} exposition lines: new series get their caller labels folded into "${OTHER}"`);
      this.folding = true;
      const folded = family.labels.map((name, i) => (CALLER_LABELS.has(name) ? OTHER : labels[i]));
      const foldedKey = `${family.name}\u0000${JSON.stringify(folded)}`;
      const existing = this.series.get(foldedKey);
      if (existing) return existing;
      return this.remember(foldedKey, family, folded, width);
    }
    return this.remember(key, family, labels, width);
  }

  private remember(key: string, family: Family, labels: string[], width: number): Stored {
    const stored: Stored = { family, labels, values: family.type === "gauge" ? [0, 0] : new Array<number>(width).fill(0) };
    this.series.set(key, stored);
    this.lines += linesOf(family);
    return stored;
  }

  private prune(now: number): void {
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    this.sql.exec(`DELETE FROM batches WHERE at < ?`, now - BATCH_MEMORY_MS);
    this.sql.exec(`DELETE FROM claims WHERE until < ?`, now);
  }
}
