// least-busy without a Durable Object round trip on the request path: each isolate picks from its
// own in-flight counts plus the other isolates' counts as RouterState last told it, and reports its
// own counts to RouterState in the background when they change (at most every REPORT_EVERY_MS). The
// picture of the other isolates lags by that and a round trip, which is fine for a heuristic; groups with hard limits
// (max_parallel_requests, rpm, tpm) keep the exact pick in RouterState instead.
import type { Env } from "../env";
import { routerStateFor } from "./edge-rpc";
import { logText } from "../lib/safe-text";

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
  /** Counts changed since the last report started. */
  private dirty = false;
  /** A report is scheduled (by the request that scheduled it, which waits for it). */
  private scheduled = false;
  private lastStart = 0;
  private seq = 0;
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
   * This isolate's counts changed: schedule a report, unless one is scheduled already. It starts at least
   * REPORT_EVERY_MS after the previous one and reads the counts when it starts, so the last state (zeros
   * once all calls are over) always goes out. Each report is scheduled and sent within one request (no
   * promise shared across requests: workerd may drop continuations of a request that is over); reports
   * may overlap, and RouterState keeps the one with the highest seq.
   */
  changed(): void {
    this.dirty = true;
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastStart + REPORT_EVERY_MS - Date.now();
    const start = wait > 0 ? new Promise<void>((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
    this.link.defer(
      start.then(() => {
        this.scheduled = false;
        if (this.dirty) return this.send();
      }),
    );
  }

  private async send(): Promise<void> {
    this.dirty = false;
    this.lastStart = Date.now();
    const seq = ++this.seq;
    const inFlight: Record<string, number> = {};
    for (const d of this.deployments) {
      const n = this.local(d.id);
      if (n > 0) inFlight[d.id] = n;
    }
    try {
      const ns = this.link.ns;
      const stub = routerStateFor(ns, (this.id ??= ns.idFromName(this.group)));
      const others = await stub.report({ isolate: this.link.isolate, seq, inFlight, ttlMs: this.link.ttlMs });
      if (seq === this.seq) this.othersCount = others; // a newer report's answer is fresher
      this.warned = false;
    } catch (err) {
      // Route from this isolate's own counts until RouterState answers again.
      this.othersCount = {};
      if (!this.warned) console.warn(`[router] RouterState for '${this.group}' unreachable, least-busy counts per isolate: ${logText(String((err as Error)?.message))}`);
      this.warned = true;
    }
  }
}
