// Settling: a call is over, so its reservation (if it has one here) becomes spend, its tokens enter the
// tpm windows, its spend log row goes to the outbox, and the key's team and user guards get their share.
// Calls settle one by one (`settle`: those the guard admitted itself) or in batches per isolate
// (`settleMany`: master-key and open-mode calls, calls admitted from leases, and lease returns).
// A settlement seen before is not counted again (the calls table remembers settled ids for a while).
import type { Env } from "../../env";
import type { SpendLogRow } from "../../schema/db";
import { dailyRow, outboxRow } from "../../spend/flush";
import { guardFor, type KeyConfig, type LeaseReturn, type ScopeSettlement, type Settlement } from "../../core/guard-rpc";
import { modelBudget, type Budgets, type SpendState } from "./budgets";
import { chargeLease, returnLease } from "./leases";
import type { CallRow, Ledger, Reservation } from "./ledger";
import type { Outbox } from "./outbox";
import type { Policy } from "./policy";
import type { Subject } from "./subject";

/** The parts of a guard that settling touches (key-guard.ts hands its own). */
export interface SettleContext {
  readonly env: Env;
  readonly subject: Subject;
  readonly ledger: Ledger;
  readonly budgets: Budgets;
  readonly outbox: Outbox;
  readonly policy: Policy;
  now(): number;
  /** Starts the budget periods whose time has come (in the policy's time zone). */
  roll(now: number): void;
  scheduleAlarm(): void;
}

/** A calls-table row for calls settled without a reservation here (a batch's: summed per model group). */
type SettledRow = Omit<CallRow, "state" | "lease_calls" | "held_tokens" | "partial">;

/** One call the guard admitted itself (or an isolate's single retry of one). */
export async function settle(g: SettleContext, s: Settlement): Promise<void> {
  await g.subject.readyToSettle({ kind: "key", token: s.token });
  if (await settleOne(g, s)) g.budgets.changed();
  g.scheduleAlarm();
}

/**
 * Several settlements in one round trip (calls without reservations of their own, batched per isolate),
 * then leases given back. `batchId` (the isolate's, the same on a retry) lets the batch's calls share
 * a calls-table row per model group and makes a repeated delivery a no-op; without one, each call is
 * recorded and deduplicated by itself.
 */
export async function settleMany(g: SettleContext, list: Settlement[], returns: LeaseReturn[], batchId: string | undefined): Promise<void> {
  let changed = false;
  // A batch is one key's (settle-batch.ts): its config (user and team) is needed before recording its calls.
  if (list.length) await g.subject.readyToSettle({ kind: "key", token: list[0].token });
  const { fresh, calls } = recordUnreserved(g, list, batchId);
  const rows: Settlement[] = [];
  for (const s of calls) changed = (await settleOne(g, s, fresh, rows)) || changed;
  g.outbox.queueRows(rows);
  for (const r of returns) returnLease(g.ledger, r, g.now());
  if (changed) g.budgets.changed(); // the state is written once per batch
  g.scheduleAlarm();
}

/** A team's or user's share of a call one of its keys settled (forwarded by the key's guard). */
export async function settleScope(g: SettleContext, s: ScopeSettlement): Promise<void> {
  await g.subject.ready({ kind: s.kind, id: s.id });
  g.subject.remember({ kind: s.kind, id: s.id });
  const now = g.now();
  if (!g.ledger.finish(s.requestId, s.tokens, { cost: s.cost, model: s.model, slots: 1, userId: s.userId, teamId: null, at: now }, now)) return;
  const state = g.budgets.ensure();
  g.roll(now);
  addSpend(state, s.cost, s.tokens);
  if (s.kind === "team" && s.userId) state.members[s.userId] = (state.members[s.userId] ?? 0) + s.cost;
  g.ledger.tokens.add(now, s.tokens);
  g.budgets.changed();
  g.scheduleAlarm();
}

/**
 * Records as settled, in one statement, a batch's calls that hold no reservation here (master key,
 * open mode, leases: nearly all of them): one calls-table row per model group for a batch with an id
 * (the rate windows after a restart read its summed slots and tokens), else one per call. Returns
 * what each newly recorded call was recorded as, and the settlements still to apply: all of them,
 * or, for a batch seen before, only those holding a reservation here. Without a batch id, a call
 * already known (a repeat) is left to the ledger's `finish`, one by one.
 */
