// Shutting down without losing spend (issue #24, item 7), inside workerd: POST /__gateway/drain exists
// only with the token `npm start` sets; it stops admitting calls, lets those admitted end and delivers
// their settlements and lease returns. (Its own file: draining is for the rest of the isolate's life.)
// test/node/restart.test.ts runs the whole thing: SIGTERM to `npm start`, then a restart on the same state.
import { describe, expect, it } from "vitest";
import { openaiModel, testGateway } from "./helpers";
import { chat, flushKey, json, keyGuard, newKey, pricedMock, testEnv } from "./keys-helpers";

describe("POST /__gateway/drain", () => {
  it("does not exist without npm start's token", async () => {
    const without = await testGateway({ model_list: [pricedMock("alpha")] });
    expect((await without.fetch("/__gateway/drain", { method: "POST", headers: { "x-gateway-drain-token": "guess" } })).status).toBe(404);
    const gw = await testGateway({ model_list: [pricedMock("alpha")] }, { GATEWAY_DRAIN_TOKEN: "the-token-of-this-run" });
    expect((await gw.fetch("/__gateway/drain", { method: "POST" })).status).toBe(404);
    expect((await gw.fetch("/__gateway/drain", { method: "POST", headers: { "x-gateway-drain-token": "the-token-of-this-ruN" } })).status).toBe(404);
  });

  it("answers once the calls under way have ended and their spend reached the guards; then new calls get 503", async () => {
    const gw = await testGateway({ model_list: [openaiModel("slow", "slow-600", { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 }), pricedMock("alpha")] }, { GATEWAY_DRAIN_TOKEN: "tok" });
    const busy = await newKey(gw, { max_budget: 1, rpm_limit: 100_000 }); // leased
    const slow = await newKey(gw, { max_budget: 1 });
    for (let i = 0; i < 3; i++) expect((await chat(gw, busy.key, "alpha")).status).toBe(200);
    const running = gw.post("/v1/chat/completions", { model: "slow", messages: [{ role: "user", content: "hi" }] }, slow.key);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const drained = await json(gw.fetch("/__gateway/drain", { method: "POST", headers: { "x-gateway-drain-token": "tok" } }));
    expect(drained).toEqual({ drained: true, calls_still_running: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300); // it waited for the slow call
    expect((await running).status).toBe(200);
    // Everything settled and given back: nothing held anywhere, every call's row on its way to D1.
    for (const token of [busy.token, slow.token]) expect(await keyGuard(token).snapshot()).toMatchObject({ reserved: 0, inFlight: 0 });
    await flushKey(slow.token);
    await flushKey(busy.token);
    const rows = await testEnv.DB.prepare("SELECT count(*) AS n FROM spend_logs WHERE api_key IN (?, ?)").bind(busy.token, slow.token).first<{ n: number }>();
    expect(rows!.n).toBe(4);
    const refused = await chat(gw, busy.key, "alpha");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("2");
  });
});
