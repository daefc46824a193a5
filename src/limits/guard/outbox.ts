// What a guard owes D1 and other guards, kept durably until delivered: settled calls' spend log rows
// (the outbox table, flushed in batches with their daily_spend sums and the guard's totals, retried with
// backoff while D1 fails) and settlements a team/user guard could not take yet (the forwards table).
//
// An outbox entry is a JSON array of log rows as outboxRow() wrote them (entries of earlier versions:
// one row's object) and, in `daily`, their summed DailyRows (earlier versions: null, read from the rows).
import type { Env } from "../../env";
import { guardFor, guardName, type DailyRow, type GuardIdentity, type ScopeSettlement, type Settlement } from "../../core/guard-rpc";
import { dailyRowsOfText, sumDaily, writeFlush, type FlushBatch, type FlushTotals } from "../../spend/flush";
import type { Budgets, SpendState } from "./budgets";
import type { GuardStorage } from "./storage";
import type { Config, Subject } from "./subject";

const FLUSH_DELAY_MS = 1_000;
const MAX_FLUSH_BACKOFF_MS = 60_000;
const FLUSH_MAX_ROWS = 200;
const FLUSH_MAX_BYTES = 512 * 1024;
/** How many spend log rows an outbox entry holds. */
const ENTRY_ROWS = "CASE WHEN substr(row, 1, 1) = '[' THEN json_array_length(row) ELSE 1 END";

