// Cooldowns: LiteLLM's rule for when a deployment cools down, the KV-backed store (fake clock),
// what the gateway does while deployments cool down, and /health ending a cooldown.
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { CooldownStore, cooldownSeconds, shouldCoolDown } from "../../src/router/cooldowns";
import { coolsDown } from "../../src/router/policy";
import { openaiModel, testGateway } from "./helpers";
import { bindings, chat, uid, upstreamCalls } from "./router-helpers";

const upstreamError = (status: number, kind: GatewayError["kind"] = "server") => new GatewayError(status, kind, "x", { upstream: true });
const counts = (successes: number, failures: number) => ({ requests: 0, tokens: 0, successes, failures });

/** The real KV, counting reads and writes. */
function countingKv() {
  const kv = bindings.KV;
  const ops = { gets: 0, puts: 0, deletes: 0 };
  const wrapped = {
    get: (...args: unknown[]) => (ops.gets++, (kv.get as (...a: unknown[]) => unknown)(...args)),
    put: (...args: unknown[]) => (ops.puts++, (kv.put as (...a: unknown[]) => unknown)(...args)),
    delete: (key: string) => (ops.deletes++, kv.delete(key)),
  } as unknown as KVNamespace;
  return { kv: wrapped, ops };
}

describe("which errors cool a deployment down (LiteLLM's rule)", () => {
  it("counts 429, 401, 404, 408 and 5xx from the upstream; never other 4xx or the gateway's own errors", () => {
    for (const s of [429, 401, 404, 408, 500, 502, 503]) expect(coolsDown(upstreamError(s)), String(s)).toBe(true);
    for (const s of [400, 403, 413, 422]) expect(coolsDown(upstreamError(s, "bad_request")), String(s)).toBe(false);
    expect(coolsDown(new GatewayError(500, "server", "binding missing"))).toBe(false);
  });

  it("a 429 or 401/404 cools at once when the group has others; over 50% of 5+ calls failing cools; a lone deployment almost never", () => {
    const rule = {};
    expect(shouldCoolDown(upstreamError(429, "rate_limit"), 2, counts(10, 1), rule)).toBe(true);
    expect(shouldCoolDown(upstreamError(429, "rate_limit"), 1, counts(0, 1), rule)).toBe(false);
    expect(shouldCoolDown(upstreamError(500), 3, counts(0, 1), rule)).toBe(false); // too few calls to judge
    expect(shouldCoolDown(upstreamError(500), 3, counts(2, 3), rule)).toBe(true);
    expect(shouldCoolDown(upstreamError(500), 3, counts(3, 2), rule)).toBe(false);
    expect(shouldCoolDown(upstreamError(500), 1, counts(0, 5), rule)).toBe(false);
    expect(shouldCoolDown(upstreamError(500), 1, counts(0, 1000), rule)).toBe(true);
    expect(shouldCoolDown(upstreamError(401, "auth"), 2, counts(5, 1), rule)).toBe(true);
    expect(shouldCoolDown(upstreamError(404, "not_found"), 2, counts(5, 1), rule)).toBe(true);
    expect(shouldCoolDown(upstreamError(401, "auth"), 1, counts(5, 1), rule)).toBe(false); // the caller keeps seeing the real 401
  });

  it("allowed_fails / allowed_fails_policy: cool once this minute's failures exceed the allowance", () => {
    expect(shouldCoolDown(upstreamError(429, "rate_limit"), 2, counts(0, 2), { allowedFails: 2 })).toBe(false);
    expect(shouldCoolDown(upstreamError(429, "rate_limit"), 2, counts(0, 3), { allowedFails: 2 })).toBe(true);
    const policy = { allowedFailsPolicy: { RateLimitErrorAllowedFails: 10, InternalServerErrorAllowedFails: 0 } };
    expect(shouldCoolDown(upstreamError(429, "rate_limit"), 2, counts(0, 5), policy)).toBe(false);
    expect(shouldCoolDown(upstreamError(500), 2, counts(0, 1), policy)).toBe(true);
  });

  it("lasts the deployment's cooldown_time, else the upstream's retry-after, else the router's", () => {
    expect(cooldownSeconds(30, 7, 5)).toBe(30);
    expect(cooldownSeconds(undefined, 7, 5)).toBe(7);
    expect(cooldownSeconds(undefined, undefined, 5)).toBe(5);
  });
});

