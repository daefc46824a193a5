import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SpendLogRow } from "../../src/schema/db";
import { dailyRow, dailyRowsOfText, outboxRow, sumDaily, writeFlush, type OutboxRow } from "../../src/spend/flush";
import { MASTER_KEY, openaiModel, ollamaModel, readSse, testGateway } from "./helpers";
import { INPUT_PRICE, MOCK_URL, OUTPUT_PRICE, chat, flushKey, json, keyGuard, mockCallCost, newKey, pricedMock, testEnv, unique } from "./keys-helpers";

const HI_COST = mockCallCost("hi");

async function spendRows(token: string): Promise<Record<string, any>[]> {
  const { results } = await testEnv.DB.prepare("SELECT * FROM spend_logs WHERE api_key = ? ORDER BY start_time").bind(token).all();
  return results;
}

async function daily(token: string): Promise<Record<string, any>[]> {
  const { results } = await testEnv.DB.prepare("SELECT * FROM daily_spend WHERE api_key = ?").bind(token).all();
  return results;
}

describe("cost", () => {
  it("charges prompt and completion tokens at config prices, with LiteLLM's spend headers", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const { key, token } = await newKey(gw, { max_budget: 1 });
    const first = await chat(gw, key, "alpha");
    expect(first.status).toBe(200);
    expect(Number(first.headers.get("x-litellm-response-cost"))).toBe(HI_COST);
    expect(Number(first.headers.get("x-litellm-key-spend"))).toBe(HI_COST);
    expect(first.headers.get("x-litellm-key-max-budget")).toBe("1");
    const second = await chat(gw, key, "alpha");
    expect(Number(second.headers.get("x-litellm-key-spend"))).toBe(2 * HI_COST);

    await flushKey(token);
    const rows = await spendRows(token);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      request_id: first.headers.get("x-litellm-call-id"),
      api_key: token,
      model_group: "alpha",
      call_type: "acompletion",
      prompt_tokens: 5,
      completion_tokens: 5,
      total_tokens: 10,
      spend: HI_COST,
      status: "success",
      cache_hit: 0,
      messages: null,
    });
    const stored = await testEnv.DB.prepare("SELECT spend FROM keys WHERE token = ?").bind(token).first<{ spend: number }>();
    expect(stored!.spend).toBe(2 * HI_COST);
  });

  it("uses the bundled price table, config overrides and an uploaded LiteLLM price map", async () => {
    const custom = `custom-model-${crypto.randomUUID().slice(0, 6)}`;
    const gw = await testGateway({
      model_list: [openaiModel("gpt-4o"), openaiModel("cheap-4o", "gpt-4o", { input_cost_per_token: 1e-7, output_cost_per_token: 2e-7 }), openaiModel(custom)],
    });
    // The mock upstream reports 11 prompt + 5 completion tokens.
    const bundled = await gw.post("/v1/chat/completions", { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    expect(Number(bundled.headers.get("x-litellm-response-cost"))).toBeCloseTo(11 * 2.5e-6 + 5 * 1e-5, 15);
    const overridden = await gw.post("/v1/chat/completions", { model: "cheap-4o", messages: [{ role: "user", content: "hi" }] });
    expect(Number(overridden.headers.get("x-litellm-response-cost"))).toBeCloseTo(11 * 1e-7 + 5 * 2e-7, 15);

    const before = await gw.post("/v1/chat/completions", { model: custom, messages: [{ role: "user", content: "hi" }] });
    expect(before.headers.get("x-litellm-response-cost")).toBe("0");
    const map = { sample_spec: { input_cost_per_token: "USD per token", litellm_provider: "one of ..." }, [custom]: { input_cost_per_token: 3e-6, output_cost_per_token: 4e-6, litellm_provider: "openai", mode: "chat" } };
    const uploaded = await json(gw.post("/model/cost_map", map));
    expect(uploaded).toMatchObject({ models_loaded: 1, skipped_entries: 1 });
    const after = await gw.post("/v1/chat/completions", { model: custom, messages: [{ role: "user", content: "hi" }] });
    expect(Number(after.headers.get("x-litellm-response-cost"))).toBeCloseTo(11 * 3e-6 + 5 * 4e-6, 15);
    expect((await json(gw.fetch("/model/cost_map"))).uploaded.models).toBe(1);
    expect((await gw.post("/model/cost_map", { nothing: { mode: "chat" } })).status).toBe(400);
    await gw.fetch("/model/cost_map", { method: "DELETE" });
  });

  it("charges local Ollama nothing, and counts (never refuses) models without a price", async () => {
    const mystery = `mystery-${crypto.randomUUID().slice(0, 6)}`;
    const gw = await testGateway({ model_list: [ollamaModel("llama3.2"), openaiModel(mystery)] });
    const { key, token } = await newKey(gw, { max_budget: 1 });
    const local = await chat(gw, key, "llama3.2");
    expect(local.status).toBe(200);
    expect(local.headers.get("x-litellm-response-cost")).toBe("0");
    const unknown = await chat(gw, key, mystery);
    expect(unknown.status).toBe(200);
    expect(unknown.headers.get("x-litellm-response-cost")).toBe("0");
    await flushKey(token);
    const aggregates = await daily(token);
    expect(aggregates.find((r) => r.model_group === mystery)).toMatchObject({ requests: 1, unpriced_requests: 1, spend: 0 });
    expect(aggregates.find((r) => r.model_group === "llama3.2")).toMatchObject({ requests: 1, unpriced_requests: 0 });
    expect((await json(gw.fetch("/global/spend"))).unpriced_requests).toBeGreaterThanOrEqual(1);
  });

  it("charges streams from their final usage, asked of the provider even when the client did not", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-4o"), pricedMock("alpha")] });
    const { key, token } = await newKey(gw);
    const res = await gw.post("/v1/chat/completions", { model: "gpt-4o", stream: true, messages: [{ role: "user", content: "hi" }] }, key);
    expect(res.headers.get("x-litellm-key-spend")).toBe("0");
    const chunks = await readSse(res);
    expect(chunks.some((c: any) => c.usage)).toBe(false);
    const mock = await gw.post("/v1/chat/completions", { model: "alpha", stream: true, max_tokens: 5, messages: [{ role: "user", content: "hi" }] }, key);
    await mock.text();
    await flushKey(token);
    const rows = await spendRows(token);
    expect(rows.map((r) => r.spend)).toEqual([expect.closeTo(11 * 2.5e-6 + 5 * 1e-5, 15), HI_COST]);
    expect(rows[0]).toMatchObject({ prompt_tokens: 11, completion_tokens: 5, status: "success" });
  });

  it("settles a stream the client abandons: the prompt is charged, the row says so", async () => {
    const gw = await testGateway({ model_list: [openaiModel("slow-stream", "stream-slow-300", { input_cost_per_token: INPUT_PRICE, output_cost_per_token: OUTPUT_PRICE })] });
    const { key, token } = await newKey(gw, { max_parallel_requests: 1 });
    const res = await gw.post("/v1/chat/completions", { model: "slow-stream", stream: true, messages: [{ role: "user", content: "hi" }] }, key);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    let rows: Record<string, any>[] = [];
    for (let i = 0; i < 50 && !rows.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await keyGuard(token).flushNow();
      rows = await spendRows(token);
    }
    expect(rows[0]).toMatchObject({ status: "aborted", prompt_tokens: 5, completion_tokens: 0, spend: 5 * INPUT_PRICE });
    expect(JSON.parse(rows[0].metadata)).toMatchObject({ usage_estimated: true });
    // Its parallel slot is free again.
    expect((await gw.post("/v1/chat/completions", { model: "slow-stream", messages: [{ role: "user", content: "hi" }] }, key)).status).toBe(200);
  });

  it("keys, limits and charges Anthropic's /v1/messages like chat calls, with errors in Anthropic's shape", async () => {
    const gw = await testGateway({ model_list: [{ model_name: "claude", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: `${MOCK_URL}/anthropic`, api_key: "sk-ant-upstream" } }] });
    const { key, token } = await newKey(gw, { rpm_limit: 1 });
    const messages = (apiKey: string) =>
      gw.fetch("/v1/messages", { method: "POST", key: null, headers: { "x-api-key": apiKey, "anthropic-version": "2023-06-01" }, json: { model: "claude", max_tokens: 64, messages: [{ role: "user", content: "hi" }] } });
    const ok = await messages(key);
    expect(ok.status).toBe(200);
    expect(Number(ok.headers.get("x-litellm-response-cost"))).toBeGreaterThan(0);
    const limited = await messages(key);
    expect(limited.status).toBe(429);
    expect((await json(limited)).error.type).toBe("rate_limit_error");
    const unknown = await messages("sk-" + "z".repeat(40));
    expect(unknown.status).toBe(401);
    expect(await json(unknown)).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    await flushKey(token);
    const rows = await spendRows(token);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model_group: "claude", status: "success" });
    expect(rows[0].spend).toBe(Number(ok.headers.get("x-litellm-response-cost")));
  });

  it("calculates cost for /spend/calculate", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const fromResponse = await json(gw.post("/spend/calculate", { completion_response: { model: "alpha", usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } } }));
    expect(fromResponse.cost).toBe(100 * INPUT_PRICE + 10 * OUTPUT_PRICE);
    const fromMessages = await json(gw.post("/spend/calculate", { model: "alpha", messages: [{ role: "user", content: "hi" }] }));
    expect(fromMessages.cost).toBe(5 * INPUT_PRICE);
    expect((await gw.post("/spend/calculate", { model: "alpha" })).status).toBe(400);
  });
});

