// Shutting down without losing spend (`npm start` on SIGTERM, scripts/start.ts): the isolate stops
// admitting calls, lets the calls it admitted end, and delivers their settlements and its leases'
// returns to the guards before the process stops. Every LLM call is tracked from before its admission
// until its settlement is delivered, so none falls between the cracks.
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { dropAllLeases } from "./lease";
import { batchesDelivered } from "./settle-batch";

let tracked = 0;
let idle: (() => void)[] = [];
let draining = false;

/** Counts a call until the function it returns is called (once its settlement is delivered, or it was refused). */
export function trackCall(): () => void {
  if (draining) throw new GatewayError(503, "unavailable", "The gateway is shutting down; retry in a moment.", { retryAfter: 2 });
  tracked++;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (--tracked === 0) for (const resolve of idle.splice(0)) resolve();
  };
}

/**
 * Stops admitting calls (new ones get 503 with retry-after), gives this isolate's leases back, and
 * resolves once every tracked call has ended and its settlement was delivered, or after `timeoutMs`.
 * Answers how many calls were still running then (0: nothing left to lose).
 */
export async function drain(env: Env, timeoutMs: number): Promise<number> {
  draining = true;
  dropAllLeases(env);
  if (tracked) await Promise.race([new Promise<void>((resolve) => idle.push(resolve)), new Promise((r) => setTimeout(r, timeoutMs))]);
  await batchesDelivered();
  return tracked;
}
