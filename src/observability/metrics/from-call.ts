// A finished call's share of LiteLLM's metrics, as LiteLLM's PrometheusLogger counts it:
// proxy-level requests and failures (what the client got), spend and tokens, the latency histograms,
// and per-deployment successes, failures, cooldowns and fallbacks (one per upstream attempt).
import type { CallRecord } from "../record";
import { deploymentBase, errorClass } from "../record";
import { F } from "./families";
import { label, type SeriesDeltas } from "./series";

/** `enable_end_user_cost_tracking_prometheus_only`: the end_user label is "None" unless it is on (as LiteLLM). */
export function countCall(m: SeriesDeltas, r: CallRecord, endUserLabel: boolean): void {
  const k = r.key;
  const endUser = label(endUserLabel ? k.endUser : null);
  const hash = label(k.hash);
  const alias = label(k.alias);
  const team = label(k.teamId);
  const teamAlias = label(k.teamAlias);
  const user = label(k.userId);
  const requested = label(r.requestedModel);
  const d = r.deployment;
  const model = label(d?.model ?? null);
  const modelId = label(d?.id ?? null);
  const provider = label(d?.provider ?? null);
  const base = d?.apiBase ?? "None";

  if (r.status === "success") {
    m.counter(F.proxyTotal, [endUser, hash, alias, requested, team, teamAlias, user, "200", r.route, modelId]);
  } else {
    const status = String(r.error?.status ?? r.httpStatus);
    m.counter(F.proxyTotal, [endUser, hash, alias, requested, team, teamAlias, user, status, r.route, modelId]);
    m.counter(F.proxyFailed, [endUser, hash, alias, requested, team, teamAlias, user, status, r.error?.class ?? "None", r.route, modelId]);
  }
  if (d) {
    // What the call was charged, whatever its end (a stream the client left is charged for its prompt).
    m.counter(F.spend, [endUser, hash, alias, model, team, teamAlias, user, modelId, provider], r.cost);
    const tokenLabels = [endUser, hash, alias, model, team, teamAlias, user, requested, modelId];
    m.counter(F.totalTokens, tokenLabels, r.totalTokens);
    m.counter(F.inputTokens, tokenLabels, r.promptTokens);
    m.counter(F.outputTokens, tokenLabels, r.completionTokens);
    if (r.status === "success") countLatencies(m, r, [endUser, hash, alias, team, teamAlias, user, requested, model, modelId, provider, base]);
  }
  countAttempts(m, r, [hash, alias, team, teamAlias]);
}

/** The latencies and rate-limit gauges of a call that succeeded (LiteLLM's async_log_success_event). */
function countLatencies(m: SeriesDeltas, r: CallRecord, [endUser, hash, alias, team, teamAlias, user, requested, model, modelId, provider, base]: string[]): void {
  m.observe(F.requestLatency, [endUser, hash, alias, requested, team, teamAlias, user, model, modelId], (r.endedAt - r.startedAt) / 1000);
  const apiLabels = [model, hash, alias, team, teamAlias, requested, endUser, user, modelId];
  if (r.apiStartedAt !== undefined) m.observe(F.apiLatency, apiLabels, (r.endedAt - r.apiStartedAt) / 1000);
  if (r.firstChunkAt !== undefined && r.apiStartedAt !== undefined) m.observe(F.ttft, apiLabels, (r.firstChunkAt - r.apiStartedAt) / 1000);
  const group = label(r.answeredGroup);
  m.observe(F.overhead, [group, provider, base, model, hash, alias, modelId], r.overheadMs / 1000);
  if (r.completionTokens > 0) {
    const latency = ((r.firstChunkAt ?? r.endedAt) - (r.apiStartedAt ?? r.startedAt)) / 1000;
    m.observe(F.latencyPerToken, [model, modelId, base, provider, hash, alias, team, teamAlias], latency / r.completionTokens);
  }
  const { remaining, endedAt: at } = r;
  const upstreamLabels = [group, provider, base, model, hash, alias, modelId];
  if (remaining.upstreamRequests !== undefined) m.gauge(F.remainingRequests, upstreamLabels, remaining.upstreamRequests, at);
  if (remaining.upstreamTokens !== undefined) m.gauge(F.remainingTokens, upstreamLabels, remaining.upstreamTokens, at);
  if (remaining.keyRequests !== undefined) m.gauge(F.keyRemainingRequests, [hash, alias, group, modelId], remaining.keyRequests, at);
  if (remaining.keyTokens !== undefined) m.gauge(F.keyRemainingTokens, [hash, alias, group, modelId], remaining.keyTokens, at);
}

/** One count per upstream attempt (the deployment's successes, failures, cooldowns and state), then fallbacks. */
function countAttempts(m: SeriesDeltas, r: CallRecord, [hash, alias, team, teamAlias]: string[]): void {
  const modelId = label(r.deployment?.id ?? null);
  for (const a of r.attempts) {
    const ad = a.deployment;
    const dep = [label(ad.model), label(ad.id), deploymentBase(ad.params.api_base), label(ad.provider)];
    m.counter(F.deploymentTotal, [label(a.group), ...dep, hash, alias, team, teamAlias]);
    if (!a.error) {
      m.counter(F.deploymentSuccess, [label(a.group), ...dep, hash, alias, team, teamAlias]);
      m.gauge(F.deploymentState, dep, 0, a.startedAt + a.ms);
      continue;
    }
    m.counter(F.deploymentFailure, [label(a.group), ...dep, String(a.error.status), errorClass(a.error, ad.provider), hash, alias, team, teamAlias]);
    m.gauge(F.deploymentState, dep, 1, a.startedAt + a.ms);
    if (a.cooledDownS !== undefined) m.counter(F.cooledDown, [...dep, String(a.error.status)]);
  }

  // Fallbacks: the first group failed and another group was tried.
  if (r.fallbacks > 0 && r.status === "success" && r.answeredGroup !== r.group) {
    const first = r.attempts.find((a) => a.error);
    const status = first?.error ? String(first.error.status) : "None";
    const cls = first?.error ? errorClass(first.error, first.deployment.provider) : "None";
    m.counter(F.fallbackOk, [label(r.group), label(r.answeredGroup), hash, alias, team, teamAlias, status, cls, modelId]);
  } else if (r.fallbacks > 0 && r.status === "failure") {
    const last = r.attempts.at(-1);
    const status = r.error ? String(r.error.status) : "None";
    m.counter(F.fallbackFailed, [label(r.group), label(last?.group ?? null), hash, alias, team, teamAlias, status, r.error?.class ?? "None", modelId]);
  }
}
