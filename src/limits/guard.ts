// KeyGuard: the one place that admits or refuses calls for a key, a team or a user.
//
// One instance per key (`key:<token>`), per team (`team:<id>`) and per user (`user:<id>`). A Durable
// Object handles one event at a time, and every check-then-reserve below runs without awaiting in
// between, so limits hold exactly under any concurrency:
//   - before a call, `admit` checks blocked/expired, budgets, max_parallel_requests, rpm and tpm, and
//     reserves the most the call can cost; a key in a team (or owned by a user) with limits of its own
//     also reserves in that team's / user's guard;
//   - after it, `settle` replaces the reservation with the real cost and queues the spend log row;
//   - for a busy key far from its limits, `admit` / `renewLease` also grant the asking isolate a lease:
//     a share of what is left (requests counted against rpm_limit, USD reserved from max_budget) that
//     the isolate admits calls from by itself (src/limits/lease.ts). Shares are counted like calls, so
//     the limits hold exactly; the isolate settles those calls in batches and gives back what it did not use.
// Spend, reservations and the outbox live in the object's SQLite storage, so they survive restarts.
// The alarm resets budgets on time (budget_duration) and flushes the outbox and the totals to D1 in
// batches, retrying with backoff while D1 fails.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { loadKeyConfig, loadScopeConfig } from "../keys/config";
import { nextBudgetReset } from "../lib/duration";
import { dailyRowsOfText, sumDaily, writeFlush, type FlushBatch, type FlushTotals } from "../spend/flush";
import { guardFor, guardName, type AdmitAnswer, type DailyRow, type GuardIdentity, type GuardRpc, type ScopeIdentity, type AdmitRequest, type KeyConfig, type LeaseGrant, type LeaseRequest, type LeaseReturn, type Limits, type LookupAnswer, type RateHeaders, type Refusal, type ScopeAdmitRequest, type ScopeConfig, type ScopeSettlement, type Settlement } from "../core/guard-rpc";
import { SlidingWindow, WINDOW_MS, WindowMap } from "./window";

const FLUSH_DELAY_MS = 1_000;
const MAX_FLUSH_BACKOFF_MS = 60_000;
const FLUSH_MAX_ROWS = 200;
const FLUSH_MAX_BYTES = 512 * 1024;
/** A reservation whose call never settled (its Worker died) stops holding budget after this. */
const RESERVATION_TTL_MS = 30 * 60_000;
/** Settled call ids are kept this long, so a repeated settlement is not counted twice. */
const SETTLED_TTL_MS = 10 * 60_000;
/** Guards re-read their config from D1 this often while in use (admin routes also push changes at once). */
const CONFIG_REFRESH_MS = 60_000;
/** How long an isolate may admit calls from a lease: also how late a blocked key or a new limit reaches it. */
export const LEASE_TTL_MS = 2_000;
/** A lease takes at most this fraction of what is left (rpm, budget), so leases never starve other isolates... */
const LEASE_SHARE = 1 / 8;
/** ...and none is granted below this many calls' worth: near its limits a key is admitted call by call. */
const LEASE_MIN_SLOTS = 4;
const LEASE_MAX_SLOTS = 256;
/** How many spend log rows an outbox entry holds: a JSON array of rows (or, written by earlier versions, one row's object). */
const ENTRY_ROWS = "CASE WHEN substr(row, 1, 1) = '[' THEN json_array_length(row) ELSE 1 END";

type Identity = GuardIdentity;
type Config = KeyConfig | ScopeConfig;

interface Budget {
  spend: number;
  resetAt: number | null;
  /** The budget_duration resetAt was computed for. */
  duration: string | null;
}

interface State {
  budget: Budget;
  /** Key guards: spend per model group (model_max_budget). */
  models: Record<string, Budget>;
  /** Team guards: spend per member (max_budget_in_team). */
  members: Record<string, number>;
}

interface Reservation {
  cost: number;
  /** Model group; "" for a lease. */
  model: string;
  /** Requests it counts against rpm_limit: 1 for a call, the slots left for a lease, 0 for a call admitted from a lease. */
  slots: number;
  /** Leases: calls settled from it so far. */
  calls?: number;
  /** The key's user and team when the call was admitted: their guards get the settlement too. */
  userId: string | null;
  teamId: string | null;
  at: number;
}

/** Compares `a.b.c` versions numerically. */
function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

const money = (usd: number) => `${Number(usd.toPrecision(6))}`;

function refusal(status: number, message: string, extra: Partial<Refusal> = {}): Refusal {
  const kind = status === 401 ? "auth" : status === 403 ? "permission" : status === 429 ? "rate_limit" : "unavailable";
  return { ok: false, status, kind, type: status === 401 ? "auth_error" : "rate_limit_exceeded", message, ...extra };
}

const budgetRefusal = (message: string, retryAfter?: number): Refusal => ({ ok: false, status: 429, kind: "budget", type: "budget_exceeded", message, retryAfter });

