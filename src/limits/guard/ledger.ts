// The reservations ledger: what calls (and leases) in flight hold of a guard's limits, in memory for
// the checks (sums per model and per member, tokens, the rpm and tpm sliding windows) and in the calls
// table so it survives a restart. A reservation is made before a call (`reserve`), undone if the call
// does not run (`release`), turned into a settled row when it ends (`finish`), and charged as it stands
// if it never ends (`expire`, then settlement.ts's chargeExpired: nothing reserved is ever forgotten).
import type { Env } from "../../env";
import { guardFor, type LeaseReturn, type Refusal, type ScopeAdmitRequest, type ScopeIdentity } from "../../core/guard-rpc";
import { SlidingWindow, WINDOW_MS, WindowMap } from "../window";
import type { Usage } from "./checks";
import type { GuardStorage } from "./storage";

/** A reservation whose call has not settled after this (its isolate died) is charged as it stands. */
export const RESERVATION_TTL_MS = 30 * 60_000;
/** Settled call ids are kept this long, so a repeated settlement is not counted twice. */
const SETTLED_TTL_MS = 10 * 60_000;

export interface Reservation {
  /** USD held: the call's worst case, or what was left of a budget. */
  cost: number;
  /** Tokens held (max_token_budget); absent: 0. */
  tokens?: number;
  /** Holds less than its worst case (budgetHold in checks.ts). */
  partial?: boolean;
  /** Model group; "" for a lease. */
  model: string;
  /** Requests it counts against rpm_limit: 1 for a call, the slots left for a lease, 0 for a call admitted from a lease. */
  slots: number;
  /** Leases: calls settled from it so far. */
  calls?: number;
  /** The key's user and team when the call was admitted: their guards get the settlement too. */
  userId: string | null;
  teamId: string | null;
  at: number;
}

/** A row of the calls table: a call (or lease) this guard admitted or settled, kept SETTLED_TTL_MS after settling (repeats, and rate windows after a restart). */
export type CallRow = {
  id: string;
  cost: number;
  model: string;
  user_id: string | null;
  team_id: string | null;
  /** When it was admitted. */
  at: number;
  state: "open" | "settled" | "expired" | "returned";
  tokens: number;
  settled_at: number | null;
  slots: number;
  lease_calls: number;
  held_tokens: number;
  partial: number;
};

const reservationOf = (row: CallRow): Reservation => ({
  cost: row.cost,
  tokens: row.held_tokens ?? 0,
  partial: !!row.partial,
  model: row.model,
  slots: row.slots,
  calls: row.lease_calls,
  userId: row.user_id,
  teamId: row.team_id,
  at: row.at,
});

const SETTLED_COLUMNS = "id, cost, model, user_id, team_id, at, state, tokens, settled_at, slots";

export class Ledger implements Usage {
  readonly open = new Map<string, Reservation>();
  /** Lease returns that arrived before some of the lease's settlements (in memory: if lost, the lease expires). */
  readonly returning = new Map<string, LeaseReturn>();
  reserved = 0;
  reservedTokens = 0;
  /** Open reservations holding less than their call's worst case. */
  partialOpen = 0;
  readonly reservedByModel = new Map<string, number>();
  readonly reservedByMember = new Map<string, number>();
  readonly requests = new SlidingWindow();
  readonly tokens = new SlidingWindow();
  readonly modelRequests = new WindowMap();
  readonly modelTokens = new WindowMap();

  constructor(readonly storage: GuardStorage) {}

  get inFlight(): number {
    return this.open.size;
  }

  /** After a restart: the open reservations, and the last minute's requests and settled tokens. */
  restore(now: number): void {
    if (!this.storage.opened) return;
    const sql = this.storage.sql;
    for (const row of sql.exec<CallRow>("SELECT * FROM calls WHERE state = 'open'")) this.track(reservationOf(row), row.id);
    const since = now - WINDOW_MS;
    for (const r of sql.exec<{ at: number; model: string; slots: number }>("SELECT at, model, slots FROM calls WHERE at > ? ORDER BY at", since)) {
      this.requests.add(r.at, r.slots);
      if (r.model && r.slots) this.modelRequests.get(r.model).add(r.at, r.slots); // a batch's row counts its calls
    }
    for (const r of sql.exec<{ settled_at: number; model: string; tokens: number }>("SELECT settled_at, model, tokens FROM calls WHERE settled_at > ? ORDER BY settled_at", since)) {
      this.tokens.add(r.settled_at, r.tokens);
      this.modelTokens.get(r.model).add(r.settled_at, r.tokens);
    }
  }

  track(r: Reservation, id: string): void {
    this.open.set(id, r);
    this.reserved += r.cost;
    this.reservedTokens += r.tokens ?? 0;
    if (r.partial) this.partialOpen++;
    if (r.model) this.reservedByModel.set(r.model, (this.reservedByModel.get(r.model) ?? 0) + r.cost);
    if (r.userId) this.reservedByMember.set(r.userId, (this.reservedByMember.get(r.userId) ?? 0) + r.cost);
  }

  untrack(id: string): Reservation | undefined {
    const r = this.open.get(id);
    if (!r) return undefined;
    this.open.delete(id);
    // Sums return to exactly 0 when nothing is in flight (no float drift).
    this.reserved = this.open.size ? this.reserved - r.cost : 0;
    this.reservedTokens = this.open.size ? this.reservedTokens - (r.tokens ?? 0) : 0;
    if (r.partial) this.partialOpen--;
    const m = (this.reservedByModel.get(r.model) ?? 0) - r.cost;
    if (m > 1e-15) this.reservedByModel.set(r.model, m);
    else if (r.model) this.reservedByModel.delete(r.model);
    if (r.userId) {
      const u = (this.reservedByMember.get(r.userId) ?? 0) - r.cost;
      if (u > 1e-15) this.reservedByMember.set(r.userId, u);
      else this.reservedByMember.delete(r.userId);
    }
    return r;
  }

