// The config's budget settings (issue #25): LiteLLM's durations and words with resets aligned in
// litellm_settings.timezone, general_settings.max_budget as the default key budget, the proxy-wide
// litellm_settings.max_budget, disable_budget_reservation, soft_budget, and a stream's cost.
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { compileConfig } from "../../src/config/compile";
import { guardFor, guardName } from "../../src/core/guard-rpc";
import { nextBudgetReset } from "../../src/lib/duration";
import { MASTER_KEY, openaiModel, readSse, testGateway } from "./helpers";
import { advanceGuardClock, chat, flushKey, json, keyGuard, mockCallCost, newKey, pricedMock, testEnv } from "./keys-helpers";

const HI_COST = mockCallCost("hi");
const guardStub = (token: string) => testEnv.KEY_GUARD.get(testEnv.KEY_GUARD.idFromName(guardName({ kind: "key", token })));

describe("budget periods", () => {
  it("budget_duration: monthly (the guides' word) is 1mo: it resets on the 1st, by alarm", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const created = await newKey(gw, { max_budget: HI_COST, budget_duration: "monthly" });
    const now = new Date();
    const first = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    expect(created).toMatchObject({ budget_duration: "1mo", budget_reset_at: new Date(first).toISOString() });
    expect((await chat(gw, created.key, "alpha")).status).toBe(200);
    expect((await chat(gw, created.key, "alpha")).status).toBe(429);
    await advanceGuardClock(created.token, first - Date.now() - 60_000); // a minute before the 1st
    expect((await chat(gw, created.key, "alpha")).status).toBe(429);
    await advanceGuardClock(created.token, 61_000);
    await runDurableObjectAlarm(guardStub(created.token));
    expect((await keyGuard(created.token).snapshot())).toMatchObject({ spend: 0, budgetResetAt: Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1) });
    expect((await chat(gw, created.key, "alpha")).status).toBe(200);
    expect((await gw.post("/key/generate", { budget_duration: "fortnightly" })).status).toBe(400);
  });

  it("litellm_settings.timezone: a daily budget resets at midnight there", async () => {
    const tz = "Asia/Kolkata";
    const gw = await testGateway({ model_list: [pricedMock("alpha")], litellm_settings: { timezone: tz } });
    const created = await newKey(gw, { max_budget: HI_COST, budget_duration: "daily" });
    const midnight = nextBudgetReset("1d", Date.now(), tz);
    expect(new Date(midnight).toISOString()).toMatch(/T18:30:00\.000Z$/); // 00:00 in India is 18:30 UTC
    expect(Date.parse(created.budget_reset_at as string)).toBe(midnight);
    expect((await chat(gw, created.key, "alpha")).status).toBe(200);
    expect((await keyGuard(created.token).snapshot()).budgetResetAt).toBe(midnight);
    await advanceGuardClock(created.token, midnight - Date.now() - 5_000);
    expect((await chat(gw, created.key, "alpha")).status).toBe(429);
    await advanceGuardClock(created.token, 10_000);
    expect((await chat(gw, created.key, "alpha")).status).toBe(200);
    expect(await compileConfig({ litellm_settings: { timezone: "Mars/Olympus" } }).catch((e: Error) => e.message)).toContain("litellm_settings.timezone");
  });

  it("budget_duration 1w and weekly: reset on Monday at midnight in litellm_settings.timezone, by alarm", async () => {
    // Auckland is 11 to 13 hours ahead of UTC: its Monday starts on Sunday in UTC, so a reset computed in UTC is caught.
    const tz = "Pacific/Auckland";
    const clock = new Intl.DateTimeFormat("en-US", { timeZone: tz, weekday: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    const wall = (t: number) => {
      const p = Object.fromEntries(clock.formatToParts(t).map((part) => [part.type, part.value]));
      return `${p.weekday} ${p.hour}:${p.minute}:${p.second}`;
    };
    const WEEK = 7 * 86_400_000;
    const gw = await testGateway({ model_list: [pricedMock("alpha")], litellm_settings: { timezone: tz } });
    for (const duration of ["1w", "weekly"]) {
      const created = await newKey(gw, { max_budget: HI_COST, budget_duration: duration });
      expect(created.budget_duration, duration).toBe("1w");
      const monday = Date.parse(created.budget_reset_at as string);
      expect(wall(monday), duration).toBe("Mon 00:00:00");
      // The next Monday midnight there: within a week (an hour more across a change to or from daylight saving).
      expect(monday).toBeGreaterThan(Date.now());
      expect(monday - Date.now()).toBeLessThanOrEqual(WEEK + 3_600_000);
      expect((await chat(gw, created.key, "alpha")).status).toBe(200);
      expect((await keyGuard(created.token).snapshot()).budgetResetAt).toBe(monday);
      await advanceGuardClock(created.token, monday - Date.now() - 5_000); // Sunday, 23:59:55 there
      expect((await json(chat(gw, created.key, "alpha"))).error.type).toBe("budget_exceeded");
      await advanceGuardClock(created.token, 10_000);
      await runDurableObjectAlarm(guardStub(created.token));
      const after = await keyGuard(created.token).snapshot();
      expect(after.spend).toBe(0);
      expect(wall(after.budgetResetAt!)).toBe("Mon 00:00:00");
      expect(Math.abs(after.budgetResetAt! - monday - WEEK)).toBeLessThanOrEqual(3_600_000);
      expect((await chat(gw, created.key, "alpha")).status).toBe(200);
    }
  });
});

