// The guard's pure checks (src/limits/guard/checks.ts), called directly: no Durable Object, no D1.
import { describe, expect, it } from "vitest";
import type { AdmitRequest, KeyConfig, Limits, ScopeConfig } from "../../src/core/guard-rpc";
import type { SpendState } from "../../src/limits/guard/budgets";
import { budgetCheck, checkKey, checkScope, keyDenied, parallelCheck, rateCheck, rateHeaders, type Usage } from "../../src/limits/guard/checks";
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
    reserved: 0, reservedByModel: new Map(), reservedByMember: new Map(), inFlight: 0,
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

describe("budgetCheck", () => {
  it("admits a call whose reservation fits, refuses one that does not, and says when the budget resets", () => {
    expect(budgetCheck("", 5, 0, 100, null, null, NOW)).toBeUndefined();
    expect(budgetCheck("", 0.5, 0.25, 0.25, 1, null, NOW)).toBeUndefined(); // exactly at the limit
    const over = budgetCheck("", 0.5, 0.25, 0.5, 1, NOW + 90_500, NOW);
    expect(over).toMatchObject({ status: 429, kind: "budget", type: "budget_exceeded", retryAfter: 91 });
    expect(over?.message).toBe("Budget has been exceeded! Current cost: 0.5 (+0.25 reserved by calls in progress), Max budget: 1");
    // Spend at the limit refuses even a free call; no reset time, no retryAfter.
    expect(budgetCheck("Model=alpha ", 1, 0, 0, 1, null, NOW)).toMatchObject({ message: "Budget has been exceeded! Model=alpha Current cost: 1, Max budget: 1", retryAfter: undefined });
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
    expect(checkKey(key({ max_budget: 1, rpm_limit: 10, tpm_limit: 1000, max_parallel_requests: 3 }), call(), spendOf(0.5), u, NOW)).toBeUndefined();
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
      messages.push(checkKey(key(l), call(), spend, full(), NOW)!.message);
      l = { ...l, [lift]: null };
    }
    const who = "api_key: sk-...abcd";
    expect(messages).toEqual([
      "Budget has been exceeded! Current cost: 0.6 (+0.5 reserved by calls in progress), Max budget: 1",
      "Budget has been exceeded! Model=alpha Current cost: 0.6 (+0.5 reserved by calls in progress), Max budget: 1",
      `Max parallel request limit reached for ${who}. Current: 2, Limit: 2.`,
      `Rate limit exceeded for ${who}. Limit type: requests. Current limit: 10, Remaining: 0.`,
      `Rate limit exceeded for ${who}. Limit type: tokens. Current limit: 100, Remaining: 0.`,
      `Rate limit exceeded for ${who} model: alpha. Limit type: requests. Current limit: 10, Remaining: 0.`,
      `Rate limit exceeded for ${who} model: alpha. Limit type: tokens. Current limit: 100, Remaining: 0.`,
    ]);
    expect(checkKey(key(l), call(), spend, full(), NOW)).toBeUndefined();
    // Limits of another model do not apply.
    expect(checkKey(key({ model_rpm_limit: { beta: 1 } }), call(), spend, full(), NOW)).toBeUndefined();
  });
});

describe("checkScope", () => {
  const team = (limits: Partial<Limits>, member_budgets: Record<string, number | null> = {}): ScopeConfig => ({ kind: "team", id: "ops", blocked: false, limits: { ...noLimits, ...limits }, member_budgets, version: "1" });

  it("checks the team's budget, then the member's budget in the team, then parallel and rate limits", () => {
    const req = { kind: "team" as const, id: "ops", requestId: "r", model: "alpha", cost: 0.25, userId: "ana" };
    const spend = spendOf(0.5, { members: { ana: 0.5 } });
    expect(checkScope(team({ max_budget: 0.7 }), req, spend, usage(), NOW)?.message).toBe("Budget has been exceeded! Team=ops Current cost: 0.5, Max budget: 0.7");
    const member = checkScope(team({ max_budget: 10 }, { ana: 1 }), req, spend, usage({ reservedByMember: new Map([["ana", 0.5]]) }), NOW);
    expect(member?.message).toBe("Budget has been exceeded! User=ana in Team=ops Current cost: 0.5 (+0.5 reserved by calls in progress), Max budget: 1");
    expect(checkScope(team({ max_parallel_requests: 1 }), req, spend, usage({ inFlight: 1 }), NOW)?.message).toContain("for team: ops.");
    expect(checkScope(team({ max_budget: 10 }, { ana: 1 }), { ...req, userId: null }, spend, usage(), NOW)).toBeUndefined();
  });

  it("names a user guard's budget as the user's", () => {
    const user: ScopeConfig = { kind: "user", id: "ana", blocked: false, limits: { ...noLimits, max_budget: 1 }, member_budgets: {}, version: "1" };
    expect(checkScope(user, { kind: "user", id: "ana", requestId: "r", model: "alpha", cost: 2, userId: "ana" }, spendOf(), usage(), NOW)?.message).toContain("User=ana Current cost: 0");
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
