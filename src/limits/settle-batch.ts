// Settlements of calls that hold no reservation (master key, open mode) reach their guard in
// batches: one round trip per isolate every BATCH_MS instead of one per call. All master-key traffic
// shares one guard, so this also keeps that Durable Object from becoming a global bottleneck. Calls
// of virtual keys settle one by one (their reservations must be released at once for exact limits).
import type { Env } from "../env";
import { guardFor } from "./guard";
import type { Settlement } from "./types";

const BATCH_MS = 20;
const ATTEMPTS = 3;

interface Batch {
  items: Settlement[];
  /** Settles when the batch has been delivered (or given up on). */
  delivered: Promise<void>;
}

const batches = new Map<string, Batch>();

/** Queues a settlement for `token`'s guard; the promise settles when its batch was delivered. */
export function settleBatched(env: Env, token: string, settlement: Settlement): Promise<void> {
  const open = batches.get(token);
  if (open) {
    open.items.push(settlement);
    return open.delivered;
  }
  const items = [settlement];
  const delivered = new Promise<void>((resolve) => {
    setTimeout(() => {
      batches.delete(token);
      deliver(env, token, items).finally(resolve);
    }, BATCH_MS);
  });
  batches.set(token, { items, delivered });
  return delivered;
}

async function deliver(env: Env, token: string, items: Settlement[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await guardFor(env, { kind: "key", token }).settleMany(items);
      return;
    } catch (err) {
      if (attempt >= ATTEMPTS) {
        console.error(`[spend] could not settle ${items.length} calls: ${(err as Error).message}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}
