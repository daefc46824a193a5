// What isolates say to the ObservabilityHub Durable Object (./hub.ts), and `hubFor`, the one place its
// stub is made. Two instances: "metrics" keeps the whole gateway's metric totals, "alerts" the alerts
// already sent (so each is sent once, whichever isolate sees the event first).
import type { Env } from "../env";
import type { MetricsBatch, Series } from "./metrics/series";

export interface HubRpc {
  /** Adds an isolate's changes to the totals; a batch id seen before is ignored. */
  add(batch: MetricsBatch): Promise<void>;
  /** Adds `batch` (the scraping isolate's own pending changes), then returns every series. */
  scrape(batch?: MetricsBatch): Promise<Series[]>;
  /** True the first time `key` is claimed within `ttlMs` (alerts: once per event, not once per isolate). */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

export type HubName = "metrics" | "alerts";

/** The hub's stub, or undefined when the OBSERVABILITY binding is missing from wrangler.toml. */
export function hubFor(env: Env, name: HubName): HubRpc | undefined {
  const ns = env.OBSERVABILITY as DurableObjectNamespace | undefined;
  // The namespace is untyped in env.ts (the class is imported only by src/index.ts); the class implements HubRpc.
  return ns ? (ns.get(ns.idFromName(name)) as unknown as HubRpc) : undefined;
}
