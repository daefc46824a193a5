// Admin changes to keys, teams and users reach their guards at once: each re-reads D1, and this
// isolate stops admitting their calls from leases (other isolates' leases run out within LEASE_TTL_MS)
// and forgets its copy of a changed key.
import { guardFor } from "../core/guard-rpc";
import type { Env } from "../env";
import { forgetKey } from "../keys/lookup";
import { dropAllLeases, dropLease } from "./lease";

/**
 * Tells the guards of these keys / teams / users to re-read D1 (changes apply on their next call), and
 * stops this isolate admitting their calls from leases (other isolates' leases run out within LEASE_TTL_MS).
 */
export async function refreshGuards(env: Env, ids: { keys?: string[]; teams?: string[]; users?: string[] }): Promise<void> {
  if (ids.teams?.length || ids.users?.length) dropAllLeases(env);
  for (const token of ids.keys ?? []) {
    dropLease(env, token);
    // Its next call here reads the new config before anything uses it (the guardrails step runs before admission).
    forgetKey(token);
  }
  await Promise.all([
    ...(ids.keys ?? []).map((token) => guardFor(env, { kind: "key", token }).refresh({ kind: "key", token })),
    ...(ids.teams ?? []).map((id) => guardFor(env, { kind: "team", id }).refresh({ kind: "team", id })),
    ...(ids.users ?? []).map((id) => guardFor(env, { kind: "user", id }).refresh({ kind: "user", id })),
  ]);
}

