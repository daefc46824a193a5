// The guard's pure checks (src/limits/guard/checks.ts), called directly: no Durable Object, no D1.
import { describe, expect, it } from "vitest";
import type { AdmitRequest, KeyConfig, Limits, ScopeConfig } from "../../src/core/guard-rpc";
import type { SpendState } from "../../src/limits/guard/budgets";
import { budgetHold, checkKey, checkScope, keyDenied, modelDenied, parallelCheck, rateCheck, rateHeaders, type BudgetLine, type Usage } from "../../src/limits/guard/checks";
import { SlidingWindow, WindowMap } from "../../src/limits/window";

const NOW = Date.UTC(2026, 0, 1, 12);

const noLimits: Limits = { max_budget: null, budget_duration: null, rpm_limit: null, tpm_limit: null, max_parallel_requests: null };

function key(limits: Partial<Limits> = {}, fields: Partial<KeyConfig> = {}): KeyConfig {
  return {
    token: "t", key_name: "sk-...abcd", key_alias: null, user_id: null, team_id: null, models: [], expires: null, blocked: false, team_blocked: false,
    limits: { ...noLimits, ...limits }, soft_budget: null, metadata: {}, tags: [], team_limited: false, user_limited: false, version: "1.0.0", ...fields,
  };
}

const spendOf = (spend = 0, extra: Partial<SpendState> = {}): SpendState => ({ budget: { spend, resetAt: null, duration: null }, models: {}, members: {}, ...extra });

function usage(extra: Partial<Usage> = {}): Usage {
  return {
    reserved: 0, reservedByModel: new Map(), reservedByMember: new Map(), reservedTokens: 0, inFlight: 0, partialOpen: 0,
    requests: new SlidingWindow(), tokens: new SlidingWindow(), modelRequests: new WindowMap(), modelTokens: new WindowMap(), ...extra,
  };
}

const call = (cost = 0.1, model = "alpha"): AdmitRequest => ({ token: "t", requestId: "r", model, cost });

describe("keyDenied", () => {
  it("refuses unknown, blocked, team-blocked and expired keys with 401 (revoked), and admits the rest", () => {
    expect(keyDenied(undefined, NOW)).toMatchObject({ status: 401, type: "auth_error", kind: "auth", revoked: true, message: "Authentication Error, Invalid proxy server token passed." });
    expect(keyDenied(key({}, { blocked: true }), NOW)?.message).toContain("this key is blocked");
    expect(keyDenied(key({}, { team_blocked: true, team_id: "ops" }), NOW)?.message).toBe("Authentication Error, team 'ops' is blocked.");
    expect(keyDenied(key({}, { expires: NOW }), NOW)).toMatchObject({ status: 401, type: "expired_key", revoked: true });
    expect(keyDenied(key({}, { expires: NOW + 1 }), NOW)).toBeUndefined();
    expect(keyDenied(key(), NOW)).toBeUndefined();
  });
});

describe("modelDenied", () => {
  it("refuses a model outside the key's list with LiteLLM's 403, by name or access group; an empty list allows all", () => {
    const k = key({}, { models: ["cheap-model", "team-models"] });
    expect(modelDenied(k, "cheap-model", { names: ["cheap-model"], models: ["openai/gpt-4o-mini"] })).toBeUndefined();
    expect(modelDenied(k, "grouped", { names: ["grouped", "team-models"], models: [] })).toBeUndefined();
    expect(modelDenied(k, "other-model", { names: ["other-model"], models: ["openai/gpt-4o"] })).toMatchObject({
      status: 403, type: "key_model_access_denied",
      message: 'key not allowed to access model. This key can only access models=["cheap-model","team-models"]. Tried to access other-model',
    });
    expect(modelDenied(key(), "other-model", { names: ["other-model"], models: [] })).toBeUndefined();
    expect(modelDenied(k, "other-model", undefined)).toBeUndefined(); // an isolate of an earlier version: checked after admission
    const wild = key({}, { models: ["openai/*"] });
    expect(modelDenied(wild, "gpt-4o", { names: ["gpt-4o"], models: ["openai/gpt-4o", "openai/gpt-4o-2024"] })).toBeUndefined();
    expect(modelDenied(wild, "mixed", { names: ["mixed"], models: ["openai/gpt-4o", "anthropic/claude"] })).toMatchObject({ status: 403 });
  });
});

