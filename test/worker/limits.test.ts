import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { guardName } from "../../src/core/guard-rpc";
import { testGateway } from "./helpers";
import { MOCK_URL, advanceGuardClock, chat, flushKey, json, keyGuard, mockCallCost, newKey, pricedMock, testEnv, unique } from "./keys-helpers";

const HI_COST = mockCallCost("hi");
const config = () => ({ model_list: [pricedMock("alpha"), pricedMock("beta")] });

async function statuses(responses: Response[]): Promise<number[]> {
  return responses.map((r) => r.status).sort();
}

const countOf = (list: number[], status: number) => list.filter((s) => s === status).length;

describe("rate limits, exact under concurrency", () => {
  it("rpm_limit 5: of 15 simultaneous calls exactly 5 succeed and 10 get 429 rate_limit_exceeded with retry-after", async () => {
    const gw = await testGateway(config());
    const { key } = await newKey(gw, { rpm_limit: 5 });
    const responses = await Promise.all(Array.from({ length: 15 }, () => chat(gw, key, "alpha")));
    const codes = await statuses(responses);
    expect(countOf(codes, 200)).toBe(5);
    expect(countOf(codes, 429)).toBe(10);
    const refused = responses.filter((r) => r.status === 429);
    for (const r of refused) {
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      expect((await json(r)).error).toMatchObject({ type: "rate_limit_exceeded", code: "429", message: expect.stringContaining("Limit type: requests. Current limit: 5") });
    }
    const ok = responses.filter((r) => r.status === 200);
    expect(ok.map((r) => r.headers.get("x-ratelimit-limit-requests"))).toEqual(Array(5).fill("5"));
    expect(ok.map((r) => Number(r.headers.get("x-ratelimit-remaining-requests"))).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("opens the window again a minute later (guard clock moved forward)", async () => {
    const gw = await testGateway(config());
    const { key, token } = await newKey(gw, { rpm_limit: 2 });
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    const refused = await chat(gw, key, "alpha");
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get("retry-after"));
    await advanceGuardClock(token, wait * 1000);
    expect((await chat(gw, key, "alpha")).status).toBe(200);
  });

  it("keeps counting across a restart of the guard (rate windows and spend come back from its storage)", async () => {
    const gw = await testGateway(config());
    const { key, token } = await newKey(gw, { rpm_limit: 3, tpm_limit: 1000, max_budget: 10 * HI_COST });
    for (let i = 0; i < 2; i++) expect((await chat(gw, key, "alpha")).status).toBe(200);
    const stub = testEnv.KEY_GUARD.get(testEnv.KEY_GUARD.idFromName(guardName({ kind: "key", token })));
    await evictDurableObject(stub);
    const third = await chat(gw, key, "alpha");
    expect(third.status).toBe(200);
    expect(third.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(third.headers.get("x-ratelimit-remaining-tokens")).toBe("980");
    expect(Number(third.headers.get("x-litellm-key-spend"))).toBe(3 * HI_COST);
    expect((await chat(gw, key, "alpha")).status).toBe(429);
  });

  it("max_parallel_requests 2: never more than 2 calls in flight upstream", async () => {
    const group = unique("par");
    const gw = await testGateway({
      model_list: [{ model_name: "slow", litellm_params: { model: "openai/slow-150", api_base: `${MOCK_URL}/inflight/${group}/v1`, api_key: "sk-upstream", input_cost_per_token: 0, output_cost_per_token: 0 } }],
    });
    const { key } = await newKey(gw, { max_parallel_requests: 2 });
    const burst = await statuses(await Promise.all(Array.from({ length: 8 }, () => chat(gw, key, "slow"))));
    expect(countOf(burst, 200)).toBe(2);
    expect(countOf(burst, 429)).toBe(6);
    // Staggered waves: slots free up as calls finish, yet the cap always holds.
    const waves = await Promise.all(
      Array.from({ length: 12 }, (_, i) => new Promise<Response>((resolve) => setTimeout(() => resolve(chat(gw, key, "slow")), i * 40))),
    );
    expect(countOf(await statuses(waves), 200)).toBeGreaterThanOrEqual(3);
    const seen = await json(fetch(`${MOCK_URL}/inflight/${group}`));
    expect(seen.max).toBe(2);
    const refused = waves.find((r) => r.status === 429)!;
    expect((await json(refused)).error.message).toContain("Max parallel request limit reached");
  });

  it("tpm_limit counts the tokens settled after each call", async () => {
    const gw = await testGateway(config());
    const { key, token } = await newKey(gw, { tpm_limit: 20 }); // each call: 5 prompt + 5 completion tokens
    const first = await chat(gw, key, "alpha");
    expect(first.headers.get("x-ratelimit-limit-tokens")).toBe("20");
    expect(first.headers.get("x-ratelimit-remaining-tokens")).toBe("20");
    expect((await chat(gw, key, "alpha")).headers.get("x-ratelimit-remaining-tokens")).toBe("10");
    const refused = await chat(gw, key, "alpha");
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.message).toContain("Limit type: tokens");
    await advanceGuardClock(token, 61_000);
    expect((await chat(gw, key, "alpha")).status).toBe(200);
  });

  it("model_rpm_limit and model_tpm_limit apply per model", async () => {
    const gw = await testGateway(config());
    const { key } = await newKey(gw, { model_rpm_limit: { alpha: 1 }, model_tpm_limit: { beta: 10 } });
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    const refused = await chat(gw, key, "alpha");
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.message).toContain("model: alpha");
    expect((await chat(gw, key, "beta")).status).toBe(200);
    expect((await chat(gw, key, "beta")).status).toBe(429);
  });

  it("team and user limits hold across all their keys", async () => {
    const gw = await testGateway(config());
    const team = await json(gw.post("/team/new", { team_alias: unique("rpm-team"), rpm_limit: 3 }));
    const a = await newKey(gw, { team_id: team.team_id });
    const b = await newKey(gw, { team_id: team.team_id });
    const codes = await statuses(await Promise.all(Array.from({ length: 8 }, (_, i) => chat(gw, i % 2 ? a.key : b.key, "alpha"))));
    expect(countOf(codes, 200)).toBe(3);
    expect(countOf(codes, 429)).toBe(5);

    const user = await json(gw.post("/user/new", { user_id: unique("u"), max_parallel_requests: 1, auto_create_key: false }));
    const c1 = await newKey(gw, { user_id: user.user_id });
    const c2 = await newKey(gw, { user_id: user.user_id });
    expect((await gw.post("/user/update", { user_id: user.user_id, rpm_limit: 1, max_parallel_requests: null })).status).toBe(200);
    expect((await chat(gw, c1.key, "alpha")).status).toBe(200);
    const refused = await chat(gw, c2.key, "alpha");
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.message).toContain(`user: ${user.user_id}`);
  });
});