export class Outbox {
  /** Spend log rows queued in the outbox table. */
  rows = 0;
  /** Settlements queued in the forwards table. */
  forwardRows = 0;
  /** When the next flush is due after a failed (or partial) one; null: FLUSH_DELAY_MS after a change. */
  retryAt: number | null = null;
  private attempts = 0;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly storage: GuardStorage,
    private readonly env: Env,
    private readonly budgets: Budgets,
    private readonly subject: Subject,
  ) {
    if (!storage.opened) return;
    this.rows = storage.sql.exec<{ n: number }>(`SELECT coalesce(sum(${ENTRY_ROWS}), 0) AS n FROM outbox`).one().n;
    this.forwardRows = storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM forwards").one().n;
  }

  /** Rows and settlements not delivered yet. */
  get pending(): number {
    return this.rows + this.forwardRows;
  }

  /** When a flush is due (on the real clock), if anything waits for one. */
  due(): number | undefined {
    if (!this.rows && !this.budgets.dirty && !this.forwardRows) return undefined;
    return this.retryAt ?? Date.now() + FLUSH_DELAY_MS;
  }

  /**
   * Adds settled calls' spend log rows (their JSON texts, as they came) to the outbox, with their
   * daily_spend sums. A batch's rows share one entry (a JSON array, split only where a flush would), so
   * storage writes, reads and deletes one row per batch instead of one per call.
   */
  queueRows(settled: Settlement[]): void {
    for (let start = 0; start < settled.length; ) {
      let end = start + 1;
      let bytes = settled[start].row.length;
      while (end < settled.length && end - start < FLUSH_MAX_ROWS && bytes + settled[end].row.length <= FLUSH_MAX_BYTES) bytes += settled[end++].row.length;
      const entry = settled.slice(start, end);
      // Settlements from isolates of an earlier version carry no daily row: it is read from the log row.
      const daily = sumDaily(new Map(), entry.flatMap((s) => (s.daily ? [s.daily] : dailyRowsOfText(s.row))));
      this.storage.sql.exec("INSERT INTO outbox (row, daily) VALUES (?, ?)", `[${entry.map((s) => s.row).join(",")}]`, JSON.stringify([...daily.values()]));
      start = end;
    }
    this.rows += settled.length;
  }

  /** Keeps a settlement its team/user guard did not take, for drainForwards. */
  queueForward(s: ScopeSettlement): void {
    this.storage.sql.exec("INSERT INTO forwards (body) VALUES (?)", JSON.stringify(s));
    this.forwardRows++;
  }

  /** Delivers queued settlements to their team/user guards, oldest first, until one fails. */
  async drainForwards(): Promise<void> {
    if (!this.forwardRows) return;
    for (const row of this.storage.sql.exec<{ seq: number; body: string }>("SELECT seq, body FROM forwards ORDER BY seq LIMIT 100").toArray()) {
      const s = JSON.parse(row.body) as ScopeSettlement;
      try {
        await guardFor(this.env, s).scopeSettle(s);
      } catch {
        return; // try again at the next alarm
      }
      this.storage.sql.exec("DELETE FROM forwards WHERE seq = ?", row.seq);
      this.forwardRows--;
    }
  }

  /** Writes the next batch of rows and the totals to D1; one flush at a time. */
  async flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const id = this.subject.identity;
    if (!id || (!this.rows && !this.budgets.dirty)) return;
    const batch = this.rows ? this.nextBatch(id) : undefined;
    const seqAtStart = this.budgets.seq;
    try {
      await writeFlush(this.env.DB, batch, totals(id, this.budgets.state, this.subject.config));
    } catch (err) {
      this.attempts++;
      const wait = Math.min(MAX_FLUSH_BACKOFF_MS, FLUSH_DELAY_MS * 2 ** this.attempts);
      this.retryAt = Date.now() + wait;
      console.warn(`[limits] flush to D1 failed (attempt ${this.attempts}, retry in ${wait} ms): ${(err as Error).message}`);
      return;
    }
    this.attempts = 0;
    this.retryAt = null;
    if (batch) {
      this.storage.sql.exec("DELETE FROM outbox WHERE seq <= ?", batch.lastSeq);
      this.rows -= batch.count;
    }
    this.budgets.flushed(seqAtStart);
    if (this.rows) this.retryAt = Date.now(); // more to write: next alarm at once
  }

  /** The oldest outbox entries, capped by rows and size. The same entries are retried until written. */
  private nextBatch(id: GuardIdentity): FlushBatch {
    const rows: string[] = [];
    const daily = new Map<string, DailyRow>();
    let count = 0;
    let bytes = 0;
    let firstSeq = 0;
    let lastSeq = 0;
    const entries = this.storage.sql.exec<{ seq: number; row: string; daily: string | null; n: number }>(`SELECT seq, row, daily, ${ENTRY_ROWS} AS n FROM outbox ORDER BY seq LIMIT ?`, FLUSH_MAX_ROWS);
    for (const r of entries) {
      if (rows.length && (count + r.n > FLUSH_MAX_ROWS || bytes + r.row.length > FLUSH_MAX_BYTES)) break;
      const isArray = r.row.startsWith("[");
      rows.push(isArray ? r.row.slice(1, -1) : r.row);
      // Entries written before they carried their sums: read them from the rows.
      sumDaily(daily, r.daily !== null ? (JSON.parse(r.daily) as DailyRow[]) : dailyRowsOfText(r.row));
      count += r.n;
      bytes += r.row.length;
      firstSeq ||= r.seq;
      lastSeq = r.seq;
    }
    return { scope: `${guardName(id)}:${this.subject.epoch}`, firstSeq, lastSeq, rows, count, daily: [...daily.values()] };
  }
}

/**
 * The guard's totals as D1 keeps them (keys, teams, users rows); none for an unknown or deleted one (only
 * its log rows are written), nor for the proxy-wide budget (its guard is its record).
 */
export function totals(id: GuardIdentity, state: SpendState | undefined, config: Config | undefined): FlushTotals | undefined {
  if (!state || !config || id.kind === "proxy") return undefined;
  const b = state.budget;
  const common = { spend: b.spend, tokenSpend: b.tokens ?? 0, budgetResetAt: b.resetAt };
  if (id.kind === "key") return { kind: "key", token: id.token, ...common, modelSpend: Object.fromEntries(Object.entries(state.models).map(([m, s]) => [m, s.spend])) };
  if (id.kind === "team") return { kind: "team", id: id.id, ...common, memberSpend: state.members };
  return { kind: "user", id: id.id, ...common };
}