describe("budgetHold: admitted while spend + reserved < max, holding the worst case or what is left", () => {
  const usd = (spend: number, reserved: number, max: number | null, resetAt: number | null = null): BudgetLine => ({ what: "", unit: "usd", spend, reserved, max, resetAt });
  const worst = (cost: number, tokens = 0) => ({ cost, tokens, model: "alpha" });

  it("holds the worst case while it fits, and what is left when it does not (a partial hold)", () => {
    expect(budgetHold([usd(5, 0, null)], worst(100), 0, false, NOW)).toEqual({ ok: true, cost: 100, tokens: 0, partial: false });
    expect(budgetHold([usd(0.5, 0.25, 1)], worst(0.25), 0, false, NOW)).toEqual({ ok: true, cost: 0.25, tokens: 0, partial: false }); // exactly fits
    // The first call: $1 key, worst case 8.2 (4096 default output tokens at $0.002): admitted, holding the $1.
    expect(budgetHold([usd(0, 0, 1)], worst(8.2), 0, false, NOW)).toEqual({ ok: true, cost: 1, tokens: 0, partial: true });
    expect(budgetHold([usd(0.5, 0.25, 1)], worst(0.5), 0, false, NOW)).toEqual({ ok: true, cost: 0.25, tokens: 0, partial: true });
  });

  it("allows one partial hold at a time: the next call that does not fit waits for the calls in flight (429, retry-after, not budget_exceeded)", () => {
    const held = budgetHold([usd(0.5, 0.25, 1)], worst(0.5), 1, false, NOW);
    expect(held).toMatchObject({ ok: false, status: 429, kind: "rate_limit", type: "rate_limit_exceeded", held: true, retryAfter: 1 });
    expect((held as { message: string }).message).toBe("Budget held by calls in progress: spent 0.5, reserved by calls in progress 0.25, max 1; this call may use up to 0.5. Retry when they finish.");
    // A call that fits is admitted beside it, in full.
    expect(budgetHold([usd(0.5, 0.25, 1)], worst(0.2), 1, false, NOW)).toEqual({ ok: true, cost: 0.2, tokens: 0, partial: false });
    // Nothing left but what calls in flight hold: wait for them.
    expect(budgetHold([usd(0.5, 0.5, 1)], worst(0.01), 0, false, NOW)).toMatchObject({ held: true, status: 429 });
  });

  it("refuses at spend >= max with LiteLLM's budget_exceeded, retry-after until the reset", () => {
    const over = budgetHold([usd(1, 0.25, 1, NOW + 90_500)], worst(0.5), 0, false, NOW);
    expect(over).toMatchObject({ ok: false, status: 429, kind: "budget", type: "budget_exceeded", retryAfter: 91 });
    expect((over as { message: string }).message).toBe("Budget has been exceeded! Current cost: 1 (+0.25 reserved by calls in progress), Max budget: 1");
  });

  it("never refuses a call that cannot cost anything on a USD budget: max_budget 0 means free models only", () => {
    expect(budgetHold([usd(0, 0, 0)], worst(0), 0, false, NOW)).toEqual({ ok: true, cost: 0, tokens: 0, partial: false });
    expect(budgetHold([usd(3, 0, 1)], worst(0), 0, false, NOW)).toMatchObject({ ok: true });
    const priced = budgetHold([usd(0, 0, 0)], worst(0.01), 0, false, NOW);
    expect((priced as { message: string }).message).toBe(
      "Budget has been exceeded! Current cost: 0, Max budget: 0. A max_budget of 0 allows free models only (price 0 or unknown, such as a local Ollama); 'alpha' is priced",
    );
  });

  it("refuses an unbounded call (a Realtime session: priced, nothing to hold) once the budget is spent, and admits it before", () => {
    const session = { ...worst(0), unbounded: true };
    expect(budgetHold([usd(0.5, 0, 1)], session, 0, false, NOW)).toEqual({ ok: true, cost: 0, tokens: 0, partial: false });
    expect(budgetHold([usd(1.2, 0, 1)], session, 0, false, NOW)).toMatchObject({ ok: false, type: "budget_exceeded" });
  });

  it("applies the same rule to token budgets, and holds nothing under disable_budget_reservation (plain spend < max)", () => {
    const tokens = (spend: number, reserved: number, max: number): BudgetLine => ({ what: "", unit: "tokens", spend, reserved, max, resetAt: null });
    expect(budgetHold([tokens(900, 0, 1000)], worst(0, 500), 0, false, NOW)).toEqual({ ok: true, cost: 0, tokens: 100, partial: true });
    expect(budgetHold([tokens(1000, 0, 1000)], worst(0, 1), 0, false, NOW)).toMatchObject({ type: "budget_exceeded", message: "Token budget has been exceeded! Tokens used: 1000, Max token budget: 1000" });
    expect(budgetHold([usd(0.9, 5, 1)], worst(50), 0, true, NOW)).toEqual({ ok: true, cost: 0, tokens: 0, partial: false });
    expect(budgetHold([usd(1, 0, 1)], worst(0.1), 0, true, NOW)).toMatchObject({ type: "budget_exceeded" });
  });

  it("holds the least any budget leaves (key and model budgets)", () => {
    const model: BudgetLine = { what: "Model=alpha ", unit: "usd", spend: 0.9, reserved: 0, max: 1, resetAt: null };
    expect(budgetHold([usd(0, 0, 10), model], worst(0.5), 0, false, NOW)).toEqual({ ok: true, cost: expect.closeTo(0.1, 12), tokens: 0, partial: true });
  });
});

