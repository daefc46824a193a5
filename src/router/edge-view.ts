// least-busy without a Durable Object round trip on the request path: each isolate picks from its
// own in-flight counts plus the other isolates' counts as RouterState last told it, and reports its
// own counts to RouterState in the background when they change (at most every REPORT_EVERY_MS). The
// picture of the other isolates lags by that and a round trip, which is fine for a heuristic; groups with hard limits
// (max_parallel_requests, rpm, tpm) keep the exact pick in RouterState instead.
import type { Env } from "../env";

/** What every group's view of one isolate shares. */
export interface EdgeLink {
  ns: NonNullable<Env["ROUTER_STATE"]>;
  /** This isolate's id in RouterState (random, once per isolate). */
  isolate: string;
  /** How long RouterState keeps a report if no newer one comes (the isolate may have died mid-call). */
  ttlMs: number;
  /** Hands a report to the runtime so it outlives the request (waitUntil). */
  defer: (work: Promise<unknown>) => void;
}

/** Reports of one group leave an isolate at most this often: a busy isolate changes its counts on every call. */
const REPORT_EVERY_MS = 100;

/** One model group's view: the other isolates' in-flight counts, and this isolate's reports. */
export class EdgeView {
  private othersCount: Readonly<Record<string, number>> = {};
  private id: DurableObjectId | undefined;
  /** Reports run one after another, in order (so RouterState never keeps an older one). */
  private chain: Promise<void> = Promise.resolve();
  /** A report is queued and not started yet: it will read the counts when it starts. */
  private queued = false;
  private lastStart = 0;
  private warned = false;

  constructor(
    private readonly link: EdgeLink,
    private readonly group: string,
    private readonly deployments: readonly { id: string }[],
    private readonly local: (id: string) => number,
  ) {}

  /** The other isolates' calls in flight on a deployment, as last reported. */
  others(id: string): number {
    return this.othersCount[id] ?? 0;
  }

  /**
   * This isolate's counts changed: queue a report, unless one is queued already. It starts after the
   * one before it and at least REPORT_EVERY_MS after it, and reads the counts when it starts, so the
   * last state (zeros once all calls are over) always arrives.
   */
  changed(): void {
    if (this.queued) return;
    this.queued = true;
    // Deferred by the request that queued it, which stays alive until it is sent: workerd continues a
    // promise resolved from another request's context in the context that created it.
    this.chain = this.chain.then(async () => {
      const wait = this.lastStart + REPORT_EVERY_MS - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.queued = false;
      this.lastStart = Date.now();
      await this.send();
    });
    this.link.defer(this.chain);
  }

  private async send(): Promise<void> {
    const inFlight: Record<string, number> = {};
    for (const d of this.deployments) {
      const n = this.local(d.id);
      if (n > 0) inFlight[d.id] = n;
    }
    try {
      const ns = this.link.ns;
      const stub = ns.get((this.id ??= ns.idFromName(this.group)));
      this.othersCount = await stub.report({ isolate: this.link.isolate, inFlight, ttlMs: this.link.ttlMs });
      this.warned = false;
    } catch (err) {
      // Route from this isolate's own counts until RouterState answers again.
      this.othersCount = {};
      if (!this.warned) console.warn(`[router] RouterState for '${this.group}' unreachable, least-busy counts per isolate: ${(err as Error).message}`);
      this.warned = true;
    }
  }
}
