// Deployment selection: every routing strategy, priority tiers, rpm/tpm limits and pre-call checks.
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { OPEN } from "../../src/core/principal";
import { compileConfig } from "../../src/config/compile";
import { buildRuntime } from "../../src/config/runtime";
import { type ModelGroup } from "../../src/core/provider";
import type { GatewayConfigInput } from "../../src/schema/config";
import type { Env } from "../../src/env";
import { LlmCall, type LlmRequest } from "../../src/core/call";
import { Router } from "../../src/router";
import { MOCK_URL, openaiModel, testGateway } from "./helpers";
import { chat, edgeState, mockModel, uid } from "./router-helpers";

/** A router over a config, for picking without calling anything. */
async function routerFor(config: GatewayConfigInput) {
  const compiled = await compileConfig(config);
  const testEnv = { ...(env as unknown as Env) } as Env;
  const runtime = buildRuntime(compiled, testEnv);
  const router = new Router(runtime.config, testEnv);
  const callFor = (group: ModelGroup, content = "hi") =>
    new LlmCall(crypto.randomUUID(), { endpoint: "chat", body: chat(group.name, content) } as LlmRequest, group, OPEN, new AbortController().signal);
  return { runtime, router, callFor };
}

async function countPicks(router: Router, group: ModelGroup, call: LlmCall, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const s = await router.select(call, group);
    s.settle();
    counts.set(s.deployment.id, (counts.get(s.deployment.id) ?? 0) + 1);
  }
  return counts;
}

describe("simple-shuffle", () => {
  it("follows `weight` over 1,000 picks (within 4 sigma)", async () => {
    const name = `w-${uid()}`;
    const { runtime, router, callFor } = await routerFor({
      model_list: [mockModel(name, { weight: 1 }), mockModel(name, { weight: 3 }), mockModel(name, { weight: 6 })],
    });
    const group = runtime.groups.get(name)!;
    const counts = await countPicks(router, group, callFor(group), 1000);
    const [a, b, c] = group.deployments.map((d) => counts.get(d.id) ?? 0);
    expect(Math.abs(a - 100)).toBeLessThan(4 * Math.sqrt(1000 * 0.1 * 0.9));
    expect(Math.abs(b - 300)).toBeLessThan(4 * Math.sqrt(1000 * 0.3 * 0.7));
    expect(Math.abs(c - 600)).toBeLessThan(4 * Math.sqrt(1000 * 0.6 * 0.4));
  });

  it("weights by rpm when no weight is set, and picks uniformly without either", async () => {
    const name = `r-${uid()}`;
    const { runtime, router, callFor } = await routerFor({
      model_list: [mockModel(name, { rpm: 100_000 }), mockModel(name, { rpm: 300_000 }), mockModel(`u-${name}`), mockModel(`u-${name}`)],
    });
    const group = runtime.groups.get(name)!;
    const counts = await countPicks(router, group, callFor(group), 1000);
    expect(Math.abs((counts.get(group.deployments[1].id) ?? 0) - 750)).toBeLessThan(4 * Math.sqrt(1000 * 0.25 * 0.75));
    const uniform = runtime.groups.get(`u-${name}`)!;
    const u = await countPicks(router, uniform, callFor(uniform), 1000);
    expect(Math.abs((u.get(uniform.deployments[0].id) ?? 0) - 500)).toBeLessThan(4 * Math.sqrt(1000 * 0.25));
  });

  it("selection costs microseconds (measured, 20,000 picks)", async () => {
    const name = `perf-${uid()}`;
    const { runtime, router, callFor } = await routerFor({
      model_list: [1, 2, 3, 4, 5].map((w) => mockModel(name, { weight: w })),
    });
    const group = runtime.groups.get(name)!;
    const call = callFor(group);
    await router.select(call, group); // first use builds the group's table and reads KV once
    await fetch(`${MOCK_URL}/__requests?contains=none`); // workerd's clock only moves on I/O
    const start = performance.now();
    const n = 20_000;
    for (let i = 0; i < n; i++) (await router.select(call, group)).settle();
    await fetch(`${MOCK_URL}/__requests?contains=none`);
    const perPickUs = ((performance.now() - start) * 1000) / n;
    console.log(`[router] simple-shuffle select over 5 deployments: ${perPickUs.toFixed(2)} µs per pick`);
    expect(perPickUs).toBeLessThan(50);
  });
});

describe("priority tiers (order)", () => {
  it("uses the lowest order while it is usable, the next tier while it cools down", async () => {
    const name = `o-${uid()}`;
    const { runtime, router, callFor } = await routerFor({
      model_list: [mockModel(name, { order: 2 }), mockModel(name, { order: 1 }), mockModel(name, { order: 1 }), mockModel(name)],
    });
    const group = runtime.groups.get(name)!;
    const [second, firstA, firstB, unordered] = group.deployments;
    const call = callFor(group);
    const picks = await countPicks(router, group, call, 200);
    expect([...picks.keys()].sort()).toEqual([firstA.id, firstB.id].sort());

    router.cooldowns.start(firstA.id, 60, 429, "test");
    router.cooldowns.start(firstB.id, 60, 429, "test");
    expect((await router.select(call, group)).deployment).toBe(second);
    router.cooldowns.start(second.id, 60, 429, "test");
    expect((await router.select(call, group)).deployment).toBe(unordered);
  });
});

