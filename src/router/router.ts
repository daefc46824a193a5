// The per-isolate router: picks a deployment of a model group (cooldowns, pre-call checks, limits,
// priority tiers, then the routing strategy) and learns from each attempt (latency, failure counts,
// cooldowns). One Router per isolate; per-group tables are built on a group's first use.
import { inBackground } from "../lib/background";
import type { Deployment, ModelGroup } from "../core/provider";
import type { ParsedConfig } from "../schema/config";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { estimatePromptTokens, type LlmCall, type LlmRequest } from "../core/call";
import type { AttemptOptions, UpstreamResult } from "./attempt";
import { canServe, flagsDeclaredFalse, requestNeeds, unsupportedByGroup, type Need } from "./capabilities";
import { cheapest } from "./cost-based";
import { CooldownStore, cooldownSeconds, shouldCoolDown } from "./cooldowns";
import { EdgeView, type EdgeLink } from "./edge-view";
import { LatencyTracker } from "./latency";
import { leastBusy } from "./least-busy";
import { MinuteCounters } from "./minute-counters";
import { tiersByOrder } from "./order";
import { backoffMs, coolsDown, retriesAllowed } from "./policy";
import { routerStateFor, type EdgeStrategy } from "./edge-rpc";
import { resolveSettings, type FallbackMap, type RouterSettings } from "./settings";
import { simpleShuffle } from "./simple-shuffle";
import { lowestUsage } from "./usage-based";

/** A picked deployment; `settle` gives its slot back once the call is over (answered, failed or abandoned). */
export interface Selection {
  deployment: Deployment;
  /** `totalTokens`: the real usage, when known, to correct the estimate counted at pick time. */
  settle(totalTokens?: number): void;
}

interface GroupTable {
  tiers: readonly (readonly Deployment[])[];
  /** Any deployment has rpm, tpm or max_parallel_requests. */
  limited: boolean;
  edgeId?: DurableObjectId;
  /** Unlimited least-busy groups: picked here from this view, no round trip to RouterState. */
  view?: EdgeView;
  /** model_info.supports_* flags some deployment says false to (usually none: then requests are not inspected). */
  declaredFalse: ReturnType<typeof flagsDeclaredFalse>;
}

/** The longest a least-busy / usage-based slot (or an isolate's in-flight report) is held when its settle never arrives. */
const LEASE_MAX_MS = 15 * 60_000;

export class Router {
  readonly settings: RouterSettings;
  readonly cooldowns: CooldownStore;
  readonly latency: LatencyTracker;
  /** This isolate's rpm/tpm windows and success/failure counts, per deployment. */
  readonly counters: MinuteCounters;
  private readonly inFlight = new Map<string, number>();
  private readonly tables = new WeakMap<ModelGroup, GroupTable>();
  /** least-busy / usage-based-routing-v2 with the RouterState binding present: counted edge-wide. */
  private readonly edgeStrategy: EdgeStrategy | undefined;
  /** least-busy with RouterState: how this isolate reports its in-flight counts. */
  private readonly edgeLink: EdgeLink | undefined;
  private readonly tokenEstimates = new WeakMap<LlmCall, number>();

  constructor(
    config: ParsedConfig,
    private readonly env: Env,
    readonly now: () => number = Date.now,
  ) {
    this.settings = resolveSettings(config);
    this.cooldowns = new CooldownStore(env.KV, now, undefined, inBackground);
    this.latency = new LatencyTracker({ size: this.settings.latencyListSize, ttlMs: this.settings.latencyTtlMs, buffer: this.settings.latencyBuffer }, now);
    this.counters = new MinuteCounters(now);
    const s = this.settings.strategy;
    const edge = s === "least-busy" || s === "usage-based-routing-v2" ? s : undefined;
    if (edge && !env.ROUTER_STATE) {
      console.warn(`[router] routing_strategy ${s} needs the ROUTER_STATE Durable Object binding (wrangler.toml); counting per isolate instead`);
    }
    this.edgeStrategy = env.ROUTER_STATE ? edge : undefined;
    if (env.ROUTER_STATE && edge === "least-busy") this.edgeLink = { ns: env.ROUTER_STATE, isolate: crypto.randomUUID(), ttlMs: LEASE_MAX_MS, defer: inBackground };
  }

