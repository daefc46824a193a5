// Fallbacks of every kind, in LiteLLM's order: retries within the group, then each fallback group in order.
import { describe, expect, it } from "vitest";
import type { Principal } from "../../src/core/principal";
import { LlmCall, type LlmRequest } from "../../src/core/call";
import { fallbacksDisabled } from "../../src/router/fallbacks";
import { openaiModel, testGateway, upstreamRequests } from "./helpers";
import { chat, uid, upstreamCalls } from "./router-helpers";

type Gw = Awaited<ReturnType<typeof testGateway>>;
const post = (gw: Gw, body: unknown) => gw.post("/v1/chat/completions", body);
const error = async (res: Response) => ((await res.json()) as { error: { message: string; type: string; code: string } }).error;

type Names = { bad: string; good: string; other: string };

/** A failing group `bad`, healthy groups `good` and `other`, and what the test adds (settings may name the groups). */
async function setup(withSettings: Record<string, unknown> | ((names: Names) => Record<string, unknown>) = {}, failing = "error-500") {
  const n = uid();
  const names = { bad: `bad-${n}`, good: `good-${n}`, other: `other-${n}` };
  const settings = typeof withSettings === "function" ? withSettings(names) : withSettings;
  const upstream = { bad: `${failing}-${n}`, good: `ok-${n}`, other: `other-${n}` };
  const gw = await testGateway({
    ...settings,
    router_settings: { num_retries: 0, ...(settings.router_settings as object) },
    model_list: [
      openaiModel(names.bad, upstream.bad),
      { ...openaiModel(names.good, upstream.good), model_info: { id: `id-${names.good}` } },
      openaiModel(names.other, upstream.other),
    ],
  });
  return { gw, names, upstream };
}

