// This isolate's metric changes on their way to the hub: calls add to one set of deltas; the request
// that finds no delivery scheduled schedules one FLUSH_MS later in its own waitUntil (only that request
// waits, as src/limits/settle-batch.ts does), so the hub gets at most one request per isolate per
// FLUSH_MS however busy the isolate, and none per call. A scrape landing here takes the pending deltas
// along (the scraping isolate's own calls show at once).
//
// A batch the hub did not confirm after ATTEMPTS is kept and sent again (same id: never counted twice)
// with the next one; at most MAX_UNSENT are kept, the oldest dropped with a log line. What can be lost:
// the deltas of the last FLUSH_MS of an isolate that is killed before its delivery runs, and batches
// dropped while the hub stays unreachable.
import { GatewayError } from "../../errors";
import { inBackground } from "../../lib/background";
import type { HubRpc } from "../hub-rpc";
import { SeriesDeltas, type MetricsBatch, type Series } from "./series";

const ATTEMPTS = 3;
const MAX_UNSENT = 20;

export class MetricsShipper {
  readonly deltas = new SeriesDeltas();
  private unsent: MetricsBatch[] = [];
  private scheduled = false;

  constructor(
    private readonly hub: () => HubRpc | undefined,
    private readonly flushMs: number,
  ) {}

  /** After a call added to the deltas: schedules a delivery unless one is. */
  changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    inBackground(new Promise((resolve) => setTimeout(resolve, this.flushMs)).then(() => this.deliver()));
  }

  /** Sends what is pending (and what failed before) now. */
  async deliver(): Promise<void> {
    this.scheduled = false;
    const hub = this.hub();
    if (!hub) return;
    this.pack();
    const batches = this.unsent;
    this.unsent = [];
    for (const batch of batches) {
      if (!(await sendWithRetries(() => hub.add(batch)))) this.keep(batch);
    }
  }

  /** The whole gateway's series, this isolate's pending changes included. */
  async scrape(): Promise<Series[]> {
    const hub = this.hub();
    if (!hub) throw new GatewayError(500, "server", "the metrics hub cannot be reached");
    this.pack();
    const batches = this.unsent.splice(0);
    try {
      // Earlier unconfirmed batches first; the newest rides along with the scrape.
      while (batches.length > 1) {
        await hub.add(batches[0]);
        batches.shift();
      }
      return await hub.scrape(batches[0]);
    } catch (err) {
      for (const batch of batches.reverse()) this.keep(batch);
      throw err;
    }
  }

  /** Turns the pending deltas into a batch waiting to be sent. */
  private pack(): void {
    if (this.deltas.size) this.unsent.push({ id: crypto.randomUUID(), series: this.deltas.take() });
  }

  private keep(batch: MetricsBatch): void {
    this.unsent.unshift(batch);
    if (this.unsent.length > MAX_UNSENT) {
      const dropped = this.unsent.splice(0, this.unsent.length - MAX_UNSENT);
      console.error(`[metrics] hub unreachable: dropped ${dropped.length} batches of metric changes (${dropped.reduce((n, b) => n + b.series.length, 0)} series)`);
    }
    this.changed();
  }
}

async function sendWithRetries(send: () => Promise<void>): Promise<boolean> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      await send();
      return true;
    } catch (err) {
      if (attempt === ATTEMPTS) {
        console.warn(`[metrics] could not deliver metric changes to the hub: ${(err as Error).message}`);
        return false;
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
  return false;
}