  private table(group: ModelGroup): GroupTable {
    let t = this.tables.get(group);
    if (!t) {
      const limited = group.deployments.some((d) => d.params.rpm !== undefined || d.params.tpm !== undefined || d.params.max_parallel_requests !== undefined);
      // Limits must hold exactly, so limited groups keep the per-call pick in RouterState.
      const view = this.edgeLink && !limited ? new EdgeView(this.edgeLink, group.name, group.deployments, (id) => this.busy(id)) : undefined;
      this.tables.set(group, (t = { tiers: tiersByOrder(group.deployments), limited, view, declaredFalse: flagsDeclaredFalse(group.deployments) }));
    }
    return t;
  }

  /** Estimated input tokens, computed once per call and only when something needs them. */
  private inputTokens(call: LlmCall, table: GroupTable): number {
    if (!table.limited && !this.settings.enablePreCallChecks) return 0;
    let n = this.tokenEstimates.get(call);
    if (n === undefined) this.tokenEstimates.set(call, (n = estimatePromptTokens(call.request)));
    return n;
  }

  private busy(id: string): number {
    return this.inFlight.get(id) ?? 0;
  }

  private usable(d: Deployment, tokens: number, now: number, tried: ReadonlySet<string> | undefined, needs: readonly Need[]): boolean {
    if (tried?.has(d.id) || this.cooldowns.isCooling(d.id, now)) return false;
    if (needs.length && !canServe(d, needs)) return false;
    const p = d.params;
    if (this.settings.enablePreCallChecks && d.info.max_input_tokens !== undefined && tokens > d.info.max_input_tokens) return false;
    if (p.max_parallel_requests !== undefined && this.busy(d.id) >= p.max_parallel_requests) return false;
    // rpm/tpm: counted edge-wide by the Durable Object for the edge strategies, per isolate otherwise.
    return this.edgeStrategy !== undefined || this.counters.fits(d.id, p, tokens);
  }

  /** The first tier with a usable deployment, filtered; the tier array itself when all of it is usable (no allocation). */
  private pool(table: GroupTable, tokens: number, now: number, needs: readonly Need[], tried?: ReadonlySet<string>): readonly Deployment[] | undefined {
    for (const tier of table.tiers) {
      let filtered: Deployment[] | undefined;
      for (let i = 0; i < tier.length; i++) {
        const ok = this.usable(tier[i], tokens, now, tried, needs);
        if (!ok && !filtered) filtered = tier.slice(0, i);
        else if (ok && filtered) filtered.push(tier[i]);
      }
      if (!filtered) return tier;
      if (filtered.length) return filtered;
    }
    return undefined;
  }

  /**
   * Picks a deployment of `group` for the call, preferring ones not `tried` yet in this call.
   * Throws LiteLLM's 429 "No deployments available" when every deployment is cooling down or at
   * its limits, a context-window error when pre-call checks leave none big enough, or a 400 when
   * none supports what the request uses (model_info.supports_*: false).
   */
  async select(call: LlmCall, group: ModelGroup, tried?: ReadonlySet<string>): Promise<Selection> {
    const table = this.table(group);
    const needs = requestNeeds(call.request, table.declaredFalse);
    if (needs.length && !group.deployments.some((d) => canServe(d, needs))) throw unsupportedByGroup(group, needs);
    await this.cooldowns.refresh(group.deployments);
    const now = this.now();
    const tokens = this.inputTokens(call, table);
    const pool = (tried?.size ? this.pool(table, tokens, now, needs, tried) : undefined) ?? this.pool(table, tokens, now, needs);
    if (!pool) throw this.noDeployment(group, tokens, now);

    if (this.edgeStrategy && !table.view) {
      const picked = await this.pickAtEdge(call, group, table, pool, tokens);
      if (picked === null) throw this.noDeployment(group, tokens, now, true);
      if (picked) return picked;
    }
    return this.take(this.pickLocally(pool, call, table), tokens, table);
  }

