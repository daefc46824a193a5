// Admin changes to keys, teams and users hold from the next call on, in every isolate: each guard re-reads
// D1; this isolate forgets its cached copy of the keys and gives their leases back; and the change is
// answered only once no lease granted under the old config can admit a call anywhere (leases admit for
// LEASE_TTL_MS at most, so that is at most ~2 s, and only for busy keys holding leases).
import { guardFor } from "../core/guard-rpc";
import type { Env } from "../env";
import { forgetKey } from "../keys/lookup";
import { dropAllLeases, dropLease } from "./lease";
import { batchesDelivered } from "./settle-batch";

/** Clocks of isolates and guards differ a little, and a lease's time starts when it reaches its isolate. */
const LEASE_CLOCK_MARGIN_MS = 250;

/**
 * Tells the guards of these keys / teams / users to re-read D1, and resolves once the change holds for
 * every call that starts after it, wherever it is admitted.
 */
export async function refreshGuards(env: Env, ids: { keys?: string[]; teams?: string[]; users?: string[] }): Promise<void> {
  const keys = ids.keys ?? [];
  // Its next call here reads the new config before anything uses it (the guardrails step runs before admission).
  for (const token of keys) forgetKey(token);
  // This isolate's leases go back first, so the guards do not wait for them.
  await (ids.teams?.length || ids.users?.length ? dropAllLeases(env) : Promise.all(keys.map((token) => dropLease(env, token))));
  await batchesDelivered();
  const waits = await Promise.all([
    ...keys.map((token) => guardFor(env, { kind: "key", token }).refresh({ kind: "key", token })),
    ...(ids.teams ?? []).map((id) => guardFor(env, { kind: "team", id }).refresh({ kind: "team", id })),
    ...(ids.users ?? []).map((id) => guardFor(env, { kind: "user", id }).refresh({ kind: "user", id })),
  ]);
  // Leases granted under the old config, in other isolates: wait until they admit nothing more.
  const wait = Math.max(0, ...waits.map((w) => (typeof w === "number" ? w : 0)));
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + LEASE_CLOCK_MARGIN_MS));
}
