// Metric series as isolates send them to the hub and the hub stores them. A series is a family name,
// its label values (in the family's label order) and numbers:
//   counter   [value]
//   histogram [sum, count, one count per bucket (not cumulative), the last for +Inf]
//   gauge     [value, at]  (at: epoch ms of the reading; the latest wins)
// Isolates send deltas (counters and histograms add up); the hub keeps the totals.
import { bucketsOf, type Family } from "./families";

export type Series = [family: string, labels: string[], values: number[]];

export interface MetricsBatch {
  /** The same on every delivery attempt: the hub applies a batch once. */
  id: string;
  series: Series[];
}

/** Label values: LiteLLM renders a missing value as Python's `None`. */
export const label = (value: string | number | null | undefined): string => (value === null || value === undefined || value === "" ? "None" : String(value));

/** This isolate's changes since its last delivery, one entry per series. */
export class SeriesDeltas {
  private readonly pending = new Map<string, Series>();

  get size(): number {
    return this.pending.size;
  }

  counter(f: Family, labels: string[], by = 1): void {
    if (by > 0) this.entry(f, labels, 1)[0] += by;
  }

  observe(f: Family, labels: string[], value: number): void {
    const buckets = bucketsOf(f);
    const v = this.entry(f, labels, buckets.length + 3);
    v[0] += value;
    v[1]++;
    let i = 0;
    while (i < buckets.length && value > buckets[i]) i++;
    v[2 + i]++;
  }

  gauge(f: Family, labels: string[], value: number, at: number): void {
    const v = this.entry(f, labels, 2);
    v[0] = value;
    v[1] = at;
  }

  /** Everything pending, leaving none. */
  take(): Series[] {
    const out = [...this.pending.values()];
    this.pending.clear();
    return out;
  }

  private entry(f: Family, labels: string[], width: number): number[] {
    const key = `${f.name}\u0000${labels.join("\u0000")}`;
    let s = this.pending.get(key);
    if (!s) this.pending.set(key, (s = [f.name, labels, new Array<number>(width).fill(0)]));
    return s[2];
  }
}

/** Adds a delta into a total (same family and labels); gauges keep the latest reading. */
export function mergeValues(type: Family["type"], total: number[], delta: number[]): void {
  if (type === "gauge") {
    if (delta[1] >= total[1]) {
      total[0] = delta[0];
      total[1] = delta[1];
    }
    return;
  }
  for (let i = 0; i < delta.length; i++) total[i] = (total[i] ?? 0) + delta[i];
}