describe("fallbacks", () => {
  it("router_settings.fallbacks: the next group answers, with LiteLLM's headers", async () => {
    const n = uid();
    const bad = `bad-${n}`;
    const good = `good-${n}`;
    const gw = await testGateway({
      router_settings: { num_retries: 0, fallbacks: [{ [bad]: [good] }] },
      model_list: [openaiModel(bad, `error-500-${n}`), { ...openaiModel(good, `ok-${n}`), model_info: { id: `id-${good}` } }],
    });
    const res = await post(gw, chat(bad));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
    expect(res.headers.get("x-litellm-attempted-retries")).toBe("0");
    expect(res.headers.get("x-litellm-model-group")).toBe(good);
    expect(res.headers.get("x-litellm-model-id")).toBe(`id-${good}`);
  });

  it("litellm_settings.fallbacks work too, and router_settings wins when both are set", async () => {
    const n = uid();
    const l = { names: { bad: `bad-${n}`, good: `good-${n}`, other: `other-${n}` }, upstream: { bad: `error-500-${n}`, good: `ok-${n}`, other: `other-${n}` } };
    const gwL = await testGateway({
      litellm_settings: { fallbacks: [{ [l.names.bad]: [l.names.other] }] },
      router_settings: { num_retries: 0, fallbacks: [{ [l.names.bad]: [l.names.good] }] },
      model_list: [openaiModel(l.names.bad, l.upstream.bad), openaiModel(l.names.good, l.upstream.good), openaiModel(l.names.other, l.upstream.other)],
    });
    expect((await post(gwL, chat(l.names.bad))).headers.get("x-litellm-model-group")).toBe(l.names.good);
    const onlyLitellm = await testGateway({
      litellm_settings: { fallbacks: [{ [l.names.bad]: [l.names.other] }] },
      router_settings: { num_retries: 0 },
      model_list: [openaiModel(l.names.bad, l.upstream.bad), openaiModel(l.names.other, l.upstream.other)],
    });
    expect((await post(onlyLitellm, chat(l.names.bad))).headers.get("x-litellm-model-group")).toBe(l.names.other);
  });

  it("retries within each group first, each fallback group with its own retries", async () => {
    const n = uid();
    const bad = `bad-${n}`;
    const flaky = `flaky-${n}`;
    const gw = await testGateway({
      router_settings: { num_retries: 1, fallbacks: [{ [bad]: [flaky] }] },
      model_list: [openaiModel(bad, `error-500-${n}`), openaiModel(flaky, `flaky-1-500-${n}`)],
    });
    const res = await post(gw, chat(bad));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-attempted-retries")).toBe("2");
    expect(res.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
    expect(await upstreamCalls(`error-500-${n}`)).toHaveLength(2);
    expect(await upstreamCalls(`flaky-1-500-${n}`)).toHaveLength(2);
  });

  it("tries fallback groups in order, up to max_fallbacks, and reports each in the final error", async () => {
    const n = uid();
    const [a, b, c, d] = ["a", "b", "c", "d"].map((x) => `${x}-${n}`);
    const model_list = [openaiModel(a, `error-500-a${n}`), openaiModel(b, `error-503-b${n}`), openaiModel(c, `error-500-c${n}`), openaiModel(d, `ok-${n}`)];
    // Config fallbacks are checked at compile time; an unknown name can still come from a request's own list.
    const fallbacks = [{ [a]: [b, c, d] }];
    const capped = await testGateway({ router_settings: { num_retries: 0, max_fallbacks: 3, fallbacks }, model_list });
    const res = await post(capped, chat(a, "hi", { fallbacks: [b, "no-such-model", c, d] }));
    expect(res.status).toBe(500); // the first group's error
    const { message } = await error(res);
    expect(message).toContain(`fallbacks tried: ${b}: openai error`);
    expect(message).toContain("no-such-model: not a model in the config");
    expect(message).toContain(`${c}: openai error`);
    expect(await upstreamCalls(`ok-${n}`)).toHaveLength(0);

    const all = await testGateway({ router_settings: { num_retries: 0, fallbacks }, model_list });
    const ok = await post(all, chat(a));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-litellm-attempted-fallbacks")).toBe("3");
    expect(ok.headers.get("x-litellm-model-group")).toBe(d);
  });

  it("context_window_fallbacks for context-window errors, without retrying", async () => {
    const { gw, names, upstream } = await setup({ router_settings: { num_retries: 2 } }, "error-400-context");
    const withList = await testGateway({
      router_settings: { num_retries: 2, context_window_fallbacks: [{ [names.bad]: [names.good] }], fallbacks: [{ [names.bad]: [names.other] }] },
      model_list: [openaiModel(names.bad, upstream.bad), openaiModel(names.good, upstream.good), openaiModel(names.other, upstream.other)],
    });
    const res = await post(withList, chat(names.bad));
    expect(res.headers.get("x-litellm-model-group")).toBe(names.good);
    expect(await upstreamCalls(upstream.bad)).toHaveLength(1);
    // Without a context-window list, a context-window error goes to the generic fallbacks ("ignored" is not a model).
    const plain = await post(gw, chat(names.bad, "hi", { fallbacks: ["ignored"] }));
    expect(plain.status).toBe(400);
    expect((await error(plain)).message).toContain("ignored: not a model in the config");
  });

  it("content_policy_fallbacks for content-policy errors", async () => {
    const n = uid();
    const names = { bad: `cp-${n}`, safe: `safe-${n}`, generic: `gen-${n}` };
    const gw = await testGateway({
      router_settings: { content_policy_fallbacks: [{ [names.bad]: [names.safe] }], fallbacks: [{ [names.bad]: [names.generic] }] },
      model_list: [openaiModel(names.bad, `error-400-policy-${n}`), openaiModel(names.safe, `safe-${n}`), openaiModel(names.generic, `gen-${n}`)],
    });
    const res = await post(gw, chat(names.bad));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-group")).toBe(names.safe);
    expect(await upstreamCalls(`error-400-policy-${n}`)).toHaveLength(1);
  });

  it("default_fallbacks when the group has no entry of its own", async () => {
    const { names, upstream } = await setup();
    const gw = await testGateway({
      litellm_settings: { default_fallbacks: [names.other] },
      router_settings: { num_retries: 0, fallbacks: [{ [`unrelated-${uid()}`]: [names.good] }] },
      model_list: [openaiModel(names.bad, upstream.bad), openaiModel(names.good, upstream.good), openaiModel(names.other, upstream.other)],
    });
    expect((await post(gw, chat(names.bad))).headers.get("x-litellm-model-group")).toBe(names.other);
  });

  it("per-request fallbacks override the configured ones; {model, ...} entries change params", async () => {
    const { gw, names, upstream } = await setup((names) => ({ router_settings: { fallbacks: [{ "*": [names.good] }] } }));
    const res = await post(gw, chat(names.bad, "hi", { fallbacks: [names.other] }));
    expect(res.headers.get("x-litellm-model-group")).toBe(names.other);

    const marker = `rewritten-${uid()}`;
    const rewritten = await post(gw, chat(names.bad, "hi", { fallbacks: [{ model: names.good, messages: [{ role: "user", content: marker }] }] }));
    expect(rewritten.status).toBe(200);
    expect(rewritten.headers.get("x-litellm-model-group")).toBe(names.good);
    const [seen] = await upstreamRequests(marker);
    expect(JSON.parse(seen.body).model).toBe(upstream.good);

    const invalid = await post(gw, chat(names.bad, "hi", { fallbacks: [{ model: names.good, messages: "not a list" }] }));
    expect(invalid.status).toBe(500);
    expect((await error(invalid)).message).toContain(`${names.good}: invalid fallback params`);
  });

  it("disable_fallbacks (body or metadata) turns them off", async () => {
    const n = uid();
    const names = { bad: `bad-${n}`, good: `good-${n}` };
    const configured = await testGateway({
      router_settings: { num_retries: 0, fallbacks: [{ [names.bad]: [names.good] }] },
      model_list: [openaiModel(names.bad, `error-500-${uid()}`), openaiModel(names.good, `ok-${uid()}`)],
    });
    expect((await post(configured, chat(names.bad, "hi", { disable_fallbacks: true }))).status).toBe(500);
    expect((await post(configured, chat(names.bad, "hi", { metadata: { disable_fallbacks: true } }))).status).toBe(500);
    expect((await post(configured, chat(names.bad))).status).toBe(200);
  });

  it("a key's metadata.disable_fallbacks turns them off too", () => {
    const callAs = (principal: Principal) =>
      new LlmCall("id", { endpoint: "chat", body: chat("m") } as LlmRequest, { name: "m", deployments: [] }, principal, new AbortController().signal);
    expect(fallbacksDisabled(callAs({ kind: "master" }))).toBe(false);
    expect(fallbacksDisabled(callAs({ kind: "virtual_key", metadata: { disable_fallbacks: true } } as Principal))).toBe(true);
  });

  it("mock_testing_fallbacks fails the requested group without calling it", async () => {
    const n = uid();
    const main = `main-${n}`;
    const backup = `backup-${n}`;
    const gw = await testGateway({
      router_settings: { fallbacks: [{ [main]: [backup] }] },
      model_list: [openaiModel(main, `main-${n}`), openaiModel(backup, `backup-${n}`)],
    });
    const res = await post(gw, chat(main, "hi", { mock_testing_fallbacks: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-group")).toBe(backup);
    expect(await upstreamCalls(`main-${n}`)).toHaveLength(0);

    const alone = await testGateway({ model_list: [openaiModel(main, `main-${n}`)] });
    const failed = await post(alone, chat(main, "hi", { mock_testing_fallbacks: true }));
    expect(failed.status).toBe(500);
    expect((await error(failed)).message).toBe(`This is a mock exception for model=${main}, to trigger a fallback. Fallbacks=[]`);
  });
});