  private pickLocally(pool: readonly Deployment[], call: LlmCall, table: GroupTable): Deployment {
    switch (this.settings.strategy) {
      case "latency-based-routing":
        return this.latency.pick(pool, call.stream);
      case "cost-based-routing":
        return cheapest(pool) ?? pool[0];
      // Edge-wide through the group's view (unlimited groups); per isolate only when RouterState is missing or unreachable.
      case "least-busy": {
        const view = table.view;
        return leastBusy(pool, view ? (id) => this.busy(id) + view.others(id) : (id) => this.busy(id)) ?? pool[0];
      }
      case "usage-based-routing-v2":
        return lowestUsage(pool, this.counters) ?? pool[0];
      default:
        return simpleShuffle(pool);
    }
  }

  /** Counts the request against this isolate's in-flight count (reported when the group has a view) and rpm/tpm window. */
  private take(d: Deployment, tokens: number, table: GroupTable, onSettle?: (totalTokens?: number) => void): Selection {
    this.inFlight.set(d.id, this.busy(d.id) + 1);
    table.view?.changed();
    const local = !onSettle;
    if (local) this.counters.addRequest(d.id, tokens);
    let settled = false;
    return {
      deployment: d,
      settle: (totalTokens) => {
        if (settled) return;
        settled = true;
        const n = this.busy(d.id) - 1;
        if (n > 0) this.inFlight.set(d.id, n);
        else this.inFlight.delete(d.id);
        table.view?.changed();
        if (local && totalTokens !== undefined) this.counters.addTokens(d.id, totalTokens - tokens);
        onSettle?.(totalTokens);
      },
    };
  }

  /**
   * usage-based-routing-v2, and least-busy groups with limits: one round trip to the group's
   * RouterState object, which picks and counts exactly. Null: no deployment has room (429).
   * Undefined: the object could not be reached; the caller picks locally rather than fail the request.
   */
  private async pickAtEdge(call: LlmCall, group: ModelGroup, table: GroupTable, pool: readonly Deployment[], tokens: number): Promise<Selection | null | undefined> {
    const ns = this.env.ROUTER_STATE!;
    const stub = routerStateFor(ns, (table.edgeId ??= ns.idFromName(group.name)));
    const candidates = pool.map((d) => ({ id: d.id, rpm: d.params.rpm, tpm: d.params.tpm, maxParallel: d.params.max_parallel_requests }));
    const timeoutMs = (call.request.body.timeout ?? this.settings.timeoutS) * 1000;
    const leaseMs = call.stream ? LEASE_MAX_MS : Math.min(timeoutMs + 30_000, LEASE_MAX_MS);
    let picked;
    try {
      picked = await stub.pick({ strategy: this.edgeStrategy!, candidates, inputTokens: tokens, leaseMs });
    } catch (err) {
      console.warn(`[router] RouterState for '${group.name}' unreachable, picking per isolate: ${(err as Error).message}`);
      return undefined;
    }
    if (!picked) return null;
    const d = pool.find((x) => x.id === picked.id) ?? pool[0];
    const lease = picked.lease;
    return this.take(d, tokens, table, (totalTokens) =>
      inBackground(stub.settle({ lease, tokenCorrection: totalTokens === undefined ? 0 : totalTokens - tokens })),
    );
  }

  private noDeployment(group: ModelGroup, tokens: number, now: number, atEdgeLimits = false): GatewayError {
    const ids = group.deployments.map((d) => d.id);
    const cooling = ids.filter((id) => this.cooldowns.isCooling(id, now));
    const { enablePreCallChecks } = this.settings;
    if (enablePreCallChecks && !cooling.length && group.deployments.every((d) => d.info.max_input_tokens !== undefined && tokens > d.info.max_input_tokens)) {
      const largest = Math.max(...group.deployments.map((d) => d.info.max_input_tokens ?? 0));
      return new GatewayError(
        400,
        "context_window",
        `Context window exceeded for model=${group.name}: the request has about ${tokens} input tokens, more than any deployment's max_input_tokens (largest: ${largest}).`,
        { param: "messages", code: "context_length_exceeded" },
      );
    }
    const limited = atEdgeLimits || cooling.length < ids.length;
    const wait = Math.max(1, Math.min(cooling.length ? this.cooldowns.secondsUntilFree(cooling) || Infinity : Infinity, limited ? this.counters.secondsToReset() : Infinity));
    return new GatewayError(
      429,
      "rate_limit",
      `No deployments available for selected model, Try again in ${wait} seconds. Passed model=${group.name}. pre-call-checks=${enablePreCallChecks}, cooldown_list=${JSON.stringify(cooling)}`,
      { retryAfter: wait },
    );
  }