describe("budgets from the config", () => {
  it("general_settings.max_budget + budget_duration: the budget of keys without their own, said at start", async () => {
    const config = { model_list: [pricedMock("alpha")], general_settings: { master_key: MASTER_KEY, max_budget: 2 * HI_COST, budget_duration: "30d" } };
    expect((await compileConfig(config)).warnings.join("\n")).toContain(`general_settings.max_budget (${2 * HI_COST} USD per 30d) is read as the budget of every virtual key without a max_budget of its own`);
    const gw = await testGateway(config);
    const plain = await newKey(gw);
    const own = await newKey(gw, { max_budget: 10 * HI_COST });
    const first = await chat(gw, plain.key, "alpha");
    expect(first.headers.get("x-litellm-key-max-budget")).toBe(String(2 * HI_COST));
    expect((await chat(gw, plain.key, "alpha")).status).toBe(200);
    expect((await json(chat(gw, plain.key, "alpha"))).error.type).toBe("budget_exceeded");
    for (let i = 0; i < 3; i++) expect((await chat(gw, own.key, "alpha")).status).toBe(200);
  });

  it("litellm_settings.max_budget is one budget for the whole proxy, master key included, under the same admission", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")], litellm_settings: { max_budget: 5.5 * HI_COST, budget_duration: "30d" } });
    const proxy = guardFor(testEnv, { kind: "proxy", id: "global" });
    const before = (await proxy.snapshot()).spend;
    expect(before).toBe(0); // this file's tests are the only ones with a proxy budget
    const { key } = await newKey(gw);
    expect((await chat(gw, MASTER_KEY, "alpha")).status).toBe(200);
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    const codes = (await Promise.all(Array.from({ length: 10 }, (_, i) => chat(gw, i % 2 ? key : MASTER_KEY, "alpha")))).map((r) => r.status);
    const ok = codes.filter((c) => c === 200).length;
    expect([3, 4]).toContain(ok); // 3.5 calls' worth left
    const refused = await chat(gw, MASTER_KEY, "alpha");
    expect((await json(refused)).error.message).toMatch(/^Budget has been exceeded! Proxy Current cost: /);
    expect(await proxy.snapshot()).toMatchObject({ spend: (2 + ok) * HI_COST, reserved: 0 });
  });

  it("disable_budget_reservation: LiteLLM's plain spend < max_budget, nothing held", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")], litellm_settings: { disable_budget_reservation: true } });
    const { key, token } = await newKey(gw, { max_budget: 2.5 * HI_COST, rpm_limit: 10_000 });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await chat(gw, key, "alpha", { max_tokens: 100_000 })).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]); // admitted at 0, 1 and 2 calls' worth spent
    expect(await keyGuard(token).snapshot()).toMatchObject({ spend: 3 * HI_COST, reserved: 0 });
  });

  it("soft_budget: a header on answers once crossed, and one log line when it is", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const warn = vi.spyOn(console, "warn");
    try {
      const { key, token, key_name } = await newKey(gw, { soft_budget: 1.5 * HI_COST, max_budget: 10 * HI_COST });
      const headers = [];
      for (let i = 0; i < 3; i++) headers.push((await chat(gw, key, "alpha")).headers.get("x-litellm-soft-budget-crossed"));
      expect(headers).toEqual([null, "true", "true"]);
      await flushKey(token);
      const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("soft_budget_crossed") && l.includes(key_name));
      expect(lines).toEqual([`[budget] soft_budget_crossed: key ${key_name} has spent ${Number((2 * HI_COST).toPrecision(6))} USD, over its soft_budget of ${1.5 * HI_COST} (max_budget ${10 * HI_COST})`]);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("a stream's cost", () => {
  it("is in the final usage chunk as usage.cost (LiteLLM's form) when the client asks for usage; the header cannot carry it", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha"), openaiModel("gpt-4o")] });
    const { key } = await newKey(gw);
    const res = await gw.post("/v1/chat/completions", { model: "alpha", stream: true, max_tokens: 5, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }, key);
    expect(res.headers.get("x-litellm-response-cost")).toBeNull(); // headers go out before the stream's end
    const chunks = (await readSse(res)) as { usage?: { cost?: number; total_tokens: number } }[];
    expect(chunks.at(-2)?.usage).toMatchObject({ total_tokens: 10, cost: HI_COST });
    const upstream = await gw.post("/v1/chat/completions", { model: "gpt-4o", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }, key);
    const usage = ((await readSse(upstream)) as { usage?: { cost?: number } }[]).find((c) => c.usage)?.usage;
    expect(usage?.cost).toBeCloseTo(11 * 2.5e-6 + 5 * 1e-5, 15); // the bundled gpt-4o price
    // Anthropic's /v1/messages, answered by an OpenAI-format deployment: in message_delta's usage.
    const messages = await gw.fetch("/v1/messages", { method: "POST", key: null, headers: { "x-api-key": key, "anthropic-version": "2023-06-01" }, json: { model: "gpt-4o", max_tokens: 64, stream: true, messages: [{ role: "user", content: "hi" }] } });
    const delta = (await messages.text()).split("\n\n").find((block) => block.startsWith("event: message_delta"))!;
    expect(JSON.parse(/^data: (.*)$/m.exec(delta)![1]).usage.cost).toBeCloseTo(11 * 2.5e-6 + 5 * 1e-5, 15);
    // Without include_usage, no usage chunk is added (as OpenAI).
    const quiet = await gw.post("/v1/chat/completions", { model: "alpha", stream: true, max_tokens: 5, messages: [{ role: "user", content: "hi" }] }, key);
    expect(((await readSse(quiet)) as { usage?: unknown }[]).some((c) => c.usage)).toBe(false);
  });
});
