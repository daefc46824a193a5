// least-busy: the deployment with the fewest requests in flight across the whole edge. Each isolate
// adds the other isolates' counts, as the group's RouterState Durable Object last reported them
// (./edge-view.ts), to its own; groups with limits are picked and counted in RouterState itself
// (./router-state.ts), in one step, so the limits hold exactly.
import { lowest } from "./lowest";

export function leastBusy<T extends { id: string }>(candidates: readonly T[], inFlight: (id: string) => number, random = Math.random): T | undefined {
  return lowest(candidates, (c) => inFlight(c.id), random);
}
