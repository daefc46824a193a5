// Settlements of calls that hold no reservation (master key, open mode) reach their guard in
// batches: one round trip per isolate every BATCH_MS instead of one per call. All master-key traffic
// shares one guard, so this also keeps that Durable Object from becoming a global bottleneck. Calls
// of virtual keys settle one by one (their reservations must be released at once for exact limits).
import type { Env } from "../env";
import { guardFor } from "./guard";
import type { Settlement } from "./types";

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

function deliver(env: Env, token: string, items: Settlement[]): Promise<void> {
  return withSettleRetries(`${items.length} calls`, () => guardFor(env, { kind: "key", token }).settleMany(items));
}
