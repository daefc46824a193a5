// Settlements of calls that hold no reservation of their own reach their guard in batches: one round
// trip per isolate every BATCH_MS instead of one per call. These are master-key and open-mode calls
// (all master-key traffic shares one guard, so this also keeps that Durable Object from becoming a
// global bottleneck) and calls an isolate admitted from a lease (src/limits/lease.ts), whose leases are
// given back through the same queue, after their calls. Calls the guard admitted itself settle one by
// one (their reservations must be released at once for exact limits).
import type { Env } from "../env";
import { guardFor } from "./guard";
import type { LeaseReturn, Settlement } from "./types";

const BATCH_MS = 20;
const ATTEMPTS = 3;

/**
 * Runs a settlement RPC, retrying with a short backoff (the guard ignores repeats of a settled call).
 * Gives up after ATTEMPTS with one log line; `what` names the work for that line.
 */
export async function withSettleRetries(what: string, send: () => Promise<void>): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return true;
    } catch (err) {
      if (attempt >= ATTEMPTS) {
        console.error(`[spend] could not settle ${what}: ${(err as Error).message}`);
        return false;
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

interface Queue {
  /** Collecting items; sent BATCH_MS after its first one. */
  open?: Batch;
  /** The last batch sent: the next one waits for it, so a lease is given back only after its calls arrived. */
  tail: Promise<void>;
  /** A batch was given up on: its calls' leases are never given back (the guard expires them), or spend would be lost. */
  lost: Set<string>;
}

const queues = new Map<string, Queue>();

function batchFor(env: Env, token: string): Batch {
  let q = queues.get(token);
  if (!q) queues.set(token, (q = { tail: Promise.resolve(), lost: new Set() }));
  if (q.open) return q.open;
  const queue = q;
  const batch: Batch = { items: [], returns: [], delivered: undefined! };
  batch.delivered = new Promise<void>((resolve) => {
    setTimeout(() => {
      queue.open = undefined;
      queue.tail = queue.tail.then(() => deliver(env, token, batch, queue.lost)).finally(resolve);
    }, BATCH_MS);
  });
  return (q.open = batch);
}

/** Queues a settlement for `token`'s guard; the promise settles when its batch was delivered. */
export function settleBatched(env: Env, token: string, settlement: Settlement): Promise<void> {
  const batch = batchFor(env, token);
  batch.items.push(settlement);
  return batch.delivered;
}

/** Queues a lease's return, after every settlement queued before it. */
export function returnBatched(env: Env, token: string, ret: LeaseReturn): Promise<void> {
  const batch = batchFor(env, token);
  batch.returns.push(ret);
  return batch.delivered;
}

async function deliver(env: Env, token: string, batch: Batch, lost: Set<string>): Promise<void> {
  const returns = batch.returns.filter((r) => !lost.has(r.lease));
  const ok = await withSettleRetries(`${batch.items.length} calls`, () => guardFor(env, { kind: "key", token }).settleMany(batch.items, returns));
  if (!ok) for (const s of batch.items) if (s.lease) lost.add(s.lease);
}