describe("cost-based-routing", () => {
  it("picks the cheapest known price first, unknown prices last", async () => {
    const name = `c-${uid()}`;
    const { runtime, router, callFor } = await routerFor({
      router_settings: { routing_strategy: "cost-based-routing" },
      model_list: [
        mockModel(name),
        mockModel(name, { input_cost_per_token: 0.000003, output_cost_per_token: 0.000015 }),
        mockModel(name, {}, { input_cost_per_token: 0.0000001, output_cost_per_token: 0.0000004 }),
      ],
    });
    const group = runtime.groups.get(name)!;
    const [unknown, pricey, cheap] = group.deployments;
    const call = callFor(group);
    expect([...(await countPicks(router, group, call, 50)).keys()]).toEqual([cheap.id]);
    router.cooldowns.start(cheap.id, 60, 500, "test");
    expect((await router.select(call, group)).deployment).toBe(pricey);
    router.cooldowns.start(pricey.id, 60, 500, "test");
    expect((await router.select(call, group)).deployment).toBe(unknown);
  });
});

describe("latency-based-routing", () => {
  it("tries each deployment, then sends nearly everything to the fast one", async () => {
    const name = `lat-${uid()}`;
    const gw = await testGateway({
      router_settings: { routing_strategy: "latency-based-routing" },
      model_list: [openaiModel(name, "slow-150"), openaiModel(name, "fast-one")],
    });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await gw.post("/v1/chat/completions", chat(name));
      expect(res.status).toBe(200);
      await res.text();
      ids.push(res.headers.get("x-litellm-model-id")!);
    }
    expect(new Set(ids.slice(0, 2)).size).toBe(2); // untried deployments go first
    const fast = ids.slice(2);
    expect(new Set(fast).size).toBe(1);
  });

  it("streams are routed on time to first chunk, non-streaming calls on time per output token", async () => {
    const name = `latt-${uid()}`;
    const { runtime, router } = await routerFor({ router_settings: { routing_strategy: "latency-based-routing" }, model_list: [mockModel(name), mockModel(name)] });
    const [a, b] = runtime.groups.get(name)!.deployments;
    router.latency.record(a.id, 2000, false, 100); // 20 ms per token
    router.latency.record(b.id, 300, false, 5); // 60 ms per token
    router.latency.record(a.id, 900, true); // slow first chunk
    router.latency.record(b.id, 100, true);
    expect(router.latency.pick([a, b], false)).toBe(a);
    expect(router.latency.pick([a, b], true)).toBe(b);
  });

  it("with lowest_latency_buffer, spreads over deployments within the buffer", async () => {
    const name = `latb-${uid()}`;
    const { runtime, router, callFor } = await routerFor({
      router_settings: { routing_strategy: "latency-based-routing", routing_strategy_args: { lowest_latency_buffer: 0.5 } },
      model_list: [mockModel(name), mockModel(name), mockModel(name)],
    });
    const group = runtime.groups.get(name)!;
    const [a, b, c] = group.deployments;
    router.latency.record(a.id, 100, false);
    router.latency.record(b.id, 140, false);
    router.latency.record(c.id, 400, false);
    const picks = await countPicks(router, group, callFor(group), 300);
    expect(picks.get(c.id)).toBeUndefined();
    expect(picks.get(a.id)).toBeGreaterThan(90);
    expect(picks.get(b.id)).toBeGreaterThan(90);
  });
});


describe("least-busy", () => {
  it("spreads overlapping slow calls evenly, and the in-flight counts return to zero", async () => {
    const name = `lb-${uid()}`;
    const gw = await testGateway({
      router_settings: { routing_strategy: "least-busy" },
      model_list: [openaiModel(name, "slow-300-a"), openaiModel(name, "slow-300-b"), openaiModel(name, "slow-300-c")],
    });
    const responses = await Promise.all(Array.from({ length: 6 }, () => gw.post("/v1/chat/completions", chat(name))));
    const perDeployment = new Map<string, number>();
    for (const res of responses) {
      expect(res.status).toBe(200);
      const id = res.headers.get("x-litellm-model-id")!;
      perDeployment.set(id, (perDeployment.get(id) ?? 0) + 1);
    }
    expect([...perDeployment.values()]).toEqual([2, 2, 2]);
    await vi.waitFor(async () => expect((await edgeState(name).snapshot()).inFlight).toEqual({}), { timeout: 2000 });
  });
});

