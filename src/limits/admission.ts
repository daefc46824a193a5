// Admitting an LLM call under its key's limits: from the key's lease in this isolate when it has one
// (src/limits/lease.ts: no round trip), else by one KeyGuard round trip, which also checks a key this
// isolate has not cached, and may grant a lease. Refusals are LiteLLM's 401/403/429 with retry-after.
import type { LlmCall } from "../core/call";
import { guardFor, type AdmitAnswer, type BudgetPolicy, type RateHeaders, type Refusal } from "../core/guard-rpc";
import { accessOf, mayUse, modelAccessDenied, type Principal } from "../core/principal";
import type { Env } from "../env";
import { confirmKey, forgetKey, guardUnavailable, principalOf, refusalError, touchKey } from "../keys/lookup";
import type { Reservation } from "../spend/cost";
import { inBackground } from "../lib/background";
import { admitFromLease, askForLease, leaseAnswered, leaseHeaders, renewIfDue, takeLease, unadmitFromLease, type Lease } from "./lease";

/** What an admitted call's answer says about its key (x-litellm-key-spend, x-ratelimit-*). */
export type Admitted = Pick<Extract<AdmitAnswer, { ok: true }>, "spend" | "maxBudget" | "rate">;

export interface Admission {
  admitted: Admitted;
  /** Set when the call was admitted from this isolate's lease (it settles through it). */
  lease?: Lease;
}

/**
 * Admits a virtual key's call, reserving `reservation.cost`. When the guard sends the key's config (not
 * cached here, or changed), the principal is updated in place (the call and the router's fallback
 * checks hold this same object) and model access is decided again.
 */
export async function admitCall(env: Env, call: LlmCall, principal: Principal, reservation: Reservation, policy: BudgetPolicy): Promise<Admission> {
  const token = principal.token!;
  const lease = principal.key && admitFromLease(env, token, principal.key.version, reservation.cost);
  if (lease) {
    renewIfDue(env, lease, reservation.cost, policy);
    return { admitted: leaseHeaders(lease), lease };
  }
  const guard = guardFor(env, { kind: "key", token });
  const wantLease = askForLease(token);
  const request = { token, requestId: call.id, model: call.group.name, cost: reservation.cost, tokens: reservation.tokens, access: accessOf(call.group), policy };
  const answer = await guard
    .admit({ ...request, knownVersion: principal.key?.version, wantLease })
    .catch(guardUnavailable)
    .finally(() => wantLease && leaseAnswered(token));
  if (!answer.ok) {
    if (answer.revoked) forgetKey(token);
    throw refusalError(answer.held ? explainHold(answer, reservation) : answer);
  }
  if (answer.config) confirmKey(answer.config);
  else touchKey(token);
  takeLease(env, token, answer);
  if (answer.config) {
    const fresh = Object.assign(principal, principalOf(answer.config));
    if (!mayUse(fresh, call.group)) {
      await guard.cancel(call.id);
      throw modelAccessDenied(fresh, call.group);
    }
  }
  return { admitted: answer };
}

/** The call was admitted but will not run after all (another budget refused it): what it held goes back. */
export function cancelAdmission(env: Env, call: LlmCall, principal: Principal, admission: Admission, reservation: Reservation): void {
  if (admission.lease) unadmitFromLease(env, admission.lease, reservation.cost);
  else inBackground(guardFor(env, { kind: "key", token: principal.token! }).cancel(call.id));
}

const OUTPUT_FROM = {
  max_tokens: "its max_tokens",
  model: "the model's max output tokens, as the request sets no max_tokens",
  default: "the default of 4096, as neither the request nor the model sets a bound",
} as const;

/** A refusal because calls in flight hold the rest of a budget, with what this call would hold and why. */
function explainHold(r: Refusal, reservation: Reservation): Refusal {
  const { promptTokens, outputTokens, outputFrom } = reservation;
  const why = ` It holds its worst case until it ends: about ${promptTokens} prompt tokens and ${outputTokens} output tokens (${OUTPUT_FROM[outputFrom]}); a lower max_tokens holds less.`;
  return { ...r, message: r.message + why };
}

/** LiteLLM's x-ratelimit-* headers. */
export function setRateHeaders(h: Record<string, string>, rate: RateHeaders): void {
  if (rate.limitRequests !== undefined) {
    h["x-ratelimit-limit-requests"] = String(rate.limitRequests);
    h["x-ratelimit-remaining-requests"] = String(rate.remainingRequests);
  }
  if (rate.limitTokens !== undefined) {
    h["x-ratelimit-limit-tokens"] = String(rate.limitTokens);
    h["x-ratelimit-remaining-tokens"] = String(rate.remainingTokens);
  }
}