describe("CooldownStore (fake clock, real KV)", () => {
  it("starts and expires cooldowns on the clock, writing KV only when the state changes", async () => {
    let now = 1_000_000;
    const { kv, ops } = countingKv();
    const store = new CooldownStore(kv, () => now);
    const id = `dep-${uid()}`;
    expect(store.isCooling(id)).toBe(false);
    await store.start(id, 5, 429, "429 rate_limit");
    expect(store.isCooling(id)).toBe(true);
    expect(ops.puts).toBe(1);
    now += 2_000;
    expect(store.start(id, 1, 429, "again, shorter")).toBeUndefined(); // already cooling longer: no change, no write
    expect(store.secondsUntilFree([id])).toBe(3);
    now += 3_001;
    expect(store.isCooling(id)).toBe(false);
    expect(store.secondsUntilFree([id])).toBe(0);
    expect(ops.puts).toBe(1);
  });

  it("never writes one key twice within a second (KV's per-key limit)", async () => {
    let now = 2_000_000;
    const { kv, ops } = countingKv();
    const store = new CooldownStore(kv, () => now);
    const id = `dep-${uid()}`;
    await store.start(id, 5, 500, "500 server");
    now += 500;
    expect(store.start(id, 60, 429, "longer")).toBeUndefined(); // extended locally, KV write skipped
    expect(store.secondsUntilFree([id])).toBe(60);
    now += 600;
    await store.start(id, 120, 429, "longer still");
    expect(ops.puts).toBe(2);
  });

  it("another isolate learns the cooldown from KV on its next refresh (at most one bulk read per interval)", async () => {
    const now = Date.now();
    const id = `dep-${uid()}`;
    const writer = new CooldownStore(bindings.KV, () => now);
    await writer.start(id, 30, 429, "429 rate_limit");

    const { kv, ops } = countingKv();
    let later = now;
    const reader = new CooldownStore(kv, () => later, 2_000);
    const deployments = [{ id }, { id: `other-${uid()}` }];
    expect(reader.isCooling(id)).toBe(false);
    await reader.refresh(deployments);
    expect(reader.isCooling(id)).toBe(true);
    await reader.refresh(deployments);
    expect(ops.gets).toBe(1);
    later += 2_001;
    await reader.refresh(deployments);
    expect(ops.gets).toBe(2);

    await reader.clear(id);
    expect(await bindings.KV.get(`router:cooldown:${id}`)).toBeNull();
  });
});

describe("CooldownStore background refresh", () => {
  it("waits for KV only on a list's first refresh; later refreshes land in the background", async () => {
    let now = Date.now();
    const pending: Promise<void>[] = [];
    const reader = new CooldownStore(bindings.KV, () => now, 2_000, (work) => pending.push(work));
    const id = `dep-${uid()}`;
    const deployments = [{ id }];
    await reader.refresh(deployments); // first: awaited, nothing there yet
    expect(pending).toHaveLength(0);
    await new CooldownStore(bindings.KV, () => now).start(id, 30, 503, "503 unavailable"); // another isolate
    now += 2_001;
    await reader.refresh(deployments);
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    expect(reader.isCooling(id)).toBe(true);
  });
});