export class KeyGuard extends DurableObject<Env> implements GuardRpc {
  private readonly sql: SqlStorage;
  private hasSchema: boolean;
  private identity: Identity | undefined;
  /** Distinguishes this storage from any earlier one with the same name (flush markers in D1). */
  private epoch: string;
  private config: Config | undefined;
  /** Looked up in D1 and not there (unknown or deleted). */
  private missing = false;
  private loading: Promise<void> | undefined;
  private loadedAt = 0;
  private state: State | undefined;
  private readonly open = new Map<string, Reservation>();
  /** Lease returns that arrived before some of the lease's settlements (in memory: if lost, the lease expires). */
  private readonly returning = new Map<string, LeaseReturn>();
  private reserved = 0;
  private readonly reservedByModel = new Map<string, number>();
  private readonly reservedByMember = new Map<string, number>();
  private readonly requests = new SlidingWindow();
  private readonly tokens = new SlidingWindow();
  private readonly modelRequests = new WindowMap();
  private readonly modelTokens = new WindowMap();
  private clockOffset = 0;
  private alarmAt: number | null = null;
  private flushRetryAt: number | null = null;
  private flushAttempts = 0;
  private flushing: Promise<void> | undefined;
  /** Bumped on every spend change; a flush only clears `dirty` if nothing changed meanwhile. */
  private stateSeq = 0;
  private dirty = false;
  private outboxRows = 0;
  private forwardRows = 0;
  /** The identity is in storage (so settle need not read meta to know). */
  private identityStored = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.epoch = crypto.randomUUID();
    // A guard asked about an unknown key writes nothing: its tables are made on its first write.
    this.hasSchema = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length > 0;
    if (!this.hasSchema) return;
    // Storage made before leases existed.
    if (!this.sql.exec("SELECT 1 FROM pragma_table_info('calls') WHERE name = 'slots'").toArray().length) {
      this.sql.exec("ALTER TABLE calls ADD COLUMN slots INTEGER NOT NULL DEFAULT 1");
      this.sql.exec("ALTER TABLE calls ADD COLUMN lease_calls INTEGER NOT NULL DEFAULT 0");
    }
    // Storage made before outbox entries carried their daily sums.
    if (!this.sql.exec("SELECT 1 FROM pragma_table_info('outbox') WHERE name = 'daily'").toArray().length) this.sql.exec("ALTER TABLE outbox ADD COLUMN daily TEXT");
    this.identity = this.meta<Identity>("identity");
    this.identityStored = this.identity !== undefined;
    this.config = this.meta<Config>("config");
    this.state = this.meta<State>("state");
    this.dirty = this.meta<boolean>("dirty") ?? false;
    this.clockOffset = this.meta<number>("clock") ?? 0;
    this.epoch = this.meta<string>("epoch") ?? this.epoch;
    for (const row of this.sql.exec<CallRow>("SELECT * FROM calls WHERE state = 'open'")) this.track(reservationOf(row), row.id);
    this.restoreWindows();
    this.outboxRows = this.sql.exec<{ n: number }>(`SELECT coalesce(sum(${ENTRY_ROWS}), 0) AS n FROM outbox`).one().n;
    this.forwardRows = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM forwards").one().n;
  }

  // ---------------------------------------------------------------- RPC: keys

  /** Validates a key (for isolates whose cache has no fresh copy). */
  async lookup(token: string): Promise<LookupAnswer> {
    await this.ready({ kind: "key", token });
    const denied = this.keyDenied(this.now());
    return denied ?? { ok: true, config: this.config as KeyConfig };
  }

  /** Validates the key and reserves the call, or says why not. The only call on the request path. */
  async admit(req: AdmitRequest): Promise<AdmitAnswer> {
    await this.ready({ kind: "key", token: req.token });
    const now = this.now();
    const denied = this.keyDenied(now);
    if (denied) return denied;
    const config = this.config as KeyConfig;
    this.ensureState();
    this.rollBudgets(now);
    const refused = this.checkKey(config, req, now);
    if (refused) return refused;

    const outer: ScopeIdentity[] = [];
    if (config.team_id && config.team_limited) outer.push({ kind: "team", id: config.team_id });
    if (config.user_id && config.user_limited) outer.push({ kind: "user", id: config.user_id });
    this.reserve(req.requestId, { cost: req.cost, model: req.model, slots: 1, userId: config.user_id, teamId: config.team_id, at: now });
    if (outer.length) {
      const refusedOuter = await this.reserveOuter(outer, { requestId: req.requestId, model: req.model, cost: req.cost, userId: config.user_id });
      if (refusedOuter) {
        this.release(req.requestId);
        return refusedOuter;
      }
    }
    const rate = this.rateHeaders(config.limits, now); // as of this call, before any lease
    const lease = req.wantLease ? this.grantLease(config, req.cost, now) : undefined;
    this.scheduleAlarm();
    return this.admitted(config, req.knownVersion, rate, lease);
  }

  /** A lease for the key's next calls, asked for ahead of need; no lease when the key is near its limits. */
  async renewLease(req: LeaseRequest): Promise<AdmitAnswer> {
    await this.ready({ kind: "key", token: req.token });
    const now = this.now();
    const denied = this.keyDenied(now);
    if (denied) return denied;
    const config = this.config as KeyConfig;
    this.ensureState();
    this.rollBudgets(now);
    const rate = this.rateHeaders(config.limits, now);
    const lease = this.grantLease(config, req.callCost, now);
    this.scheduleAlarm();
    return this.admitted(config, req.knownVersion, rate, lease);
  }

  private admitted(config: KeyConfig, knownVersion: string | undefined, rate: RateHeaders, lease: LeaseGrant | undefined): AdmitAnswer {
    return {
      ok: true,
      version: config.version,
      config: knownVersion === config.version ? undefined : config,
      spend: this.state!.budget.spend,
      maxBudget: config.limits.max_budget,
      rate,
      lease,
    };
  }

  /**
   * Sets a share of the key's remaining rpm and budget aside for one isolate, if the key's limits can
   * be shared (budget and rpm only) and it is far enough from them. With an rpm_limit, the slots are
   * counted in the rpm window at the end of the lease's admitting time, so they leave the window no
   * earlier than its calls; without one, each call is counted when it settles (a limit set later sees it).
   */
  private grantLease(config: KeyConfig, callCost: number, now: number): LeaseGrant | undefined {
    const l = config.limits;
    const has = (m: Record<string, unknown> | null | undefined) => m !== null && m !== undefined && Object.keys(m).length > 0;
    if (l.tpm_limit !== null || l.max_parallel_requests !== null || has(l.model_max_budget) || has(l.model_rpm_limit) || has(l.model_tpm_limit)) return undefined;
    if ((config.team_id && config.team_limited) || (config.user_id && config.user_limited)) return undefined;
    let slots = LEASE_MAX_SLOTS;
    if (l.rpm_limit !== null) slots = Math.min(slots, Math.floor((l.rpm_limit - this.requests.total(now)) * LEASE_SHARE));
    if (slots < LEASE_MIN_SLOTS) return undefined;
    let budget: number | null = null;
    if (l.max_budget !== null) {
      const left = l.max_budget - this.state!.budget.spend - this.reserved;
      budget = Math.min(left * LEASE_SHARE, callCost * slots);
      if (!(budget >= callCost * LEASE_MIN_SLOTS) || left <= 0) return undefined;
    }
    const id = crypto.randomUUID();
    const counted = l.rpm_limit !== null ? slots : 0;
    this.reserve(id, { cost: budget ?? 0, model: "", slots: counted, userId: config.user_id, teamId: config.team_id, at: now + LEASE_TTL_MS });
    return { id, slots, budget, ttlMs: LEASE_TTL_MS };
  }

  /** The call was admitted but will not run after all: undo its reservation everywhere. */
  async cancel(requestId: string): Promise<void> {
    const r = this.open.get(requestId);
    if (!r) return;
    this.release(requestId);
    const outer: ScopeIdentity[] = [];
    if (r.teamId) outer.push({ kind: "team", id: r.teamId });
    if (r.userId) outer.push({ kind: "user", id: r.userId });
    await Promise.all(outer.map((id) => guardFor(this.env, id).scopeRelease(requestId).catch(() => {})));
  }

  /** The call is over: charge what it cost, release the rest, queue its spend log row. */
  async settle(s: Settlement): Promise<void> {
    await this.readyFor(s.token);
    if (await this.settleOne(s)) this.changed();
    this.scheduleAlarm();
  }

  /**
   * Several settlements in one round trip (calls without reservations of their own, batched per isolate),
   * then leases given back. `batchId` (the isolate's, the same on a retry) lets the batch's calls share
   * a calls-table row per model group and makes a repeated delivery a no-op; without one, each call is
   * recorded and deduplicated by itself.
   */
  async settleMany(list: Settlement[], returns: LeaseReturn[] = [], batchId?: string): Promise<void> {
    let changed = false;
    // A batch is one key's (settle-batch.ts): its config (user and team) is needed before recording its calls.
    if (list.length) await this.readyFor(list[0].token);
    const { fresh, calls } = this.recordUnreserved(list, batchId);
    const outbox: Settlement[] = [];
    for (const s of calls) changed = (await this.settleOne(s, fresh, outbox)) || changed;
    this.queueRows(outbox);
    for (const r of returns) this.returnLease(r);
    if (changed) this.changed(); // the state is written once per batch
    this.scheduleAlarm();
  }

  /** Settling needs the key's config loaded and this guard's identity stored. */
  private async readyFor(token: string): Promise<void> {
    await this.ready({ kind: "key", token });
    this.remember({ kind: "key", token });
  }

  /**
   * Records as settled, in one statement, a batch's calls that hold no reservation here (master key,
   * open mode, leases: nearly all of them): one calls-table row per model group for a batch with an id
   * (the rate windows after a restart read its summed slots and tokens), else one per call. Returns
   * what each newly recorded call was recorded as, and the settlements still to apply: all of them,
   * or, for a batch seen before, only those holding a reservation here. Without a batch id, a call
   * already known (a repeat) is left to finishReservation, one by one.
   */
  private recordUnreserved(list: Settlement[], batchId: string | undefined): { fresh: Map<string, Reservation>; calls: Settlement[] } {
    const fresh = new Map<string, Reservation>();
    const calls: Settlement[] = [];
    const rows = new Map<string, [string, number, string, string | null, string | null, number, number, number, number]>();
    const now = this.now();
    const config = this.config as KeyConfig | undefined;
    for (const s of list) {
      if (this.open.has(s.requestId)) {
        calls.push(s);
        continue;
      }
      if (fresh.has(s.requestId)) {
        if (!batchId) calls.push(s); // finishReservation finds its own row and skips it
        continue;
      }
      const r = this.unreservedCall(s, config, now);
      fresh.set(s.requestId, r);
      calls.push(s);
      const id = batchId ? `batch:${batchId}:${s.model}` : s.requestId;
      const row = rows.get(id);
      if (row) {
        row[1] += r.cost;
        row[6] += s.tokens;
        row[8] += r.slots;
      } else rows.set(id, [id, r.cost, r.model, r.userId, r.teamId, r.at, s.tokens, now, r.slots]);
    }
    if (!rows.size) return { fresh, calls };
    const inserted = new Set<string>();
    // Materialised so each row is parsed once, not once per column (see rowsOf in flush.ts).
    const cols = (i: number) => `json_extract(j, '$[${i}]')`;
    for (const row of this.sql.exec<{ id: string }>(
      `WITH r AS MATERIALIZED (SELECT value AS j FROM json_each(?))
       INSERT OR IGNORE INTO calls (id, cost, model, user_id, team_id, at, state, tokens, settled_at, slots)
       SELECT ${cols(0)}, ${cols(1)}, ${cols(2)}, ${cols(3)}, ${cols(4)}, ${cols(5)}, 'settled', ${cols(6)}, ${cols(7)}, ${cols(8)} FROM r RETURNING id`,
      JSON.stringify([...rows.values()]),
    )) inserted.add(row.id);
    if (batchId) {
      // Its rows went in together: none went in now means a repeated delivery, counted the first time.
      if (!inserted.size) return { fresh: new Map(), calls: calls.filter((s) => this.open.has(s.requestId)) };
    } else for (const id of fresh.keys()) if (!inserted.has(id)) fresh.delete(id);
    return { fresh, calls };
  }

  /** How a call with no reservation here is recorded when it settles. */
  private unreservedCall(s: Settlement, config: KeyConfig | undefined, now: number): Reservation {
    // A call admitted from a lease that counted its slots is in the rpm window already.
    const countedByLease = s.lease !== undefined && (this.open.get(s.lease)?.slots ?? 0) > 0;
    return { cost: s.cost, model: s.model, slots: countedByLease ? 0 : 1, userId: config?.user_id ?? null, teamId: config?.team_id ?? null, at: now };
  }

  /**
   * Settles one call in memory and queues its row; false if it was settled before. The caller has made
   * the guard ready (readyFor) and writes the state. From settleMany: `fresh` holds the calls recordUnreserved has just recorded, and the
   * rows go to `outbox` for one insert per batch.
   */
  private async settleOne(s: Settlement, fresh?: Map<string, Reservation>, outbox?: Settlement[]): Promise<boolean> {
    const now = this.now();
    const config = this.config as KeyConfig | undefined;
    // The first of a batch's settlements for an id it has just recorded uses that record; any other goes the long way.
    const recorded = fresh?.get(s.requestId);
    if (recorded) fresh!.delete(s.requestId);
    const call = recorded ?? this.finishReservation(s.requestId, s.tokens, this.unreservedCall(s, config, now));
    if (!call) return false; // settled before: a repeated settlement
    if (s.lease) {
      this.chargeLease(s.lease, s.cost);
      if (call.slots) this.requests.add(now); // its lease did not count it (unreservedCall)
    }
    this.ensureState();
    this.rollBudgets(now);
    const state = this.state!;
    state.budget.spend += s.cost;
    const model = (state.models[s.model] ??= { spend: 0, resetAt: null, duration: null });
    model.spend += s.cost;
    this.tokens.add(now, s.tokens);
    this.modelTokens.get(s.model).add(now, s.tokens);
    if (outbox) outbox.push(s);
    else this.queueRows([s]);

    // The team's and the user's guards keep their spend (and release their reservations, if any).
    const base = { requestId: s.requestId, model: s.model, cost: s.cost, tokens: s.tokens, userId: call.userId };
    if (call.teamId) await this.forward({ kind: "team", id: call.teamId, ...base });
    if (call.userId) await this.forward({ kind: "user", id: call.userId, ...base });
    return true;
  }

  /**
   * Adds settled calls' spend log rows (their JSON texts, as they came) to the outbox, with their
   * daily_spend sums. A batch's rows share one entry (a JSON array, split only where a flush would), so
   * storage writes, reads and deletes one row per batch instead of one per call.
   */
  private queueRows(settled: Settlement[]): void {
    for (let start = 0; start < settled.length; ) {
      let end = start + 1;
      let bytes = settled[start].row.length;
      while (end < settled.length && end - start < FLUSH_MAX_ROWS && bytes + settled[end].row.length <= FLUSH_MAX_BYTES) bytes += settled[end++].row.length;
      const entry = settled.slice(start, end);
      // Settlements from isolates of an earlier version carry no daily row: it is read from the log row.
      const daily = sumDaily(new Map(), entry.flatMap((s) => (s.daily ? [s.daily] : dailyRowsOfText(s.row))));
      this.sql.exec("INSERT INTO outbox (row, daily) VALUES (?, ?)", `[${entry.map((s) => s.row).join(",")}]`, JSON.stringify([...daily.values()]));
      start = end;
    }
    this.outboxRows += settled.length;
  }

  /** Live spend (D1 lags by up to a flush). */
  async snapshot(): Promise<{ spend: number; reserved: number; inFlight: number; budgetResetAt: number | null; modelSpend: Record<string, number>; pendingRows: number }> {
    this.rollBudgets(this.now());
    const state = this.state;
    return {
      spend: state?.budget.spend ?? 0,
      reserved: this.reserved,
      inFlight: this.open.size,
      budgetResetAt: state?.budget.resetAt ?? null,
      modelSpend: Object.fromEntries(Object.entries(state?.models ?? {}).map(([m, b]) => [m, b.spend])),
      pendingRows: this.outboxRows + this.forwardRows,
    };
  }

  /** Re-reads the config from D1 now (admin routes call this after every change). */
  async refresh(id: Identity): Promise<void> {
    this.remember(id, true);
    await this.reload();
    this.scheduleAlarm();
  }

  /** Flushes everything pending to D1 now (key regeneration, tests); returns the rows still pending. */
  async flushNow(): Promise<number> {
    await this.drainForwards();
    await this.flush();
    this.scheduleAlarm();
    return this.outboxRows + this.forwardRows;
  }

  /** Test clock: moves this guard's "now" forward. Only with ALLOW_TEST_CLOCK=1 (vitest sets it). */
  async advanceClock(ms: number): Promise<void> {
    if (this.env.ALLOW_TEST_CLOCK !== "1") throw new Error("the test clock is disabled");
    this.clockOffset += ms;
    this.putMeta("clock", this.clockOffset);
    this.scheduleAlarm();
  }

  /** Reserves in the team's / user's guards too; if one refuses, releases the others and says why. */
  private async reserveOuter(outer: ScopeIdentity[], call: Omit<ScopeAdmitRequest, "kind" | "id">): Promise<Refusal | undefined> {
    const answers = await Promise.all(
      outer.map((id) =>
        guardFor(this.env, id)
          .scopeAdmit({ ...id, ...call })
          .catch((err: Error): Refusal => {
            console.error(`[limits] ${id.kind} guard unreachable: ${err.message}`);
            return { ok: false, status: 503, kind: "unavailable", type: "service_unavailable_error", message: `Could not check the ${id.kind}'s limits; try again`, retryAfter: 1 };
          }),
      ),
    );
    const refused = answers.find((a): a is Refusal => !a.ok);
    if (!refused) return undefined;
    await Promise.all(outer.map((id, i) => (answers[i].ok ? guardFor(this.env, id).scopeRelease(call.requestId).catch(() => {}) : undefined)));
    return refused;
  }

  // ---------------------------------------------------------------- RPC: teams and users

  async scopeAdmit(req: ScopeAdmitRequest): Promise<{ ok: true } | Refusal> {
    await this.ready({ kind: req.kind, id: req.id });
    const config = this.config as ScopeConfig | undefined;
    if (!config) return { ok: true }; // deleted meanwhile: nothing to enforce
    const now = this.now();
    this.rollBudgets(now);
    const refused = this.checkScope(config, req, now);
    if (refused) return refused;
    this.reserve(req.requestId, { cost: req.cost, model: req.model, slots: 1, userId: req.userId, teamId: null, at: now });
    this.scheduleAlarm();
    return { ok: true };
  }

  async scopeRelease(requestId: string): Promise<void> {
    this.release(requestId);
  }

  async scopeSettle(s: ScopeSettlement): Promise<void> {
    await this.ready({ kind: s.kind, id: s.id });
    this.remember({ kind: s.kind, id: s.id });
    const now = this.now();
    if (!this.finishReservation(s.requestId, s.tokens, { cost: s.cost, model: s.model, slots: 1, userId: s.userId, teamId: null, at: now })) return;
    this.ensureState();
    this.rollBudgets(now);
    const state = this.state!;
    state.budget.spend += s.cost;
    if (s.kind === "team" && s.userId) state.members[s.userId] = (state.members[s.userId] ?? 0) + s.cost;
    this.tokens.add(now, s.tokens);
    this.changed();
    this.scheduleAlarm();
  }

  // ---------------------------------------------------------------- alarm

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    if (!this.hasSchema) return;
    const now = this.now();
    this.rollBudgets(now);
    this.expireReservations(now);
    // Two statements, so each walks an index instead of scanning the whole table (which holds every
    // call of the last SETTLED_TTL_MS) on every alarm. Only settled and returned rows have settled_at.
    this.sql.exec("DELETE FROM calls WHERE settled_at < ?", now - SETTLED_TTL_MS);
    this.sql.exec("DELETE FROM calls WHERE at < ? AND state = 'expired'", now - SETTLED_TTL_MS);
    await this.drainForwards();
    await this.flush();
    this.scheduleAlarm();
  }

  // ---------------------------------------------------------------- loading

  private now(): number {
    return Date.now() + this.clockOffset;
  }

  private ensureSchema(): void {
    if (this.hasSchema) return;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS calls (id TEXT PRIMARY KEY, cost REAL NOT NULL, model TEXT NOT NULL, user_id TEXT, team_id TEXT, at INTEGER NOT NULL, state TEXT NOT NULL, tokens INTEGER NOT NULL DEFAULT 0, settled_at INTEGER, slots INTEGER NOT NULL DEFAULT 1, lease_calls INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS calls_at ON calls (at);
      CREATE INDEX IF NOT EXISTS calls_settled_at ON calls (settled_at);
      CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, row TEXT NOT NULL, daily TEXT);
      CREATE TABLE IF NOT EXISTS forwards (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
    `);
    this.hasSchema = true;
  }

  private meta<T>(k: string): T | undefined {
    if (!this.hasSchema) return undefined;
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0];
    return row ? (JSON.parse(row.v) as T) : undefined;
  }

  private putMeta(k: string, v: unknown): void {
    this.ensureSchema();
    if (v === undefined) this.sql.exec("DELETE FROM meta WHERE k = ?", k);
    else this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", k, JSON.stringify(v));
  }

  /** Records who this guard is, durably once it holds anything (unknown keys leave no storage behind). */
  private remember(id: Identity, persist = true): void {
    if (!this.identity) this.identity = id;
    if (persist && !this.identityStored) {
      this.putMeta("identity", this.identity);
      this.putMeta("epoch", this.epoch);
      this.identityStored = true;
    }
  }

  /** Makes sure the config is loaded (from D1 on first use); refreshes it in the background once a minute. */
  private async ready(id: Identity): Promise<void> {
    this.identity ??= id;
    if (this.config || this.missing) {
      if (Date.now() - this.loadedAt > CONFIG_REFRESH_MS && !this.loading) {
        this.loading = this.reload().catch((err) => console.warn(`[limits] config refresh failed: ${(err as Error).message}`)).finally(() => (this.loading = undefined));
        this.ctx.waitUntil(this.loading);
      }
      return;
    }
    this.loading ??= this.reload().finally(() => (this.loading = undefined));
    await this.loading;
  }

  private async reload(): Promise<void> {
    const id = this.identity;
    if (!id) return;
    const loaded = id.kind === "key" ? await loadKeyConfig(this.env.DB, id.token) : await loadScopeConfig(this.env.DB, id.kind, id.id);
    this.loadedAt = Date.now();
    if (!loaded) {
      this.missing = true;
      if (this.config) {
        this.config = undefined;
        this.putMeta("config", undefined);
      }
      return;
    }
    if (this.config && compareVersions(loaded.config.version, this.config.version) < 0) return; // an older read finishing late
    this.missing = false;
    this.remember(id);
    this.config = loaded.config;
    this.putMeta("config", loaded.config);
    if (!this.state) {
      // First load: D1 holds the spend written by earlier guards (or by key regeneration).
      this.state = {
        budget: { spend: loaded.spend, resetAt: loaded.budgetResetAt, duration: loaded.config.limits.budget_duration },
        models: Object.fromEntries(Object.entries("modelSpend" in loaded ? loaded.modelSpend : {}).map(([m, spend]) => [m, { spend, resetAt: null, duration: null }])),
        members: "memberSpend" in loaded ? loaded.memberSpend : {},
      };
      this.putMeta("state", this.state);
    }
    if (this.rollBudgets(this.now())) this.changed();
  }

  private ensureState(): void {
    if (this.state) return;
    this.state = { budget: { spend: 0, resetAt: null, duration: null }, models: {}, members: {} };
  }

  // ---------------------------------------------------------------- checks

  private keyDenied(now: number): Refusal | undefined {
    const config = this.config as KeyConfig | undefined;
    if (!config) return refusal(401, "Authentication Error, Invalid proxy server token passed.", { revoked: true });
    if (config.blocked) return refusal(401, "Authentication Error, this key is blocked. An admin can unblock it with /key/unblock.", { revoked: true });
    if (config.team_blocked) return refusal(401, `Authentication Error, team '${config.team_id}' is blocked.`, { revoked: true });
    if (config.expires !== null && now >= config.expires) {
      return refusal(401, `Authentication Error - Expired Key. Key Expiry time ${new Date(config.expires).toISOString()} and current time ${new Date(now).toISOString()}`, {
        type: "expired_key",
        revoked: true,
      });
    }
    return undefined;
  }

  private budgetCheck(what: string, spend: number, reserved: number, cost: number, max: number | null | undefined, resetAt: number | null, now: number): Refusal | undefined {
    if (max === null || max === undefined) return undefined;
    if (spend < max && spend + reserved + cost <= max) return undefined;
    const inFlight = reserved > 0 ? ` (+${money(reserved)} reserved by calls in progress)` : "";
    const retryAfter = resetAt !== null ? Math.max(1, Math.ceil((resetAt - now) / 1000)) : undefined;
    return budgetRefusal(`Budget has been exceeded! ${what}Current cost: ${money(spend)}${inFlight}, Max budget: ${money(max)}`, retryAfter);
  }

  private rateCheck(what: string, limit: number | null | undefined, window: SlidingWindow, unit: "requests" | "tokens", now: number): Refusal | undefined {
    if (limit === null || limit === undefined) return undefined;
    const used = window.total(now);
    if (used < limit) return undefined;
    return refusal(429, `Rate limit exceeded for ${what}. Limit type: ${unit}. Current limit: ${limit}, Remaining: 0.`, {
      retryAfter: window.secondsUntilBelow(now, limit - 1),
    });
  }

  private parallelCheck(what: string, limit: number | null | undefined, inFlight: number): Refusal | undefined {
    if (limit === null || limit === undefined || inFlight < limit) return undefined;
    return refusal(429, `Max parallel request limit reached for ${what}. Current: ${inFlight}, Limit: ${limit}.`, { retryAfter: 1 });
  }

  private checkKey(config: KeyConfig, req: AdmitRequest, now: number): Refusal | undefined {
    const l = config.limits;
    const state = this.state!;
    const who = `api_key: ${config.key_name}`;
    const modelBudget = l.model_max_budget?.[req.model];
    const modelState = state.models[req.model];
    return (
      this.budgetCheck("", state.budget.spend, this.reserved, req.cost, l.max_budget, state.budget.resetAt, now) ??
      this.budgetCheck(`Model=${req.model} `, modelState?.spend ?? 0, this.reservedByModel.get(req.model) ?? 0, req.cost, modelBudget?.budget_limit, modelState?.resetAt ?? null, now) ??
      this.parallelCheck(who, l.max_parallel_requests, this.open.size) ??
      this.rateCheck(who, l.rpm_limit, this.requests, "requests", now) ??
      this.rateCheck(who, l.tpm_limit, this.tokens, "tokens", now) ??
      this.rateCheck(`${who} model: ${req.model}`, l.model_rpm_limit?.[req.model], this.modelRequests.get(req.model), "requests", now) ??
      this.rateCheck(`${who} model: ${req.model}`, l.model_tpm_limit?.[req.model], this.modelTokens.get(req.model), "tokens", now)
    );
  }

  private checkScope(config: ScopeConfig, req: ScopeAdmitRequest, now: number): Refusal | undefined {
    const l = config.limits;
    const state = this.state!;
    const who = `${config.kind}: ${config.id}`;
    const memberBudget = req.userId ? config.member_budgets[req.userId] : undefined;
    return (
      this.budgetCheck(`${config.kind === "team" ? "Team" : "User"}=${config.id} `, state.budget.spend, this.reserved, req.cost, l.max_budget, state.budget.resetAt, now) ??
      (req.userId
        ? this.budgetCheck(`User=${req.userId} in Team=${config.id} `, state.members[req.userId] ?? 0, this.reservedByMember.get(req.userId) ?? 0, req.cost, memberBudget, null, now)
        : undefined) ??
      this.parallelCheck(who, l.max_parallel_requests, this.open.size) ??
      this.rateCheck(who, l.rpm_limit, this.requests, "requests", now) ??
      this.rateCheck(who, l.tpm_limit, this.tokens, "tokens", now)
    );
  }

  private rateHeaders(l: Limits, now: number): RateHeaders {
    const out: RateHeaders = {};
    if (l.rpm_limit !== null) {
      out.limitRequests = l.rpm_limit;
      out.remainingRequests = Math.max(0, l.rpm_limit - this.requests.total(now));
    }
    if (l.tpm_limit !== null) {
      out.limitTokens = l.tpm_limit;
      out.remainingTokens = Math.max(0, l.tpm_limit - this.tokens.total(now));
    }
    return out;
  }

  // ---------------------------------------------------------------- reservations

  private track(r: Reservation, id: string): void {
    this.open.set(id, r);
    this.reserved += r.cost;
    if (r.model) this.reservedByModel.set(r.model, (this.reservedByModel.get(r.model) ?? 0) + r.cost);
    if (r.userId) this.reservedByMember.set(r.userId, (this.reservedByMember.get(r.userId) ?? 0) + r.cost);
  }

  private untrack(id: string): Reservation | undefined {
    const r = this.open.get(id);
    if (!r) return undefined;
    this.open.delete(id);
    // Sums return to exactly 0 when nothing is in flight (no float drift).
    this.reserved = this.open.size ? this.reserved - r.cost : 0;
    const m = (this.reservedByModel.get(r.model) ?? 0) - r.cost;
    if (m > 1e-15) this.reservedByModel.set(r.model, m);
    else if (r.model) this.reservedByModel.delete(r.model);
    if (r.userId) {
      const u = (this.reservedByMember.get(r.userId) ?? 0) - r.cost;
      if (u > 1e-15) this.reservedByMember.set(r.userId, u);
      else this.reservedByMember.delete(r.userId);
    }
    return r;
  }

  private reserve(id: string, r: Reservation): void {
    this.ensureSchema();
    this.track(r, id);
    this.requests.add(r.at, r.slots);
    if (r.model) this.modelRequests.get(r.model).add(r.at);
    this.sql.exec("INSERT OR REPLACE INTO calls (id, cost, model, user_id, team_id, at, state, slots) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)", id, r.cost, r.model, r.userId, r.teamId, r.at, r.slots);
  }

  /** Undoes a reservation refused further along (the request never ran). */
  private release(id: string): void {
    const r = this.untrack(id);
    if (!r) return;
    this.requests.remove(r.at, r.slots);
    if (r.model) this.modelRequests.get(r.model).remove(r.at);
    this.sql.exec("DELETE FROM calls WHERE id = ?", id);
  }

  /** A call admitted from a lease cost `cost`: that much of the lease's reservation is now spend. */
  private chargeLease(id: string, cost: number): void {
    const lease = this.open.get(id);
    if (!lease || lease.model) return; // given back or expired already: the spend still counts
    const charged = Math.min(lease.cost, cost);
    lease.cost -= charged;
    lease.calls = (lease.calls ?? 0) + 1;
    this.reserved = Math.max(0, this.reserved - charged);
    this.sql.exec("UPDATE calls SET cost = ?, lease_calls = ? WHERE id = ?", lease.cost, lease.calls, id);
    const waiting = this.returning.get(id);
    if (waiting && lease.calls >= waiting.calls) this.returnLease(waiting);
  }

  /**
   * The isolate is done with a lease: its unused budget is released and its unused slots leave the rpm
   * window, once all its calls' settlements are in (a batch may overtake another; until then it waits).
   */
  private returnLease(ret: LeaseReturn): void {
    const lease = this.open.get(ret.lease);
    if (!lease || lease.model) return;
    if ((lease.calls ?? 0) < ret.calls) {
      this.returning.set(ret.lease, ret);
      return;
    }
    this.returning.delete(ret.lease);
    this.untrack(ret.lease);
    const unused = Math.min(lease.slots, Math.max(0, ret.unusedSlots));
    this.requests.shrink(lease.at, lease.slots, unused);
    this.sql.exec("UPDATE calls SET state = 'returned', slots = ?, cost = 0, settled_at = ? WHERE id = ?", lease.slots - unused, this.now(), ret.lease);
  }

  /**
   * Ends a call's reservation and marks it settled; undefined if it was settled already. A call
   * without one (the master key's, or one whose reservation expired) is recorded as it was
   * admitted if known, else from `fallback`.
   */
  private finishReservation(id: string, tokens: number, fallback: Reservation): Reservation | undefined {
    let call = this.untrack(id);
    if (!call) {
      // Most calls settling without an open reservation here never had one (master key, leases): one
      // statement records them, and only an id seen before (a repeat, an expired reservation) is read.
      const inserted = this.sql.exec(
        "INSERT OR IGNORE INTO calls (id, cost, model, user_id, team_id, at, state, tokens, settled_at, slots) VALUES (?, ?, ?, ?, ?, ?, 'settled', ?, ?, ?)",
        id, fallback.cost, fallback.model, fallback.userId, fallback.teamId, fallback.at, tokens, this.now(), fallback.slots,
      ).rowsWritten;
      if (inserted) return fallback;
      const known = this.sql.exec<CallRow>("SELECT * FROM calls WHERE id = ?", id).toArray()[0];
      if (!known || known.state === "settled") return undefined;
      call = reservationOf(known);
    }
    this.sql.exec(
      "INSERT OR REPLACE INTO calls (id, cost, model, user_id, team_id, at, state, tokens, settled_at, slots) VALUES (?, ?, ?, ?, ?, ?, 'settled', ?, ?, ?)",
      id, call.cost, call.model, call.userId, call.teamId, call.at, tokens, this.now(), call.slots,
    );
    return call;
  }

  /** After a restart: the last minute's requests and settled tokens, from the calls table. */
  private restoreWindows(): void {
    const since = this.now() - WINDOW_MS;
    for (const r of this.sql.exec<{ at: number; model: string; slots: number }>("SELECT at, model, slots FROM calls WHERE at > ? ORDER BY at", since)) {
      this.requests.add(r.at, r.slots);
      if (r.model && r.slots) this.modelRequests.get(r.model).add(r.at, r.slots); // a batch's row counts its calls
    }
    for (const r of this.sql.exec<{ settled_at: number; model: string; tokens: number }>("SELECT settled_at, model, tokens FROM calls WHERE settled_at > ? ORDER BY settled_at", since)) {
      this.tokens.add(r.settled_at, r.tokens);
      this.modelTokens.get(r.model).add(r.settled_at, r.tokens);
    }
  }

  private expireReservations(now: number): void {
    for (const [id, r] of this.open) {
      if (now - r.at < RESERVATION_TTL_MS) continue;
      this.untrack(id);
      this.returning.delete(id);
      this.sql.exec("UPDATE calls SET state = 'expired' WHERE id = ?", id);
    }
  }

  // ---------------------------------------------------------------- budgets

  /** Starts new budget periods whose time has come; true if anything changed. */
  private rollBudgets(now: number): boolean {
    if (!this.state || !this.config) return false;
    let changed = roll(this.state.budget, this.config.limits.budget_duration, now);
    const modelBudgets = "model_max_budget" in this.config.limits ? this.config.limits.model_max_budget : undefined;
    for (const [model, b] of Object.entries(modelBudgets ?? {})) {
      const s = (this.state.models[model] ??= { spend: 0, resetAt: null, duration: null });
      changed = roll(s, b.time_period ?? null, now) || changed;
    }
    if (changed) this.changed();
    return changed;
  }

  private changed(): void {
    this.stateSeq++;
    this.putMeta("state", this.state);
    if (!this.dirty) this.putMeta("dirty", true);
    this.dirty = true;
  }

  // ---------------------------------------------------------------- flushing

  /** Sends a settlement to a team/user guard; queued durably when that fails. */
  private async forward(s: ScopeSettlement): Promise<void> {
    try {
      await guardFor(this.env, s).scopeSettle(s);
    } catch (err) {
      console.warn(`[limits] ${s.kind} guard unreachable, settlement queued: ${(err as Error).message}`);
      this.sql.exec("INSERT INTO forwards (body) VALUES (?)", JSON.stringify(s));
      this.forwardRows++;
    }
  }

  private async drainForwards(): Promise<void> {
    if (!this.forwardRows) return;
    for (const row of this.sql.exec<{ seq: number; body: string }>("SELECT seq, body FROM forwards ORDER BY seq LIMIT 100").toArray()) {
      const s = JSON.parse(row.body) as ScopeSettlement;
      try {
        await guardFor(this.env, s).scopeSettle(s);
      } catch {
        return; // try again at the next alarm
      }
      this.sql.exec("DELETE FROM forwards WHERE seq = ?", row.seq);
      this.forwardRows--;
    }
  }

  private async flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const id = this.identity;
    if (!id || (!this.outboxRows && !this.dirty)) return;
    const batch = this.outboxRows ? this.nextBatch(id) : undefined;
    const seqAtStart = this.stateSeq;
    try {
      await writeFlush(this.env.DB, batch, this.totals(id));
    } catch (err) {
      this.flushAttempts++;
      const wait = Math.min(MAX_FLUSH_BACKOFF_MS, FLUSH_DELAY_MS * 2 ** this.flushAttempts);
      this.flushRetryAt = Date.now() + wait;
      console.warn(`[limits] flush to D1 failed (attempt ${this.flushAttempts}, retry in ${wait} ms): ${(err as Error).message}`);
      return;
    }
    this.flushAttempts = 0;
    this.flushRetryAt = null;
    if (batch) {
      this.sql.exec("DELETE FROM outbox WHERE seq <= ?", batch.lastSeq);
      this.outboxRows -= batch.count;
    }
    if (seqAtStart === this.stateSeq) {
      this.dirty = false;
      this.putMeta("dirty", false);
    }
    if (this.outboxRows) this.flushRetryAt = Date.now(); // more to write: next alarm at once
  }

  /** The oldest outbox entries, capped by rows and size. The same entries are retried until written. */
  private nextBatch(id: Identity): FlushBatch {
    const rows: string[] = [];
    const daily = new Map<string, DailyRow>();
    let count = 0;
    let bytes = 0;
    let firstSeq = 0;
    let lastSeq = 0;
    for (const r of this.sql.exec<{ seq: number; row: string; daily: string | null; n: number }>(`SELECT seq, row, daily, ${ENTRY_ROWS} AS n FROM outbox ORDER BY seq LIMIT ?`, FLUSH_MAX_ROWS)) {
      if (rows.length && (count + r.n > FLUSH_MAX_ROWS || bytes + r.row.length > FLUSH_MAX_BYTES)) break;
      const isArray = r.row.startsWith("[");
      rows.push(isArray ? r.row.slice(1, -1) : r.row);
      // Entries written before they carried their sums: read them from the rows.
      sumDaily(daily, r.daily !== null ? (JSON.parse(r.daily) as DailyRow[]) : dailyRowsOfText(r.row));
      count += r.n;
      bytes += r.row.length;
      firstSeq ||= r.seq;
      lastSeq = r.seq;
    }
    return { scope: `${guardName(id)}:${this.epoch}`, firstSeq, lastSeq, rows, count, daily: [...daily.values()] };
  }

  private totals(id: Identity): FlushTotals | undefined {
    const state = this.state;
    if (!state || !this.config) return undefined; // unknown/deleted: only its log rows are written
    const b = state.budget;
    if (id.kind === "key") {
      return { kind: "key", token: id.token, spend: b.spend, budgetResetAt: b.resetAt, modelSpend: Object.fromEntries(Object.entries(state.models).map(([m, s]) => [m, s.spend])) };
    }
    if (id.kind === "team") return { kind: "team", id: id.id, spend: b.spend, budgetResetAt: b.resetAt, memberSpend: state.members };
    return { kind: "user", id: id.id, spend: b.spend, budgetResetAt: b.resetAt };
  }

  /** One alarm for everything due: a flush, a budget reset, a reservation expiry. */
  private scheduleAlarm(): void {
    const due: number[] = [];
    if (this.outboxRows || this.dirty || this.forwardRows) due.push(this.flushRetryAt ?? Date.now() + FLUSH_DELAY_MS);
    const state = this.state;
    if (state) {
      // Budget times are on this guard's clock; alarms on the real one.
      for (const b of [state.budget, ...Object.values(state.models)]) if (b.resetAt !== null) due.push(b.resetAt - this.clockOffset);
    }
    for (const r of this.open.values()) due.push(r.at + RESERVATION_TTL_MS - this.clockOffset);
    if (!due.length) return;
    const next = Math.max(Date.now(), Math.min(...due));
    if (this.alarmAt !== null && this.alarmAt <= next) return;
    this.alarmAt = next;
    void this.ctx.storage.setAlarm(next);
  }
}

/** A call this guard admitted or settled (kept SETTLED_TTL_MS after settling: repeats, and rate windows after a restart). */
type CallRow = {
  id: string;
  cost: number;
  model: string;
  user_id: string | null;
  team_id: string | null;
  /** When it was admitted. */
  at: number;
  state: "open" | "settled" | "expired" | "returned";
  tokens: number;
  settled_at: number | null;
  slots: number;
  lease_calls: number;
};

const reservationOf = (row: CallRow): Reservation => ({ cost: row.cost, model: row.model, slots: row.slots, calls: row.lease_calls, userId: row.user_id, teamId: row.team_id, at: row.at });

/** Starts a new budget period if due (or if the duration changed); true if anything changed. */
function roll(b: Budget, duration: string | null, now: number): boolean {
  let changed = false;
  if (duration !== b.duration) {
    b.duration = duration;
    b.resetAt = duration ? nextBudgetReset(duration, now) : null;
    changed = true;
  }
  if (b.resetAt !== null && now >= b.resetAt) {
    b.spend = 0;
    b.resetAt = nextBudgetReset(b.duration!, now);
    changed = true;
  }
  return changed;
}
