// The observability step of the LLM request path (after the limits step, before dispatch):
//   before the call: a timer for hanging calls (alerting), a hook reading the key's spend and rate
//                    headers as the answer's headers are built;
//   after it:        a copy of the answer for callbacks that log it, then - once the call is over (for
//                    streams: last chunk sent or client gone) - its record for the metrics, callbacks,
//                    alerts and log line (src/observability), in the background.
// `finishRequest` (every request, from the app's first middleware) adds x-litellm-overhead-duration-ms
// where the answer lacks it, and records the LLM requests refused before they reached this step.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { estimatePromptTokens, type LlmCall } from "../../core/call";
import type { GatewayEnv } from "../../core/hono-env";
import type { Principal } from "../../core/principal";
import type { Runtime } from "../../core/provider";
import { envLookup } from "../../config/runtime";
import type { Env } from "../../env";
import { toGatewayError } from "../../errors";
import { hashKey } from "../../keys/token";
import { inBackground } from "../../lib/background";
import { answerTap, assembleStreamAnswer } from "../../observability/callbacks/answer";
import { Observer } from "../../observability/observer";
import { callRecord, refusalRecord, type AnswerFacts, type KeyFacts } from "../../observability/record";
import { priceBook } from "../../spend/prices";
import { callCost } from "../../spend/spend-log";

const OVERHEAD = "x-litellm-overhead-duration-ms";
/** How long a stream the client left may take to hand over what it copied. */
const TAP_GRACE_MS = 100;

const observers = new WeakMap<Runtime, Observer>();
const masterHashes = new WeakMap<Runtime, Promise<string>>();
/** Calls the observe step took: finishRequest leaves them alone. */
const observed = new WeakSet<LlmCall>();

/** This isolate's Observer (one per runtime, i.e. per isolate). */
export function observerFor(runtime: Runtime, env: Env): Observer {
  let o = observers.get(runtime);
  if (!o) observers.set(runtime, (o = new Observer(runtime.config, env, envLookup(env, runtime.config))));
  return o;
}

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

/** The route as a bounded label: Azure-style paths without their deployment name. */
const routeLabel = (path: string) => path.replace(/\/(openai\/deployments|engines)\/[^/]+\//, "/$1/{model}/");

/** LLM paths (the endpoints table's, and Anthropic's), for requests refused before they became a call. */
const isLlmPath = (path: string) => path.endsWith("/completions") || path.endsWith("/embeddings") || path.startsWith("/v1/messages");

async function keyFacts(o: Observer, runtime: Runtime, principal: Principal | undefined, endUser: unknown, answer: AnswerFacts, spendAfterCost: number): Promise<KeyFacts> {
  const key = principal?.key;
  let hash = principal?.token ?? null;
  if (!hash && principal?.kind === "master" && runtime.masterKey) {
    let hashing = masterHashes.get(runtime);
    if (!hashing) masterHashes.set(runtime, (hashing = hashKey(runtime.masterKey)));
    hash = await hashing;
  }
  const teamId = key?.team_id ?? null;
  return {
    hash,
    alias: key?.key_alias ?? null,
    userId: key?.user_id ?? null,
    teamId,
    teamAlias: teamId && o.wantsTeamAlias ? await o.teamAliases.get(teamId) : null,
    endUser: typeof endUser === "string" ? endUser : null,
    spendAfter: answer.keySpend === undefined ? undefined : answer.keySpend + spendAfterCost,
    maxBudget: key?.limits.max_budget ?? null,
    softBudget: key?.soft_budget ?? null,
  };
}

/** Once the call is over: its cost, its record, and everything observability does with it. */
async function recordCall(o: Observer, env: Env, runtime: Runtime, call: LlmCall, route: string, answer: AnswerFacts, response?: Promise<unknown>): Promise<void> {
  const outcome = await call.done;
  const loading = priceBook(env);
  const book = loading instanceof Promise ? await loading : loading;
  // The prompt estimate matters only for a stream the client left before the provider reported usage.
  const reservation = { cost: 0, tokens: 0, outputTokens: 0, outputFrom: "default" as const, priced: true, get promptTokens() { return estimatePromptTokens(call.request); } };
  const cost = callCost(outcome, book, reservation);
  // x-litellm-key-spend carries a JSON answer's own cost already; a stream's is known only now.
  const key = await keyFacts(o, runtime, call.principal, (call.request.body as { user?: unknown }).user, answer, call.stream ? cost.cost : 0);
  await o.record(callRecord({ call, outcome, cost, route, key, answer, response }));
}

export const observe = createMiddleware<GatewayEnv>(async (c, next) => {
  const { call, runtime } = c.var;
  observed.add(call);
  const o = observerFor(runtime, c.env);
  if (!o.active) return next();

  const answer: AnswerFacts = {};
  call.onAnswer((h) => {
    answer.keySpend = num(h["x-litellm-key-spend"]);
    answer.keyRemainingRequests = num(h["x-ratelimit-remaining-requests"]);
    answer.keyRemainingTokens = num(h["x-ratelimit-remaining-tokens"]);
    answer.overheadMs = num(h[OVERHEAD]);
  });
  const alerts = o.alerts;
  const hanging = alerts?.wants("llm_requests_hanging") ? setTimeout(() => alerts.hanging(call.group.name, call.id, call.startedAt), alerts.settings.thresholdMs) : undefined;
  try {
    await next();
  } finally {
    clearTimeout(hanging);
  }

  let response: Promise<unknown> | undefined;
  if (o.wantsAnswer && c.res.ok && !c.error) {
    if (call.stream && c.res.body) {
      const tap = answerTap();
      c.res = new Response(c.res.body.pipeThrough(tap.stream), c.res);
      const ended = call.done.then(() => new Promise<string>((resolve) => setTimeout(() => resolve(tap.sofar()), TAP_GRACE_MS)));
      response = Promise.race([tap.text, ended]).then(assembleStreamAnswer);
    } else {
      response = c.res.clone().json().catch(() => undefined);
    }
  }
  inBackground(recordCall(o, c.env, runtime, call, routeLabel(c.req.path), answer, response));
});

/**
 * The end of every request: x-litellm-overhead-duration-ms on answers that lack it (LLM answers have
 * it), and the record of an LLM call that ended before the observe step (a refusal by the limits step,
 * an answer from an earlier step) or of an LLM request refused before it became a call (a bad key or body).
 */
export function finishRequest(c: Context<GatewayEnv>, startedAt: number): void {
  const call = c.var.call;
  try {
    if (!c.res.headers.has(OVERHEAD)) c.res.headers.set(OVERHEAD, String(Math.max(0, Date.now() - startedAt - (call?.upstreamMs ?? 0))));
  } catch {
    /* immutable headers (a response passed through as fetched): nothing to add */
  }
  if (call ? observed.has(call) : !c.error || !isLlmPath(c.req.path)) return;
  const o = observerFor(c.var.runtime, c.env);
  if (!o.active) return;
  const route = routeLabel(c.req.path);
  if (call) {
    // Ended before the observe step: refused (limits), or answered by an earlier step (a cache hit).
    inBackground(recordCall(o, c.env, c.var.runtime, call, route, {}));
    return;
  }
  const error = toGatewayError(c.error);
  const principal = c.var.principal as Principal | undefined;
  inBackground(keyFacts(o, c.var.runtime, principal, undefined, {}, 0).then((key) => o.record(refusalRecord(c.var.callId, route, error, key, startedAt))));
}
