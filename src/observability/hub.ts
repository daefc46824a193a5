// ObservabilityHub: the Durable Object that makes metrics the whole gateway's and alerts once-only.
//
// "metrics": each isolate sends the changes of its calls (counters and histograms to add, gauges with
// the time of their reading) at most once every couple of seconds (./metrics/shipper.ts), and a scrape
// reads the totals from here, so a scrape landing on any isolate sees every isolate's calls. The totals
// are kept in memory and made durable in the object's SQLite storage, so they survive restarts and
// deploys and counters never go backwards: each batch is stored as it arrives (one row), and once a
// minute the series it changed are written and the batches deleted (a batch touches ~20 series: this
// writes ~5x fewer rows than storing every series change at once). A restart replays the stored
// batches onto the last series written. A batch carries an id; a repeated delivery (a retry after a
// lost answer) is not counted twice (ids are remembered for 10 minutes, restarts included).
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
/** How long stored batches wait before their series are written (and how long claims' rows are kept past expiry). */
const COMPACT_MS = 60_000;
/** How long a batch id is remembered after its batch was compacted (one row, rewritten at each compaction): retries come within seconds. */
const REMEMBER_IDS_MS = 10 * 60_000;
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
  /** Series changed since they were last written. */
  private readonly dirty = new Set<string>();
  /** Ids of batches applied (stored ones, and recently compacted ones), with when they came. */
  private readonly seen = new Map<string, number>();
  private lines = 0;
  private folding = false;
  private alarmSet = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS series (family TEXT NOT NULL, labels TEXT NOT NULL, v TEXT NOT NULL, PRIMARY KEY (family, labels))`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, body TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, until INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    const ids = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'compacted_ids'`).toArray()[0];
    for (const [id, at] of ids ? (JSON.parse(ids.value) as [string, number][]) : []) this.seen.set(id, at);
    for (const row of this.sql.exec<{ family: string; labels: string; v: string }>(`SELECT family, labels, v FROM series`)) {
      const family = FAMILY_BY_NAME.get(row.family);
      if (!family) continue; // a family an earlier version had
      this.series.set(`${row.family}\u0000${row.labels}`, { family, labels: JSON.parse(row.labels), values: JSON.parse(row.v) });
      this.lines += linesOf(family);
    }
    // Batches stored but not yet written into the series: replayed, in the order they came.
    for (const row of this.sql.exec<{ id: string; body: string }>(`SELECT id, body FROM batches ORDER BY rowid`)) {
      this.seen.set(row.id, Date.now());
      this.merge(JSON.parse(row.body) as Series[]);
    }
    if (this.dirty.size) this.scheduleAlarm();
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
    this.scheduleAlarm();
    return true;
  }

  /** Writes the changed series and drops the batches they came from; forgets expired claims. */
  override async alarm(): Promise<void> {
    this.alarmSet = false;
    this.ctx.storage.transactionSync(() => {
      for (const key of this.dirty) {
        const s = this.series.get(key)!;
        this.sql.exec(
          `INSERT INTO series (family, labels, v) VALUES (?, ?, ?) ON CONFLICT (family, labels) DO UPDATE SET v = excluded.v`,
          s.family.name,
          JSON.stringify(s.labels),
          JSON.stringify(s.values),
        );
      }
      this.sql.exec(`DELETE FROM batches`);
      const now = Date.now();
      for (const [id, at] of this.seen) if (at < now - REMEMBER_IDS_MS) this.seen.delete(id);
      this.sql.exec(`INSERT INTO meta (key, value) VALUES ('compacted_ids', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, JSON.stringify([...this.seen]));
      this.sql.exec(`DELETE FROM claims WHERE until < ?`, now - COMPACT_MS);
    });
    this.dirty.clear();
  }

  /** Adds a batch to the totals and stores it, unless it was applied before. */
  private apply(batch: MetricsBatch): void {
    if (this.seen.has(batch.id) || !batch.series.length) return;
    this.seen.set(batch.id, Date.now());
    this.sql.exec(`INSERT OR IGNORE INTO batches (id, body) VALUES (?, ?)`, batch.id, JSON.stringify(batch.series));
    this.merge(batch.series);
    this.scheduleAlarm();
  }

  private merge(series: Series[]): void {
    for (const [name, labels, values] of series) {
      const family = FAMILY_BY_NAME.get(name);
      if (!family || labels.length !== family.labels.length) continue; // from another version: skip rather than corrupt
      const [key, stored] = this.seriesFor(family, labels, values.length);
      mergeValues(family.type, stored.values, values);
      this.dirty.add(key);
    }
  }

  /** The stored series for these labels (and its key), made (or folded, past the cap) when new. */
  private seriesFor(family: Family, labels: string[], width: number): [string, Stored] {
    const key = `${family.name}\u0000${JSON.stringify(labels)}`;
    const found = this.series.get(key);
    if (found) return [key, found];
    if (this.lines + linesOf(family) <= MAX_LINES) return [key, this.remember(key, family, labels, width)];
    if (!this.folding) console.warn(`[metrics] more than ${MAX_LINES} exposition lines: new series get their caller labels folded into "${OTHER}"`);
    this.folding = true;
    const folded = family.labels.map((name, i) => (CALLER_LABELS.has(name) ? OTHER : labels[i]));
    const foldedKey = `${family.name}\u0000${JSON.stringify(folded)}`;
    return [foldedKey, this.series.get(foldedKey) ?? this.remember(foldedKey, family, folded, width)];
  }

  private remember(key: string, family: Family, labels: string[], width: number): Stored {
    const stored: Stored = { family, labels, values: family.type === "gauge" ? [0, 0] : new Array<number>(width).fill(0) };
    this.series.set(key, stored);
    this.lines += linesOf(family);
    return stored;
  }

  private scheduleAlarm(): void {
    if (this.alarmSet) return;
    this.alarmSet = true;
    void this.ctx.storage.getAlarm().then((at) => {
      if (at === null) return this.ctx.storage.setAlarm(Date.now() + COMPACT_MS);
    });
  }
}