function recordUnreserved(g: SettleContext, list: Settlement[], batchId: string | undefined): { fresh: Map<string, Reservation>; calls: Settlement[] } {
  const { ledger } = g;
  const fresh = new Map<string, Reservation>();
  const calls: Settlement[] = [];
  const rows = new Map<string, SettledRow>();
  const now = g.now();
  const config = g.subject.key;
  for (const s of list) {
    if (ledger.open.has(s.requestId)) {
      calls.push(s);
      continue;
    }
    if (fresh.has(s.requestId)) {
      if (!batchId) calls.push(s); // finish finds its own row and skips it
      continue;
    }
    const r = unreservedCall(ledger, s, config, now);
    fresh.set(s.requestId, r);
    calls.push(s);
    const id = batchId ? `batch:${batchId}:${s.model}` : s.requestId;
    const row = rows.get(id);
    if (row) {
      row.cost += r.cost;
      row.tokens += s.tokens;
      row.slots += r.slots;
    } else rows.set(id, { id, cost: r.cost, model: r.model, user_id: r.userId, team_id: r.teamId, at: r.at, tokens: s.tokens, settled_at: now, slots: r.slots });
  }
  if (!rows.size) return { fresh, calls };
  const inserted = new Set<string>();
  // Materialised so each row is parsed once, not once per column (see rowsOf in flush.ts).
  const col = (name: keyof SettledRow) => `json_extract(j, '$.${name}')`;
  for (const row of ledger.storage.sql.exec<{ id: string }>(
    `WITH r AS MATERIALIZED (SELECT value AS j FROM json_each(?))
     INSERT OR IGNORE INTO calls (id, cost, model, user_id, team_id, at, state, tokens, settled_at, slots)
     SELECT ${col("id")}, ${col("cost")}, ${col("model")}, ${col("user_id")}, ${col("team_id")}, ${col("at")}, 'settled', ${col("tokens")}, ${col("settled_at")}, ${col("slots")} FROM r RETURNING id`,
    JSON.stringify([...rows.values()]),
  )) inserted.add(row.id);
  if (batchId) {
    // Its rows went in together: none went in now means a repeated delivery, counted the first time.
    if (!inserted.size) return { fresh: new Map(), calls: calls.filter((s) => ledger.open.has(s.requestId)) };
  } else for (const id of fresh.keys()) if (!inserted.has(id)) fresh.delete(id);
  return { fresh, calls };
}

/** How a call with no reservation here is recorded when it settles. */
function unreservedCall(ledger: Ledger, s: Settlement, config: KeyConfig | undefined, now: number): Reservation {
  // A call admitted from a lease that counted its slots is in the rpm window already.
  const countedByLease = s.lease !== undefined && (ledger.open.get(s.lease)?.slots ?? 0) > 0;
  return { cost: s.cost, model: s.model, slots: countedByLease ? 0 : 1, userId: config?.user_id ?? null, teamId: config?.team_id ?? null, at: now };
}

/**
 * Settles one call in memory and queues its row; false if it was settled before. The caller has made
 * the guard ready and writes the state. From settleMany: `fresh` holds the calls recordUnreserved has
 * just recorded, and the rows go to `rows` for one outbox entry per batch.
 */
async function settleOne(g: SettleContext, s: Settlement, fresh?: Map<string, Reservation>, rows?: Settlement[]): Promise<boolean> {
  const { ledger } = g;
  const now = g.now();
  // The first of a batch's settlements for an id it has just recorded uses that record; any other goes the long way.
  const recorded = fresh?.get(s.requestId);
  if (recorded) fresh!.delete(s.requestId);
  if (s.lease && !ledger.open.has(s.lease) && leaseCharged(ledger, s.lease)) return false; // billed with its lease
  const call = recorded ?? ledger.finish(s.requestId, s.tokens, unreservedCall(ledger, s, g.subject.key, now), now);
  if (!call) return false; // settled before: a repeated settlement (or charged when its reservation expired)
  if (s.lease) {
    chargeLease(ledger, s.lease, s.cost, now);
    if (call.slots) ledger.requests.add(now); // its lease did not count it (unreservedCall)
  }
  const state = g.budgets.ensure();
  g.roll(now);
  const before = state.budget.spend;
  addSpend(state, s.cost, s.tokens);
  modelBudget(state, s.model).spend += s.cost;
  softBudgetCrossed(g, before, state.budget.spend);
  ledger.tokens.add(now, s.tokens);
  ledger.modelTokens.get(s.model).add(now, s.tokens);
  if (rows) rows.push(s);
  else g.outbox.queueRows([s]);

  // The team's and the user's guards keep their spend (and release their reservations, if any).
  const base = { requestId: s.requestId, model: s.model, cost: s.cost, tokens: s.tokens, userId: call.userId };
  if (call.teamId) await forward(g, { kind: "team", id: call.teamId, ...base });
  if (call.userId) await forward(g, { kind: "user", id: call.userId, ...base });
  return true;
}

