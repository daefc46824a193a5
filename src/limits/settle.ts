// The end of a call, charged: once the call is over (for streams: last chunk sent or client gone), its
// cost and spend log row go to the key's guard - through its lease's batch, the isolate's batch (master
// key, open mode), or a direct settle that releases the call's own reservation - and, with a proxy-wide
// budget, to the proxy's guard. Retried; guards ignore repeats.
import type { LlmCall } from "../core/call";
import { guardFor } from "../core/guard-rpc";
import type { Principal } from "../core/principal";
import type { Runtime } from "../core/provider";
import { hashKey } from "../keys/token";
import type { Env } from "../env";
import { NOTHING_RESERVED, type Reservation } from "../spend/cost";
import { dailyRow, outboxRow } from "../spend/flush";
import { priceBook, type PriceBook } from "../spend/prices";
import { callCost, spendLogRow } from "../spend/spend-log";
import { noteSpend, settleFromLease, type Lease } from "./lease";
import { settleProxy } from "./proxy-budget";
import { settleBatched, withSettleRetries } from "./settle-batch";

/** Per isolate (Runtime.isolate): the master key is the config's, whatever stored models change. */
const masterTokens = new WeakMap<object, Promise<string>>();

/** The token spend is logged under: the virtual key's, the master key's hash, or "" in open mode. */
export function spendToken(principal: Principal, runtime: Runtime): Promise<string> | string {
  if (principal.token !== undefined) return principal.token;
  if (principal.kind !== "master" || !runtime.masterKey) return "";
  let token = masterTokens.get(runtime.isolate);
  if (!token) masterTokens.set(runtime.isolate, (token = hashKey(runtime.masterKey)));
  return token;
}

/**
 * Settles a call that was never admitted and holds nothing (refused by a guardrail before admission, a
 * batch whose cost is known only when it completes): its spend log row (no prompt kept) and its cost.
 */
export async function settleUnreserved(env: Env, call: LlmCall, principal: Principal, runtime: Runtime): Promise<void> {
  const [token, book] = await Promise.all([spendToken(principal, runtime), priceBook(env)]);
  const keepLogRow = !runtime.config.general_settings.disable_spend_logs;
  await settleCall(env, { call, principal, token, reservation: NOTHING_RESERVED, book, lease: undefined, proxyBudget: false, storePrompts: false, keepLogRow });
}

export interface SettleInput {
  call: LlmCall;
  principal: Principal;
  /** The token spend is logged under. */
  token: string;
  reservation: Reservation;
  book: PriceBook;
  lease: Lease | undefined;
  /** The call also holds part of the proxy-wide budget (litellm_settings.max_budget). */
  proxyBudget: boolean;
  /** general_settings.store_prompts_in_spend_logs / disable_spend_logs. */
  storePrompts: boolean;
  keepLogRow: boolean;
  /** The JSON answer, when prompts are stored. */
  response?: Promise<unknown>;
}

export async function settleCall(env: Env, s: SettleInput): Promise<void> {
  const { call, principal, token, reservation, lease } = s;
  const outcome = await call.done;
  const cost = callCost(outcome, s.book, reservation);
  const response = s.storePrompts && s.response ? await s.response : undefined;
  const log = spendLogRow({ call, outcome, principal, token, cost, storePrompts: s.storePrompts, response });
  // A cache hit used no upstream tokens: its usage is logged, not counted against tpm or token budgets.
  const tokens = outcome.cacheHit ? 0 : (cost.usage?.total_tokens ?? 0);
  const settlement = { token, requestId: call.id, model: call.group.name, cost: cost.cost, tokens, row: outboxRow(log, s.keepLogRow), daily: dailyRow(log, cost.unpriced) };
  const proxy = s.proxyBudget ? settleProxy(env, call.id, call.group.name, cost.cost, tokens) : undefined;
  // No reservation of its own to release (master key, open mode, admitted from a lease): batched per isolate.
  let key: Promise<void>;
  if (lease) key = settleFromLease(env, lease, reservation.cost, settlement);
  else if (principal.kind !== "virtual_key") key = settleBatched(env, token, settlement);
  else {
    noteSpend(token, cost.cost);
    key = withSettleRetries(`call ${call.id} (${cost.cost} USD)`, () => guardFor(env, { kind: "key", token }).settle(settlement));
  }
  await (proxy ? Promise.all([key, proxy]) : key);
}
