// Budgets that admit what fits (issue #25): a call is admitted while spend + reserved < max_budget and
// holds its worst case, or what is left; one partial hold at a time, so overspend is at most one call's
// cost beyond what it held. Model access is decided first; changes to a key hold from the next call.
import { describe, expect, it } from "vitest";
import { testGateway, ollamaModel } from "./helpers";
import { MOCK_COMPLETION_TOKENS, chat, flushKey, json, keyGuard, mockCallCost, newKey, pricedMock, testEnv } from "./keys-helpers";

const HI_COST = mockCallCost("hi");
const count = (codes: number[], status: number) => codes.filter((c) => c === status).length;

/** The spend D1 records for a key: its log rows' sum, and its total. */
async function recorded(token: string): Promise<{ rows: number; logged: number; total: number }> {
  await flushKey(token);
  const log = await testEnv.DB.prepare("SELECT count(*) AS n, coalesce(sum(spend), 0) AS s FROM spend_logs WHERE api_key = ?").bind(token).first<{ n: number; s: number }>();
  const key = await testEnv.DB.prepare("SELECT spend FROM keys WHERE token = ?").bind(token).first<{ spend: number }>();
  return { rows: log!.n, logged: log!.s, total: key!.spend };
}

/** Runs `n` calls at once; their statuses and refusal bodies. */
async function burst(n: number, call: () => Promise<Response>): Promise<{ codes: number[]; refusals: { type: string; message: string; retryAfter: string | null }[] }> {
  const responses = await Promise.all(Array.from({ length: n }, call));
  const refusals = await Promise.all(
    responses.filter((r) => r.status !== 200).map(async (r) => ({ ...(await json(r)).error, retryAfter: r.headers.get("retry-after") })),
  );
  return { codes: responses.map((r) => r.status), refusals };
}

describe("model access before any budget", () => {
  it("a fresh key restricted to cheap-model gets LiteLLM's 403 on other-model, never a 429, whatever its budget", async () => {
    const gw = await testGateway({ model_list: [pricedMock("cheap-model"), pricedMock("other-model")] });
    for (const budget of [0, 1e-12, 1]) {
      const { key } = await newKey(gw, { models: ["cheap-model"], max_budget: budget });
      // Twice: the first call finds no cached key in this isolate (its guard decides), the second a cached one.
      for (let i = 0; i < 2; i++) {
        if (i === 1) expect((await gw.fetch("/key/info", { key })).status).toBe(200); // caches the key here
        const res = await chat(gw, key, "other-model");
        expect(res.status, `budget ${budget}, call ${i}`).toBe(403);
        expect((await json(res)).error).toMatchObject({ type: "key_model_access_denied", message: expect.stringContaining("Tried to access other-model") });
      }
    }
  });
});

