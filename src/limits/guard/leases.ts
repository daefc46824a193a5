// Key leases, the guard's side (the isolate's side is src/limits/lease.ts): a share of a busy key's
// remaining rpm and budget set aside for one isolate, held in the ledger as a reservation with model ""
// whose slots count against rpm_limit. Calls admitted from it charge it as they settle; the isolate
// gives it back with what it did not use.
import type { KeyConfig, LeaseGrant, LeaseReturn } from "../../core/guard-rpc";
import type { SpendState } from "./budgets";
import type { Ledger } from "./ledger";

/** How long an isolate may admit calls from a lease: also how late a blocked key or a new limit reaches it. */
export const LEASE_TTL_MS = 2_000;
/** A lease takes at most this fraction of what is left (rpm, budget), so leases never starve other isolates... */
const LEASE_SHARE = 1 / 8;
/** ...and none is granted below this many calls' worth: near its limits a key is admitted call by call. */
const LEASE_MIN_SLOTS = 4;
const LEASE_MAX_SLOTS = 256;

const has = (m: Record<string, unknown> | null | undefined) => m !== null && m !== undefined && Object.keys(m).length > 0;

/**
 * Sets a share of the key's remaining rpm and budget aside for one isolate, if the key's limits can
 * be shared (budget and rpm only) and it is far enough from them. With an rpm_limit, the slots are
 * counted in the rpm window at the end of the lease's admitting time, so they leave the window no
 * earlier than its calls; without one, each call is counted when it settles (a limit set later sees it).
 * Its budget is held in full, and its calls hold their whole worst case from it (never less): a lease
 * keeps the admission rule's bound, as only the guard makes partial holds. `plain` (no reservations):
 * no lease for a key with a budget, whose calls must each see the spend.
 */
export function grantLease(ledger: Ledger, config: KeyConfig, spend: SpendState, callCost: number, now: number, plain = false): LeaseGrant | undefined {
  const l = config.limits;
  if (l.tpm_limit !== null || l.max_parallel_requests !== null || has(l.model_max_budget) || has(l.model_rpm_limit) || has(l.model_tpm_limit)) return undefined;
  if ((l.max_token_budget ?? null) !== null || (plain && l.max_budget !== null)) return undefined;
  if ((config.team_id && config.team_limited) || (config.user_id && config.user_limited)) return undefined;
  let slots = LEASE_MAX_SLOTS;
  if (l.rpm_limit !== null) slots = Math.min(slots, Math.floor((l.rpm_limit - ledger.requests.total(now)) * LEASE_SHARE));
  if (slots < LEASE_MIN_SLOTS) return undefined;
  let budget: number | null = null;
  if (l.max_budget !== null) {
    const left = l.max_budget - spend.budget.spend - ledger.reserved;
    budget = Math.min(left * LEASE_SHARE, callCost * slots);
    if (!(budget >= callCost * LEASE_MIN_SLOTS) || left <= 0) return undefined;
  }
  const id = crypto.randomUUID();
  const counted = l.rpm_limit !== null ? slots : 0;
  ledger.reserve(id, { cost: budget ?? 0, model: "", slots: counted, userId: config.user_id, teamId: config.team_id, at: now + LEASE_TTL_MS });
  return { id, slots, budget, ttlMs: LEASE_TTL_MS };
}

/** When (guard clock) the last open lease stops admitting calls; 0 if none is open. */
export function leasesEnd(ledger: Ledger): number {
  let end = 0;
  for (const r of ledger.open.values()) if (!r.model && r.at > end) end = r.at; // a lease's `at` is the end of its admitting time
  return end;
}

/** A call admitted from a lease cost `cost`: that much of the lease's reservation is now spend. */
export function chargeLease(ledger: Ledger, id: string, cost: number, now: number): void {
  const lease = ledger.open.get(id);
  if (!lease || lease.model) return; // given back or expired already: the spend still counts
  const charged = Math.min(lease.cost, cost);
  lease.cost -= charged;
  lease.calls = (lease.calls ?? 0) + 1;
  ledger.reserved = Math.max(0, ledger.reserved - charged);
  ledger.storage.sql.exec("UPDATE calls SET cost = ?, lease_calls = ? WHERE id = ?", lease.cost, lease.calls, id);
  const waiting = ledger.returning.get(id);
  if (waiting && lease.calls >= waiting.calls) returnLease(ledger, waiting, now);
}

/**
 * The isolate is done with a lease: its unused budget is released and its unused slots leave the rpm
 * window, once all its calls' settlements are in (a batch may overtake another; until then it waits).
 */
export function returnLease(ledger: Ledger, ret: LeaseReturn, now: number): void {
  const lease = ledger.open.get(ret.lease);
  if (!lease || lease.model) return;
  if ((lease.calls ?? 0) < ret.calls) {
    ledger.returning.set(ret.lease, ret);
    return;
  }
  ledger.returning.delete(ret.lease);
  ledger.untrack(ret.lease);
  const unused = Math.min(lease.slots, Math.max(0, ret.unusedSlots));
  ledger.requests.shrink(lease.at, lease.slots, unused);
  ledger.storage.sql.exec("UPDATE calls SET state = 'returned', slots = ?, cost = 0, settled_at = ? WHERE id = ?", lease.slots - unused, now, ret.lease);
}
