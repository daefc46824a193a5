// Key leases (src/limits/lease.ts): a busy key far from its limits is admitted by the isolate from a
// share its guard set aside, so most calls make no guard round trip; the limits still hold exactly.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { SpendLogRow } from "../../src/schema/db";
import { dailyRow, outboxRow } from "../../src/spend/flush";
import { LEASE_TTL_MS } from "../../src/limits/guard/leases";
import { dropLease } from "../../src/limits/lease";
import type { SlidingWindow, WindowMap } from "../../src/limits/window";
import { testGateway } from "./helpers";
import { chat, flushKey, json, keyGuard, mockCallCost, newKey, pricedMock, testEnv } from "./keys-helpers";

const HI_COST = mockCallCost("hi");
const config = () => ({ model_list: [pricedMock("alpha")] });

/**
 * What the key's guard holds in its calls table: calls it admitted itself (a row each), calls admitted
 * from leases (counted on their lease's row; their settlement batches have rows of their own), and leases.
 */
async function guardRows(token: string): Promise<{ byGuard: number; fromLease: number; leases: number }> {
  return runInDurableObject(keyGuard(token) as unknown as DurableObjectStub, (_, state) => {
    const one = (query: string) => state.storage.sql.exec<{ n: number }>(query).one().n;
    return {
      byGuard: one("SELECT count(*) AS n FROM calls WHERE model != '' AND id NOT LIKE 'batch:%'"),
      fromLease: one("SELECT coalesce(sum(lease_calls), 0) AS n FROM calls WHERE model = ''"),
      leases: one("SELECT count(*) AS n FROM calls WHERE model = ''"),
    };
  });
}

/** Runs `total` calls, `concurrency` at a time; the status codes in order of completion. */
async function run(total: number, concurrency: number, call: () => Promise<Response>): Promise<number[]> {
  const codes: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const res = await call();
        await res.arrayBuffer();
        codes.push(res.status);
      }
    }),
  );
  return codes;
}

const count = (codes: number[], status: number) => codes.filter((c) => c === status).length;

/** Waits until the guard holds no reservation (every lease given back). */
const leasesReturned = (token: string) =>
  vi.waitFor(async () => expect(await keyGuard(token).snapshot()).toMatchObject({ reserved: 0, inFlight: 0 }), { timeout: LEASE_TTL_MS + 10_000, interval: 50 });