describe("spend logs", () => {
  it("keeps one row per request: 1,000 calls give 1,000 rows and aggregates", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const { key, token } = await newKey(gw);
    const CALLS = 1000;
    const CONCURRENCY = 20;
    let next = 0;
    let ok = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CALLS) {
          next++;
          if ((await chat(gw, key, "alpha")).status === 200) ok++;
        }
      }),
    );
    const elapsed = Date.now() - started;
    expect(ok).toBe(CALLS);
    await flushKey(token);
    const [{ n }] = (await testEnv.DB.prepare("SELECT count(*) AS n FROM spend_logs WHERE api_key = ?").bind(token).all<{ n: number }>()).results;
    const [agg] = await daily(token);
    console.log(`[measure] ${CALLS} calls at concurrency ${CONCURRENCY} in ${elapsed} ms (${((elapsed / CALLS) * CONCURRENCY).toFixed(1)} ms per call in flight); spend rows: ${n}`);
    expect(n).toBe(CALLS);
    expect(agg).toMatchObject({ requests: CALLS, failures: 0, prompt_tokens: 5 * CALLS, completion_tokens: 5 * CALLS });
    expect(agg.spend).toBe(CALLS * HI_COST);
  }, 120_000);

  it("loses nothing when D1 fails during a flush, and counts nothing twice on retry", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const { key, token } = await newKey(gw);
    // A real D1 failure, aimed at this key's rows only.
    const trigger = `fail_${token.slice(0, 12)}`;
    await testEnv.DB.prepare(`CREATE TRIGGER ${trigger} BEFORE INSERT ON spend_logs WHEN NEW.api_key = '${token}' BEGIN SELECT RAISE(ABORT, 'simulated D1 outage'); END`).run();
    try {
      for (let i = 0; i < 5; i++) expect((await chat(gw, key, "alpha")).status).toBe(200);
      expect(await keyGuard(token).flushNow()).toBe(5);
      expect(await keyGuard(token).flushNow()).toBe(5);
      expect(await spendRows(token)).toHaveLength(0);
      expect(await daily(token)).toHaveLength(0);
      // Limits still work from the guard's own storage while D1 is down.
      expect((await chat(gw, key, "alpha")).status).toBe(200);
    } finally {
      await testEnv.DB.prepare(`DROP TRIGGER ${trigger}`).run();
    }
    await flushKey(token);
    expect(await spendRows(token)).toHaveLength(6);
    const [agg] = await daily(token);
    expect(agg).toMatchObject({ requests: 6, spend: 6 * HI_COST });
    expect((await testEnv.DB.prepare("SELECT spend FROM keys WHERE token = ?").bind(token).first<{ spend: number }>())!.spend).toBe(6 * HI_COST);
  });

  it("applies a batch once even if it is written twice (a retry after a lost reply)", async () => {
    const token = unique("direct");
    const row = (i: number): string => JSON.stringify({
      request_id: `${token}-${i}`, api_key: token, user: null, team_id: null, end_user: null, model: "m", model_group: "g", model_id: null,
      custom_llm_provider: "mock", api_base: null, call_type: "acompletion", prompt_tokens: 1, completion_tokens: 1, cached_tokens: 0, total_tokens: 2,
      spend: 0.5, cache_hit: false, status: "success", start_time: Date.now(), end_time: Date.now(), duration_ms: 1, request_tags: "[]", messages: null,
      response: null, metadata: "{}", store: true,
    } satisfies OutboxRow);
    const sums = (rows: string[]) => [...sumDaily(new Map(), rows.flatMap(dailyRowsOfText)).values()];
    const batch = { scope: `key:${token}:epoch`, firstSeq: 1, lastSeq: 2, rows: [row(1), row(2)], count: 2, daily: sums([row(1), row(2)]) };
    expect(batch.daily).toHaveLength(1);
    await writeFlush(testEnv.DB, batch, undefined);
    await writeFlush(testEnv.DB, batch, undefined);
    await writeFlush(testEnv.DB, { ...batch, firstSeq: 3, lastSeq: 3, rows: [row(3)], count: 1, daily: sums([row(3)]) }, undefined);
    const [agg] = await daily(token);
    expect(agg).toMatchObject({ requests: 3, spend: 1.5 });
    expect(await spendRows(token)).toHaveLength(3);
  });

  it("stores a row missing optional fields with the columns' defaults; one missing a required field fails the flush (kept and retried), never dropped", async () => {
    const token = unique("partial");
    const now = Date.now();
    const base = { request_id: `${token}-1`, api_key: token, model: "m", model_group: "g", call_type: "acompletion", status: "success", start_time: now, end_time: now, duration_ms: 1, store: true };
    const partial = JSON.stringify(base);
    const scope = `key:${token}:epoch`;
    await writeFlush(testEnv.DB, { scope, firstSeq: 1, lastSeq: 1, rows: [partial], count: 1, daily: dailyRowsOfText(partial) }, undefined);
    expect(await spendRows(token)).toMatchObject([{ request_id: `${token}-1`, prompt_tokens: 0, spend: 0, cache_hit: 0, request_tags: "[]", metadata: "{}" }]);
    // No status: D1 refuses the whole flush (the guard keeps the rows and retries), nothing is half-written.
    const { status: _status, ...noStatus } = { ...base, request_id: `${token}-2` };
    const broken = { scope, firstSeq: 2, lastSeq: 2, rows: [JSON.stringify(noStatus)], count: 1, daily: dailyRowsOfText(partial) };
    await expect(writeFlush(testEnv.DB, broken, undefined)).rejects.toThrow(/NOT NULL/);
    expect(await spendRows(token)).toHaveLength(1);
    expect((await daily(token))[0]).toMatchObject({ requests: 1 });
  });

  it("writes every row of a large settlement batch once, a flush of at most 200 rows at a time", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const { token } = await newKey(gw);
    const guard = keyGuard(token);
    const now = Date.now();
    const settlement = (i: number) => {
      const log: SpendLogRow = {
        request_id: `${token}-${i}`, api_key: token, user: null, team_id: null, end_user: null, model: "alpha", model_group: "alpha", model_id: null,
        custom_llm_provider: "openai", api_base: null, call_type: "acompletion", prompt_tokens: 1, completion_tokens: 1, cached_tokens: 0, total_tokens: 2,
        spend: 0.25, cache_hit: false, status: "success", start_time: now, end_time: now, duration_ms: 0, request_tags: [], messages: null, response: null, metadata: {},
      };
      return { token, requestId: log.request_id, model: "alpha", cost: 0.25, tokens: 2, row: outboxRow(log, true), daily: dailyRow(log, false) };
    };
    // One batch of 450 calls (its outbox entries split where a flush would), one call settled alone, one more batch.
    await guard.settleMany(Array.from({ length: 450 }, (_, i) => settlement(i)));
    // Stored as three outbox entries (200, 200 and 50 rows), not 450.
    const entries = await runInDurableObject(guard as unknown as DurableObjectStub, (_, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n);
    expect(entries).toBe(3);
    await guard.settle(settlement(450));
    await guard.settleMany([settlement(451), settlement(452), settlement(451)]);
    expect(await guard.snapshot()).toMatchObject({ spend: 453 * 0.25, pendingRows: 453 });
    // 200 rows, 200 rows, then the last 50 of the batch with the lone call and the other batch (the
    // guard's alarm may have run one of these flushes already).
    const pending: number[] = [];
    do pending.push(await guard.flushNow());
    while (pending.at(-1)! > 0 && pending.length < 5);
    expect(pending.every((n) => [253, 53, 0].includes(n))).toBe(true);
    expect(pending.at(-1)).toBe(0);
    const rows = await spendRows(token);
    expect(rows).toHaveLength(453);
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(453);
    expect((await daily(token))[0]).toMatchObject({ requests: 453, spend: 453 * 0.25 });
  });

  it("still flushes what earlier versions wrote: entries without daily sums (one row's object, or an array) and settlements without a daily row", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const { token } = await newKey(gw);
    const guard = keyGuard(token);
    const now = Date.now();
    // Rows as earlier versions wrote them: with `unpriced`, which the daily sums are then read from.
    const row = (i: number, unpriced = false) =>
      JSON.stringify({
        ...JSON.parse(outboxRow({
          request_id: `${token}-old-${i}`, api_key: token, user: null, team_id: null, end_user: null, model: "alpha", model_group: "alpha", model_id: null,
          custom_llm_provider: "openai", api_base: null, call_type: "acompletion", prompt_tokens: 1, completion_tokens: 1, cached_tokens: 0, total_tokens: 2,
          spend: 0.5, cache_hit: false, status: "success", start_time: now, end_time: now, duration_ms: 0, request_tags: [], messages: null, response: null, metadata: {},
        }, true)),
        unpriced,
      });
    // A settlement from an isolate of an earlier version: no daily row.
    await guard.settleMany([{ token, requestId: `${token}-old-1`, model: "alpha", cost: 0.5, tokens: 2, row: row(1) }]);
    // Entries as earlier versions stored them (no daily column): one row's object, and an array of rows.
    await runInDurableObject(guard as unknown as DurableObjectStub, (instance, state) => {
      state.storage.sql.exec("INSERT INTO outbox (row) VALUES (?)", row(2));
      state.storage.sql.exec("INSERT INTO outbox (row) VALUES (?)", `[${row(3)},${row(4, true)}]`);
      (instance as unknown as { outbox: { rows: number } }).outbox.rows += 3;
    });
    await guard.settleMany([{ token, requestId: `${token}-old-5`, model: "alpha", cost: 0.5, tokens: 2, row: row(5) }]);
    expect(await guard.flushNow()).toBe(0);
    expect((await spendRows(token)).map((r) => r.request_id).sort()).toEqual([1, 2, 3, 4, 5].map((i) => `${token}-old-${i}`));
    expect(await daily(token)).toMatchObject([{ requests: 5, spend: 2.5, prompt_tokens: 5, unpriced_requests: 1, failures: 0 }]);
  });

  it("splits a batch's outbox entries by size as a flush would, and still writes every row once", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha")] });
    const { token } = await newKey(gw);
    const guard = keyGuard(token);
    const now = Date.now();
    // Stored prompts make rows of ~120 KB: four fit the 512 KB a flush carries, the fifth does not.
    const big = "x".repeat(60_000);
    const settlement = (i: number) => {
      const log: SpendLogRow = {
        request_id: `${token}-big-${i}`, api_key: token, user: null, team_id: null, end_user: null, model: "alpha", model_group: "alpha", model_id: null,
        custom_llm_provider: "openai", api_base: null, call_type: "acompletion", prompt_tokens: 1, completion_tokens: 1, cached_tokens: 0, total_tokens: 2,
        spend: 0.5, cache_hit: false, status: "success", start_time: now, end_time: now, duration_ms: 0, request_tags: [], messages: [{ role: "user", content: big }], response: { text: big }, metadata: {},
      };
      return { token, requestId: log.request_id, model: "alpha", cost: 0.5, tokens: 2, row: outboxRow(log, true), daily: dailyRow(log, false) };
    };
    await guard.settleMany(Array.from({ length: 8 }, (_, i) => settlement(i)));
    const entries = await runInDurableObject(guard as unknown as DurableObjectStub, (_, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n);
    expect(entries).toBe(2);
    const pending: number[] = [];
    do pending.push(await guard.flushNow());
    while (pending.at(-1)! > 0 && pending.length < 5);
    expect(pending.every((n) => [4, 0].includes(n))).toBe(true);
    const rows = await spendRows(token);
    expect(rows.map((r) => r.request_id).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `${token}-big-${i}`).sort());
    expect(JSON.parse(rows[0].messages)[0].content).toHaveLength(60_000);
    expect((await daily(token))[0]).toMatchObject({ requests: 8, spend: 4 });
  });

  it("stores prompts and responses only with store_prompts_in_spend_logs; disable_spend_logs keeps only aggregates", async () => {
    const stored = await testGateway({ model_list: [pricedMock("alpha")], general_settings: { master_key: MASTER_KEY, store_prompts_in_spend_logs: true } });
    const a = await newKey(stored);
    await chat(stored, a.key, "alpha", { messages: [{ role: "user", content: "remember me" }] });
    await flushKey(a.token);
    const [row] = await spendRows(a.token);
    expect(JSON.parse(row.messages)).toEqual([{ role: "user", content: "remember me" }]);
    expect(JSON.parse(row.response).choices[0].message.content).toBe("Hello there, friend!");

    const off = await testGateway({ model_list: [pricedMock("alpha")], general_settings: { master_key: MASTER_KEY, disable_spend_logs: true } });
    const b = await newKey(off);
    await chat(off, b.key, "alpha");
    await flushKey(b.token);
    expect(await spendRows(b.token)).toHaveLength(0);
    expect((await daily(b.token))[0]).toMatchObject({ requests: 1, spend: HI_COST });
  });

  it("logs the master key's calls too, and failures with their status", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha"), openaiModel("bad", "error-400")] });
    const tag = unique("tag");
    const ok = await gw.post("/v1/chat/completions", { model: "alpha", max_tokens: 5, user: "end-user-1", tags: [tag], messages: [{ role: "user", content: "hi" }] });
    const failed = await gw.post("/v1/chat/completions", { model: "bad", messages: [{ role: "user", content: "hi" }] });
    expect(failed.status).toBe(400);
    const logs = async () => {
      const ids = [ok.headers.get("x-litellm-call-id"), failed.headers.get("x-litellm-call-id")];
      return (await Promise.all(ids.map((id) => json(gw.fetch(`/spend/logs?request_id=${id}`))))).flat();
    };
    // Reports trail the guard by one flush (about a second).
    let rows: any[] = [];
    for (let i = 0; i < 40 && rows.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await logs();
    }
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.model_group === "alpha")).toMatchObject({ end_user: "end-user-1", request_tags: [tag], status: "success", spend: HI_COST });
    expect(rows.find((r) => r.model_group === "bad")).toMatchObject({ status: "failure", spend: 0, metadata: { status_code: 400 } });
  });
});

