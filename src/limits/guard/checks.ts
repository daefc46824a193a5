// The guard's checks, pure: whether a key may be used at all, and whether a call fits the budgets,
// max_parallel_requests, rpm and tpm limits of a key, a team or a user. They read the spend
// (budgets.ts) and what is reserved and counted in flight (the ledger, through `Usage`) and
// decide nothing else: no storage, no clock of their own (`now` is given), so unit tests call them directly.
import type { AdmitRequest, KeyConfig, Limits, RateHeaders, Refusal, ScopeAdmitRequest, ScopeConfig } from "../../core/guard-rpc";
import type { SlidingWindow, WindowMap } from "../window";
import type { SpendState } from "./budgets";

/** What the checks read of a guard's reservations and rate windows (ledger.ts keeps them). */
export interface Usage {
  /** USD reserved by calls (and leases) in flight. */
  readonly reserved: number;
  readonly reservedByModel: ReadonlyMap<string, number>;
  /** Team guards: USD reserved per member. */
  readonly reservedByMember: ReadonlyMap<string, number>;
  /** Reservations open (calls and leases). */
  readonly inFlight: number;
  readonly requests: SlidingWindow;
  readonly tokens: SlidingWindow;
  readonly modelRequests: WindowMap;
  readonly modelTokens: WindowMap;
}

const money = (usd: number) => `${Number(usd.toPrecision(6))}`;

function refusal(status: number, message: string, extra: Partial<Refusal> = {}): Refusal {
  const kind = status === 401 ? "auth" : status === 403 ? "permission" : status === 429 ? "rate_limit" : "unavailable";
  return { ok: false, status, kind, type: status === 401 ? "auth_error" : "rate_limit_exceeded", message, ...extra };
}

const budgetRefusal = (message: string, retryAfter?: number): Refusal => ({ ok: false, status: 429, kind: "budget", type: "budget_exceeded", message, retryAfter });

/** Why the key cannot be used at all (unknown or deleted, blocked, its team blocked, expired); undefined if it can. */
export function keyDenied(config: KeyConfig | undefined, now: number): Refusal | undefined {
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

/** A call reserving `cost` fits under `max` if nothing is over it yet and spend + reservations + cost stay within it. */
export function budgetCheck(what: string, spend: number, reserved: number, cost: number, max: number | null | undefined, resetAt: number | null, now: number): Refusal | undefined {
  if (max === null || max === undefined) return undefined;
  if (spend < max && spend + reserved + cost <= max) return undefined;
  const inFlight = reserved > 0 ? ` (+${money(reserved)} reserved by calls in progress)` : "";
  const retryAfter = resetAt !== null ? Math.max(1, Math.ceil((resetAt - now) / 1000)) : undefined;
  return budgetRefusal(`Budget has been exceeded! ${what}Current cost: ${money(spend)}${inFlight}, Max budget: ${money(max)}`, retryAfter);
}

export function rateCheck(what: string, limit: number | null | undefined, window: SlidingWindow, unit: "requests" | "tokens", now: number): Refusal | undefined {
  if (limit === null || limit === undefined) return undefined;
  const used = window.total(now);
  if (used < limit) return undefined;
  return refusal(429, `Rate limit exceeded for ${what}. Limit type: ${unit}. Current limit: ${limit}, Remaining: 0.`, {
    retryAfter: window.secondsUntilBelow(now, limit - 1),
  });
}

export function parallelCheck(what: string, limit: number | null | undefined, inFlight: number): Refusal | undefined {
  if (limit === null || limit === undefined || inFlight < limit) return undefined;
  return refusal(429, `Max parallel request limit reached for ${what}. Current: ${inFlight}, Limit: ${limit}.`, { retryAfter: 1 });
}

/** The first of a key's limits the call would break, in the order they are checked; undefined if it fits them all. */
export function checkKey(config: KeyConfig, req: AdmitRequest, spend: SpendState, usage: Usage, now: number): Refusal | undefined {
  const l = config.limits;
  const who = `api_key: ${config.key_name}`;
  const modelBudget = l.model_max_budget?.[req.model];
  const modelSpend = spend.models[req.model];
  return (
    budgetCheck("", spend.budget.spend, usage.reserved, req.cost, l.max_budget, spend.budget.resetAt, now) ??
    budgetCheck(`Model=${req.model} `, modelSpend?.spend ?? 0, usage.reservedByModel.get(req.model) ?? 0, req.cost, modelBudget?.budget_limit, modelSpend?.resetAt ?? null, now) ??
    parallelCheck(who, l.max_parallel_requests, usage.inFlight) ??
    rateCheck(who, l.rpm_limit, usage.requests, "requests", now) ??
    rateCheck(who, l.tpm_limit, usage.tokens, "tokens", now) ??
    rateCheck(`${who} model: ${req.model}`, l.model_rpm_limit?.[req.model], usage.modelRequests.get(req.model), "requests", now) ??
    rateCheck(`${who} model: ${req.model}`, l.model_tpm_limit?.[req.model], usage.modelTokens.get(req.model), "tokens", now)
  );
}

/** The same for a team's or user's own limits (and, in a team, the member's max_budget_in_team). */
export function checkScope(config: ScopeConfig, req: ScopeAdmitRequest, spend: SpendState, usage: Usage, now: number): Refusal | undefined {
  const l = config.limits;
  const who = `${config.kind}: ${config.id}`;
  const memberBudget = req.userId ? config.member_budgets[req.userId] : undefined;
  return (
    budgetCheck(`${config.kind === "team" ? "Team" : "User"}=${config.id} `, spend.budget.spend, usage.reserved, req.cost, l.max_budget, spend.budget.resetAt, now) ??
    (req.userId
      ? budgetCheck(`User=${req.userId} in Team=${config.id} `, spend.members[req.userId] ?? 0, usage.reservedByMember.get(req.userId) ?? 0, req.cost, memberBudget, null, now)
      : undefined) ??
    parallelCheck(who, l.max_parallel_requests, usage.inFlight) ??
    rateCheck(who, l.rpm_limit, usage.requests, "requests", now) ??
    rateCheck(who, l.tpm_limit, usage.tokens, "tokens", now)
  );
}

/** x-ratelimit-* figures for the answer. */
export function rateHeaders(l: Limits, usage: Usage, now: number): RateHeaders {
  const out: RateHeaders = {};
  if (l.rpm_limit !== null) {
    out.limitRequests = l.rpm_limit;
    out.remainingRequests = Math.max(0, l.rpm_limit - usage.requests.total(now));
  }
  if (l.tpm_limit !== null) {
    out.limitTokens = l.tpm_limit;
    out.remainingTokens = Math.max(0, l.tpm_limit - usage.tokens.total(now));
  }
  return out;
}