describe("a /key/update holds on the very next call", () => {
  it("widening and narrowing models, and lowering limits, through this isolate's admin route", async () => {
    const gw = await testGateway({ model_list: [pricedMock("cheap-model"), pricedMock("other-model")] });
    const { key } = await newKey(gw, { models: ["cheap-model"], max_budget: 1, rpm_limit: 10_000 });
    expect((await chat(gw, key, "cheap-model")).status).toBe(200);
    expect((await chat(gw, key, "other-model")).status).toBe(403);
    await gw.post("/key/update", { key, models: ["cheap-model", "other-model"] });
    expect((await chat(gw, key, "other-model")).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await chat(gw, key, "cheap-model")).status).toBe(200); // busy: leases
    await gw.post("/key/update", { key, models: ["other-model"] });
    expect((await chat(gw, key, "cheap-model")).status).toBe(403);
    await gw.post("/key/update", { key, rpm_limit: 1 });
    expect((await chat(gw, key, "other-model")).status).toBe(429);
    await gw.post("/key/update", { key, rpm_limit: 10_000, max_budget: 0 });
    expect((await json(chat(gw, key, "other-model"))).error.type).toBe("budget_exceeded");
  });

  it("raising max_budget or rpm_limit admits the very next call that was refused", async () => {
    const gw = await testGateway({ model_list: [pricedMock("cheap-model")] });
    const { key, token } = await newKey(gw, { max_budget: HI_COST, rpm_limit: 10_000 });
    expect((await chat(gw, key, "cheap-model")).status).toBe(200);
    expect((await json(chat(gw, key, "cheap-model"))).error.type).toBe("budget_exceeded");
    expect((await gw.post("/key/update", { key, max_budget: 3 * HI_COST })).status).toBe(200);
    const afterBudget = await chat(gw, key, "cheap-model");
    expect(afterBudget.status).toBe(200);
    expect(afterBudget.headers.get("x-litellm-key-max-budget")).toBe(String(3 * HI_COST));

    const limited = await newKey(gw, { rpm_limit: 2 });
    for (let i = 0; i < 2; i++) expect((await chat(gw, limited.key, "cheap-model")).status).toBe(200);
    const refused = await chat(gw, limited.key, "cheap-model");
    expect((await json(refused)).error.message).toContain("Limit type: requests. Current limit: 2");
    expect((await gw.post("/key/update", { key: limited.key, rpm_limit: 3 })).status).toBe(200);
    const afterRpm = await chat(gw, limited.key, "cheap-model");
    expect(afterRpm.status).toBe(200);
    expect(afterRpm.headers.get("x-ratelimit-limit-requests")).toBe("3");
    expect((await chat(gw, limited.key, "cheap-model")).status).toBe(429); // 3 admitted this minute: the new limit holds
    expect(await keyGuard(token).snapshot()).toMatchObject({ spend: 2 * HI_COST, reserved: 0 });
  });

  it("made in another isolate: once the change is answered, this isolate's cached key and lease do not admit under the old one", async () => {
    const gw = await testGateway({ model_list: [pricedMock("cheap-model"), pricedMock("other-model")] });
    const { key, token } = await newKey(gw, { models: ["cheap-model"], max_budget: 1, rpm_limit: 10_000 });
    for (let i = 0; i < 3; i++) expect((await chat(gw, key, "cheap-model")).status).toBe(200); // cached here, with a lease
    // Another isolate's /key/update: D1 and the guard change, not this isolate; it answers once its guard's
    // leases admit nothing more (refreshGuards waits what `refresh` says).
    const elsewhere = async (set: string) => {
      await testEnv.DB.prepare(`UPDATE keys SET ${set}, version = version + 1 WHERE token = ?`).bind(token).run();
      const wait = (await keyGuard(token).refresh({ kind: "key", token })) ?? 0;
      await new Promise((r) => setTimeout(r, wait + 250));
      return wait;
    };
    expect(await elsewhere(`models = '["cheap-model","other-model"]'`)).toBeGreaterThan(0); // this isolate held a lease
    expect((await chat(gw, key, "other-model")).status).toBe(200); // the cached list said no: the guard was asked
    for (let i = 0; i < 3; i++) await chat(gw, key, "cheap-model");
    await elsewhere(`models = '["other-model"]'`);
    expect((await chat(gw, key, "cheap-model")).status).toBe(403);
    for (let i = 0; i < 3; i++) await chat(gw, key, "other-model");
    await elsewhere("max_budget = 0");
    expect((await json(chat(gw, key, "other-model"))).error.type).toBe("budget_exceeded");
  });
});

