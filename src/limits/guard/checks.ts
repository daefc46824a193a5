// The guard's checks, pure: whether a key may be used at all (and for this model), and whether a call fits
// the budgets, max_parallel_requests, rpm and tpm limits of a key, a team, a user or the proxy, and what
// it holds of the budgets if it does (budgetHold: the admission rule the README states). They read the spend
// (budgets.ts) and what is reserved and counted in flight (the ledger, through `Usage`) and
// decide nothing else: no storage, no clock of their own (`now` is given), so unit tests call them directly.
import type { AdmitRequest, KeyConfig, Limits, ModelAccess, RateHeaders, Refusal, ScopeAdmitRequest, ScopeConfig } from "../../core/guard-rpc";
import { mayAccess } from "../../core/principal";
import type { SlidingWindow, WindowMap } from "../window";
import type { SpendState } from "./budgets";

/** What the checks read of a guard's reservations and rate windows (ledger.ts keeps them). */
export interface Usage {
  /** USD reserved by calls (and leases) in flight. */
  readonly reserved: number;
  readonly reservedByModel: ReadonlyMap<string, number>;
  /** Team guards: USD reserved per member. */
  readonly reservedByMember: ReadonlyMap<string, number>;
  /** Tokens reserved by calls in flight (max_token_budget). */
  readonly reservedTokens: number;
  /** Reservations open (calls and leases). */
  readonly inFlight: number;
  /** Calls in flight holding less than their worst case (held to what was left of a budget). */
  readonly partialOpen: number;
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

/** LiteLLM's 403 when the key's models do not cover the model (`access`: what gives access to it). */
export function modelDenied(config: KeyConfig, model: string, access: ModelAccess | undefined): Refusal | undefined {
  if (!access || mayAccess(config.models, access)) return undefined;
  return {
    ok: false,
    status: 403,
    kind: "permission",
    type: "key_model_access_denied",
    message: `key not allowed to access model. This key can only access models=${JSON.stringify(config.models)}. Tried to access ${model}`,
  };
}

// ---- budgets ----

/** One budget a call must fit, in USD or in tokens. */
export interface BudgetLine {
  /** How refusals name it: "" (the key's own), "Model=alpha ", "Team=ops ", "User=ana in Team=ops ". */
  what: string;
  unit: "usd" | "tokens";
  spend: number;
  /** Held by calls (and leases) in flight. */
  reserved: number;
  max: number | null | undefined;
  resetAt: number | null;
}

/** What an admitted call holds of the budgets until it settles. */
export interface Hold {
  ok: true;
  cost: number;
  tokens: number;
  /** Less than its worst case: it may cost more than it holds (one such call in flight at a time). */
  partial: boolean;
}

/** The most a call can cost and use (USD, tokens). */
export interface WorstCase {
  cost: number;
  tokens: number;
  /** The model group, for the refusal of a priced model under max_budget 0. */
  model: string;
  /** See AdmitRequest.unbounded. */
  unbounded?: boolean;
}

const retryAtReset = (resetAt: number | null, now: number) => (resetAt !== null ? Math.max(1, Math.ceil((resetAt - now) / 1000)) : undefined);
const amount = (unit: BudgetLine["unit"], n: number) => (unit === "usd" ? money(n) : String(Math.round(n)));

function exceeded(line: BudgetLine, worst: WorstCase, now: number): Refusal {
  const inFlight = line.reserved > 0 ? ` (+${amount(line.unit, line.reserved)} reserved by calls in progress)` : "";
  let message =
    line.unit === "usd"
      ? `Budget has been exceeded! ${line.what}Current cost: ${money(line.spend)}${inFlight}, Max budget: ${money(line.max!)}`
      : `Token budget has been exceeded! ${line.what}Tokens used: ${amount("tokens", line.spend)}${inFlight}, Max token budget: ${line.max}`;
  if (line.unit === "usd" && line.max === 0) message += `. A max_budget of 0 allows free models only (price 0 or unknown, such as a local Ollama); '${worst.model}' is priced`;
  return { ok: false, status: 429, kind: "budget", type: "budget_exceeded", message, retryAfter: retryAtReset(line.resetAt, now) };
}

function heldByCalls(line: BudgetLine, worst: WorstCase): Refusal {
  const [spent, held, max, call] = [line.spend, line.reserved, line.max!, line.unit === "usd" ? worst.cost : worst.tokens].map((n) => amount(line.unit, n));
  const of = line.unit === "usd" ? "Budget" : "Token budget";
  return {
    ok: false,
    status: 429,
    kind: "rate_limit",
    type: "rate_limit_exceeded",
    held: true,
    retryAfter: 1,
    message: `${of} held by calls in progress: ${line.what}spent ${spent}, reserved by calls in progress ${held}, max ${max}; this call may use up to ${call}. Retry when they finish.`,
  };
}

/**
 * The admission rule for budgets: a call is admitted while `spend + reserved < max` on every budget
 * (LiteLLM's strict `spend < max`, counting what calls in flight hold). It holds its worst case, or what
 * is left of a budget when that is less (a partial hold, so the last of a budget is used, not refused).
 * Only one partial hold may be open at a time, so the budget is overspent by at most one call's cost
 * beyond what it held. A call that cannot cost anything (free or unpriced models) is never refused by a
 * USD budget. `plain` (disable_budget_reservation): admitted while `spend < max`, nothing held.
 */
export function budgetHold(lines: readonly BudgetLine[], worst: WorstCase, partialOpen: number, plain: boolean, now: number): Hold | Refusal {
  let cost = worst.cost;
  let tokens = worst.tokens;
  for (const line of lines) {
    if (line.max === null || line.max === undefined) continue;
    const need = line.unit === "usd" ? worst.cost : worst.tokens;
    if (need <= 0 && line.unit === "usd" && !worst.unbounded) continue;
    if (line.spend >= line.max) return exceeded(line, worst, now);
    if (plain) continue;
    const left = line.max - line.spend - line.reserved;
    if (left <= 0) return heldByCalls(line, worst);
    if (need > left && partialOpen > 0) return heldByCalls(line, worst);
    if (line.unit === "usd") cost = Math.min(cost, left);
    else tokens = Math.min(tokens, left);
  }
  if (plain) return { ok: true, cost: 0, tokens: 0, partial: false };
  return { ok: true, cost, tokens, partial: cost < worst.cost || tokens < worst.tokens };
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

/** The key's budgets: its own (USD and tokens) and the model's (model_max_budget). */
function keyBudgets(l: Limits, model: string, spend: SpendState, usage: Usage): BudgetLine[] {
  const modelBudget = l.model_max_budget?.[model];
  const modelSpend = spend.models[model];
  const b = spend.budget;
  return [
    { what: "", unit: "usd", spend: b.spend, reserved: usage.reserved, max: l.max_budget, resetAt: b.resetAt },
    { what: `Model=${model} `, unit: "usd", spend: modelSpend?.spend ?? 0, reserved: usage.reservedByModel.get(model) ?? 0, max: modelBudget?.budget_limit, resetAt: modelSpend?.resetAt ?? null },
    { what: "", unit: "tokens", spend: b.tokens ?? 0, reserved: usage.reservedTokens, max: l.max_token_budget, resetAt: b.resetAt },
  ];
}

/**
 * Whether a key's call fits all its limits, checked in LiteLLM's order (budgets, then parallel requests,
 * rpm, tpm, and the model's rpm and tpm): what it holds if it does, else the first limit it breaks.
 */
export function checkKey(config: KeyConfig, req: AdmitRequest, spend: SpendState, usage: Usage, now: number, plain = false): Hold | Refusal {
  const l = config.limits;
  const who = `api_key: ${config.key_name}`;
  const worst = { cost: req.cost, tokens: req.tokens ?? 0, model: req.model, unbounded: req.unbounded };
  const hold = budgetHold(keyBudgets(l, req.model, spend, usage), worst, usage.partialOpen, plain, now);
  return (
    (hold.ok ? undefined : hold) ??
    parallelCheck(who, l.max_parallel_requests, usage.inFlight) ??
    rateCheck(who, l.rpm_limit, usage.requests, "requests", now) ??
    rateCheck(who, l.tpm_limit, usage.tokens, "tokens", now) ??
    rateCheck(`${who} model: ${req.model}`, l.model_rpm_limit?.[req.model], usage.modelRequests.get(req.model), "requests", now) ??
    rateCheck(`${who} model: ${req.model}`, l.model_tpm_limit?.[req.model], usage.modelTokens.get(req.model), "tokens", now) ??
    hold
  );
}

/** The same for a team's, user's or the proxy's own limits (and, in a team, the member's max_budget_in_team). */
export function checkScope(config: ScopeConfig, req: ScopeAdmitRequest, spend: SpendState, usage: Usage, now: number, plain = false): Hold | Refusal {
  const l = config.limits;
  const who = `${config.kind}: ${config.id}`;
  const name = config.kind === "team" ? `Team=${config.id} ` : config.kind === "user" ? `User=${config.id} ` : "Proxy ";
  const b = spend.budget;
  const lines: BudgetLine[] = [
    { what: name, unit: "usd", spend: b.spend, reserved: usage.reserved, max: l.max_budget, resetAt: b.resetAt },
    { what: name, unit: "tokens", spend: b.tokens ?? 0, reserved: usage.reservedTokens, max: l.max_token_budget, resetAt: b.resetAt },
  ];
  if (req.userId) {
    const max = config.member_budgets[req.userId];
    lines.push({ what: `User=${req.userId} in Team=${config.id} `, unit: "usd", spend: spend.members[req.userId] ?? 0, reserved: usage.reservedByMember.get(req.userId) ?? 0, max, resetAt: null });
  }
  const hold = budgetHold(lines, { cost: req.cost, tokens: req.tokens ?? 0, model: req.model, unbounded: req.unbounded }, usage.partialOpen, plain, now);
  return (
    (hold.ok ? undefined : hold) ??
    parallelCheck(who, l.max_parallel_requests, usage.inFlight) ??
    rateCheck(who, l.rpm_limit, usage.requests, "requests", now) ??
    rateCheck(who, l.tpm_limit, usage.tokens, "tokens", now) ??
    hold
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