function addSpend(state: SpendState, cost: number, tokens: number): void {
  state.budget.spend += cost;
  if (tokens) state.budget.tokens = (state.budget.tokens ?? 0) + tokens;
}

/** A lease that is no longer open was either given back (all its calls settled) or charged when it expired. */
function leaseCharged(ledger: Ledger, lease: string): boolean {
  return ledger.storage.sql.exec<{ state: string }>("SELECT state FROM calls WHERE id = ?", lease).toArray()[0]?.state === "settled";
}

/** One log line when a key's spend crosses its soft_budget (LiteLLM's soft_budget_crossed alert). */
function softBudgetCrossed(g: SettleContext, before: number, after: number): void {
  const key = g.subject.key;
  const soft = key?.soft_budget;
  if (soft === null || soft === undefined || before >= soft || after < soft) return;
  const name = key!.key_alias ? `${key!.key_name} (${key!.key_alias})` : key!.key_name;
  console.warn(`[budget] soft_budget_crossed: key ${name} has spent ${Number(after.toPrecision(6))} USD, over its soft_budget of ${soft} (max_budget ${key!.limits.max_budget ?? "none"})`);
}

/**
 * Charges reservations whose calls (or leases) never settled (their isolate died before delivering the
 * settlement) at what they hold: nothing reserved is forgotten. A key guard also writes a spend log row
 * for each, status "estimated", so /spend/logs shows the charge; a settlement arriving after this is
 * not counted again (the call's row is settled).
 */
export function chargeExpired(g: SettleContext, expired: { id: string; r: Reservation }[]): void {
  if (!expired.length) return;
  const now = g.now();
  const state = g.budgets.ensure();
  g.roll(now);
  const rows: Settlement[] = [];
  const id = g.subject.identity;
  for (const { id: callId, r } of expired) {
    g.ledger.settleExpired(callId, r, now);
    addSpend(state, r.cost, r.tokens ?? 0);
    if (id?.kind === "key") {
      if (r.model) modelBudget(state, r.model).spend += r.cost;
      rows.push(estimatedRow(id.token, callId, r, g.subject.key, now));
    }
    if (r.userId && id?.kind === "team") state.members[r.userId] = (state.members[r.userId] ?? 0) + r.cost;
    console.warn(`[limits] ${r.model ? "call" : "lease"} ${callId} never settled: charged its reservation, ${r.cost} USD${r.tokens ? `, ${r.tokens} tokens` : ""}`);
  }
  if (rows.length) g.outbox.queueRows(rows);
  g.budgets.changed();
}

/** The spend log row of a reservation charged without its call's own (spend/flush.ts's formats). */
function estimatedRow(token: string, id: string, r: Reservation, key: KeyConfig | undefined, now: number): Settlement {
  const model = r.model || "(unsettled lease)";
  const log: SpendLogRow = {
    request_id: r.model ? id : `lease:${id}`,
    api_key: token,
    user: r.userId,
    team_id: r.teamId,
    model,
    model_group: model,
    call_type: "unknown",
    prompt_tokens: 0,
    completion_tokens: 0,
    total_tokens: r.tokens ?? 0,
    spend: r.cost,
    status: "estimated",
    start_time: r.at,
    end_time: now,
    duration_ms: Math.max(0, now - r.at),
    metadata: {
      ...(key?.key_alias ? { user_api_key_alias: key.key_alias } : {}),
      usage_estimated: true,
      estimated_reason: r.model
        ? "the call's settlement never reached its guard (its isolate stopped): charged what it reserved"
        : "a lease was never given back (its isolate stopped): charged what it still held",
    },
  };
  return { token, requestId: log.request_id, model, cost: r.cost, tokens: r.tokens ?? 0, row: outboxRow(log, true), daily: dailyRow(log, false) };
}

/** Sends a settlement to a team/user guard; queued durably (outbox.ts drains it) when that fails. */
async function forward(g: SettleContext, s: ScopeSettlement): Promise<void> {
  try {
    await guardFor(g.env, s).scopeSettle(s);
  } catch (err) {
    console.warn(`[limits] ${s.kind} guard unreachable, settlement queued: ${(err as Error).message}`);
    g.outbox.queueForward(s);
  }
}