describe("budgets, exact under concurrency", () => {
  it("refuses with 429 budget_exceeded once max_budget is spent (no duration: never resets)", async () => {
    const gw = await testGateway(config());
    const { key } = await newKey(gw, { max_budget: 3 * HI_COST });
    for (let i = 0; i < 3; i++) expect((await chat(gw, key, "alpha")).status).toBe(200);
    const refused = await chat(gw, key, "alpha");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeNull();
    expect((await json(refused)).error).toMatchObject({
      type: "budget_exceeded",
      code: "429",
      message: `Budget has been exceeded! Current cost: ${Number((3 * HI_COST).toPrecision(6))}, Max budget: ${Number((3 * HI_COST).toPrecision(6))}`,
    });
  });

  it("60 concurrent calls on a budget worth 10: exactly 10 succeed, spend never exceeds max_budget", async () => {
    const gw = await testGateway(config());
    const budget = 10 * HI_COST;
    const { key, token } = await newKey(gw, { max_budget: budget });
    const responses = await Promise.all(Array.from({ length: 60 }, () => chat(gw, key, "alpha")));
    const codes = await statuses(responses);
    await flushKey(token);
    const info = await json(gw.fetch(`/key/info?key=${token}`));
    const overspend = info.info.spend - budget;
    console.log(`[measure] 60 concurrent calls, budget worth 10: ${countOf(codes, 200)} succeeded, ${countOf(codes, 429)} refused; spend ${info.info.spend} of ${budget}; overspend ${overspend}`);
    expect(countOf(codes, 200)).toBe(10);
    expect(countOf(codes, 429)).toBe(50);
    expect(overspend).toBeLessThanOrEqual(0);
    const [{ n, total }] = (await testEnv.DB.prepare("SELECT count(*) AS n, sum(spend) AS total FROM spend_logs WHERE api_key = ?").bind(token).all<{ n: number; total: number }>()).results;
    expect(n).toBe(10);
    expect(total).toBeLessThanOrEqual(budget);
  });

  it("admits a call whose max_tokens would pass the remaining budget, holding what is left (it used to be refused up front)", async () => {
    const gw = await testGateway(config());
    const { key, token } = await newKey(gw, { max_budget: 2 * HI_COST });
    const big = await chat(gw, key, "alpha", { max_tokens: 1000 });
    expect(big.status).toBe(200);
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    const refused = await chat(gw, key, "alpha");
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.type).toBe("budget_exceeded");
    expect(await keyGuard(token).snapshot()).toMatchObject({ spend: 2 * HI_COST, reserved: 0 });
  });

  it("budget_duration 1d resets at the next UTC midnight, by alarm, without traffic", async () => {
    const gw = await testGateway(config());
    const created = await newKey(gw, { max_budget: 2 * HI_COST, budget_duration: "1d" });
    const midnight = Math.ceil((Date.now() + 1) / 86_400_000) * 86_400_000;
    expect(Date.parse(created.budget_reset_at as string)).toBe(midnight);
    for (let i = 0; i < 2; i++) expect((await chat(gw, created.key, "alpha")).status).toBe(200);
    const refused = await chat(gw, created.key, "alpha");
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((midnight - Date.now()) / 1000) + 1);

    // Move the guard past midnight; its alarm resets the budget and writes it to D1 with no request.
    await advanceGuardClock(created.token, midnight - Date.now() + 1000);
    const stub = testEnv.KEY_GUARD.get(testEnv.KEY_GUARD.idFromName(guardName({ kind: "key", token: created.token })));
    await runDurableObjectAlarm(stub);
    await flushKey(created.token);
    const row = await testEnv.DB.prepare("SELECT spend, budget_reset_at FROM keys WHERE token = ?").bind(created.token).first<{ spend: number; budget_reset_at: number }>();
    expect(row).toEqual({ spend: 0, budget_reset_at: midnight + 86_400_000 });
    expect((await chat(gw, created.key, "alpha")).status).toBe(200);
  });

  it("budget_duration 30s aligns to the clock as LiteLLM does", async () => {
    const gw = await testGateway(config());
    const created = await newKey(gw, { max_budget: HI_COST, budget_duration: "30s" });
    const resetAt = Date.parse(created.budget_reset_at as string);
    expect(resetAt % 30_000).toBe(0);
    expect(resetAt - Date.now()).toBeLessThanOrEqual(30_000);
    // Start at the beginning of a 30 s period, so the test never straddles a reset.
    await advanceGuardClock(created.token, resetAt - Date.now() + 100);
    expect((await chat(gw, created.key, "alpha")).status).toBe(200);
    expect((await chat(gw, created.key, "alpha")).status).toBe(429);
    await advanceGuardClock(created.token, 30_000);
    expect((await chat(gw, created.key, "alpha")).status).toBe(200);
  });

  it("model_max_budget limits spend per model", async () => {
    const gw = await testGateway(config());
    const { key } = await newKey(gw, { model_max_budget: { alpha: HI_COST, beta: { budget_limit: 2 * HI_COST, time_period: "1d" } } });
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    const refused = await chat(gw, key, "alpha");
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.message).toContain("Model=alpha");
    expect((await chat(gw, key, "beta")).status).toBe(200);
    expect((await chat(gw, key, "beta")).status).toBe(200);
    expect((await chat(gw, key, "beta")).status).toBe(429);
  });

  it("team budgets, member budgets in a team and user budgets span all their keys", async () => {
    const gw = await testGateway(config());
    const team = await json(gw.post("/team/new", { team_alias: unique("budget-team"), max_budget: 3 * HI_COST }));
    const a = await newKey(gw, { team_id: team.team_id });
    const b = await newKey(gw, { team_id: team.team_id });
    expect((await chat(gw, a.key, "alpha")).status).toBe(200);
    expect((await chat(gw, b.key, "alpha")).status).toBe(200);
    expect((await chat(gw, a.key, "alpha")).status).toBe(200);
    const refused = await chat(gw, b.key, "alpha");
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.message).toContain(`Team=${team.team_id}`);

    const team2 = await json(gw.post("/team/new", { team_alias: unique("members") }));
    const member = unique("member");
    await json(gw.post("/team/member_add", { team_id: team2.team_id, member: { user_id: member, role: "user" }, max_budget_in_team: HI_COST }));
    const mk = await newKey(gw, { team_id: team2.team_id, user_id: member });
    const other = await newKey(gw, { team_id: team2.team_id });
    expect((await chat(gw, mk.key, "alpha")).status).toBe(200);
    const memberRefused = await chat(gw, mk.key, "alpha");
    expect(memberRefused.status).toBe(429);
    expect((await json(memberRefused)).error.message).toContain(`User=${member} in Team=${team2.team_id}`);
    expect((await chat(gw, other.key, "alpha")).status).toBe(200);

    const user = await json(gw.post("/user/new", { user_id: unique("spender"), max_budget: HI_COST, auto_create_key: true }));
    expect(user.key).toMatch(/^sk-/);
    const second = await newKey(gw, { user_id: user.user_id });
    expect((await chat(gw, user.key, "alpha")).status).toBe(200);
    const userRefused = await chat(gw, second.key, "alpha");
    expect(userRefused.status).toBe(429);
    expect((await json(userRefused)).error.message).toContain(`User=${user.user_id}`);
  });

  it("concurrent calls on a shared team budget never overspend it", async () => {
    const gw = await testGateway(config());
    const team = await json(gw.post("/team/new", { team_alias: unique("shared"), max_budget: 4 * HI_COST }));
    const keys = await Promise.all([0, 1, 2].map(() => newKey(gw, { team_id: team.team_id })));
    const codes = await statuses(await Promise.all(Array.from({ length: 24 }, (_, i) => chat(gw, keys[i % 3].key, "alpha"))));
    expect(countOf(codes, 200)).toBe(4);
    for (const k of keys) await flushKey(k.token);
    await flushKey(keys[0].token, { team: team.team_id });
    const info = await json(gw.fetch(`/team/info?team_id=${team.team_id}`));
    expect(info.team_info.spend).toBeLessThanOrEqual(4 * HI_COST);
    expect(info.team_info.spend).toBe(4 * HI_COST);
  });
});
