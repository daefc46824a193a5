// Cooldowns: a deployment that is rate limited or keeps failing is skipped for a while.
// The isolate that saw the failure knows at once (its own map). Other isolates and colos learn it
// from KV, which is written only when a deployment enters a cooldown (KV takes one write per second
// per key, and up to a minute to show a write everywhere), and read at most every couple of
// seconds per model group (one bulk read). Only an isolate's first request for a group waits for
// that read; later reads run in the background and update the map when they land.
import type { AllowedFailsPolicy } from "../schema/config";
import type { GatewayError } from "../errors";
import type { MinuteCount } from "./minute-counters";
import { allowedFailsFor, transient } from "./policy";
import { logText } from "../lib/safe-text";

export interface Cooldown {
  /** Epoch ms when the deployment may be used again. */
  until: number;
  /** HTTP status of the failure that started it. */
  status: number;
  reason: string;
}

const KV_PREFIX = "router:cooldown:";
/** KV's smallest expirationTtl; the `until` inside the value is what counts. */
const KV_MIN_TTL_S = 60;
const KV_BULK_MAX = 100;
const REFRESH_MS = 2_000;
const KV_WRITE_GAP_MS = 1_000;

export class CooldownStore {
  private readonly local = new Map<string, Cooldown>();
  private readonly refreshedAt = new WeakMap<object, number>();
  /** Last KV write per deployment id. */
  private readonly writtenAt = new Map<string, number>();

  constructor(
    private readonly kv: KVNamespace | undefined,
    readonly now: () => number = Date.now,
    private readonly refreshMs = REFRESH_MS,
    /** Runs a refresh without making the request wait (waitUntil); absent: refreshes are awaited. */
    private readonly background?: (work: Promise<void>) => void,
  ) {}

  get(id: string, now = this.now()): Cooldown | undefined {
    const c = this.local.get(id);
    if (!c) return undefined;
    if (c.until > now) return c;
    this.local.delete(id);
    return undefined;
  }

  isCooling(id: string, now = this.now()): boolean {
    return this.get(id, now) !== undefined;
  }

  /**
   * Learns the cooldowns other isolates wrote for these deployments. Reads KV at most every
   * `refreshMs` per list; the first read is awaited, later ones go to `background` when given.
   */
  async refresh(deployments: readonly { id: string }[]): Promise<void> {
    if (!this.kv) return;
    const now = this.now();
    const last = this.refreshedAt.get(deployments);
    if (last !== undefined && now - last < this.refreshMs) return;
    this.refreshedAt.set(deployments, now);
    const reading = this.read(deployments, now);
    if (last !== undefined && this.background) this.background(reading);
    else await reading;
  }

  private async read(deployments: readonly { id: string }[], now: number): Promise<void> {
    try {
      for (let i = 0; i < deployments.length; i += KV_BULK_MAX) {
        const keys = deployments.slice(i, i + KV_BULK_MAX).map((d) => KV_PREFIX + d.id);
        const values = await this.kv!.get<Cooldown>(keys, "json");
        for (const [key, value] of values) {
          if (!value || !(value.until > now)) continue;
          const id = key.slice(KV_PREFIX.length);
          const mine = this.local.get(id);
          if (!mine || mine.until < value.until) this.local.set(id, value);
        }
      }
    } catch (err) {
      // KV unreachable: route on this isolate's own view rather than fail the request.
      console.warn(`[router] could not read cooldowns from KV: ${logText(String((err as Error)?.message))}`);
    }
  }

  /**
   * Starts (or extends) a cooldown. Returns the KV write, for the caller to hand to waitUntil, when
   * the state changed and this key was not written in the last second (KV's per-key write limit).
   */
  start(id: string, seconds: number, status: number, reason: string): Promise<void> | undefined {
    const now = this.now();
    const until = now + seconds * 1000;
    const current = this.get(id, now);
    if (current && current.until >= until) return undefined;
    const cooldown: Cooldown = { until, status, reason };
    this.local.set(id, cooldown);
    if (!this.kv || now - (this.writtenAt.get(id) ?? -Infinity) < KV_WRITE_GAP_MS) return undefined;
    this.writtenAt.set(id, now);
    return this.kv
      .put(KV_PREFIX + id, JSON.stringify(cooldown), { expirationTtl: Math.max(KV_MIN_TTL_S, Math.ceil(seconds) + 1) })
      .catch((err) => console.warn(`[router] could not write a cooldown to KV: ${logText(String((err as Error)?.message))}`));
  }

  /** Ends a cooldown (a health probe succeeded). Returns the KV delete when there was one. */
  clear(id: string): Promise<void> | undefined {
    if (!this.local.delete(id) || !this.kv) return undefined;
    return this.kv.delete(KV_PREFIX + id).catch((err) => console.warn(`[router] could not clear a cooldown in KV: ${logText(String((err as Error)?.message))}`));
  }

  /** Seconds until the first of these deployments is usable again (0 if one already is). */
  secondsUntilFree(ids: readonly string[]): number {
    const now = this.now();
    let first = Infinity;
    for (const id of ids) first = Math.min(first, this.get(id, now)?.until ?? now);
    return first === Infinity ? 0 : Math.max(0, Math.ceil((first - now) / 1000));
  }
}

export interface CooldownRule {
  allowedFails?: number;
  allowedFailsPolicy?: AllowedFailsPolicy;
}

/** LiteLLM's thresholds (constants.py): a lone deployment cools only when all of 1000+ calls this minute failed. */
const SINGLE_DEPLOYMENT_MIN_CALLS = 1000;
const FAILURE_RATE_LIMIT = 0.5;
const FAILURE_RATE_MIN_CALLS = 5;

/**
 * LiteLLM's `_should_cooldown_deployment`, for an error that counts (see `coolsDown`) and with
 * this minute's counts already including it:
 * - allowed_fails / allowed_fails_policy set: cool once this minute's failures exceed the allowance;
 * - else: a 429 cools at once when the group has other deployments; more than half of at least 5
 *   calls this minute failing cools (a lone deployment only when all of 1000+ calls failed); a
 *   401/404 (a broken deployment, not a busy one) cools at once when the group has others.
 *   LiteLLM also cools a lone deployment on 401/404, after which its callers only see 429 "No
 *   deployments available" instead of the real error; here a lone deployment keeps answering it.
 */
export function shouldCoolDown(error: GatewayError, groupSize: number, counts: MinuteCount, rule: CooldownRule): boolean {
  if (rule.allowedFails !== undefined || rule.allowedFailsPolicy !== undefined) {
    const allowed = allowedFailsFor(error, rule.allowedFailsPolicy) ?? rule.allowedFails ?? 3;
    return counts.failures > allowed;
  }
  const single = groupSize <= 1;
  if (error.status === 429 && !single) return true;
  const total = counts.successes + counts.failures;
  const rate = total ? counts.failures / total : 0;
  if (rate === 1 && total >= SINGLE_DEPLOYMENT_MIN_CALLS) return true;
  if (single) return false;
  if (rate > FAILURE_RATE_LIMIT && total >= FAILURE_RATE_MIN_CALLS) return true;
  return !transient(error.status);
}

/** How long: the deployment's cooldown_time, else the upstream's retry-after, else the router's (default 5 s). */
export function cooldownSeconds(deploymentValue: number | undefined, retryAfter: number | undefined, routerValue: number): number {
  return deploymentValue ?? (retryAfter !== undefined && retryAfter > 0 ? retryAfter : routerValue);
}
