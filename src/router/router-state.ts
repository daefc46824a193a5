// RouterState: one Durable Object per model group, holding what must be counted edge-wide for the
// least-busy and usage-based-routing-v2 strategies: requests in flight per deployment and this
// minute's requests/tokens per deployment. `pick` chooses and counts in one round trip; `settle`
// (sent after the call, off the response path) gives the slot back and adds the real token count.
// Groups where exactness is a limit use those (usage-based, or least-busy with max_parallel_requests,
// rpm or tpm); unlimited least-busy groups pick in each isolate and only `report` their in-flight
// counts off the request path, getting the other isolates' counts back (./edge-view.ts).
//
// In-flight counts are leases, and reports expire: the counts of an isolate that crashed mid-call
// cannot leak. State is kept in memory only: an object is evicted only after it has been idle, and
// losing counts then can only under-count (never block a deployment).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { leastBusy } from "./least-busy";
import type { EdgePick, EdgePickRequest, EdgeReport, EdgeSettle, EdgeSnapshot } from "./edge-rpc";
import { MinuteCounters } from "./minute-counters";
import { lowestUsage } from "./usage-based";

const SWEEP_EVERY_MS = 5_000;

export class RouterState extends DurableObject<Env> {
  private readonly counters = new MinuteCounters();
  private readonly inFlight = new Map<string, number>();
  private readonly leases = new Map<string, { id: string; expires: number }>();
  /** The last report of each isolate with calls in flight. */
  private readonly reports = new Map<string, { inFlight: Record<string, number>; expires: number; seq: number }>();
  private nextSweep = 0;

  /** Chooses a deployment among the candidates that are within their limits, and counts the request. Null: none has room. */
  pick(req: EdgePickRequest): EdgePick | null {
    const now = Date.now();
    this.sweep(now);
    const fitting = req.candidates.filter(
      (c) => this.counters.fits(c.id, c, req.inputTokens) && (c.maxParallel === undefined || this.busy(c.id) < c.maxParallel),
    );
    const chosen = req.strategy === "least-busy" ? leastBusy(fitting, (id) => this.busy(id)) : lowestUsage(fitting, this.counters);
    if (!chosen) return null;
    this.counters.addRequest(chosen.id, req.inputTokens);
    const lease = crypto.randomUUID();
    this.leases.set(lease, { id: chosen.id, expires: now + req.leaseMs });
    this.inFlight.set(chosen.id, this.busy(chosen.id) + 1);
    return { id: chosen.id, lease };
  }

  /** The call ended (answered, failed or abandoned). Unknown or expired leases are ignored. */
  settle(s: EdgeSettle): void {
    const lease = this.leases.get(s.lease);
    if (!lease) return;
    this.release(s.lease, lease.id);
    if (s.tokenCorrection) this.counters.addTokens(lease.id, s.tokenCorrection);
  }

  /** An isolate's in-flight counts replace its previous report; returns the sum of the other isolates' counts. */
  report(r: EdgeReport): Record<string, number> {
    const now = Date.now();
    this.sweep(now);
    const last = this.reports.get(r.isolate);
    // Kept (until it expires) even when all zeros, so its seq still rejects an older report arriving late.
    if (!last || r.seq > last.seq) this.reports.set(r.isolate, { inFlight: r.inFlight, expires: now + r.ttlMs, seq: r.seq });
    return this.reported(now, r.isolate);
  }

  snapshot(): EdgeSnapshot {
    const now = Date.now();
    this.sweep(now, true);
    const inFlight = this.reported(now);
    for (const [id, n] of this.inFlight) inFlight[id] = (inFlight[id] ?? 0) + n;
    return { inFlight, minute: this.counters.snapshot() };
  }

  /** The live reports' counts summed per deployment, leaving out `except`'s own. */
  private reported(now: number, except?: string): Record<string, number> {
    const sum: Record<string, number> = {};
    for (const [isolate, report] of this.reports) {
      if (isolate === except || report.expires <= now) continue;
      for (const [id, n] of Object.entries(report.inFlight)) if (n > 0) sum[id] = (sum[id] ?? 0) + n;
    }
    return sum;
  }

  private busy(id: string): number {
    return this.inFlight.get(id) ?? 0;
  }

  private release(leaseId: string, id: string): void {
    this.leases.delete(leaseId);
    const n = this.busy(id) - 1;
    if (n > 0) this.inFlight.set(id, n);
    else this.inFlight.delete(id);
  }

  /** Drops expired leases and reports (a caller that never settled or reported again: crashed isolate, lost request). */
  private sweep(now: number, force = false): void {
    if (!force && now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const [leaseId, lease] of this.leases) if (lease.expires <= now) this.release(leaseId, lease.id);
    for (const [isolate, report] of this.reports) if (report.expires <= now) this.reports.delete(isolate);
  }
}
