// KeyGuard: the one place that admits or refuses calls for a key, a team or a user.
//
// One instance per key (`key:<token>`), per team (`team:<id>`) and per user (`user:<id>`). A Durable
// Object handles one event at a time, and every check-then-reserve below runs without awaiting in
// between, so limits hold exactly under any concurrency:
//   - before a call, `admit` checks blocked/expired, the key's models, budgets, max_parallel_requests,
//     rpm and tpm, and holds the most the call can cost (or what is left of a budget: checks.ts
//     budgetHold); a key in a team (or owned by a user) with limits of its own also reserves in that
//     team's / user's guard (and, with litellm_settings.max_budget, isolates reserve in the proxy's);
//   - after it, `settle` replaces the reservation with the real cost and queues the spend log row;
//   - for a busy key far from its limits, `admit` / `renewLease` also grant the asking isolate a lease:
//     a share of what is left that the isolate admits calls from by itself (src/limits/lease.ts).
// Spend, reservations and the outbox live in the object's SQLite storage, so they survive restarts.
// The alarm resets budgets on time, charges reservations whose calls never settled (an isolate died) at
// what they hold, and flushes the outbox and the totals to D1 in batches, retrying with backoff while D1 fails.
//
// This class is the RPC surface (GuardRpc) and the alarm; the work is done by the files beside it.
// Those that hold state are small classes owning it, made once in the constructor: storage.ts (schema,
// migrations, meta), subject.ts (identity and config), budgets.ts (spend and budget periods),
// ledger.ts (reservations and rate windows), outbox.ts (log rows, forwards, flush), policy.ts (the
// config's budget settings, sent by isolates). Those that only act
// are functions over them: checks.ts (pure), leases.ts (over the ledger), settlement.ts (over a
// SettleContext, the parts plus the clock and the alarm). The hot path awaits only what it did before:
// the config load (at once when cached) and, for team/user limits, their guards.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../env";
import type { AdmitAnswer, AdmitRequest, GuardIdentity, GuardRpc, GuardSnapshot, KeyConfig, LeaseGrant, LeaseRequest, LeaseReturn, LookupAnswer, RateHeaders, Refusal, ScopeAdmitRequest, ScopeConfig, ScopeIdentity, ScopeSettlement, Settlement } from "../../core/guard-rpc";
import { Budgets, type SpendState } from "./budgets";
import { checkKey, checkScope, keyDenied, modelDenied, rateHeaders } from "./checks";
import { Ledger, releaseOuter, reserveOuter } from "./ledger";
import { grantLease, leasesEnd } from "./leases";
import { Outbox } from "./outbox";
import { Policy } from "./policy";
import * as settlement from "./settlement";
import { GuardStorage } from "./storage";
import { Subject } from "./subject";

/** The team's and user's guards a call of the key also reserves in or settles with. */
function scopes(teamId: string | null, userId: string | null): ScopeIdentity[] {
  const out: ScopeIdentity[] = [];
  if (teamId) out.push({ kind: "team", id: teamId });
  if (userId) out.push({ kind: "user", id: userId });
  return out;
}