  /** Per-attempt timeouts: the request's timeout, else the deployment's, else the router's. */
  attemptOptions(call: LlmCall, d: Deployment, body?: LlmRequest["body"]): AttemptOptions {
    const req = call.request.body;
    const timeoutS = req.timeout ?? d.params.timeout ?? this.settings.timeoutS;
    const streamTimeoutS = d.params.stream_timeout ?? this.settings.streamTimeoutS ?? timeoutS;
    return { timeoutMs: timeoutS * 1000, streamTimeoutMs: streamTimeoutS * 1000, dropParams: req.drop_params ?? this.settings.dropParams, body };
  }

  /** An attempt answered: latency, success count, and the slot given back (for a stream, when it ends). */
  succeeded(call: LlmCall, selection: Selection, ms: number, result: UpstreamResult): void {
    const id = selection.deployment.id;
    this.counters.entry(id).successes++;
    const trackLatency = this.settings.strategy === "latency-based-routing";
    if (result.kind === "json") {
      if (trackLatency) this.latency.record(id, ms, false, result.usage?.completion_tokens);
      selection.settle(result.usage?.total_tokens);
    } else {
      if (trackLatency) this.latency.record(id, ms, true);
      inBackground(call.done.then((outcome) => selection.settle(outcome.usage?.total_tokens)));
    }
  }

  /** An attempt failed: failure count, latency penalty, and a cooldown when LiteLLM's rule says so. */
  failed(group: ModelGroup, d: Deployment, error: GatewayError): void {
    if (error.kind === "timeout" && this.settings.strategy === "latency-based-routing") this.latency.penalize(d.id);
    if (!coolsDown(error)) return;
    const counts = this.counters.entry(d.id);
    counts.failures++;
    if (this.settings.disableCooldowns || !shouldCoolDown(error, group.deployments.length, counts, this.settings)) return;
    const seconds = cooldownSeconds(d.params.cooldown_time, error.retryAfter, this.settings.cooldownTimeS);
    if (seconds > 0) inBackground(this.cooldowns.start(d.id, seconds, error.status, `${error.status} ${error.kind}`));
  }

  /** A /health probe answered: the deployment is usable again. */
  async healthy(d: Deployment): Promise<void> {
    await this.cooldowns.refresh([d]);
    inBackground(this.cooldowns.clear(d.id));
  }

  /**
   * How long to wait before retrying in the same group, or undefined for "do not retry" (LiteLLM's
   * should_retry_this_error and _time_to_sleep_before_retry): no retry past the error's retry
   * budget, for errors a matching fallback list handles, for 404s, for a 401 with no other
   * deployment, or when no deployment is left; no wait when another deployment is healthy.
   */
  retryDelay(group: ModelGroup, failed: Deployment, error: GatewayError, retriesSoFar: number, numRetries: number): number | undefined {
    if (retriesSoFar >= retriesAllowed(error, numRetries, this.settings.retryPolicy)) return undefined;
    if (error.kind === "context_window" && fallbackList(this.settings.contextWindowFallbacks, group.name)) return undefined;
    if (error.kind === "content_policy" && fallbackList(this.settings.contentPolicyFallbacks, group.name)) return undefined;
    if (error.kind === "not_found") return undefined;
    if (error.kind === "auth" && group.deployments.length <= 1) return undefined;
    const now = this.now();
    let others = 0;
    let self = 0;
    for (const d of group.deployments) {
      if (this.cooldowns.isCooling(d.id, now)) continue;
      if (d === failed) self = 1;
      else others++;
    }
    if (others + self === 0) return undefined;
    // The gateway's own failure (a missing secret, a bad api_base) repeats on the same deployment.
    if (!error.upstream && others === 0) return undefined;
    return others > 0 ? 0 : backoffMs(error.retryAfter, retriesSoFar, this.settings.retryAfterS);
  }
}

/** The fallback list configured for a group: its own entry, else the generic "*" one. */
export function fallbackList(map: FallbackMap, group: string): readonly string[] | undefined {
  return map.get(group) ?? map.get("*");
}
