// Alerting to Slack (a mock of its incoming webhooks): each alert once per event, whichever isolate sees
// it; budget and soft-budget crossings, slow calls, cooldowns, outages, and the daily spend report.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { sendDailyReport } from "../../src/observability/alerts/daily-report";
import { hubFor } from "../../src/observability/hub-rpc";
import { MASTER_KEY, openaiModel, testGateway } from "./helpers";
import { unique } from "./keys-helpers";
import { CALL_COST, eventually, observabilityUrl, pricedModel, received } from "./observability-helpers";

const testEnv = env as unknown as Env;

const slackTexts = async (hook: string) => (await received(`slack/${hook}`)).map((r) => (JSON.parse(r.body) as { text: string }).text);

function alerting(hook: string, general: Record<string, unknown> = {}) {
  return { general_settings: { master_key: MASTER_KEY, alerting: ["slack"], ...general } };
}
const slackEnv = (hook: string) => ({ OBSERVABILITY_FLUSH_MS: "10", SLACK_WEBHOOK_URL: observabilityUrl(`slack/${hook}`) });

describe("alerting", () => {
  it("sends a budget alert once, however many calls and isolates see the key cross it", async () => {
    const hook = unique("budget");
    const group = unique("m");
    const config = { model_list: [pricedModel(group, "gpt-4o-mini")], ...alerting(hook) };
    const gw = await testGateway(config, slackEnv(hook));
    // Another isolate's view: its own runtime, its own memory of what it alerted.
    const other = await testGateway(config, slackEnv(hook));
    const { key } = (await (await gw.post("/key/generate", { key_alias: "budget-agent", max_budget: 2.5 * CALL_COST, soft_budget: 0.5 * CALL_COST })).json()) as { key: string };
    const call = (g: typeof gw) => g.post("/v1/chat/completions", { model: group, max_tokens: 5, messages: [{ role: "user", content: "hi" }] }, key);
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) statuses.push(...(await Promise.all([call(gw), call(other), call(gw)])).map((r) => r.status));
    expect(statuses).toContain(200);
    expect(statuses).toContain(429); // refused once over budget
    await eventually(async () => {
      const texts = await slackTexts(hook);
      expect(texts.filter((t) => t.includes("Budget Crossed") && !t.includes("Soft"))).toHaveLength(1);
      expect(texts.filter((t) => t.includes("Soft Budget Crossed"))).toHaveLength(1);
    });
    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives later
    const texts = await slackTexts(hook);
    expect(texts).toHaveLength(2);
    expect(texts.find((t) => t.startsWith("Level: `High`"))).toMatch(/Message: Budget Crossed\n.*key_alias=budget-agent[\s\S]*Alert type: `budget_alerts`/);
  });

  it("claims each event once in the alerts hub", async () => {
    const hub = hubFor(testEnv, "alerts")!;
    const event = unique("event");
    expect(await hub.claim(event, 60_000)).toBe(true);
    expect(await hub.claim(event, 60_000)).toBe(false);
    expect(await hub.claim(`${event}-short`, 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect(await hub.claim(`${event}-short`, 1)).toBe(true); // its time is over: a new event
  });

  it("alerts on slow calls, cooled-down deployments and a model group in outage, as alert_types asks", async () => {
    const hook = unique("ops");
    const group = unique("pair");
    const gw = await testGateway(
      {
        // The 429 deployment is tried first (order 1), cools down, and the retry lands on the other.
        model_list: [openaiModel(group, "error-429", { order: 1 }), openaiModel(group, "slow-30", { order: 2 }), openaiModel(`${group}-slow`, "slow-30")],
        router_settings: { num_retries: 1, routing_strategy: "simple-shuffle" },
        ...alerting(hook, { alerting_threshold: 0.01, alert_types: ["llm_too_slow", "cooldown_deployment", "outage_alerts"] }),
      },
      slackEnv(hook),
    );
    for (let i = 0; i < 4; i++) await gw.post("/v1/chat/completions", { model: group, messages: [{ role: "user", content: "hi" }] });
    await gw.post("/v1/chat/completions", { model: `${group}-slow`, messages: [{ role: "user", content: "hi" }] });
    await eventually(async () => {
      const texts = await slackTexts(hook);
      expect(texts.filter((t) => t.includes("cooldown_deployment"))).toHaveLength(1);
      expect(texts.filter((t) => t.includes("Slow LLM call")).length).toBeGreaterThanOrEqual(1);
    });
    expect((await slackTexts(hook)).every((t) => !t.includes("llm_exceptions"))).toBe(true);

    const outage = unique("outage");
    const down = await testGateway(
      { model_list: [openaiModel(outage, "error-429"), openaiModel(outage, "error-503")], router_settings: { num_retries: 0, allowed_fails: 0 }, ...alerting(outage) },
      slackEnv(outage),
    );
    for (let i = 0; i < 5; i++) await down.post("/v1/chat/completions", { model: outage, messages: [{ role: "user", content: "hi" }] });
    await eventually(async () => expect((await slackTexts(outage)).filter((t) => t.includes(`Model group outage: every deployment of ${outage}`))).toHaveLength(1));
  });

  it("sends the daily spend report once per day", async () => {
    const hook = unique("daily");
    const key = unique("k").padEnd(64, "0");
    await testEnv.DB.prepare(
      `INSERT INTO daily_spend (date, api_key, model_group, team_id, spend, prompt_tokens, completion_tokens, requests, failures, unpriced_requests) VALUES ('2020-01-02', ?, 'gpt-report', '', 1.25, 100, 50, 7, 1, 0)`,
    ).bind(key).run();
    const settings = { webhookUrl: observabilityUrl(`slack/${hook}`), types: new Set(["daily_reports"] as const), thresholdMs: 300_000, budgetTtlMs: 86_400_000, outageTtlMs: 60_000, redactKeyInfo: false };
    const at = Date.parse("2020-01-03T00:05:00Z");
    await sendDailyReport(settings, testEnv, at);
    await sendDailyReport(settings, testEnv, at); // a repeated trigger
    const texts = await slackTexts(hook);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain("Daily spend report for 2020-01-02 (UTC)");
    expect(texts[0]).toMatch(/Spend: \$1\.2500 over 7 requests \(1 failed\), 150 tokens/);
    expect(texts[0]).toContain("1. gpt-report: $1.2500 (7 requests)");
  });
});