export class KeyGuard extends DurableObject<Env> implements GuardRpc {
  private readonly storage: GuardStorage;
  private readonly budgets: Budgets;
  private readonly ledger: Ledger;
  private readonly subject: Subject;
  private readonly outbox: Outbox;
  private readonly policy: Policy;
  private readonly parts: settlement.SettleContext;
  /** Test clock: how far this guard's "now" is ahead of the real one (meta "clock"). */
  private clockOffset: number;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.storage = new GuardStorage(ctx.storage.sql);
    this.clockOffset = this.storage.meta<number>("clock") ?? 0;
    this.budgets = new Budgets(this.storage);
    this.policy = new Policy(this.storage);
    this.ledger = new Ledger(this.storage);
    this.subject = new Subject(ctx, env, this.storage, this.budgets, () => this.now(), () => this.roll(this.now()));
    this.outbox = new Outbox(this.storage, env, this.budgets, this.subject);
    this.ledger.restore(this.now());
    const { subject, ledger, budgets, outbox, policy } = this;
    this.parts = { env, subject, ledger, budgets, outbox, policy, now: () => this.now(), roll: (now) => this.roll(now), scheduleAlarm: () => this.scheduleAlarm() };
  }

  // ---------------------------------------------------------------- RPC: keys

  async lookup(token: string): Promise<LookupAnswer> {
    await this.subject.ready({ kind: "key", token });
    return keyDenied(this.subject.key, this.now()) ?? { ok: true, config: this.subject.key as KeyConfig };
  }

  async admit(req: AdmitRequest): Promise<AdmitAnswer> {
    await this.subject.ready({ kind: "key", token: req.token });
    this.policy.update(req.policy);
    const now = this.now();
    const key = this.usableKey(now);
    if (!key.ok) return key;
    const { config, spend } = key;
    // Model access first: a key may not learn anything about its limits from a model it may not call.
    const denied = modelDenied(config, req.model, req.access);
    if (denied) return denied;
    const hold = checkKey(config, req, spend, this.ledger, now, this.policy.plain);
    if (!hold.ok) return hold;

    const outer = scopes(config.team_limited ? config.team_id : null, config.user_limited ? config.user_id : null);
    this.ledger.reserve(req.requestId, { cost: hold.cost, tokens: hold.tokens, partial: hold.partial, model: req.model, slots: 1, userId: config.user_id, teamId: config.team_id, at: now });
    if (outer.length) {
      const refusedOuter = await reserveOuter(this.env, outer, { requestId: req.requestId, model: req.model, cost: req.cost, tokens: req.tokens, userId: config.user_id, policy: req.policy, unbounded: req.unbounded });
      if (refusedOuter) {
        this.ledger.release(req.requestId);
        return refusedOuter;
      }
    }
    const rate = rateHeaders(config.limits, this.ledger, now); // as of this call, before any lease
    const lease = req.wantLease ? grantLease(this.ledger, config, spend, req.cost, now, this.policy.plain) : undefined;
    this.scheduleAlarm();
    return this.admitted(config, req.knownVersion, rate, lease);
  }

  async renewLease(req: LeaseRequest): Promise<AdmitAnswer> {
    await this.subject.ready({ kind: "key", token: req.token });
    this.policy.update(req.policy);
    const now = this.now();
    const key = this.usableKey(now);
    if (!key.ok) return key;
    const { config, spend } = key;
    const rate = rateHeaders(config.limits, this.ledger, now);
    const lease = grantLease(this.ledger, config, spend, req.callCost, now, this.policy.plain);
    this.scheduleAlarm();
    return this.admitted(config, req.knownVersion, rate, lease);
  }

  /** After `subject.ready`: the key's config as enforced and its spend (budget periods rolled), or why the key cannot be used. */
  private usableKey(now: number): { ok: true; config: KeyConfig; spend: SpendState } | Refusal {
    const denied = keyDenied(this.subject.key, now);
    if (denied) return denied;
    const config = this.policy.effective(this.subject.key as KeyConfig);
    const spend = this.budgets.ensure();
    this.roll(now);
    return { ok: true, config, spend };
  }

  /** Starts the budget periods whose time has come, in the policy's time zone. */
  private roll(now: number): void {
    this.budgets.roll(this.policy.effective(this.subject.config), now, this.policy.tz);
  }

  private admitted(config: KeyConfig, knownVersion: string | undefined, rate: RateHeaders, lease: LeaseGrant | undefined): AdmitAnswer {
    return {
      ok: true,
      version: config.version,
      config: knownVersion === config.version ? undefined : config,
      spend: this.budgets.state!.budget.spend,
      maxBudget: config.limits.max_budget,
      rate,
      lease,
    };
  }

  async cancel(requestId: string): Promise<void> {
    const r = this.ledger.open.get(requestId);
    if (!r) return;
    this.ledger.release(requestId);
    await releaseOuter(this.env, scopes(r.teamId, r.userId), requestId);
  }

  settle(s: Settlement): Promise<void> {
    return settlement.settle(this.parts, s);
  }

  settleMany(list: Settlement[], returns: LeaseReturn[] = [], batchId?: string): Promise<void> {
    return settlement.settleMany(this.parts, list, returns, batchId);
  }

  /** Live spend (D1 lags by up to a flush). */
  async snapshot(): Promise<GuardSnapshot> {
    this.roll(this.now());
    const state = this.budgets.state;
    return {
      spend: state?.budget.spend ?? 0,
      reserved: this.ledger.reserved,
      inFlight: this.ledger.inFlight,
      budgetResetAt: state?.budget.resetAt ?? null,
      modelSpend: Object.fromEntries(Object.entries(state?.models ?? {}).map(([m, b]) => [m, b.spend])),
      pendingRows: this.outbox.pending,
      tokenSpend: state?.budget.tokens ?? 0,
      reservedTokens: this.ledger.reservedTokens,
    };
  }

  /** Re-reads the config; answers how long leases granted under the old one may still admit calls (ms). */
  async refresh(id: GuardIdentity): Promise<number> {
    this.subject.remember(id, true);
    await this.subject.reload();
    this.scheduleAlarm();
    return Math.max(0, leasesEnd(this.ledger) - this.now());
  }

  async flushNow(): Promise<number> {
    await this.outbox.drainForwards();
    await this.outbox.flush();
    this.scheduleAlarm();
    return this.outbox.pending;
  }

  /** Only with ALLOW_TEST_CLOCK=1 (vitest sets it). */
  async advanceClock(ms: number): Promise<void> {
    if (this.env.ALLOW_TEST_CLOCK !== "1") throw new Error("the test clock is disabled");
    this.clockOffset += ms;
    this.storage.putMeta("clock", this.clockOffset);
    this.scheduleAlarm();
  }

  // ---------------------------------------------------------------- RPC: teams and users

  async scopeAdmit(req: ScopeAdmitRequest): Promise<{ ok: true } | Refusal> {
    this.policy.update(req.policy);
    if (req.kind === "proxy") this.subject.useProxyBudget(req.id, this.policy.current?.proxy);
    await this.subject.ready({ kind: req.kind, id: req.id });
    const config = this.subject.config as ScopeConfig | undefined;
    if (!config) return { ok: true }; // deleted meanwhile: nothing to enforce
    const now = this.now();
    this.budgets.ensure();
    this.roll(now);
    const hold = checkScope(config, req, this.budgets.state!, this.ledger, now, this.policy.plain);
    if (!hold.ok) return hold;
    this.ledger.reserve(req.requestId, { cost: hold.cost, tokens: hold.tokens, partial: hold.partial, model: req.model, slots: 1, userId: req.userId, teamId: null, at: now });
    this.scheduleAlarm();
    return { ok: true };
  }

  async scopeRelease(requestId: string): Promise<void> {
    this.ledger.release(requestId);
  }

  scopeSettle(s: ScopeSettlement): Promise<void> {
    return settlement.settleScope(this.parts, s);
  }

  // ---------------------------------------------------------------- alarm

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    if (!this.storage.opened) return;
    const now = this.now();
    this.roll(now);
    settlement.chargeExpired(this.parts, this.ledger.expire(now));
    this.ledger.prune(now);
    await this.outbox.drainForwards();
    await this.outbox.flush();
    this.scheduleAlarm();
  }

  private now(): number {
    return Date.now() + this.clockOffset;
  }

  /** One alarm for everything due: a flush, a budget reset, a reservation expiry. */
  private scheduleAlarm(): void {
    let next = this.outbox.due() ?? Infinity;
    // Budget and reservation times are on this guard's clock; alarms on the real one.
    for (const at of [this.budgets.nextReset(), this.ledger.firstExpiry()]) if (at !== undefined) next = Math.min(next, at - this.clockOffset);
    if (next === Infinity) return;
    next = Math.max(Date.now(), next);
    if (this.alarmAt !== null && this.alarmAt <= next) return;
    this.alarmAt = next;
    void this.ctx.storage.setAlarm(next);
  }
}
