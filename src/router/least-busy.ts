// least-busy: the deployment with the fewest requests in flight across the whole edge. The counts
// live in the model group's RouterState Durable Object (./router-state.ts), which picks and counts
// in one step, so isolates asking at the same moment never all pile onto the same deployment.
import { lowest } from "./lowest";

export function leastBusy<T extends { id: string }>(candidates: readonly T[], inFlight: (id: string) => number, random = Math.random): T | undefined {
  return lowest(candidates, (c) => inFlight(c.id), random);
}