describe("rate and parallel checks", () => {
  it("refuses at the limit, with the seconds until a request leaves the window", () => {
    const w = new SlidingWindow();
    w.add(NOW - 50_000);
    w.add(NOW - 10_000);
    expect(rateCheck("api_key: k", 3, w, "requests", NOW)).toBeUndefined();
    w.add(NOW);
    expect(rateCheck("api_key: k", 3, w, "requests", NOW)).toMatchObject({
      status: 429, kind: "rate_limit", type: "rate_limit_exceeded", retryAfter: 10,
      message: "Rate limit exceeded for api_key: k. Limit type: requests. Current limit: 3, Remaining: 0.",
    });
    // Once the oldest leaves the window, there is room again.
    expect(rateCheck("api_key: k", 3, w, "requests", NOW + 10_001)).toBeUndefined();
    expect(rateCheck("api_key: k", null, w, "requests", NOW)).toBeUndefined();
  });

  it("counts reservations in flight against max_parallel_requests", () => {
    expect(parallelCheck("api_key: k", 2, 1)).toBeUndefined();
    expect(parallelCheck("api_key: k", 2, 2)).toMatchObject({ status: 429, retryAfter: 1, message: "Max parallel request limit reached for api_key: k. Current: 2, Limit: 2." });
    expect(parallelCheck("api_key: k", undefined, 100)).toBeUndefined();
  });
});

describe("checkKey", () => {
  it("admits a call within every limit", () => {
    const u = usage();
    u.requests.add(NOW, 5);
    expect(checkKey(key({ max_budget: 1, rpm_limit: 10, tpm_limit: 1000, max_parallel_requests: 3 }), call(), spendOf(0.5), u, NOW)).toEqual({ ok: true, cost: 0.1, tokens: 0, partial: false });
  });

  it("checks the budget first, then the model budget, parallel requests, rpm, tpm, and the model's rpm and tpm", () => {
    const full = () => {
      const u = usage({ reserved: 0.5, reservedByModel: new Map([["alpha", 0.5]]), inFlight: 2 });
      u.requests.add(NOW, 10);
      u.tokens.add(NOW, 100);
      u.modelRequests.get("alpha").add(NOW, 10);
      u.modelTokens.get("alpha").add(NOW, 100);
      return u;
    };
    const limits = {
      max_budget: 1, max_parallel_requests: 2, rpm_limit: 10, tpm_limit: 100,
      model_max_budget: { alpha: { budget_limit: 1 } }, model_rpm_limit: { alpha: 10 }, model_tpm_limit: { alpha: 100 },
    } as Partial<Limits>;
    const spend = spendOf(0.6, { models: { alpha: { spend: 0.6, resetAt: null, duration: null } } });
    // Every limit is reached; lifting them one by one shows the order they are checked in.
    const messages: string[] = [];
    let l: Partial<Limits> = { ...limits };
    for (const lift of ["max_budget", "model_max_budget", "max_parallel_requests", "rpm_limit", "tpm_limit", "model_rpm_limit", "model_tpm_limit"] as const) {
      const answer = checkKey(key(l), call(), spend, full(), NOW);
      messages.push(answer.ok ? "admitted" : answer.message);
      l = { ...l, [lift]: null };
    }
    const who = "api_key: sk-...abcd";
    expect(messages).toEqual([
      "Budget held by calls in progress: spent 0.6, reserved by calls in progress 0.5, max 1; this call may use up to 0.1. Retry when they finish.",
      "Budget held by calls in progress: Model=alpha spent 0.6, reserved by calls in progress 0.5, max 1; this call may use up to 0.1. Retry when they finish.",
      `Max parallel request limit reached for ${who}. Current: 2, Limit: 2.`,
      `Rate limit exceeded for ${who}. Limit type: requests. Current limit: 10, Remaining: 0.`,
      `Rate limit exceeded for ${who}. Limit type: tokens. Current limit: 100, Remaining: 0.`,
      `Rate limit exceeded for ${who} model: alpha. Limit type: requests. Current limit: 10, Remaining: 0.`,
      `Rate limit exceeded for ${who} model: alpha. Limit type: tokens. Current limit: 100, Remaining: 0.`,
    ]);
    expect(checkKey(key(l), call(), spend, full(), NOW)).toEqual({ ok: true, cost: 0.1, tokens: 0, partial: false });
    // Limits of another model do not apply.
    expect(checkKey(key({ model_rpm_limit: { beta: 1 } }), call(), spend, full(), NOW).ok).toBe(true);
  });
});

