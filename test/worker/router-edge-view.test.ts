// least-busy without a round trip on the request path: unlimited groups pick in the isolate from its
// own counts plus the other isolates' reported counts; groups with limits keep RouterState's exact pick.
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { EdgeView } from "../../src/router/edge-view";
import type { EdgeReport } from "../../src/router/edge-rpc";
import { openaiModel, testGateway, type TestGateway } from "./helpers";
import { chat, edgeState, uid } from "./router-helpers";

/** An upstream deployment with a known model id (x-litellm-model-id). */
const deployment = (name: string, id: string, upstream: string, extra: Record<string, unknown> = {}) => ({
  ...openaiModel(name, `${upstream}-${uid()}`, extra),
  model_info: { id },
});

const calls = (gw: TestGateway, name: string, n: number) => Array.from({ length: n }, () => gw.post("/v1/chat/completions", chat(name)));

/**
 * One call, held in flight until RouterState counts `expected` calls in all: the report sent for it
 * has arrived, and its reply (the other isolates' counts) reaches the gateway before the call ends.
 */
async function learnView(gw: TestGateway, name: string, expected: number): Promise<void> {
  const [call] = calls(gw, name, 1);
  await inFlightTotal(name, expected);
  expect((await call).status).toBe(200);
  await (await call).text();
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Waits until RouterState counts `expected` calls in flight in all. */
const inFlightTotal = (name: string, expected: number) =>
  vi.waitFor(async () => expect(total((await edgeState(name).snapshot()).inFlight)).toBe(expected), { timeout: 2000, interval: 10 });

async function modelIds(responses: Promise<Response>[]): Promise<string[]> {
  const ids = [];
  for (const res of await Promise.all(responses)) {
    expect(res.status).toBe(200);
    await res.text();
    ids.push(res.headers.get("x-litellm-model-id")!);
  }
  return ids;
}

describe("least-busy without limits: no pick round trip", () => {
  it("reports in-flight counts to RouterState, but never asks it to pick (its minute counters stay empty)", async () => {
    const name = `ev-${uid()}`;
    const [a, b] = [`a-${uid()}`, `b-${uid()}`];
    const gw = await testGateway({
      router_settings: { routing_strategy: "least-busy" },
      model_list: [deployment(name, a, "slow-300"), deployment(name, b, "slow-300")],
    });
    const inFlight = calls(gw, name, 4);
    // The four calls in flight arrive as reports; a pick would also have counted a request this minute.
    await inFlightTotal(name, 4);
    expect((await edgeState(name).snapshot()).minute).toEqual({});
    expect((await modelIds(inFlight)).sort()).toEqual([a, a, b, b].sort()); // spread by this isolate's own counts
    await vi.waitFor(async () => expect((await edgeState(name).snapshot()).inFlight).toEqual({}), { timeout: 2000, interval: 20 });
    expect((await edgeState(name).snapshot()).minute).toEqual({});
  });

  it("avoids a deployment that other isolates report busy", async () => {
    const name = `evo-${uid()}`;
    const [a, b] = [`a-${uid()}`, `b-${uid()}`];
    const gw = await testGateway({
      router_settings: { routing_strategy: "least-busy" },
      model_list: [deployment(name, a, "slow-200"), deployment(name, b, "slow-200")],
    });
    const state = edgeState(name);
    const other = crypto.randomUUID();
    expect(await state.report({ isolate: other, seq: 1, inFlight: { [a]: 50 }, ttlMs: 60_000 })).toEqual({});

    await learnView(gw, name, 51);
    // 50 calls busy elsewhere outweigh what this isolate has in flight: every call goes to b.
    expect(await modelIds(calls(gw, name, 6))).toEqual(Array(6).fill(b));

    // The other isolate's calls end: once this isolate has heard so, a and b share the load again.
    await inFlightTotal(name, 50); // this isolate's last report (zeros) has arrived
    expect(await state.report({ isolate: other, seq: 2, inFlight: {}, ttlMs: 60_000 })).toEqual({});
    await learnView(gw, name, 1);
    expect((await modelIds(calls(gw, name, 4))).sort()).toEqual([a, a, b, b].sort());
    await vi.waitFor(async () => expect((await state.snapshot()).inFlight).toEqual({}), { timeout: 2000, interval: 20 });
  });

  it("stops counting an isolate's report once it expires (the isolate died mid-call)", async () => {
    const state = edgeState(`eve-${uid()}`);
    const [dead, alive] = [crypto.randomUUID(), crypto.randomUUID()];
    await state.report({ isolate: dead, seq: 3, inFlight: { a: 50 }, ttlMs: 100 });
    expect(await state.report({ isolate: alive, seq: 4, inFlight: { b: 1 }, ttlMs: 60_000 })).toEqual({ a: 50 });
    expect((await state.snapshot()).inFlight).toEqual({ a: 50, b: 1 });
    await new Promise((r) => setTimeout(r, 150));
    expect(await state.report({ isolate: alive, seq: 5, inFlight: { b: 1 }, ttlMs: 60_000 })).toEqual({});
    expect((await state.snapshot()).inFlight).toEqual({ b: 1 });
    expect(await state.report({ isolate: alive, seq: 6, inFlight: {}, ttlMs: 60_000 })).toEqual({}); // all zero: counts nothing
    expect((await state.snapshot()).inFlight).toEqual({});
  });

  it("ignores a report older than one already received from the same isolate (reports may overtake each other)", async () => {
    const state = edgeState(`evs-${uid()}`);
    const isolate = crypto.randomUUID();
    await state.report({ isolate, seq: 2, inFlight: {}, ttlMs: 60_000 });
    await state.report({ isolate, seq: 1, inFlight: { a: 3 }, ttlMs: 60_000 }); // sent earlier, arrived later
    expect((await state.snapshot()).inFlight).toEqual({});
  });

  it("routes to a deployment again once the report that made it busy has expired", async () => {
    const name = `evx-${uid()}`;
    const [a, b] = [`a-${uid()}`, `b-${uid()}`];
    const gw = await testGateway({
      router_settings: { routing_strategy: "least-busy" },
      model_list: [deployment(name, a, "slow-200"), deployment(name, b, "slow-200")],
    });
    const state = edgeState(name);
    const reported = Date.now();
    await state.report({ isolate: crypto.randomUUID(), seq: 7, inFlight: { [a]: 50 }, ttlMs: 1500 });
    await learnView(gw, name, 51);
    expect(await modelIds(calls(gw, name, 4))).toEqual(Array(4).fill(b));

    await new Promise((r) => setTimeout(r, Math.max(0, reported + 1600 - Date.now())));
    await inFlightTotal(name, 0);
    await learnView(gw, name, 1);
    expect((await modelIds(calls(gw, name, 4))).sort()).toEqual([a, a, b, b].sort());
  });
});

describe("least-busy with limits: the exact pick in RouterState", () => {
  it("max_parallel_requests holds edge-wide, each call picked and counted by RouterState", async () => {
    const name = `evl-${uid()}`;
    const gw = await testGateway({
      router_settings: { routing_strategy: "least-busy", num_retries: 0 },
      model_list: [deployment(name, `a-${uid()}`, "slow-200", { max_parallel_requests: 1 }), deployment(name, `b-${uid()}`, "slow-200", { max_parallel_requests: 1 })],
    });
    const results = await Promise.all([1, 2, 3].map(() => gw.post("/v1/chat/completions", chat(name))));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    // Only `pick` counts requests this minute: one per deployment.
    const minute = (await edgeState(name).snapshot()).minute;
    expect(Object.values(minute).map((m) => m.requests)).toEqual([1, 1]);
    await vi.waitFor(async () => expect((await edgeState(name).snapshot()).inFlight).toEqual({}), { timeout: 2000, interval: 20 });
  });
});

describe("EdgeView reports", () => {
  /** A RouterState stand-in whose replies the test releases one by one. */
  function fakeState(fail = false) {
    const sent: EdgeReport[] = [];
    const replies: (() => void)[] = [];
    const stub = {
      report: (r: EdgeReport) =>
        new Promise<Record<string, number>>((resolve, reject) => {
          sent.push(structuredClone(r));
          replies.push(() => (fail ? reject(new Error("down")) : resolve({ x: 7 })));
        }),
    };
    const ns = { idFromName: (n: string) => n, get: () => stub } as unknown as NonNullable<Env["ROUTER_STATE"]>;
    const deferred: Promise<unknown>[] = [];
    const counts = new Map<string, number>();
    const view = new EdgeView({ ns, isolate: "me", ttlMs: 1000, defer: (p) => deferred.push(p) }, "g", [{ id: "x" }, { id: "y" }], (id) => counts.get(id) ?? 0);
    /** Answers every report as it comes (follow-ups included) until all deferred work is done. */
    const settle = async () => {
      let done = false;
      const all = Promise.all(deferred.splice(0)).finally(() => (done = true));
      while (!done) {
        replies.shift()?.();
        await new Promise((r) => setTimeout(r, 5));
      }
      await all;
    };
    return { sent, replies, view, counts, settle };
  }

  it("reports at most once per 100 ms, reads the counts when it starts, so the last state always goes out", async () => {
    const { sent, view, counts, settle } = fakeState();
    const tick = () => new Promise((r) => setTimeout(r, 0));
    counts.set("x", 1);
    view.changed();
    await tick(); // the first report of an idle group starts at once
    expect(sent).toEqual([{ isolate: "me", seq: 1, inFlight: { x: 1 }, ttlMs: 1000 }]);
    const firstAt = Date.now();
    for (let i = 2; i <= 5; i++) {
      counts.set("y", i);
      view.changed();
    }
    counts.clear(); // all calls over
    view.changed();
    await tick();
    expect(sent).toHaveLength(1); // one report scheduled for all of these
    await settle();
    expect(sent.map((r) => [r.seq, r.inFlight])).toEqual([
      [1, { x: 1 }],
      [2, {}],
    ]);
    expect(Date.now() - firstAt).toBeGreaterThanOrEqual(90);
    expect(view.others("x")).toBe(7);
  });

  it("routes from local counts when a report fails, and logs once", async () => {
    const { view, counts, settle } = fakeState(true);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      for (let i = 1; i <= 3; i++) {
        counts.set("x", i);
        view.changed();
        await settle();
      }
      expect(view.others("x")).toBe(0);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });
});