  reserve(id: string, r: Reservation): void {
    this.storage.ensure();
    this.track(r, id);
    this.requests.add(r.at, r.slots);
    if (r.model) this.modelRequests.get(r.model).add(r.at);
    this.storage.sql.exec(
      "INSERT OR REPLACE INTO calls (id, cost, model, user_id, team_id, at, state, slots, held_tokens, partial) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
      id, r.cost, r.model, r.userId, r.teamId, r.at, r.slots, r.tokens ?? 0, r.partial ? 1 : 0,
    );
  }

  /** Undoes a reservation refused further along (the request never ran). */
  release(id: string): void {
    const r = this.untrack(id);
    if (!r) return;
    this.requests.remove(r.at, r.slots);
    if (r.model) this.modelRequests.get(r.model).remove(r.at);
    this.storage.sql.exec("DELETE FROM calls WHERE id = ?", id);
  }

  /**
   * Ends a call's reservation and marks it settled; undefined if it was settled already. A call
   * without one (the master key's, or one whose reservation expired) is recorded as it was
   * admitted if known, else from `fallback`.
   */
  finish(id: string, tokens: number, fallback: Reservation, now: number): Reservation | undefined {
    const sql = this.storage.sql;
    let call = this.untrack(id);
    if (!call) {
      // Most calls settling without an open reservation here never had one (master key, leases): one
      // statement records them, and only an id seen before (a repeat, an expired reservation) is read.
      const inserted = sql.exec(
        `INSERT OR IGNORE INTO calls (${SETTLED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'settled', ?, ?, ?)`,
        id, fallback.cost, fallback.model, fallback.userId, fallback.teamId, fallback.at, tokens, now, fallback.slots,
      ).rowsWritten;
      if (inserted) return fallback;
      const known = sql.exec<CallRow>("SELECT * FROM calls WHERE id = ?", id).toArray()[0];
      if (!known || known.state === "settled") return undefined;
      call = reservationOf(known);
    }
    sql.exec(
      `INSERT OR REPLACE INTO calls (${SETTLED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'settled', ?, ?, ?)`,
      id, call.cost, call.model, call.userId, call.teamId, call.at, tokens, now, call.slots,
    );
    return call;
  }

  /**
   * Reservations past their time, no longer held: their calls (or leases) never settled. The caller
   * charges each as it stands (settlement.ts chargeExpired), which marks its row settled, so a
   * settlement arriving later still is not counted again.
   */
  expire(now: number): { id: string; r: Reservation }[] {
    const out: { id: string; r: Reservation }[] = [];
    for (const [id, r] of this.open) {
      if (now - r.at < RESERVATION_TTL_MS) continue;
      this.untrack(id);
      this.returning.delete(id);
      out.push({ id, r });
    }
    return out;
  }

  /** Records an expired reservation as settled at what it held (tokens in the tpm windows too). */
  settleExpired(id: string, r: Reservation, now: number): void {
    this.storage.sql.exec(
      "UPDATE calls SET state = 'settled', cost = ?, tokens = ?, settled_at = ? WHERE id = ?",
      r.cost, r.tokens ?? 0, now, id,
    );
    if (r.tokens) {
      this.tokens.add(now, r.tokens);
      if (r.model) this.modelTokens.get(r.model).add(now, r.tokens);
    }
  }

  /** The alarm's housekeeping: old rows go (expired reservations are charged by the caller first, see `expire`). */
  prune(now: number): void {
    // Two statements, so each walks an index instead of scanning the whole table (which holds every
    // call of the last SETTLED_TTL_MS) on every alarm. Only settled and returned rows have settled_at.
    this.storage.sql.exec("DELETE FROM calls WHERE settled_at < ?", now - SETTLED_TTL_MS);
    this.storage.sql.exec("DELETE FROM calls WHERE at < ? AND state = 'expired'", now - SETTLED_TTL_MS);
  }

  /** The earliest time (on the guard's clock) a reservation expires, if any is open. */
  firstExpiry(): number | undefined {
    let first: number | undefined;
    for (const r of this.open.values()) if (first === undefined || r.at < first) first = r.at;
    return first === undefined ? undefined : first + RESERVATION_TTL_MS;
  }
}

/** Reserves in the team's / user's guards too; if one refuses, releases the others and says why. */
export async function reserveOuter(env: Env, outer: ScopeIdentity[], call: Omit<ScopeAdmitRequest, "kind" | "id">): Promise<Refusal | undefined> {
  const answers = await Promise.all(
    outer.map((id) =>
      guardFor(env, id)
        .scopeAdmit({ ...id, ...call })
        .catch((err: Error): Refusal => {
          console.error(`[limits] ${id.kind} guard unreachable: ${err.message}`);
          return { ok: false, status: 503, kind: "unavailable", type: "service_unavailable_error", message: `Could not check the ${id.kind}'s limits; try again`, retryAfter: 1 };
        }),
    ),
  );
  const refused = answers.find((a): a is Refusal => !a.ok);
  if (!refused) return undefined;
  await releaseOuter(env, outer.filter((_, i) => answers[i].ok), call.requestId);
  return refused;
}

/** Undoes a call's reservations in the team's / user's guards (errors ignored: theirs expire). */
export async function releaseOuter(env: Env, outer: ScopeIdentity[], requestId: string): Promise<void> {
  await Promise.all(outer.map((id) => guardFor(env, id).scopeRelease(requestId).catch(() => {})));
}
