// Key leases, the isolate's side. A busy virtual key far from its limits is not asked about on every
// call: its guard (src/limits/guard/) sets a share of what the key has left aside for this isolate -
// `slots` requests already counted against rpm_limit and `budget` USD already reserved from max_budget -
// and the isolate admits calls from that share by itself, reserving each call's maximum cost from it
// exactly as the guard would. So the limits still hold exactly, and the request path makes no round
// trip. The lease is renewed in the background before it runs out; its calls settle in batches
// (settle-batch.ts), and once it has expired and its calls are over, what was left goes back to the key.
//
// A lease admits calls for LEASE_TTL_MS (2 s) at most: a blocked, deleted or changed key reaches an
// isolate holding one within that time (the isolate that made the change drops its leases at once).
import { inBackground as background } from "../lib/background";
import type { Env } from "../env";
import { confirmKey, forgetKey, touchKey } from "../keys/lookup";
import { guardFor } from "../core/guard-rpc";
import { returnBatched, settleBatched } from "./settle-batch";
import type { AdmitAnswer, BudgetPolicy, RateHeaders, Settlement } from "../core/guard-rpc";
import { logText } from "../lib/safe-text";

type Granted = Extract<AdmitAnswer, { ok: true }>;

export interface Lease {
  readonly id: string;
  readonly token: string;
  /** The key config version it was granted for: a call holding another version asks the guard. */
  version: string;
  /** Slots granted. */
  readonly slots: number;
  slotsLeft: number;
  /** USD left to reserve; null: the key has no max_budget. */
  budgetLeft: number | null;
  /** Date.now() after which it admits no more calls. */
  readonly until: number;
  readonly ttlMs: number;
  inFlight: number;
  /** Calls admitted from it that have settled (their settlements queued). */
  settled: number;
  /** The key's spend when granted plus what its calls here have cost since (x-litellm-key-spend). */
  spend: number;
  readonly maxBudget: number | null;
  readonly rate: RateHeaders;
  retired: boolean;
  returned: boolean;
  returnTimer: boolean;
}

/** token -> the lease this isolate admits the key's calls from... */
const current = new Map<string, Lease>();
/** ...and the one renewed ahead of need, taken when the current one is used up (so no slot goes unused). */
const spares = new Map<string, Lease>();
/** Keys with a lease asked for now (one at a time per key). */
const renewing = new Set<string>();

const usable = (lease: Lease, version: string, cost: number, now: number) =>
  lease.version === version && lease.slotsLeft >= 1 && now < lease.until && (lease.budgetLeft === null || lease.budgetLeft >= cost);

/** Admits a call from the key's lease, reserving `cost` from it; undefined when there is no usable lease. */
export function admitFromLease(env: Env, token: string, version: string, cost: number): Lease | undefined {
  const now = Date.now();
  let lease = current.get(token);
  if (!lease || !usable(lease, version, cost, now)) {
    const spare = spares.get(token);
    if (!spare || !usable(spare, version, cost, now)) return undefined;
    spares.delete(token);
    current.set(token, spare);
    if (lease) retire(env, lease);
    lease = spare;
  }
  if (lease.budgetLeft !== null) lease.budgetLeft -= cost;
  lease.slotsLeft--;
  lease.inFlight++;
  return lease;
}

/**
 * Whether a call the guard admits should ask for a lease too: not while another request for one is on its
 * way or a spare waits (concurrent first calls would each take a share). Call `leaseAnswered` after.
 */
export function askForLease(token: string): boolean {
  if (renewing.has(token) || spares.has(token)) return false;
  renewing.add(token);
  return true;
}

export function leaseAnswered(token: string): void {
  renewing.delete(token);
}

/** What the response's headers say, as of this lease. */
export function leaseHeaders(lease: Lease): Pick<Granted, "spend" | "maxBudget" | "rate"> {
  const used = lease.slots - lease.slotsLeft;
  const rate = lease.rate.limitRequests === undefined ? lease.rate : { ...lease.rate, remainingRequests: Math.max(0, (lease.rate.remainingRequests ?? 0) - used) };
  return { spend: lease.spend, maxBudget: lease.maxBudget, rate };
}

/** Takes the lease a guard granted with an answer (the call's own admission, or a renewal). */
export function takeLease(env: Env, token: string, answer: Granted): void {
  const grant = answer.lease;
  if (!grant) return;
  const lease: Lease = {
    id: grant.id,
    token,
    version: answer.version,
    slots: grant.slots,
    slotsLeft: grant.slots,
    budgetLeft: grant.budget,
    until: Date.now() + grant.ttlMs,
    ttlMs: grant.ttlMs,
    inFlight: 0,
    settled: 0,
    spend: answer.spend,
    maxBudget: answer.maxBudget,
    rate: answer.rate,
    retired: false,
    returned: false,
    returnTimer: false,
  };
  const previous = current.get(token);
  if (previous && usable(previous, lease.version, 0, Date.now())) {
    // Renewed ahead of need: it waits until the current one is used up.
    const oldSpare = spares.get(token);
    spares.set(token, lease);
    if (oldSpare) retire(env, oldSpare);
  } else {
    current.set(token, lease);
    if (previous) retire(env, previous);
  }
  returnWhenDone(env, lease); // comes back when it expires unused
}