describe("key leases", () => {
  it("admit most of a busy key's calls in the isolate: few guard round trips, exact spend, leases given back when idle", async () => {
    const gw = await testGateway(config());
    const { key, token } = await newKey(gw, { max_budget: 1, rpm_limit: 10_000 });
    const codes = await run(60, 1, () => chat(gw, key, "alpha"));
    expect(count(codes, 200)).toBe(60);
    const rows = await guardRows(token);
    console.log(`[measure] 60 sequential calls with rpm_limit 10000, max_budget 1: ${rows.byGuard} admitted by the guard, ${rows.fromLease} from ${rows.leases} lease(s)`);
    expect(rows.byGuard + rows.fromLease).toBe(60);
    expect(rows.fromLease).toBeGreaterThanOrEqual(45); // most; a slow machine may see a lease run out before its renewal
    expect(rows.leases).toBeGreaterThanOrEqual(1);
    // Idle: the lease comes back by itself once it expires, with its unused budget and slots.
    await leasesReturned(token);
    const snapshot = await keyGuard(token).snapshot();
    expect(snapshot.spend).toBe(60 * HI_COST);
    const next = await chat(gw, key, "alpha");
    expect(next.headers.get("x-ratelimit-remaining-requests")).toBe(String(10_000 - 61));
    await flushKey(token);
    const info = await json(gw.fetch(`/key/info?key=${token}`));
    expect(info.info.spend).toBe(61 * HI_COST);
  });

  it("rpm_limit holds under concurrency with leases: never more calls than the limit", async () => {
    const gw = await testGateway(config());
    const { key, token } = await newKey(gw, { rpm_limit: 200 });
    const codes = await run(300, 20, () => chat(gw, key, "alpha"));
    const ok = count(codes, 200);
    const rows = await guardRows(token);
    console.log(`[measure] rpm_limit 200, 300 calls 20 at a time: ${ok} succeeded, ${count(codes, 429)} refused; ${rows.fromLease} admitted from ${rows.leases} lease(s)`);
    expect(count(codes, 200) + count(codes, 429)).toBe(300);
    expect(ok).toBeLessThanOrEqual(200);
    // Refused early by at most one lease's unused share (leases stop below 32 requests left).
    expect(ok).toBeGreaterThanOrEqual(190);
    expect(rows.fromLease).toBeGreaterThan(0);
    await leasesReturned(token);
    const last = await chat(gw, key, "alpha");
    if (ok < 200) expect(last.headers.get("x-ratelimit-remaining-requests")).toBe(String(200 - ok - 1));
    else expect(last.status).toBe(429);
  });

  it("max_budget holds under concurrency with leases: spend never exceeds it", async () => {
    const gw = await testGateway(config());
    const budget = 100 * HI_COST;
    // (the rpm_limit only makes calls admitted from leases recognisable in the guard's table)
    const { key, token } = await newKey(gw, { max_budget: budget, rpm_limit: 1_000_000 });
    const codes = await run(150, 25, () => chat(gw, key, "alpha"));
    const ok = count(codes, 200);
    await leasesReturned(token);
    await flushKey(token);
    const info = await json(gw.fetch(`/key/info?key=${token}`));
    const rows = await guardRows(token);
    console.log(`[measure] budget worth 100 calls, 150 calls 25 at a time: ${ok} succeeded; spend ${info.info.spend} of ${budget}; ${rows.fromLease} admitted from ${rows.leases} lease(s)`);
    expect(info.info.spend).toBe(ok * HI_COST);
    expect(info.info.spend).toBeLessThanOrEqual(budget);
    expect(ok).toBeGreaterThanOrEqual(90);
    expect(rows.fromLease).toBeGreaterThan(0);
  });

  it("a lease given back before all its calls' settlements arrived waits for them (batches may overtake each other)", async () => {
    const gw = await testGateway(config());
    const { token } = await newKey(gw, { max_budget: 1, rpm_limit: 10_000 });
    // Another isolate's lease, asked for directly.
    const answer = await keyGuard(token).renewLease({ token, callCost: HI_COST });
    if (!answer.ok || !answer.lease) throw new Error(`no lease: ${JSON.stringify(answer)}`);
    const lease = answer.lease;
    const held = (await keyGuard(token).snapshot()).reserved;
    expect(held).toBe(lease.budget);
    // Its return (one call settled) arrives first: the lease keeps holding its budget...
    await keyGuard(token).settleMany([], [{ lease: lease.id, unusedSlots: lease.slots - 1, calls: 1 }]);
    expect((await keyGuard(token).snapshot()).reserved).toBe(held);
    // ...until that call's settlement is in.
    const now = Date.now();
    const log = { request_id: `late-${now}`, api_key: token, model: "alpha", model_group: "alpha", call_type: "acompletion", status: "success", start_time: now, end_time: now, duration_ms: 0, spend: HI_COST };
    await keyGuard(token).settleMany([{ token, requestId: log.request_id, model: "alpha", cost: HI_COST, tokens: 10, row: outboxRow(log as SpendLogRow, true), daily: dailyRow(log as SpendLogRow, false), lease: lease.id }]);
    expect(await keyGuard(token).snapshot()).toMatchObject({ reserved: 0, inFlight: 0, spend: HI_COST });
  });

  it("count a settlement delivered twice (a batch retried after a lost reply) once", async () => {
    const gw = await testGateway(config());
    const { token } = await newKey(gw, { max_budget: 1 });
    const now = Date.now();
    const log = { request_id: `twice-${now}`, api_key: token, model: "alpha", model_group: "alpha", call_type: "acompletion", status: "success", start_time: now, end_time: now, duration_ms: 0, spend: HI_COST };
    const settlement = { token, requestId: log.request_id, model: "alpha", cost: HI_COST, tokens: 10, row: outboxRow(log as SpendLogRow, true), daily: dailyRow(log as SpendLogRow, false) };
    await keyGuard(token).settleMany([settlement]);
    await keyGuard(token).settleMany([settlement, settlement]);
    expect(await keyGuard(token).snapshot()).toMatchObject({ spend: HI_COST, pendingRows: 1 });
  });

  it("count a batch delivered twice once: its calls share a calls-table row per model, which the rate windows come back from after a restart", async () => {
    const gw = await testGateway(config());
    const { token } = await newKey(gw, { max_budget: 1 });
    const guard = keyGuard(token);
    const stub = guard as unknown as DurableObjectStub;
    const now = Date.now();
    const settlement = (i: number, model: string) => {
      const log: SpendLogRow = {
        request_id: `batched-${now}-${i}`, api_key: token, user: null, team_id: null, end_user: null, model, model_group: model, model_id: null,
        custom_llm_provider: "openai", api_base: null, call_type: "acompletion", prompt_tokens: 5, completion_tokens: 5, cached_tokens: 0, total_tokens: 10,
        spend: HI_COST, cache_hit: false, status: "success", start_time: now, end_time: now, duration_ms: 0, request_tags: [], messages: null, response: null, metadata: {},
      };
      return { token, requestId: log.request_id, model, cost: HI_COST, tokens: 10, row: outboxRow(log, true), daily: dailyRow(log, false) };
    };
    // Three calls, one of them listed twice; delivered again with the same id (the isolate's retry after a lost reply).
    const batch = [settlement(1, "alpha"), settlement(2, "alpha"), settlement(3, "beta"), settlement(3, "beta")];
    await guard.settleMany(batch, [], "batch-1");
    await guard.settleMany(batch, [], "batch-1");
    expect(await guard.snapshot()).toMatchObject({ spend: 3 * HI_COST, pendingRows: 3 });
    const rows = await runInDurableObject(stub, (_, state) => state.storage.sql.exec("SELECT id, model, slots, tokens FROM calls WHERE state = 'settled' ORDER BY id").toArray());
    expect(rows).toEqual([
      { id: "batch:batch-1:alpha", model: "alpha", slots: 2, tokens: 20 },
      { id: "batch:batch-1:beta", model: "beta", slots: 1, tokens: 10 },
    ]);
    await evictDurableObject(stub);
    const windows = await runInDurableObject(stub, (instance) => {
      const g = (instance as unknown as { ledger: { requests: SlidingWindow; tokens: SlidingWindow; modelRequests: WindowMap } }).ledger;
      const at = Date.now();
      return { requests: g.requests.total(at), tokens: g.tokens.total(at), alpha: g.modelRequests.get("alpha").total(at) };
    });
    expect(windows).toEqual({ requests: 3, tokens: 30, alpha: 2 });
    await flushKey(token);
    expect((await testEnv.DB.prepare("SELECT count(*) AS n FROM spend_logs WHERE api_key = ?").bind(token).first<{ n: number }>())!.n).toBe(3);
  });

  it("are not granted for limits that cannot be shared (tpm, parallel, per model) or near the limits", async () => {
    const gw = await testGateway(config());
    for (const limits of [{ tpm_limit: 100_000 }, { max_parallel_requests: 50 }, { model_rpm_limit: { alpha: 10_000 } }, { rpm_limit: 20 }]) {
      const { key, token } = await newKey(gw, limits);
      expect(count(await run(6, 1, () => chat(gw, key, "alpha")), 200)).toBe(6);
      expect(await guardRows(token), JSON.stringify(limits)).toEqual({ byGuard: 6, fromLease: 0, leases: 0 });
    }
  });

  it("a key blocked by another isolate stops working here within the lease time; this isolate's own changes apply at once", async () => {
    const gw = await testGateway(config());
    const { key, token } = await newKey(gw, { max_budget: 1 });
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    expect((await guardRows(token)).leases).toBe(1);
    // Another isolate blocks the key: D1 and the guard change, this isolate's lease does not know yet.
    await testEnv.DB.prepare("UPDATE keys SET blocked = 1, version = version + 1 WHERE token = ?").bind(token).run();
    await keyGuard(token).refresh({ kind: "key", token });
    const started = Date.now();
    await vi.waitFor(async () => expect((await chat(gw, key, "alpha")).status).toBe(401), { timeout: LEASE_TTL_MS + 2000, interval: 100 });
    expect(Date.now() - started).toBeLessThanOrEqual(LEASE_TTL_MS + 500);
    // Through this isolate's admin route, at once.
    expect(await json(gw.post("/key/unblock", { key }))).toMatchObject({ blocked: false });
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    expect((await chat(gw, key, "alpha")).status).toBe(200);
    expect(await json(gw.post("/key/block", { key }))).toMatchObject({ blocked: true });
    expect((await chat(gw, key, "alpha")).status).toBe(401);
    dropLease(testEnv, token);
  });
});
