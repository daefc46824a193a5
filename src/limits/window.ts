// A sliding one-minute window of weighted events: requests (weight 1) for rpm limits, settled tokens
// for tpm limits. Exact (every event is kept until it leaves the window), and small: at most one
// entry per admitted request in the last minute.
export const WINDOW_MS = 60_000;

export class SlidingWindow {
  private times: number[] = [];
  private weights: number[] = [];
  private head = 0;
  private sum = 0;

  /** Total weight of the events in (now - 1 min, now]. */
  total(now: number): number {
    this.prune(now);
    return this.sum;
  }

  add(now: number, weight = 1): void {
    if (weight <= 0) return;
    this.times.push(now);
    this.weights.push(weight);
    this.sum += weight;
  }

  /** Undoes an `add` made at `at` (a reservation refused further along). */
  remove(at: number, weight = 1): void {
    for (let i = this.times.length - 1; i >= this.head; i--) {
      if (this.times[i] !== at || this.weights[i] !== weight) continue;
      this.times.splice(i, 1);
      this.weights.splice(i, 1);
      this.sum -= weight;
      return;
    }
  }

  /** Lowers the weight of the event added at `at` with `weight` by `by` (a lease's slots given back unused). */
  shrink(at: number, weight: number, by: number): void {
    if (by >= weight) return this.remove(at, weight);
    for (let i = this.times.length - 1; i >= this.head; i--) {
      if (this.times[i] !== at || this.weights[i] !== weight) continue;
      this.weights[i] -= by;
      this.sum -= by;
      return;
    }
  }

  /** Seconds until the total drops to `target` or below (at least 1). */
  secondsUntilBelow(now: number, target: number): number {
    this.prune(now);
    let sum = this.sum;
    for (let i = this.head; i < this.times.length; i++) {
      if (sum <= target) break;
      sum -= this.weights[i];
      if (sum <= target) return Math.max(1, Math.ceil((this.times[i] + WINDOW_MS - now) / 1000));
    }
    return 1;
  }

  private prune(now: number): void {
    const cutoff = now - WINDOW_MS;
    while (this.head < this.times.length && this.times[this.head] <= cutoff) {
      this.sum -= this.weights[this.head];
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.weights = this.weights.slice(this.head);
      this.head = 0;
    }
    if (this.head === this.times.length) this.sum = 0; // no float drift once empty
  }
}

/** Windows by name (e.g. per model), made on first use. */
export class WindowMap {
  private readonly windows = new Map<string, SlidingWindow>();
  get(name: string): SlidingWindow {
    let w = this.windows.get(name);
    if (!w) this.windows.set(name, (w = new SlidingWindow()));
    return w;
  }
}
