// Per-deployment counts for the current calendar minute, as LiteLLM keeps them (rpm/tpm windows,
// successes and failures for the cooldown rule). Used per isolate by the router and edge-wide by
// the RouterState Durable Object. Rolling over to a new minute drops the old counts at once.

export interface MinuteCount {
  requests: number;
  tokens: number;
  successes: number;
  failures: number;
}

export interface RateLimits {
  rpm?: number;
  tpm?: number;
}

export class MinuteCounters {
  private minute = -1;
  private readonly counts = new Map<string, MinuteCount>();

  constructor(private readonly now: () => number = Date.now) {}

  private roll(): Map<string, MinuteCount> {
    const minute = Math.floor(this.now() / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.counts.clear();
    }
    return this.counts;
  }

  get(id: string): MinuteCount | undefined {
    return this.roll().get(id);
  }

  /** The entry to add to (created on first use this minute). */
  entry(id: string): MinuteCount {
    const counts = this.roll();
    let c = counts.get(id);
    if (!c) counts.set(id, (c = { requests: 0, tokens: 0, successes: 0, failures: 0 }));
    return c;
  }

  /** One more request with `tokens` input tokens would stay within the deployment's rpm and tpm. */
  fits(id: string, limits: RateLimits, tokens: number): boolean {
    if (limits.rpm === undefined && limits.tpm === undefined) return true;
    const c = this.get(id);
    if (!c) return (limits.tpm ?? Infinity) >= tokens;
    return c.requests + 1 <= (limits.rpm ?? Infinity) && c.tokens + tokens <= (limits.tpm ?? Infinity);
  }

  /** Counts a request and its (estimated) tokens. */
  addRequest(id: string, tokens: number): void {
    const c = this.entry(id);
    c.requests += 1;
    c.tokens += tokens;
  }

  /** Corrects the token count once the real usage is known (never below zero). */
  addTokens(id: string, tokens: number): void {
    if (!tokens) return;
    const c = this.entry(id);
    c.tokens = Math.max(0, c.tokens + tokens);
  }

  /** Seconds until the counts reset. */
  secondsToReset(): number {
    return Math.max(1, Math.ceil(60 - (this.now() % 60_000) / 1000));
  }

  snapshot(): Record<string, MinuteCount> {
    return Object.fromEntries(this.roll());
  }
}
