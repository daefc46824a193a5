// The proxy-wide budget (litellm_settings.max_budget + budget_duration): every call, whoever makes it,
// also holds its worst case in one guard (`proxy:global`) under the same admission rule as keys, and
// settles there when it ends. One extra round trip per call, made beside the key's admission (not after
// it), and only when the config sets a proxy budget.
import type { LlmCall } from "../core/call";
import { guardFor, type BudgetPolicy, type ScopeIdentity } from "../core/guard-rpc";
import type { Env } from "../env";
import { guardUnavailable, refusalError } from "../keys/lookup";
import type { Reservation } from "../spend/cost";
import { withSettleRetries } from "./settle-batch";

const PROXY: ScopeIdentity = { kind: "proxy", id: "global" };

/** Holds the call's worst case in the proxy's budget, or throws LiteLLM's refusal. */
export async function admitProxy(env: Env, call: LlmCall, reservation: Reservation, policy: BudgetPolicy): Promise<void> {
  const answer = await guardFor(env, PROXY)
    .scopeAdmit({ ...PROXY, requestId: call.id, model: call.group.name, cost: reservation.cost, tokens: reservation.tokens, userId: null, policy })
    .catch(guardUnavailable);
  if (!answer.ok) throw refusalError(answer);
}

/** The call will not run after all (its key refused it): what it held goes back. */
export function releaseProxy(env: Env, requestId: string): Promise<void> {
  return guardFor(env, PROXY).scopeRelease(requestId).catch(() => {}); // if lost, it expires and is charged: never lost
}

/** The call is over: the proxy's budget is charged what it cost. */
export function settleProxy(env: Env, requestId: string, model: string, cost: number, tokens: number): Promise<void> {
  return withSettleRetries(`call ${requestId} on the proxy budget`, () => guardFor(env, PROXY).scopeSettle({ ...PROXY, requestId, model, cost, tokens, userId: null }));
}
