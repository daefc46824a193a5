// The cache's background work (stores, index updates): handed to the runtime (waitUntil), and counted
// here so that a test can wait until what one call stored is there for the next.
import { inBackground } from "../lib/background";

const pending = new Set<Promise<unknown>>();

/** Runs `work` after the answer (waitUntil); its failure is logged, never the call's. */
export function inCacheBackground(work: Promise<unknown>): void {
  const quiet = work.catch((err) => console.warn(`[cache] background store failed: ${(err as Error)?.message ?? err}`));
  pending.add(quiet);
  void quiet.finally(() => pending.delete(quiet));
  inBackground(quiet);
}

/** Resolves once every background store started so far has finished. */
export async function cacheWorkDone(): Promise<void> {
  while (pending.size) await Promise.allSettled([...pending]);
}
