// Nothing reserved is ever forgotten (issue #24, item 7): a call whose settlement never reaches its guard
// (its isolate stopped) is charged what it reserved after RESERVATION_TTL_MS, with an "estimated" spend
// log row, and a late settlement is not counted again; so is a lease never given back. And LiteLLM's
// spend reports (issue #25).
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { guardName, type Settlement } from "../../src/core/guard-rpc";
import { RESERVATION_TTL_MS } from "../../src/limits/guard/ledger";
import type { SpendLogRow } from "../../src/schema/db";
import { dailyRow, outboxRow } from "../../src/spend/flush";
import { testGateway } from "./helpers";
import { advanceGuardClock, chat, flushKey, json, keyGuard, mockCallCost, newKey, pricedMock, testEnv, unique } from "./keys-helpers";

const HI_COST = mockCallCost("hi");
const stub = (token: string) => testEnv.KEY_GUARD.get(testEnv.KEY_GUARD.idFromName(guardName({ kind: "key", token })));

/** A settlement as an isolate sends it (what a lost one would have been). */
function settlement(token: string, requestId: string, cost: number, lease?: string): Settlement {
  const now = Date.now();
  const log = { request_id: requestId, api_key: token, model: "alpha", model_group: "alpha", call_type: "acompletion", status: "success", start_time: now, end_time: now, duration_ms: 0, spend: cost, prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 } as SpendLogRow;
  return { token, requestId, model: "alpha", cost, tokens: 10, row: outboxRow(log, true), daily: dailyRow(log, false), ...(lease ? { lease } : {}) };
}

async function logRows(token: string): Promise<Record<string, any>[]> {
  await flushKey(token);
  return (await testEnv.DB.prepare("SELECT request_id, spend, status, metadata FROM spend_logs WHERE api_key = ? ORDER BY request_id").bind(token).all()).results;
}

describe("reservations never settled", () => {
  it("a call admitted by its guard whose settlement never came is charged its reservation, once, with an estimated row", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const { token } = await newKey(gw, { max_budget: 1 });
    // An isolate admitted a call (worst case 0.25) and was evicted before settling it.
    const admitted = await keyGuard(token).admit({ token, requestId: "lost-call", model: "alpha", cost: 0.25, tokens: 100 });
    expect(admitted.ok).toBe(true);
    expect(await keyGuard(token).snapshot()).toMatchObject({ reserved: 0.25, spend: 0 });
    await advanceGuardClock(token, RESERVATION_TTL_MS + 1000);
    await runDurableObjectAlarm(stub(token));
    expect(await keyGuard(token).snapshot()).toMatchObject({ reserved: 0, inFlight: 0, spend: 0.25, tokenSpend: 100 });
    const rows = await logRows(token);
    expect(rows).toMatchObject([{ request_id: "lost-call", spend: 0.25, status: "estimated" }]);
    expect(JSON.parse(rows[0].metadata)).toMatchObject({ usage_estimated: true, estimated_reason: expect.stringContaining("never reached its guard") });
    // The settlement turns up after all (a retry from a stuck isolate): billed already, not again.
    await keyGuard(token).settle(settlement(token, "lost-call", 0.01));
    expect((await keyGuard(token).snapshot()).spend).toBe(0.25);
    expect(await logRows(token)).toHaveLength(1);
    const daily = await testEnv.DB.prepare("SELECT requests, failures, spend FROM daily_spend WHERE api_key = ?").bind(token).first();
    expect(daily).toEqual({ requests: 1, failures: 0, spend: 0.25 });
  });

  it("a lease never given back is charged what it still held, and its calls' late settlements are not counted again", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const { token } = await newKey(gw, { max_budget: 1, rpm_limit: 10_000 });
    const answer = await keyGuard(token).renewLease({ token, callCost: HI_COST });
    if (!answer.ok || !answer.lease) throw new Error(`no lease: ${JSON.stringify(answer)}`);
    const lease = answer.lease;
    // One of its calls settled; then the isolate was lost (no return, no more settlements).
    await keyGuard(token).settleMany([settlement(token, "from-lease-1", HI_COST, lease.id)]);
    await advanceGuardClock(token, RESERVATION_TTL_MS + 5000);
    await runDurableObjectAlarm(stub(token));
    expect(await keyGuard(token).snapshot()).toMatchObject({ reserved: 0, inFlight: 0, spend: lease.budget });
    expect(await logRows(token)).toMatchObject([
      { request_id: "from-lease-1", spend: HI_COST, status: "success" },
      { request_id: `lease:${lease.id}`, spend: lease.budget! - HI_COST, status: "estimated" },
    ]);
    await keyGuard(token).settleMany([settlement(token, "from-lease-2", HI_COST, lease.id)], [{ lease: lease.id, unusedSlots: 0, calls: 2 }]);
    expect((await keyGuard(token).snapshot()).spend).toBe(lease.budget);
  });
});

describe("LiteLLM's spend reports", () => {
  it("answer /global/spend/keys, /global/spend/models, /global/spend/teams, /global/spend/logs, /spend/keys and /spend/users", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha"), pricedMock("beta")] });
    const team = await json(gw.post("/team/new", { team_alias: unique("reports") }));
    const user = unique("reporter");
    const a = await newKey(gw, { key_alias: unique("a"), team_id: team.team_id, user_id: user });
    const b = await newKey(gw);
    for (const [k, m] of [[a, "alpha"], [a, "beta"], [a, "beta"], [b, "alpha"]] as const) expect((await chat(gw, k.key, m)).status).toBe(200);
    await flushKey(a.token, { team: team.team_id, user });
    await flushKey(b.token);
    const today = new Date().toISOString().slice(0, 10);

    const keys = await json(gw.fetch("/global/spend/keys"));
    expect(keys.find((k: any) => k.api_key === a.token)).toEqual({ api_key: a.token, key_alias: a.key_alias, key_name: a.key_name, total_spend: 3 * HI_COST });
    expect(await json(gw.fetch("/global/spend/keys?limit=1"))).toHaveLength(1);
    const models = await json(gw.fetch("/global/spend/models"));
    expect(models.find((m: any) => m.model === "beta").total_spend).toBeGreaterThanOrEqual(2 * HI_COST);
    expect(Object.keys(models[0])).toEqual(["model", "total_spend"]);
    const logs = await json(gw.fetch(`/global/spend/logs?api_key=${a.key}`));
    expect(logs).toEqual([{ date: today, spend: 3 * HI_COST, api_key: a.token }]);
    expect((await json(gw.fetch("/global/spend/logs"))).find((d: any) => d.date === today).spend).toBeGreaterThanOrEqual(4 * HI_COST);
    const teams = await json(gw.fetch("/global/spend/teams"));
    expect(teams.teams).toEqual(expect.arrayContaining([team.team_alias, "Unassigned"]));
    expect(teams.daily_spend.find((d: any) => d.date === today)[team.team_alias]).toBe(3 * HI_COST);
    expect(teams.total_spend_per_team.find((t: any) => t.team_id === team.team_alias).total_spend).toBe(3 * HI_COST);
    const keyRows = await json(gw.fetch("/spend/keys"));
    expect(keyRows.find((k: any) => k.token === a.token)).toMatchObject({ spend: 3 * HI_COST, key_alias: a.key_alias });
    expect(await json(gw.fetch(`/spend/users?user_id=${user}`))).toMatchObject([{ user_id: user, spend: 3 * HI_COST }]);
    expect((await gw.fetch("/global/spend/keys", { key: b.key })).status).toBe(403);
  });
});
