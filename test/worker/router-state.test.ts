// The RouterState Durable Object: in-flight counts return to zero whatever happens to the calls,
// and leases of callers that never come back expire.
import { describe, expect, it, vi } from "vitest";
import { openaiModel, testGateway } from "./helpers";
import { MOCK_URL } from "./helpers";
import { chat, edgeState, mockModel, uid } from "./router-helpers";

describe("RouterState in-flight counts", () => {
  it("return to zero after 500 mixed calls: JSON, streams, errors, client aborts and abandoned streams", async () => {
    const name = `mix-${uid()}`;
    const gw = await testGateway({
      router_settings: { routing_strategy: "least-busy", num_retries: 1, disable_cooldowns: true },
      model_list: [
        openaiModel(name, `fast-${uid()}`),
        openaiModel(name, `slow-40-${uid()}`),
        openaiModel(name, `error-500-${uid()}`),
        openaiModel(name, `stream-slow-5-${uid()}`),
      ],
    });
    const outcomes = new Map<string, number>();
    const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);

    async function one(i: number) {
      const kind = i % 5;
      const stream = kind === 1 || kind === 3;
      const abort = new AbortController();
      if (kind === 4) setTimeout(() => abort.abort(), 10);
      const res = await gw.fetch("/v1/chat/completions", { method: "POST", json: chat(name, `call-${i}`, { stream }), signal: abort.signal });
      if (kind === 3 && res.status === 200 && res.body) {
        // The client reads one chunk and goes away.
        const reader = res.body.getReader();
        await reader.read();
        await reader.cancel();
        count("abandoned stream");
        return;
      }
      await res.text().catch(() => "");
      count(kind === 4 ? `aborted? ${res.status}` : String(res.status));
    }

    const started = Date.now();
    const total = 500;
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < total) await one(next++);
      }),
    );
    const elapsed = Date.now() - started;
    console.log(`[router] 500 mixed least-busy calls (20 at a time): ${elapsed} ms; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(total);
    expect(outcomes.get("abandoned stream")).toBeGreaterThan(0);
    await vi.waitFor(async () => expect((await edgeState(name).snapshot()).inFlight).toEqual({}), { timeout: 5000, interval: 100 });
  }, 30_000);

  it("a lease expires on its own when its caller never settles (crashed isolate)", async () => {
    const state = edgeState(`lease-${uid()}`);
    const picked = await state.pick({ strategy: "least-busy", candidates: [{ id: "a" }, { id: "b" }], inputTokens: 0, leaseMs: 50 });
    expect(picked?.id).toMatch(/^[ab]$/);
    expect(Object.values((await state.snapshot()).inFlight)).toEqual([1]);
    await new Promise((r) => setTimeout(r, 80));
    expect((await state.snapshot()).inFlight).toEqual({});
    await state.settle({ lease: picked!.lease }); // a late settle of an expired lease changes nothing
    expect((await state.snapshot()).inFlight).toEqual({});
  });

  it("respects max_parallel_requests edge-wide and returns null when nothing has room", async () => {
    const state = edgeState(`par-${uid()}`);
    const req = { strategy: "least-busy" as const, candidates: [{ id: "a", maxParallel: 1 }, { id: "b", maxParallel: 1 }], inputTokens: 0, leaseMs: 60_000 };
    const first = await state.pick(req);
    const second = await state.pick(req);
    expect(new Set([first?.id, second?.id])).toEqual(new Set(["a", "b"]));
    expect(await state.pick(req)).toBeNull();
    await state.settle({ lease: first!.lease });
    expect((await state.pick(req))?.id).toBe(first!.id);
  });

  it("least-busy without limits (no round trip on the request path) costs about what simple-shuffle does (measured)", async () => {
    const perCall = async (strategy: "simple-shuffle" | "least-busy") => {
      const name = `rt-${strategy}-${uid()}`;
      const gw = await testGateway({ router_settings: { routing_strategy: strategy }, model_list: [mockModel(name), mockModel(name)] });
      await gw.post("/v1/chat/completions", chat(name)); // warm up: tables, KV read, the object itself
      await fetch(`${MOCK_URL}/__requests?contains=none`);
      const started = performance.now();
      const n = 50;
      for (let i = 0; i < n; i++) expect((await gw.post("/v1/chat/completions", chat(name))).status).toBe(200);
      return (performance.now() - started) / n;
    };
    const shuffle = await perCall("simple-shuffle");
    const leastBusy = await perCall("least-busy");
    console.log(`[router] mock_response call through the gateway: simple-shuffle ${shuffle.toFixed(2)} ms, least-busy ${leastBusy.toFixed(2)} ms (local workerd)`);
    expect(leastBusy - shuffle).toBeLessThan(50);
  }, 60_000);
});