/** Renews the key's lease in the background when it is half used or half expired. */
export function renewIfDue(env: Env, lease: Lease, callCost: number, policy?: BudgetPolicy): void {
  const now = Date.now();
  const due = lease.slotsLeft * 2 < lease.slots || (lease.budgetLeft !== null && lease.budgetLeft < callCost * 2) || (lease.until - now) * 2 < lease.ttlMs;
  const token = lease.token;
  if (!due || current.get(token) !== lease || !askForLease(token)) return;
  const renewal = guardFor(env, { kind: "key", token })
    .renewLease({ token, knownVersion: lease.version, callCost, policy })
    .then((answer) => {
      if (!answer.ok) {
        // Blocked, deleted or expired meanwhile: the next call asks the guard, which refuses it.
        if (answer.revoked) forgetKey(token);
        dropLease(env, token);
        return;
      }
      if (answer.config) confirmKey(answer.config);
      else touchKey(token);
      takeLease(env, token, answer);
    })
    .catch((err: Error) => console.warn(`[limits] lease renewal failed (calls ask the guard until a new one): ${logText(String(err?.message))}`))
    .finally(() => leaseAnswered(token));
  background(renewal);
}

/** A call admitted from `lease` will not run after all (another budget refused it): its share goes back. */
export function unadmitFromLease(env: Env, lease: Lease, reserved: number): void {
  if (lease.budgetLeft !== null) lease.budgetLeft += reserved;
  lease.slotsLeft++;
  lease.inFlight--;
  returnWhenDone(env, lease);
}

/**
 * A call admitted from `lease` is over: what it did not cost goes back to the lease, its settlement
 * joins the key's batch, and a lease that is done gets returned.
 */
export function settleFromLease(env: Env, lease: Lease, reserved: number, settlement: Settlement): Promise<void> {
  lease.inFlight--;
  lease.settled++;
  lease.spend += settlement.cost;
  if (lease.budgetLeft !== null) lease.budgetLeft += reserved - settlement.cost;
  const delivered = settleBatched(env, lease.token, { ...settlement, lease: lease.id });
  returnWhenDone(env, lease);
  return delivered;
}

/** A call the guard admitted itself has settled: the key's lease here counts its cost too (x-litellm-key-spend). */
export function noteSpend(token: string, cost: number): void {
  const lease = current.get(token);
  if (lease) lease.spend += cost;
}

/**
 * Stops admitting from the key's leases (admin change, revoked key); they are returned once their calls
 * are over. Resolves when those with no call in flight have been given back.
 */
export function dropLease(env: Env, token: string): Promise<unknown> {
  return Promise.all([current.get(token), spares.get(token)].map((lease) => lease && retire(env, lease)));
}

/** Every lease of this isolate (a team or user changed: any key may be affected; a shutdown). */
export function dropAllLeases(env: Env): Promise<unknown> {
  return Promise.all([...current.values(), ...spares.values()].map((lease) => retire(env, lease)));
}

function retire(env: Env, lease: Lease): Promise<void> | undefined {
  lease.retired = true;
  forget(lease);
  return returnWhenDone(env, lease);
}

function forget(lease: Lease): void {
  if (current.get(lease.token) === lease) current.delete(lease.token);
  if (spares.get(lease.token) === lease) spares.delete(lease.token);
}

/** Gives the lease back once it admits no more calls and none of its calls is in flight (the promise of its delivery, if now). */
function returnWhenDone(env: Env, lease: Lease): Promise<void> | undefined {
  if (lease.returned || lease.inFlight > 0) return undefined;
  const wait = lease.until - Date.now();
  if (!lease.retired && wait > 0) {
    // Idle now: come back when it expires (the runtime keeps the timer alive through waitUntil).
    if (lease.returnTimer) return undefined;
    lease.returnTimer = true;
    background(
      new Promise<void>((resolve) => setTimeout(resolve, wait + 1)).then(() => {
        lease.returnTimer = false;
        returnWhenDone(env, lease);
      }),
    );
    return undefined;
  }
  lease.returned = true;
  forget(lease);
  const delivered = returnBatched(env, lease.token, { lease: lease.id, unusedSlots: lease.slotsLeft, calls: lease.settled });
  background(delivered);
  return delivered;
}