describe("checkScope", () => {
  const team = (limits: Partial<Limits>, member_budgets: Record<string, number | null> = {}): ScopeConfig => ({ kind: "team", id: "ops", blocked: false, limits: { ...noLimits, ...limits }, member_budgets, version: "1" });

  const message = (a: ReturnType<typeof checkScope>) => (a.ok ? "admitted" : a.message);

  it("checks the team's budget, then the member's budget in the team, then parallel and rate limits", () => {
    const req = { kind: "team" as const, id: "ops", requestId: "r", model: "alpha", cost: 0.25, userId: "ana" };
    const spend = spendOf(0.5, { members: { ana: 0.5 } });
    expect(checkScope(team({ max_budget: 0.7 }), req, spend, usage(), NOW)).toEqual({ ok: true, cost: expect.closeTo(0.2, 12), tokens: 0, partial: true });
    expect(message(checkScope(team({ max_budget: 0.5 }), req, spend, usage(), NOW))).toBe("Budget has been exceeded! Team=ops Current cost: 0.5, Max budget: 0.5");
    const member = checkScope(team({ max_budget: 10 }, { ana: 1 }), req, spend, usage({ reservedByMember: new Map([["ana", 0.5]]) }), NOW);
    expect(message(member)).toBe("Budget held by calls in progress: User=ana in Team=ops spent 0.5, reserved by calls in progress 0.5, max 1; this call may use up to 0.25. Retry when they finish.");
    expect(message(checkScope(team({ max_parallel_requests: 1 }), req, spend, usage({ inFlight: 1 }), NOW))).toContain("for team: ops.");
    expect(checkScope(team({ max_budget: 10 }, { ana: 1 }), { ...req, userId: null }, spend, usage(), NOW).ok).toBe(true);
  });

  it("names a user guard's budget as the user's", () => {
    const user: ScopeConfig = { kind: "user", id: "ana", blocked: false, limits: { ...noLimits, max_budget: 1 }, member_budgets: {}, version: "1" };
    expect(message(checkScope(user, { kind: "user", id: "ana", requestId: "r", model: "alpha", cost: 2, userId: "ana" }, spendOf(1), usage(), NOW))).toContain("User=ana Current cost: 1");
  });
});

describe("rateHeaders", () => {
  it("reports the limits set and what is left of them, never below 0", () => {
    const u = usage();
    u.requests.add(NOW, 12);
    u.tokens.add(NOW, 40);
    expect(rateHeaders({ ...noLimits, rpm_limit: 10, tpm_limit: 100 }, u, NOW)).toEqual({ limitRequests: 10, remainingRequests: 0, limitTokens: 100, remainingTokens: 60 });
    expect(rateHeaders(noLimits, u, NOW)).toEqual({});
  });
});