describe("usage-based-routing-v2", () => {
  it("skips deployments at their rpm this minute, and answers 429 when none is left", async () => {
    const name = `ub-${uid()}`;
    const gw = await testGateway({
      router_settings: { routing_strategy: "usage-based-routing-v2" },
      model_list: [mockModel(name, { rpm: 2 }), mockModel(name, { rpm: 2 })],
    });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await gw.post("/v1/chat/completions", chat(name));
      expect(res.status).toBe(200);
      ids.push(res.headers.get("x-litellm-model-id")!);
    }
    expect(new Set(ids).size).toBe(2);
    const res = await gw.post("/v1/chat/completions", chat(name));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await res.json()) as any;
    expect(body.error.message).toMatch(/^No deployments available for selected model, Try again in \d+ seconds\. Passed model=/);
    const minute = (await edgeState(name).snapshot()).minute;
    expect(Object.values(minute).map((m) => m.requests)).toEqual([2, 2]);
  });

  it("counts tokens against tpm (the real usage once the call is over)", async () => {
    const name = `ubt-${uid()}`;
    const gw = await testGateway({
      router_settings: { routing_strategy: "usage-based-routing-v2" },
      model_list: [openaiModel(name, "tpm-small", { tpm: 36 })],
    });
    // The mock reports 16 total tokens per call: two calls fit in 36 (5 estimated for the next), a third does not.
    expect((await gw.post("/v1/chat/completions", chat(name))).status).toBe(200);
    await vi.waitFor(async () => expect(Object.values((await edgeState(name).snapshot()).minute)[0]?.tokens).toBe(16), { timeout: 2000 });
    expect((await gw.post("/v1/chat/completions", chat(name))).status).toBe(200);
    await vi.waitFor(async () => expect(Object.values((await edgeState(name).snapshot()).minute)[0]?.tokens).toBe(32), { timeout: 2000 });
    expect((await gw.post("/v1/chat/completions", chat(name))).status).toBe(429);
  });
});

describe("least-busy / usage-based-routing-v2 without the RouterState binding", () => {
  it("still route, counting per isolate (rpm included)", async () => {
    const name = `nb-${uid()}`;
    const gw = await testGateway(
      { router_settings: { routing_strategy: "usage-based-routing-v2" }, model_list: [mockModel(name, { rpm: 1 }), mockModel(name, { rpm: 1 })] },
      { ROUTER_STATE: undefined },
    );
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await gw.post("/v1/chat/completions", chat(name))).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(await edgeState(name).snapshot()).toEqual({ inFlight: {}, minute: {} });
  });
});

describe("rpm/tpm limits in every strategy", () => {
  it("simple-shuffle skips a deployment at its rpm this minute (per isolate)", async () => {
    const name = `lim-${uid()}`;
    const gw = await testGateway({ model_list: [mockModel(name, { rpm: 1 }), mockModel(name, { rpm: 1 })] });
    const a = await gw.post("/v1/chat/completions", chat(name));
    const b = await gw.post("/v1/chat/completions", chat(name));
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.headers.get("x-litellm-model-id")).not.toBe(b.headers.get("x-litellm-model-id"));
    const c = await gw.post("/v1/chat/completions", chat(name));
    expect(c.status).toBe(429);
    expect(((await c.json()) as any).error.message).toContain("No deployments available");
  });

  it("max_parallel_requests caps a deployment's concurrent calls", async () => {
    const name = `par-${uid()}`;
    const gw = await testGateway({
      model_list: [openaiModel(name, "slow-200-p", { max_parallel_requests: 1 }), openaiModel(name, "slow-200-q", { max_parallel_requests: 1 })],
      router_settings: { num_retries: 0 },
    });
    const results = await Promise.all([1, 2, 3].map(() => gw.post("/v1/chat/completions", chat(name))));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    const ok = results.filter((r) => r.status === 200).map((r) => r.headers.get("x-litellm-model-id"));
    expect(new Set(ok).size).toBe(2);
  });
});

describe("enable_pre_call_checks", () => {
  it("skips deployments whose max_input_tokens the request exceeds", async () => {
    const name = `pc-${uid()}`;
    const { runtime, router, callFor } = await routerFor({
      router_settings: { enable_pre_call_checks: true },
      model_list: [mockModel(name, {}, { max_input_tokens: 10 }), mockModel(name, {}, { max_input_tokens: 100_000 })],
    });
    const group = runtime.groups.get(name)!;
    const long = callFor(group, "word ".repeat(200));
    expect([...(await countPicks(router, group, long, 30)).keys()]).toEqual([group.deployments[1].id]);
    const short = callFor(group, "hi");
    expect((await countPicks(router, group, short, 100)).size).toBe(2);
  });

  it("none big enough: a context-window error, which context_window_fallbacks handle", async () => {
    const name = `pcw-${uid()}`;
    const big = `big-${uid()}`;
    const config = {
      router_settings: { enable_pre_call_checks: true },
      model_list: [mockModel(name, {}, { max_input_tokens: 10 }), mockModel(big, {}, { max_input_tokens: 100_000 })],
    };
    const gw = await testGateway(config);
    const res = await gw.post("/v1/chat/completions", chat(name, "word ".repeat(200)));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: "context_length_exceeded", param: "messages" });

    const withFallback = await testGateway({ ...config, router_settings: { ...config.router_settings, context_window_fallbacks: [{ [name]: [big] }] } });
    const ok = await withFallback.post("/v1/chat/completions", chat(name, "word ".repeat(200)));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-litellm-model-group")).toBe(big);
    expect(ok.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
  });
});
