// Settlements of calls that hold no reservation of their own reach their guard in batches: one round
// trip per isolate every BATCH_MS instead of one per call. These are master-key and open-mode calls
// (all master-key traffic shares one guard, so this also keeps that Durable Object from becoming a
// global bottleneck) and calls an isolate admitted from a lease (src/limits/lease.ts), whose leases are
// given back through the same batches. Calls the guard admitted itself settle one by one (their
// reservations must be released at once for exact limits).
import type { Env } from "../env";
import { guardFor } from "./guard";
import type { LeaseReturn, Settlement } from "./types";

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
        console.error(`[spend] could not settle ${what}: ${(err as Error).message}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

interface Batch {
  items: Settlement[];
  returns: LeaseReturn[];
  /** Settles when the batch has been delivered (or given up on). */
  delivered: Promise<void>;
}

/** The batch collecting items per token; sent BATCH_MS after its first one. */
const open = new Map<string, Batch>();

// Each batch is sent from the request that opened it (its waitUntil holds until delivery): no promise
// chains across requests, whose continuations workerd may drop once the creating request is over.
// Batches may therefore arrive in any order; the guard copes (a lease return says how many calls it
// waits for, src/limits/guard.ts).
function batchFor(env: Env, token: string): Batch {
  const existing = open.get(token);
  if (existing) return existing;
  const batch: Batch = { items: [], returns: [], delivered: undefined! };
  batch.delivered = new Promise<void>((resolve) => {
    setTimeout(() => {
      open.delete(token);
      void withSettleRetries(`${batch.items.length} calls`, () => guardFor(env, { kind: "key", token }).settleMany(batch.items, batch.returns)).then(resolve);
    }, BATCH_MS);
  });
  open.set(token, batch);
  return batch;
}

/** Queues a settlement for `token`'s guard; the promise settles when its batch was delivered. */
export function settleBatched(env: Env, token: string, settlement: Settlement): Promise<void> {
  const batch = batchFor(env, token);
  batch.items.push(settlement);
  return batch.delivered;
}

/** Queues a lease's return. */
export function returnBatched(env: Env, token: string, ret: LeaseReturn): Promise<void> {
  const batch = batchFor(env, token);
  batch.returns.push(ret);
  return batch.delivered;
}
