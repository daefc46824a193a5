// latency-based-routing: each deployment's recent latencies, kept per isolate (no round trip on
// the request path). Non-streaming calls record milliseconds per completion token (total time when
// the upstream reports no usage); streaming calls record the time to the first chunk. A timeout
// counts as 1000 s, as in LiteLLM. Untried deployments count as fastest, so each gets tried.
import type { Deployment } from "../core/provider";

const TIMEOUT_PENALTY_MS = 1_000_000;

class Samples {
  private readonly values: number[] = [];
  private readonly times: number[] = [];
  private next = 0;

  constructor(private readonly size: number) {}

  add(value: number, at: number): void {
    if (this.values.length < this.size) {
      this.values.push(value);
      this.times.push(at);
    } else {
      this.values[this.next] = value;
      this.times[this.next] = at;
      this.next = (this.next + 1) % this.size;
    }
  }

  /** Mean of the samples newer than `since`, or undefined when there are none. */
  mean(since: number): number | undefined {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < this.values.length; i++) {
      if (this.times[i] < since) continue;
      sum += this.values[i];
      n++;
    }
    return n ? sum / n : undefined;
  }
}

export interface LatencyOptions {
  /** routing_strategy_args.max_latency_list_size */
  size: number;
  /** routing_strategy_args.ttl, ms */
  ttlMs: number;
  /** routing_strategy_args.lowest_latency_buffer: pick at random among those within (1 + buffer) x the fastest. */
  buffer: number;
}

export class LatencyTracker {
  private readonly total = new Map<string, Samples>();
  private readonly firstChunk = new Map<string, Samples>();

  constructor(
    private readonly options: LatencyOptions,
    private readonly now: () => number = Date.now,
  ) {}

  private samples(map: Map<string, Samples>, id: string): Samples {
    let s = map.get(id);
    if (!s) map.set(id, (s = new Samples(this.options.size)));
    return s;
  }

  /** A successful call: `ms` until the answer (non-streaming) or until the first chunk (streaming). */
  record(id: string, ms: number, stream: boolean, completionTokens?: number): void {
    if (stream) this.samples(this.firstChunk, id).add(ms, this.now());
    else this.samples(this.total, id).add(completionTokens ? ms / completionTokens : ms, this.now());
  }

  /** A timed-out call. */
  penalize(id: string): void {
    const at = this.now();
    this.samples(this.total, id).add(TIMEOUT_PENALTY_MS, at);
    this.samples(this.firstChunk, id).add(TIMEOUT_PENALTY_MS, at);
  }

  /** Recent mean latency; 0 for a deployment with no samples yet. Streams use time to first chunk when known. */
  latency(id: string, stream: boolean): number {
    const since = this.now() - this.options.ttlMs;
    const ttft = stream ? this.firstChunk.get(id)?.mean(since) : undefined;
    return ttft ?? this.total.get(id)?.mean(since) ?? 0;
  }

  pick(candidates: readonly Deployment[], stream: boolean, random = Math.random): Deployment {
    if (candidates.length === 1) return candidates[0];
    let fastest = Infinity;
    for (const d of candidates) fastest = Math.min(fastest, this.latency(d.id, stream));
    const limit = fastest + fastest * this.options.buffer;
    let chosen = candidates[0];
    let seen = 0;
    for (const d of candidates) {
      if (this.latency(d.id, stream) <= limit && random() * ++seen < 1) chosen = d;
    }
    return chosen;
  }
}
