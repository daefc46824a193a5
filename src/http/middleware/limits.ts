// The limits and spend step of the LLM request path (right before dispatchCall):
//   before the call: the key's lease in this isolate admits it and reserves the most it can cost
//                    (src/limits/lease.ts); without one, a KeyGuard round trip does (and may grant one),
//                    or answers 429 budget_exceeded / rate_limit_exceeded with retry-after;
//   after it:        cost, spend and rate-limit headers on the response, and - once the call is over
//                    (for streams: last chunk sent or client gone) - the settlement to the guard.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../app";
import type { Principal } from "../../core/principal";
import type { Runtime } from "../../config/runtime";
import type { SpendLogRow } from "../../schema/db";
import type { Env } from "../../env";
import { GatewayError, toGatewayError } from "../../errors";
import { confirmKey, forgetKey, guardUnavailable, markAskedGuard, principalOf, refusalError, touchKey } from "../../keys/lookup";
import { hashKey } from "../../keys/token";
import type { Usage } from "../../schema/openai";
import type { CallOutcome, LlmCall } from "../../core/call";
import { mayUse } from "./llm-call";
import { cachedTokens, candidateGroups, costOf, reservationFor, type Reservation } from "../../spend/cost";
import { priceBook, priceOf, type PriceBook } from "../../spend/prices";
import { dailyRow, outboxRow } from "../../spend/flush";
import { guardFor } from "../../limits/guard";
import { admitFromLease, askForLease, leaseAnswered, leaseHeaders, noteSpend, renewIfDue, settleFromLease, takeLease, type Lease } from "../../limits/lease";
import { settleBatched, withSettleRetries } from "../../limits/settle-batch";
import type { AdmitAnswer, RateHeaders } from "../../core/guard-rpc";

const masterTokens = new WeakMap<Runtime, Promise<string>>();

/** The token spend is logged under: the virtual key's, the master key's hash, or "" in open mode. */
function tokenOf(principal: Principal, runtime: Runtime): Promise<string> | string {
  if (principal.token !== undefined) return principal.token;
  if (principal.kind !== "master" || !runtime.masterKey) return "";
  let token = masterTokens.get(runtime);
  if (!token) masterTokens.set(runtime, (token = hashKey(runtime.masterKey)));
  return token;
}

type Admitted = Pick<Extract<AdmitAnswer, { ok: true }>, "spend" | "maxBudget" | "rate">;

async function admit(c: Context<GatewayEnv>, call: LlmCall, principal: Principal, reservation: Reservation): Promise<Admitted> {
  const token = principal.token!;
  const guard = guardFor(c.env, { kind: "key", token });
  markAskedGuard(c.req.raw);
  const wantLease = askForLease(token);
  const answer = await guard
    .admit({ token, requestId: call.id, model: call.group.name, cost: reservation.cost, knownVersion: principal.key?.version, wantLease })
    .catch(guardUnavailable)
    .finally(() => wantLease && leaseAnswered(token));
  if (!answer.ok) {
    if (answer.revoked) forgetKey(token);
    throw refusalError(answer);
  }
  if (answer.config) confirmKey(answer.config);
  else touchKey(token);
  takeLease(c.env, token, answer);
  if (!answer.config) return answer;
  // The key was not cached here, or changed since: authorize again with what the guard says now.
  // In place: the call (and the router's fallback checks) hold this same principal object.
  const fresh = Object.assign(principal, principalOf(answer.config));
  if (!mayUse(fresh, call.group)) {
    await guard.cancel(call.id);
    throw new GatewayError(
      403,
      "permission",
      `key not allowed to access model. This key can only access models=${JSON.stringify(fresh.models)}. Tried to access ${call.group.name}`,
      { type: "key_model_access_denied", param: "model" },
    );
  }
  return answer;
}

