// The limits and spend step of the LLM request path (right before dispatchCall):
//   before the call: admission under the key's limits, holding the most the call can cost
//                    (src/limits/admission.ts) and, with litellm_settings.max_budget, the proxy's
//                    (src/limits/proxy-budget.ts, beside it), or LiteLLM's 429 budget_exceeded / rate_limit_exceeded;
//   after it:        cost, spend and rate-limit headers on the answer, and - once the call is over
//                    (for streams: last chunk sent or client gone) - its settlement (src/limits/settle.ts).
// Every call is tracked from before its admission until its settlement is delivered (src/limits/shutdown.ts).
import { createMiddleware } from "hono/factory";
import type { LlmCall } from "../../core/call";
import type { BudgetPolicy } from "../../core/guard-rpc";
import type { GatewayEnv } from "../../core/hono-env";
import type { Principal } from "../../core/principal";
import type { Env } from "../../env";
import { admitCall, cancelAdmission, setRateHeaders, type Admission } from "../../limits/admission";
import { budgetPolicy } from "../../limits/policy";
import { admitProxy, releaseProxy } from "../../limits/proxy-budget";
import { settleCall, spendToken } from "../../limits/settle";
import { trackCall } from "../../limits/shutdown";
import { candidateGroups, costOf, NOTHING_RESERVED, reservationFor, type Reservation } from "../../spend/cost";
import { priceBook, priceOf, type PriceBook } from "../../spend/prices";
import { callCost } from "../../spend/spend-log";

/**
 * Admits the call under its key's limits and, when the config has one, the proxy-wide budget: both
 * asked at once; if one refuses, what the other held goes back. Undefined when nothing is to be asked
 * (the master key without a proxy budget): no await on that path.
 */
function admit(env: Env, call: LlmCall, principal: Principal, reservation: Reservation, policy: BudgetPolicy): Promise<Admission | undefined> | undefined {
  const byKey = principal.kind === "virtual_key" && !!principal.token;
  if (!policy.proxy) return byKey ? admitCall(env, call, principal, reservation, policy) : undefined;
  return admitWithProxy(env, call, principal, reservation, policy, byKey);
}

async function admitWithProxy(env: Env, call: LlmCall, principal: Principal, reservation: Reservation, policy: BudgetPolicy, byKey: boolean): Promise<Admission | undefined> {
  const [key, proxy] = await Promise.allSettled([byKey ? admitCall(env, call, principal, reservation, policy) : undefined, admitProxy(env, call, reservation, policy)]);
  if (key.status === "rejected") {
    if (proxy.status === "fulfilled") void releaseProxy(env, call.id);
    throw key.reason;
  }
  if (proxy.status === "rejected") {
    if (key.value) cancelAdmission(env, call, principal, key.value, reservation);
    throw proxy.reason;
  }
  return key.value;
}

const usageCosts = new WeakMap<PriceBook, NonNullable<LlmCall["usageCost"]>>();

/** A usage's USD on a deployment, when its price is known (a stream's final usage chunk carries it as usage.cost). One per price book. */
function usageCostIn(book: PriceBook): NonNullable<LlmCall["usageCost"]> {
  let fn = usageCosts.get(book);
  if (!fn) {
    fn = (usage, deployment) => {
      const price = priceOf(deployment, book);
      return price ? costOf(usage, price) : undefined;
    };
    usageCosts.set(book, fn);
  }
  return fn;
}

export const enforceLimits = createMiddleware<GatewayEnv>(async (c, next) => {
  const { call, principal, runtime } = c.var;
  const endTracking = trackCall();
  let admission: Admission | undefined;
  let book: PriceBook;
  let reservation: Reservation;
  const policy = budgetPolicy(runtime);
  try {
    // Plain values on the hot path, promises only when something must load: every await costs a turn.
    const loading = priceBook(c.env);
    book = loading instanceof Promise ? await loading : loading;
    // A cache hit costs nothing: it reserves nothing, but counts against the key's rpm like any call.
    reservation = call.cacheHit ? NOTHING_RESERVED : reservationFor(call.request, candidateGroups(call.group, runtime), book);
    // The guard answers for the key now (accepted or refused): auth need not ask it again.
    if (principal.kind === "virtual_key" && principal.token && !principal.key) c.set("keyChecked", true);
    const admitting = admit(c.env, call, principal, reservation, policy);
    if (admitting) admission = await admitting;
  } catch (err) {
    endTracking();
    throw err;
  }
  const hashing = spendToken(principal, runtime);
  const token = typeof hashing === "string" ? hashing : await hashing;
  call.usageCost = usageCostIn(book);

  // Cost, spend and rate-limit headers, written into the success answer's headers as they are built.
  const spendHeaders = (h: Record<string, string>, outcome = call.outcome) => {
    let thisCall = 0;
    // Known once the call is over: a JSON answer, or a stream the upstream finished before its first byte went out.
    if (outcome) {
      thisCall = callCost(outcome, book, reservation).cost;
      h["x-litellm-response-cost"] = String(thisCall);
    }
    if (admission) {
      const { admitted } = admission;
      h["x-litellm-key-spend"] = String(admitted.spend + thisCall);
      if (admitted.maxBudget !== null) h["x-litellm-key-max-budget"] = String(admitted.maxBudget);
      const soft = principal.key?.soft_budget;
      if (soft !== null && soft !== undefined && admitted.spend + thisCall >= soft) h["x-litellm-soft-budget-crossed"] = "true";
      setRateHeaders(h, admitted.rate);
    }
  };
  call.onAnswer(spendHeaders);

  await next();

  const settings = runtime.config.general_settings;
  let response: Promise<unknown> | undefined;
  if (c.res.ok) {
    if (!call.answered) {
      // An answer whose headers did not come from successHeaders: add them to the response itself.
      const h: Record<string, string> = {};
      spendHeaders(h);
      for (const name in h) c.res.headers.set(name, h[name]);
    }
    // JSON answers only: speech audio is streamed through, never held.
    const isJson = c.res.headers.get("content-type")?.startsWith("application/json");
    if (!call.stream && isJson && settings.store_prompts_in_spend_logs) response = c.res.clone().json().catch(() => undefined);
  }
  const settling = settleCall(c.env, {
    call,
    principal,
    token,
    reservation,
    book,
    lease: admission?.lease,
    proxyBudget: policy.proxy !== undefined,
    storePrompts: !!settings.store_prompts_in_spend_logs,
    keepLogRow: !settings.disable_spend_logs,
    response,
  });
  c.executionCtx.waitUntil(settling.finally(endTracking));
});