describe("the admission rule", () => {
  it("admits the first call of a $1 key on input 0.001 / output 0.002 per token without max_tokens (its worst case is $8.2)", async () => {
    const gw = await testGateway({ model_list: [pricedMock("cheap-model", { input_cost_per_token: 0.001, output_cost_per_token: 0.002 })] });
    const { key, token } = await newKey(gw, { models: ["cheap-model"], max_budget: 1 });
    const res = await gw.post("/v1/chat/completions", { model: "cheap-model", messages: [{ role: "user", content: "hi there" }] }, key);
    expect(res.status).toBe(200);
    const cost = Number(res.headers.get("x-litellm-response-cost"));
    expect(cost).toBeCloseTo(6 * 0.001 + MOCK_COMPLETION_TOKENS * 0.002, 12);
    expect(await keyGuard(token).snapshot()).toMatchObject({ spend: cost, reserved: 0 });
  });

  it("a budget worth N.5 calls admits N or N+1 calls one after the other, with or without max_tokens", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    for (const [n, extra] of [[2, {}], [2, { max_tokens: undefined }], [4, {}]] as const) {
      const { key, token } = await newKey(gw, { max_budget: (n + 0.5) * HI_COST });
      const codes: number[] = [];
      for (let i = 0; i < n + 3; i++) codes.push((await chat(gw, key, "alpha", extra)).status);
      const ok = count(codes, 200);
      expect([n, n + 1]).toContain(ok);
      expect(codes.slice(0, ok).every((c) => c === 200) && codes.slice(ok).every((c) => c === 429)).toBe(true);
      expect(await recorded(token)).toEqual({ rows: ok, logged: ok * HI_COST, total: ok * HI_COST });
    }
  });

  it("with max_tokens equal to the answer's length, 20 concurrent calls on a 2.5-call budget admit 2 or 3, and 60 on a 10.5-call budget 10 or 11", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    for (const [calls, worth] of [[20, 2.5], [60, 10.5]]) {
      const { key, token } = await newKey(gw, { max_budget: worth * HI_COST });
      const { codes, refusals } = await burst(calls, () => chat(gw, key, "alpha"));
      const ok = count(codes, 200);
      console.log(`[measure] ${calls} concurrent calls, budget worth ${worth} calls (worst case = real cost): ${ok} admitted`);
      expect([Math.floor(worth), Math.ceil(worth)]).toContain(ok);
      expect(count(codes, 429)).toBe(calls - ok);
      for (const r of refusals) expect(["budget_exceeded", "rate_limit_exceeded"]).toContain(r.type);
      expect(await recorded(token)).toEqual({ rows: ok, logged: ok * HI_COST, total: ok * HI_COST });
    }
  });

  it("without max_tokens, 20 concurrent calls on a 2.5-call budget admit at least one, overspend at most one call, and every refusal is a clear 429", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const budget = 2.5 * HI_COST;
    const { key, token } = await newKey(gw, { max_budget: budget });
    const { codes, refusals } = await burst(20, () => gw.post("/v1/chat/completions", { model: "alpha", messages: [{ role: "user", content: "hi" }] }, key));
    const ok = count(codes, 200);
    const spend = (await recorded(token)).total;
    console.log(`[measure] 20 concurrent calls without max_tokens, budget worth 2.5 calls: ${ok} admitted, spend ${spend / HI_COST} calls' worth`);
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(count(codes, 429)).toBe(20 - ok);
    expect(spend - budget).toBeLessThanOrEqual(HI_COST);
    expect(await recorded(token)).toEqual({ rows: ok, logged: ok * HI_COST, total: ok * HI_COST });
    for (const r of refusals) {
      if (r.type === "budget_exceeded") expect(r.message).toMatch(/^Budget has been exceeded! Current cost: /);
      else {
        // Refused because calls in flight hold the rest: it says so, what this call would hold, and how max_tokens changes it.
        expect(r).toMatchObject({ type: "rate_limit_exceeded", retryAfter: "1" });
        expect(r.message).toMatch(/^Budget held by calls in progress: spent [\d.e-]+, reserved by calls in progress [\d.e-]+, max [\d.e-]+; this call may use up to [\d.e-]+\. Retry when they finish\. /);
        expect(r.message).toContain("about 5 prompt tokens and 4096 output tokens (the default of 4096, as neither the request nor the model sets a bound); a lower max_tokens holds less.");
      }
    }
  });

  it("max_budget 0 means free models only: an unpriced local deployment or a free one answers, a priced one is refused clearly", async () => {
    const gw = await testGateway({ model_list: [ollamaModel("llama3.2"), pricedMock("free", { input_cost_per_token: 0, output_cost_per_token: 0 }), pricedMock("paid")] });
    const { key, token } = await newKey(gw, { max_budget: 0 });
    expect((await chat(gw, key, "llama3.2")).status).toBe(200);
    expect((await chat(gw, key, "free")).status).toBe(200);
    const refused = await chat(gw, key, "paid");
    expect(refused.status).toBe(429);
    expect((await json(refused)).error).toMatchObject({
      type: "budget_exceeded",
      message: "Budget has been exceeded! Current cost: 0, Max budget: 0. A max_budget of 0 allows free models only (price 0 or unknown, such as a local Ollama); 'paid' is priced",
    });
    expect((await recorded(token)).total).toBe(0);
  });

  it("max_token_budget is enforced like max_budget, in tokens, reported by /key/info and refused once spent", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    // Each call: 5 prompt + 5 completion tokens, and max_tokens 5 (worst case = real use).
    const { key, token } = await newKey(gw, { max_token_budget: 25, budget_duration: "30d" });
    expect((await json(gw.fetch(`/key/info?key=${token}`))).info).toMatchObject({ max_token_budget: 25, token_spend: 0, budget_duration: "30d" });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await chat(gw, key, "alpha")).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]); // 10, 20, then 5 left: held to them, admitted; 30 >= 25
    const refused = await chat(gw, key, "alpha");
    expect((await json(refused)).error).toMatchObject({ type: "budget_exceeded", message: "Token budget has been exceeded! Tokens used: 30, Max token budget: 25" });
    expect((await json(gw.fetch(`/key/info?key=${token}`))).info).toMatchObject({ max_token_budget: 25, token_spend: 30 });
    await flushKey(token);
    expect((await testEnv.DB.prepare("SELECT token_spend FROM keys WHERE token = ?").bind(token).first<{ token_spend: number }>())!.token_spend).toBe(30);
    // Teams take it too.
    const team = await json(gw.post("/team/new", { max_token_budget: 10 }));
    expect(team.max_token_budget).toBe(10);
    const member = await newKey(gw, { team_id: team.team_id });
    expect((await chat(gw, member.key, "alpha")).status).toBe(200);
    expect((await json(chat(gw, member.key, "alpha"))).error.message).toContain(`Token budget has been exceeded! Team=${team.team_id} Tokens used: 10`);
  });
});
