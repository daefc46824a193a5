// Settlements of calls that hold no reservation of their own reach their guard in batches: one round
// trip per isolate every BATCH_MS instead of one per call. These are master-key and open-mode calls
// (all master-key traffic shares one guard, so this also keeps that Durable Object from becoming a
// global bottleneck) and calls an isolate admitted from a lease (src/limits/lease.ts), whose leases are
// given back through the same batches. Calls the guard admitted itself settle one by one (their
// reservations must be released at once for exact limits).
import type { Env } from "../env";
import { guardFor } from "../core/guard-rpc";
import type { LeaseReturn, Settlement } from "../core/guard-rpc";
import { logText } from "../lib/safe-text";

const BATCH_MS = 20;
const ATTEMPTS = 3;

/**
 * Runs a settlement RPC, retrying with a short backoff (the guard ignores repeats of a settled call).
 * Gives up after ATTEMPTS with one log line; `what` names the work for that line.
 */
export async function withSettleRetries(what: string, send: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= ATTEMPTS) {
        console.error(`[spend] could not settle ${what}: ${logText(String((err as Error)?.message))}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

interface Batch {
  /** Sent with every delivery attempt: the guard applies a batch once. */
  id: string;
  items: Settlement[];
  returns: LeaseReturn[];
  /** Settles when the batch has been delivered (or given up on). */
  delivered: Promise<void>;
}

/** The batch collecting items per token; sent BATCH_MS after its first one. */
const open = new Map<string, Batch>();
/** Batches sent and not yet delivered (or given up on). */
const sending = new Set<Batch>();

const ALREADY_QUEUED = Promise.resolve();

// Each batch is sent from the request that opened it, and only that request waits for it (its waitUntil
// holds until delivery, which keeps the isolate alive for the other calls in the batch too). Another
// request waiting on the opener's promise made workerd log "A promise was resolved or rejected from a
// different request context" by the thousand under load (reproduced with a minimal Worker: 1,516 and
// 7,650 warnings in 32 s with every request waiting, none with only the opener) and drop continuations.
// Batches may arrive in any order; the guard copes (a lease return says how many calls it waits for,
// src/limits/guard/).
function add(env: Env, token: string, put: (batch: Batch) => void): Promise<void> {
  const existing = open.get(token);
  if (existing) {
    put(existing);
    return ALREADY_QUEUED;
  }
  const batch = newBatch(env, token);
  put(batch);
  return batch.delivered;
}

function newBatch(env: Env, token: string): Batch {
  const batch: Batch = { id: crypto.randomUUID(), items: [], returns: [], delivered: undefined! };
  batch.delivered = new Promise<void>((resolve) => {
    setTimeout(() => {
      open.delete(token);
      sending.add(batch);
      void withSettleRetries(`${batch.items.length} calls`, () => guardFor(env, { kind: "key", token }).settleMany(batch.items, batch.returns, batch.id))
        .finally(() => sending.delete(batch))
        .then(resolve);
    }, BATCH_MS);
  });
  open.set(token, batch);
  return batch;
}

/** Queues a settlement for `token`'s guard. The request that opened the batch gets the promise of its delivery (to waitUntil); others get a settled one. */
export function settleBatched(env: Env, token: string, settlement: Settlement): Promise<void> {
  return add(env, token, (batch) => batch.items.push(settlement));
}

/** Queues a lease's return (as settleBatched). */
export function returnBatched(env: Env, token: string, ret: LeaseReturn): Promise<void> {
  return add(env, token, (batch) => batch.returns.push(ret));
}

/** Settles once every batch queued so far has been delivered: for tests that read a guard right after their calls, and shutdowns. */
export async function batchesDelivered(): Promise<void> {
  await Promise.all([...open.values(), ...sending].map((b) => b.delivered));
}