describe("cooldowns in the gateway", () => {
  it("a 429 cools the deployment at once; the next calls go to the others", async () => {
    const name = `cd-${uid()}`;
    const limited = `error-429-${uid()}`;
    const gw = await testGateway({
      model_list: [openaiModel(name, limited, { order: 1 }), { ...openaiModel(name, `ok-${uid()}`, { order: 2 }), model_info: { id: `ok-${name}` } }],
    });
    for (let i = 0; i < 3; i++) {
      const res = await gw.post("/v1/chat/completions", chat(name));
      expect(res.status).toBe(200);
      expect(res.headers.get("x-litellm-model-id")).toBe(`ok-${name}`);
    }
    expect(await upstreamCalls(limited)).toHaveLength(1);
  });

  it("all deployments cooling down: fallbacks, else 429 'No deployments available' with retry-after", async () => {
    const n = uid();
    const name = `all-${n}`;
    const backup = `backup-${n}`;
    const model_list = [
      { ...openaiModel(name, `error-429-a${n}`), model_info: { id: `a-${n}` } },
      { ...openaiModel(name, `error-429-b${n}`), model_info: { id: `b-${n}` } },
      openaiModel(backup, `ok-${n}`),
    ];
    const gw = await testGateway({ router_settings: { num_retries: 1 }, model_list });
    const first = await gw.post("/v1/chat/completions", chat(name));
    expect(first.status).toBe(429); // both tried (one retry), both now cooling for the upstream's retry-after (7 s)
    expect(first.headers.get("retry-after")).toBe("7");
    const res = await gw.post("/v1/chat/completions", chat(name));
    expect(res.status).toBe(429);
    const body = (await res.json()) as any;
    expect(body.error.message).toMatch(new RegExp(`^No deployments available for selected model, Try again in [67] seconds\\. Passed model=${name}\\.`));
    expect(body.error.message).toContain(`a-${n}`);
    expect(body.error.message).toContain(`b-${n}`);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(6);

    // The same state in another isolate (KV) with fallbacks configured: the fallback answers.
    const withFallback = await testGateway({ router_settings: { fallbacks: [{ [name]: [backup] }] }, model_list });
    const ok = await withFallback.post("/v1/chat/completions", chat(name));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-litellm-model-group")).toBe(backup);
    expect(await upstreamCalls(`error-429-a${n}`)).toHaveLength(1);
  });

  it("ordinary 4xx never cool down; disable_cooldowns turns cooldowns off", async () => {
    const name = `nc-${uid()}`;
    const bad = `error-400-${uid()}`;
    const gw = await testGateway({ router_settings: { num_retries: 0 }, model_list: [openaiModel(name, bad, { order: 1 }), openaiModel(name, `ok-${uid()}`, { order: 2 })] });
    for (let i = 0; i < 3; i++) expect((await gw.post("/v1/chat/completions", chat(name))).status).toBe(400);
    expect(await upstreamCalls(bad)).toHaveLength(3);

    const limited = `error-429-${uid()}`;
    const off = await testGateway({
      router_settings: { num_retries: 0, disable_cooldowns: true },
      model_list: [openaiModel(name, limited, { order: 1 }), openaiModel(name, `ok-${uid()}`, { order: 2 })],
    });
    for (let i = 0; i < 3; i++) expect((await off.post("/v1/chat/completions", chat(name))).status).toBe(429);
    expect(await upstreamCalls(limited)).toHaveLength(3);
  });

  it("a cooldown ends after cooldown_time", async () => {
    const name = `exp-${uid()}`;
    const limited = `error-429-${uid()}`;
    const gw = await testGateway({
      router_settings: { num_retries: 0 },
      model_list: [openaiModel(name, limited, { order: 1, cooldown_time: 0.5 }), openaiModel(name, `ok-${uid()}`, { order: 2 })],
    });
    expect((await gw.post("/v1/chat/completions", chat(name))).status).toBe(429);
    expect((await gw.post("/v1/chat/completions", chat(name))).status).toBe(200); // cooling: the other answers
    await new Promise((r) => setTimeout(r, 600));
    expect((await gw.post("/v1/chat/completions", chat(name))).status).toBe(429); // usable again
    expect(await upstreamCalls(limited)).toHaveLength(2);
  });

  it("a successful /health probe of the same deployment ends its cooldown (here and in KV)", async () => {
    const n = uid();
    const name = `hp-${n}`;
    const id = `primary-${n}`;
    const gw = await testGateway({
      model_list: [{ ...openaiModel(name, `primary-${n}`, { order: 1 }), model_info: { id } }, openaiModel(name, `secondary-${n}`, { order: 2 })],
    });
    // Another isolate put the primary in a cooldown.
    await bindings.KV.put(`router:cooldown:${id}`, JSON.stringify({ until: Date.now() + 60_000, status: 503, reason: "503 unavailable" }), { expirationTtl: 120 });
    const before = await gw.post("/v1/chat/completions", chat(name));
    expect(before.headers.get("x-litellm-model-id")).not.toBe(id);

    const health = await gw.fetch(`/health?model=${name}`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as any).healthy_count).toBe(2);
    await expect.poll(() => bindings.KV.get(`router:cooldown:${id}`)).toBeNull();
    const after = await gw.post("/v1/chat/completions", chat(name));
    expect(after.headers.get("x-litellm-model-id")).toBe(id);
  });
});
