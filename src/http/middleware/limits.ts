// The limits and spend step of the LLM request path (right before dispatchCall):
//   before the call: admission under the key's limits, reserving the most the call can cost
//                    (src/limits/admission.ts), or LiteLLM's 429 budget_exceeded / rate_limit_exceeded;
//   after it:        cost, spend and rate-limit headers on the answer, and - once the call is over
//                    (for streams: last chunk sent or client gone) - its settlement (src/limits/settle.ts).
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../../core/hono-env";
import type { Principal } from "../../core/principal";
import type { Runtime } from "../../core/provider";
import { hashKey } from "../../keys/token";
import { admitCall, setRateHeaders, type Admission } from "../../limits/admission";
import { settleCall } from "../../limits/settle";
import { candidateGroups, reservationFor } from "../../spend/cost";
import { priceBook } from "../../spend/prices";
import { callCost } from "../../spend/spend-log";

const masterTokens = new WeakMap<Runtime, Promise<string>>();

/** The token spend is logged under: the virtual key's, the master key's hash, or "" in open mode. */
export function tokenOf(principal: Principal, runtime: Runtime): Promise<string> | string {
  if (principal.token !== undefined) return principal.token;
  if (principal.kind !== "master" || !runtime.masterKey) return "";
  let token = masterTokens.get(runtime);
  if (!token) masterTokens.set(runtime, (token = hashKey(runtime.masterKey)));
  return token;
}

export const enforceLimits = createMiddleware<GatewayEnv>(async (c, next) => {
  const { call, principal, runtime } = c.var;
  // Plain values on the hot path, promises only when something must load: every await costs a turn.
  const loading = priceBook(c.env);
  const book = loading instanceof Promise ? await loading : loading;
  const reservation = reservationFor(call.request, candidateGroups(call.group, runtime), book);
  let admission: Admission | undefined;
  if (principal.kind === "virtual_key" && principal.token) {
    // The guard answers for the key now (accepted or refused): auth need not ask it again.
    if (!principal.key) c.set("keyChecked", true);
    admission = await admitCall(c.env, call, principal, reservation);
  }
  const hashing = tokenOf(principal, runtime);
  const token = typeof hashing === "string" ? hashing : await hashing;

  // Cost, spend and rate-limit headers, written into the success answer's headers as they are built.
  const spendHeaders = (h: Record<string, string>) => {
    let thisCall = 0;
    // A JSON answer's call is over, so its cost is known now (a stream's only at its end).
    if (!call.stream && call.outcome) {
      thisCall = callCost(call.outcome, book, reservation).cost;
      h["x-litellm-response-cost"] = String(thisCall);
    }
    if (admission) {
      const { admitted } = admission;
      h["x-litellm-key-spend"] = String(admitted.spend + thisCall);
      if (admitted.maxBudget !== null) h["x-litellm-key-max-budget"] = String(admitted.maxBudget);
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
  c.executionCtx.waitUntil(
    settleCall(c.env, {
      call,
      principal,
      token,
      reservation,
      book,
      lease: admission?.lease,
      storePrompts: !!settings.store_prompts_in_spend_logs,
      keepLogRow: !settings.disable_spend_logs,
      response,
    }),
  );
});
