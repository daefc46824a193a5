// Work that must outlive the response (KV writes, Durable Object reports, settlements, refreshes).
import { waitUntil } from "cloudflare:workers";

/** Hands `work` to the runtime (waitUntil) so it finishes after the response; its failure is the work's own business. */
export function inBackground(work: Promise<unknown> | undefined): void {
  if (!work) return;
  const quiet = work.catch(() => {});
  try {
    waitUntil(quiet);
  } catch {
    // Outside a request (unit tests): the promise still runs.
  }
}