describe("spend reports", () => {
  it("reports by team, key and model per day, and filters logs by key, user, team and date", async () => {
    const gw = await testGateway({ model_list: [pricedMock("alpha"), pricedMock("beta")] });
    const teamAlias = unique("team");
    const team = await json(gw.post("/team/new", { team_alias: teamAlias }));
    const user = unique("user");
    const inTeam = await newKey(gw, { team_id: team.team_id, user_id: user });
    const solo = await newKey(gw);
    await chat(gw, inTeam.key, "alpha");
    await chat(gw, inTeam.key, "beta");
    await chat(gw, inTeam.key, "beta");
    await chat(gw, solo.key, "alpha");
    await flushKey(inTeam.token, { team: team.team_id, user });
    await flushKey(solo.token);
    const today = new Date().toISOString().slice(0, 10);

    const byTeam = await json(gw.fetch(`/global/spend/report?start_date=${today}&end_date=${today}&group_by=team`));
    const teamEntry = byTeam[0].teams.find((t: any) => t.team_id === team.team_id);
    expect(byTeam[0].group_by_day).toBe(today);
    expect(teamEntry).toMatchObject({ team_name: teamAlias, total_spend: 3 * HI_COST, total_tokens: 30, requests: 3 });
    expect(teamEntry.metadata).toEqual(
      expect.arrayContaining([expect.objectContaining({ model: "alpha", spend: HI_COST }), expect.objectContaining({ model: "beta", spend: 2 * HI_COST })]),
    );
    const byKey = await json(gw.fetch(`/global/spend/report?start_date=${today}&end_date=${today}&group_by=api_key`));
    expect(byKey[0].api_keys.find((k: any) => k.api_key === solo.token)).toMatchObject({ total_spend: HI_COST, requests: 1, key_name: solo.key_name });
    const byModel = await json(gw.fetch(`/global/spend/report?start_date=${today}&end_date=${today}&group_by=model`));
    expect(byModel[0].models.find((m: any) => m.model === "beta").total_spend).toBeGreaterThanOrEqual(2 * HI_COST);

    expect(await json(gw.fetch(`/spend/logs?api_key=${inTeam.key}`))).toHaveLength(3);
    expect(await json(gw.fetch(`/spend/logs?user_id=${user}`))).toHaveLength(3);
    expect(await json(gw.fetch(`/spend/logs?team_id=${team.team_id}&start_date=${today}&end_date=${today}`))).toHaveLength(3);
    expect(await json(gw.fetch(`/spend/logs?team_id=${team.team_id}&end_date=2000-01-01`))).toHaveLength(0);
    expect((await gw.fetch("/spend/logs?start_date=yesterday")).status).toBe(400);

    // Team and user spend reach D1 through their own guards.
    const info = await json(gw.fetch(`/team/info?team_id=${team.team_id}`));
    expect(info.team_info.spend).toBe(3 * HI_COST);
    const userInfo = await json(gw.fetch(`/user/info?user_id=${user}`));
    expect(userInfo.user_info.spend).toBe(3 * HI_COST);
  });
});