function setRateHeaders(h: Record<string, string>, rate: RateHeaders): void {
  if (rate.limitRequests !== undefined) {
    h["x-ratelimit-limit-requests"] = String(rate.limitRequests);
    h["x-ratelimit-remaining-requests"] = String(rate.remainingRequests);
  }
  if (rate.limitTokens !== undefined) {
    h["x-ratelimit-limit-tokens"] = String(rate.limitTokens);
    h["x-ratelimit-remaining-tokens"] = String(rate.remainingTokens);
  }
}

export const enforceLimits = createMiddleware<GatewayEnv>(async (c, next) => {
  const call = c.get("call");
  const principal = c.get("principal");
  const runtime = c.get("runtime");
  // Plain values on the hot path, promises only when something must load: every await costs a turn.
  const loading = priceBook(c.env);
  const book = loading instanceof Promise ? await loading : loading;
  const reservation = reservationFor(call.request, candidateGroups(call.group, runtime), book);
  let lease: Lease | undefined;
  let admitted: Admitted | undefined;
  if (principal.kind === "virtual_key" && principal.token) {
    lease = principal.key && admitFromLease(c.env, principal.token, principal.key.version, reservation.cost);
    if (lease) {
      renewIfDue(c.env, lease, reservation.cost);
      admitted = leaseHeaders(lease);
    } else admitted = await admit(c, call, principal, reservation);
  }
  const hashing = tokenOf(principal, runtime);
  const token = typeof hashing === "string" ? hashing : await hashing;

  // Cost, spend and rate-limit headers, written into the success answer's headers as they are built.
  const spendHeaders = (h: Record<string, string>) => {
    let thisCall = 0;
    if (!call.stream) {
      // A JSON answer's call is over, so its cost is known now (a stream's only at its end).
      // One made without dispatchCall (a cache hit, say) is ended here, and costs nothing.
      if (!call.outcome) call.finish({ status: "ok", httpStatus: 200 });
      thisCall = outcomeCost(call.outcome!, call, book, reservation).cost;
      h["x-litellm-response-cost"] = String(thisCall);
    }
    if (admitted) {
      h["x-litellm-key-spend"] = String(admitted.spend + thisCall);
      if (admitted.maxBudget !== null) h["x-litellm-key-max-budget"] = String(admitted.maxBudget);
      setRateHeaders(h, admitted.rate);
    }
  };
  call.onAnswer(spendHeaders);

  await next();

  // dispatchCall settles `call.done` itself; this covers anything that failed around it.
  if (c.error) {
    const error = toGatewayError(c.error);
    call.finish({ status: call.signal.aborted ? "aborted" : "error", httpStatus: error.status, error });
  }
  const settings = runtime.config.general_settings;
  let response: Promise<unknown> | undefined;
  if (c.res.ok) {
    if (!call.answered) {
      // An answer whose headers did not come from successHeaders: add them to the response itself.
      const h: Record<string, string> = {};
      spendHeaders(h);
      for (const name in h) c.res.headers.set(name, h[name]);
    }
    if (!call.stream && settings.store_prompts_in_spend_logs) response = c.res.clone().json().catch(() => undefined);
  }
  c.executionCtx.waitUntil(settle(c.env, runtime, call, principal, token, reservation, book, lease, response));
});

function outcomeCost(outcome: CallOutcome, call: LlmCall, book: PriceBook, reservation: Reservation): { cost: number; usage?: Usage; unpriced: boolean; estimated: boolean } {
  const deployment = outcome.deployment;
  if (!deployment) return { cost: 0, unpriced: false, estimated: false };
  let usage = outcome.usage;
  let estimated = false;
  if (!usage && outcome.status === "aborted") {
    // The client left before the provider reported usage: the prompt was still processed.
    usage = { prompt_tokens: reservation.promptTokens, completion_tokens: 0, total_tokens: reservation.promptTokens };
    estimated = true;
  }
  if (!usage || outcome.status === "error") return { cost: 0, usage, unpriced: false, estimated };
  const price = priceOf(deployment, book);
  if (!price) {
    warnUnpriced(`${deployment.provider}/${deployment.model}`);
    return { cost: 0, usage, unpriced: true, estimated };
  }
  return { cost: costOf(usage, price), usage, unpriced: false, estimated };
}

