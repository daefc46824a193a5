// usage-based-routing-v2: among the deployments with room left in this minute's rpm/tpm, the one
// that has used the fewest tokens this minute (LiteLLM's v2). The windows are edge-wide, in the
// model group's RouterState Durable Object (./router-state.ts); the caller has already dropped the
// deployments that would go over their limits. None left is a 429 (./select.ts).
import { lowest } from "./lowest";
import type { MinuteCounters } from "./minute-counters";

export function lowestUsage<T extends { id: string }>(candidates: readonly T[], counters: MinuteCounters, random = Math.random): T | undefined {
  return lowest(candidates, (c) => counters.get(c.id)?.tokens ?? 0, random);
}