const warned = new Set<string>();
function warnUnpriced(model: string): void {
  if (warned.has(model) || warned.size > 1000) return;
  warned.add(model);
  console.warn(`[spend] no price known for ${model}: charged 0 (set input_cost_per_token/output_cost_per_token, or POST /model/cost_map)`);
}

const CALL_TYPES = { chat: "acompletion", completion: "atext_completion", embedding: "aembedding" } as const;
/** Waits for the end of the call, then charges it to the key's guard (retried; the guard ignores repeats). */
async function settle(env: Env, runtime: Runtime, call: LlmCall, principal: Principal, token: string, reservation: Reservation, book: PriceBook, lease: Lease | undefined, response?: Promise<unknown>): Promise<void> {
  const outcome = await call.done;
  const { cost, usage, unpriced, estimated } = outcomeCost(outcome, call, book, reservation);
  const settings = runtime.config.general_settings;
  const body = call.request.body as Record<string, unknown> & { metadata?: { tags?: unknown } };
  const tags = [...(Array.isArray(body.tags) ? body.tags : []), ...(Array.isArray(body.metadata?.tags) ? body.metadata.tags : []), ...(principal.key?.tags ?? [])].filter((t): t is string => typeof t === "string");
  const d = outcome.deployment;
  const status = outcome.status === "ok" ? "success" : outcome.status === "aborted" ? "aborted" : "failure";
  const log: SpendLogRow = {
    request_id: call.id,
    api_key: token,
    user: principal.key?.user_id ?? null,
    team_id: principal.key?.team_id ?? null,
    end_user: typeof body.user === "string" ? body.user : null,
    model: d?.model ?? call.group.name,
    model_group: call.group.name,
    model_id: d?.id ?? null,
    custom_llm_provider: d?.provider ?? null,
    api_base: call.apiBase || null,
    call_type: CALL_TYPES[call.endpoint],
    prompt_tokens: usage?.prompt_tokens ?? 0,
    completion_tokens: usage?.completion_tokens ?? 0,
    cached_tokens: usage ? cachedTokens(usage) : 0,
    total_tokens: usage?.total_tokens ?? 0,
    spend: cost,
    cache_hit: false,
    status,
    start_time: call.startedAt,
    end_time: outcome.endedAt,
    duration_ms: outcome.endedAt - call.startedAt,
    request_tags: tags,
    messages: settings.store_prompts_in_spend_logs ? requestContent(call) : null,
    response: settings.store_prompts_in_spend_logs && response ? ((await response) ?? null) : null,
    metadata: {
      ...(principal.key?.key_alias ? { user_api_key_alias: principal.key.key_alias } : {}),
      ...(outcome.error ? { error: outcome.error.message, status_code: outcome.httpStatus } : {}),
      ...(unpriced ? { price_unknown: true } : {}),
      ...(estimated ? { usage_estimated: true } : {}),
    },
  };
  const settlement = { token, requestId: call.id, model: call.group.name, cost, tokens: usage?.total_tokens ?? 0, row: outboxRow(log, !settings.disable_spend_logs), daily: dailyRow(log, unpriced) };
  // No reservation of its own to release (master key, open mode, admitted from a lease): batched per isolate.
  if (lease) return settleFromLease(env, lease, reservation.cost, settlement);
  if (principal.kind !== "virtual_key") return settleBatched(env, token, settlement);
  noteSpend(token, cost);
  return withSettleRetries(`call ${call.id} (${cost} USD)`, () => guardFor(env, { kind: "key", token }).settle(settlement));
}

function requestContent(call: LlmCall): unknown {
  const r = call.request;
  return r.endpoint === "chat" ? r.body.messages : r.endpoint === "completion" ? r.body.prompt : r.body.input;
}
