// GET /metrics: LiteLLM's names, types, labels and buckets; the counts, tokens and spend of the calls
// made; totals kept in the hub (applied once per batch, never going backwards); auth as LiteLLM.
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { hubFor } from "../../src/observability/hub-rpc";
import { LATENCY_BUCKETS } from "../../src/observability/metrics/families";
import type { Env } from "../../src/env";
import { MASTER_KEY, readSse, testGateway } from "./helpers";
import { CALL_COST, eventually, parseExposition, pricedModel, sum } from "./observability-helpers";
import { flushKey, newKey, unique } from "./keys-helpers";

const FAST = { OBSERVABILITY_FLUSH_MS: "10" };

async function scrape(gw: Awaited<ReturnType<typeof testGateway>>, key: string | null = MASTER_KEY) {
  const res = await gw.fetch("/metrics", { key });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.text();
}

describe("GET /metrics", () => {
  it("counts requests, failures, tokens and spend with LiteLLM's names and labels", async () => {
    const group = unique("prom");
    const broken = unique("prom-broken");
    const gw = await testGateway(
      { model_list: [pricedModel(group, "gpt-4o-mini"), pricedModel(broken, "error-500")], litellm_settings: { callbacks: ["prometheus"] }, router_settings: { num_retries: 0 } },
      FAST,
    );
    for (let i = 0; i < 3; i++) expect((await gw.post("/v1/chat/completions", { model: group, messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    const stream = await gw.post("/v1/chat/completions", { model: group, stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] });
    await readSse(stream);
    expect((await gw.post("/v1/chat/completions", { model: broken, messages: [{ role: "user", content: "hi" }] })).status).toBe(500);

    const text = await eventually(async () => {
      const t = await scrape(gw);
      expect(sum(parseExposition(t), "litellm_proxy_total_requests_metric_total", { requested_model: group })).toBe(4);
      expect(sum(parseExposition(t), "litellm_proxy_failed_requests_metric_total", { requested_model: broken })).toBe(1);
      return t;
    });
    const samples = parseExposition(text);
    expect(sum(samples, "litellm_proxy_total_requests_metric_total", { requested_model: group, status_code: "200", route: "/v1/chat/completions" })).toBe(4);
    expect(sum(samples, "litellm_proxy_failed_requests_metric_total", { requested_model: broken, exception_status: "500", exception_class: "Openai.InternalServerError" })).toBe(1);
    expect(sum(samples, "litellm_total_tokens_metric_total", { requested_model: group })).toBe(4 * 16);
    expect(sum(samples, "litellm_input_tokens_metric_total", { requested_model: group })).toBe(4 * 11);
    expect(sum(samples, "litellm_output_tokens_metric_total", { requested_model: group })).toBe(4 * 5);
    // The master key's calls are labelled with its hash, as LiteLLM does; no alias, no team: Python's None.
    const row = samples.find((s) => s.name === "litellm_proxy_total_requests_metric_total" && s.labels.requested_model === group)!;
    expect(sum(samples, "litellm_spend_metric_total", { model_id: row.labels.model_id, model: "gpt-4o-mini", api_provider: "openai" })).toBe(4 * CALL_COST);
    expect(row.labels.hashed_api_key).toMatch(/^[0-9a-f]{64}$/);
    expect(row.labels).toMatchObject({ api_key_alias: "None", team: "None", team_alias: "None", user: "None", end_user: "None" });

    // Histograms: LiteLLM's buckets, cumulative, +Inf = count; time to first token for the stream only.
    expect(sum(samples, "litellm_request_total_latency_metric_count", { requested_model: group })).toBe(4);
    expect(sum(samples, "litellm_llm_api_time_to_first_token_metric_count", { requested_model: group })).toBe(1);
    const buckets = samples.filter((s) => s.name === "litellm_request_total_latency_metric_bucket" && s.labels.requested_model === group);
    expect(buckets.map((b) => b.labels.le)).toEqual([...LATENCY_BUCKETS.map((b) => (Number.isInteger(b) ? b.toFixed(1) : String(b))), "+Inf"]);
    expect(buckets.map((b) => b.value)).toEqual([...buckets.map((b) => b.value)].sort((a, b) => a - b));
    expect(buckets.at(-1)!.value).toBe(4);
    expect(sum(samples, "litellm_overhead_latency_metric_count", { model_group: group })).toBe(4);

    // Per deployment: successes, the failure with its status, and the state (1 after a failure).
    expect(sum(samples, "litellm_deployment_success_responses_total", { requested_model: group })).toBe(4);
    expect(sum(samples, "litellm_deployment_failure_responses_total", { requested_model: broken, exception_status: "500" })).toBe(1);
    expect(sum(samples, "litellm_deployment_state", { litellm_model_name: "error-500" })).toBe(1);
    expect(sum(samples, "litellm_deployment_state", { litellm_model_name: "gpt-4o-mini" })).toBe(0);

    expect(text).toContain("# TYPE litellm_proxy_total_requests_metric_total counter");
    expect(text).toContain("# TYPE litellm_request_total_latency_metric histogram");
    expect(text).toContain("# HELP litellm_spend_metric_total Total spend on LLM requests");
  });

  it("never goes backwards, and applies a batch delivered twice once", async () => {
    const hub = hubFor(env as unknown as Env, "metrics")!;
    const labels = ["None", unique("h"), "None", "m", "None", "None", "None", "200", "/v1/chat/completions", "None"];
    const batch = { id: crypto.randomUUID(), series: [["litellm_proxy_total_requests_metric", labels, [2]] as [string, string[], number[]]] };
    await hub.add(batch);
    await hub.add(batch); // a retry after a lost answer
    const value = async () => (await hub.scrape()).find((s) => s[1][1] === labels[1])![2][0];
    expect(await value()).toBe(2);
    await hub.add({ id: crypto.randomUUID(), series: [["litellm_proxy_total_requests_metric", labels, [3]]] });
    expect(await value()).toBe(5);
  });

  it("keeps its totals through restarts: batches stored as they come, written into series once a minute", async () => {
    const ns = (env as unknown as Env).OBSERVABILITY!;
    const stub = ns.get(ns.idFromName(unique("hub")));
    const hub = stub as unknown as NonNullable<ReturnType<typeof hubFor>>;
    const labels = (i: number) => ["None", `key-${i}`, "None", "m", "None", "None", "None", "200", "/v1/chat/completions", "None"];
    const latency = ["None", "key-0", "None", "m", "None", "None", "None", "m", "None"];
    for (let i = 0; i < 3; i++) {
      await hub.add({ id: `b${i}`, series: [["litellm_proxy_total_requests_metric", labels(i % 2), [1]], ["litellm_request_total_latency_metric", latency, [0.2, 1, 0, 0, 0, 0, 0, 1, ...new Array(12).fill(0)]]] });
    }
    const totals = async () => Object.fromEntries((await hub.scrape()).map((s) => [`${s[0]}:${s[1][1]}`, s[2][0]]));
    const before = await totals();
    expect(before).toEqual({ "litellm_proxy_total_requests_metric:key-0": 2, "litellm_proxy_total_requests_metric:key-1": 1, "litellm_request_total_latency_metric:key-0": expect.closeTo(0.6, 10) });
    const rows = () => runInDurableObject(stub, (_, state) => ({ batches: state.storage.sql.exec("SELECT count(*) AS n FROM batches").one().n, series: state.storage.sql.exec("SELECT count(*) AS n FROM series").one().n }));
    expect(await rows()).toEqual({ batches: 3, series: 0 });
    await evictDurableObject(stub); // a restart replays the stored batches
    expect(await totals()).toEqual(before);
    expect(await runDurableObjectAlarm(stub)).toBe(true); // the minute's compaction
    expect(await rows()).toEqual({ batches: 0, series: 3 });
    await evictDurableObject(stub);
    expect(await totals()).toEqual(before);
    await hub.add({ id: "b0", series: [["litellm_proxy_total_requests_metric", labels(0), [1]]] }); // a late retry, still known
    expect((await totals())["litellm_proxy_total_requests_metric:key-0"]).toBe(2);
  });

  it("needs a valid key only with require_auth_for_metrics_endpoint, and exists only with the prometheus callback", async () => {
    const open = await testGateway({ model_list: [pricedModel("m")], litellm_settings: { callbacks: ["prometheus"] } }, FAST);
    expect((await open.fetch("/metrics", { key: null })).status).toBe(200);

    const locked = await testGateway({ model_list: [pricedModel("m")], litellm_settings: { callbacks: ["prometheus"], require_auth_for_metrics_endpoint: true } }, FAST);
    const refused = await locked.fetch("/metrics", { key: null });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/^Unauthorized access to metrics endpoint: /);
    expect((await locked.fetch("/metrics", { key: "sk-not-a-key-000000000000000" })).status).toBe(401);
    const keyRes = await locked.post("/key/generate", {});
    const { key } = (await keyRes.json()) as { key: string };
    expect((await locked.fetch("/metrics", { key })).status).toBe(200);
    const res = await locked.fetch("/metrics");
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");

    const none = await testGateway({ model_list: [pricedModel("m")] });
    expect((await none.fetch("/metrics")).status).toBe(404);
  });

  it("labels a virtual key's calls with its hash, alias and team, and reads budget gauges from D1", async () => {
    const group = unique("prom-key");
    const gw = await testGateway({ model_list: [pricedModel(group, "gpt-4o-mini")], litellm_settings: { callbacks: ["prometheus"] } }, FAST);
    const team = (await (await gw.post("/team/new", { team_alias: "platform", max_budget: 10 })).json()) as { team_id: string };
    const alias = unique("agent");
    const generated = (await (await gw.post("/key/generate", { key_alias: alias, team_id: team.team_id, max_budget: 5, budget_duration: "30d" })).json()) as { key: string; token: string };
    expect((await gw.post("/v1/chat/completions", { model: group, messages: [{ role: "user", content: "hi" }] }, generated.key)).status).toBe(200);
    const samples = await eventually(async () => {
      const s = parseExposition(await scrape(gw));
      expect(sum(s, "litellm_proxy_total_requests_metric_total", { api_key_alias: alias })).toBe(1);
      expect(sum(s, "litellm_api_key_max_budget_metric", { api_key_alias: alias })).toBe(5);
      return s;
    });
    expect(sum(samples, "litellm_proxy_total_requests_metric_total", { hashed_api_key: generated.token, team: team.team_id, team_alias: "platform" })).toBe(1);
    expect(sum(samples, "litellm_remaining_api_key_budget_metric", { hashed_api_key: generated.token })).toBeLessThanOrEqual(5);
    expect(sum(samples, "litellm_api_key_budget_remaining_hours_metric", { hashed_api_key: generated.token })).toBeGreaterThan(0);
    expect(sum(samples, "litellm_team_max_budget_metric", { team: team.team_id, team_alias: "platform" })).toBe(10);
  });
});

describe("per-deployment and upstream metrics", () => {
  it("counts every upstream attempt, cooldowns and fallbacks; keeps the provider's x-ratelimit-remaining-*; times the API call", async () => {
    const n = unique("dep");
    const [group, cool, bad, good, worse, worst] = ["ok", "cool", "bad", "good", "worse", "worst"].map((g) => `${g}-${n}`);
    const gw = await testGateway(
      {
        model_list: [
          pricedModel(group, `ratelimited-4321-98765-${n}`),
          // Tried first (order 1): its 429 cools it at once (its group has another), and the retry goes to order 2.
          { ...pricedModel(cool, `error-429-${n}`, { order: 1 }), model_info: { id: `limited-${n}` } },
          { ...pricedModel(cool, `fine-${n}`, { order: 2 }), model_info: { id: `fine-${n}` } },
          pricedModel(bad, `error-500-${n}`),
          pricedModel(good, `good-${n}`),
          pricedModel(worse, `error-500-worse-${n}`),
          pricedModel(worst, `error-503-${n}`),
        ],
        litellm_settings: { callbacks: ["prometheus"] },
        router_settings: { num_retries: 1, fallbacks: [{ [bad]: [good] }, { [worse]: [worst] }] },
      },
      FAST,
    );
    const chat = (model: string) => gw.post("/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] });
    for (let i = 0; i < 2; i++) expect((await chat(group)).status).toBe(200);
    const cooled = await chat(cool);
    expect(cooled.status).toBe(200);
    expect(cooled.headers.get("x-litellm-model-id")).toBe(`fine-${n}`);
    expect((await chat(bad)).headers.get("x-litellm-model-group")).toBe(good);
    expect((await chat(worse)).status).toBe(500);

    const samples = await eventually(async () => {
      const s = parseExposition(await scrape(gw));
      expect(sum(s, "litellm_deployment_total_requests_total", { requested_model: worst })).toBe(2);
      return s;
    });
    // One count per attempt: the group's two calls; the 429 and the retry that answered; a failing group's call and its retry.
    expect(sum(samples, "litellm_deployment_total_requests_total", { requested_model: group })).toBe(2);
    expect(sum(samples, "litellm_deployment_total_requests_total", { model_id: `limited-${n}` })).toBe(1);
    expect(sum(samples, "litellm_deployment_total_requests_total", { model_id: `fine-${n}` })).toBe(1);
    expect(sum(samples, "litellm_deployment_total_requests_total", { requested_model: bad })).toBe(2);
    expect(sum(samples, "litellm_deployment_total_requests_total", { requested_model: good })).toBe(1);
    expect(sum(samples, "litellm_deployment_cooled_down_total", { model_id: `limited-${n}`, exception_status: "429", litellm_model_name: `error-429-${n}` })).toBe(1);
    expect(sum(samples, "litellm_deployment_cooled_down_total", { model_id: `fine-${n}` })).toBe(0);
    expect(sum(samples, "litellm_deployment_state", { model_id: `limited-${n}` })).toBe(2);
    expect(sum(samples, "litellm_deployment_successful_fallbacks_total", { requested_model: bad, fallback_model: good, exception_status: "500", exception_class: "Openai.InternalServerError" })).toBe(1);
    expect(sum(samples, "litellm_deployment_failed_fallbacks_total", { requested_model: worse, fallback_model: worst })).toBe(1);
    expect(sum(samples, "litellm_deployment_successful_fallbacks_total", { requested_model: worse })).toBe(0);

    // The provider's own remaining requests and tokens (its x-ratelimit-remaining-* headers), per deployment.
    const upstream = { model_group: group, litellm_model_name: `ratelimited-4321-98765-${n}`, api_provider: "openai" };
    expect(sum(samples, "litellm_remaining_requests_metric", upstream)).toBe(4321);
    expect(sum(samples, "litellm_remaining_tokens_metric", upstream)).toBe(98765);
    expect(samples.filter((s) => s.name === "litellm_remaining_requests_metric" && s.labels.model_group === cool)).toEqual([]);

    // The upstream call's own latency, one observation per successful call, within the request's.
    const api = (suffix: string) => sum(samples, `litellm_llm_api_latency_metric_${suffix}`, { requested_model: group });
    const total = (suffix: string) => sum(samples, `litellm_request_total_latency_metric_${suffix}`, { requested_model: group });
    expect(api("count")).toBe(2);
    expect(api("sum")).toBeGreaterThan(0);
    expect(api("sum")).toBeLessThanOrEqual(total("sum"));
    expect(samples.filter((s) => s.name === "litellm_llm_api_latency_metric_bucket" && s.labels.requested_model === group).at(-1)).toMatchObject({ labels: { le: "+Inf" }, value: 2 });
  });

  it("litellm_remaining_team_budget_metric: the team's max_budget less what its keys spent", async () => {
    const group = unique("prom-team");
    const gw = await testGateway({ model_list: [pricedModel(group, "gpt-4o-mini")], litellm_settings: { callbacks: ["prometheus"] } }, FAST);
    const team = (await (await gw.post("/team/new", { team_alias: unique("t"), max_budget: 1 })).json()) as { team_id: string; team_alias: string };
    const { key, token } = await newKey(gw, { team_id: team.team_id });
    for (let i = 0; i < 2; i++) expect((await gw.post("/v1/chat/completions", { model: group, messages: [{ role: "user", content: "hi" }] }, key)).status).toBe(200);
    await flushKey(token, { team: team.team_id });
    await eventually(async () => {
      const s = parseExposition(await scrape(gw));
      expect(sum(s, "litellm_remaining_team_budget_metric", { team: team.team_id, team_alias: team.team_alias })).toBe(1 - 2 * CALL_COST);
      expect(sum(s, "litellm_team_max_budget_metric", { team: team.team_id })).toBe(1);
    });
  });
});

describe("the JSON log line of a call", () => {
  const LINE_FIELDS = ["call_id", "key_alias", "route", "model", "model_group", "deployment", "provider", "upstream_model", "status", "http_status", "stream", "latency_ms", "overhead_ms", "prompt_tokens", "completion_tokens", "total_tokens", "cost"];

  it("has the README's fields, for a success and for a failure (with its error), and ttft_ms for a stream", async () => {
    const ok = unique("line");
    const broken = unique("line-broken");
    const gw = await testGateway({ model_list: [{ ...pricedModel(ok, "gpt-4o-mini"), model_info: { id: `id-${ok}` } }, pricedModel(broken, "error-500")], router_settings: { num_retries: 0 } });
    const alias = unique("agent");
    const { key } = await newKey(gw, { key_alias: alias });
    const log = vi.spyOn(console, "log");
    try {
      const success = await gw.post("/v1/chat/completions", { model: ok, messages: [{ role: "user", content: "hi secret-prompt-text" }] }, key);
      expect(success.status).toBe(200);
      const failure = await gw.post("/v1/chat/completions", { model: broken, messages: [{ role: "user", content: "hi" }] }, key);
      expect(failure.status).toBe(500);
      const streamed = await gw.post("/v1/chat/completions", { model: ok, stream: true, messages: [{ role: "user", content: "hi" }] }, key);
      await readSse(streamed);
      const lines = await eventually(() => {
        const found = log.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith('{"message":"llm call"')).map((l) => JSON.parse(l));
        const byId = (id: string | null) => found.find((l) => l.call_id === id);
        const all = [success, failure, streamed].map((res) => byId(res.headers.get("x-litellm-call-id")));
        expect(all.every(Boolean)).toBe(true);
        return all;
      });
      const [good, bad, stream] = lines;
      for (const field of LINE_FIELDS) expect(good, field).toHaveProperty(field);
      expect(good).toMatchObject({
        level: "info",
        key_alias: alias,
        route: "/v1/chat/completions",
        model: ok,
        model_group: ok,
        deployment: `id-${ok}`,
        provider: "openai",
        upstream_model: "gpt-4o-mini",
        status: "success",
        http_status: 200,
        stream: false,
        prompt_tokens: 11,
        completion_tokens: 5,
        total_tokens: 16,
        cost: CALL_COST,
      });
      expect(good.latency_ms).toBeGreaterThanOrEqual(good.overhead_ms);
      expect(good.error).toBeUndefined();
      expect(JSON.stringify(good)).not.toContain("secret-prompt-text");
      expect(bad).toMatchObject({ level: "error", key_alias: alias, model: broken, status: "failure", http_status: 500, stream: false, cost: 0 });
      expect(bad.error).toMatchObject({ status: 500, class: "Openai.InternalServerError" });
      expect(bad.error.message).toContain("The server had an error while processing your request");
      expect(JSON.stringify(bad)).not.toContain("sk-upstream-secret");
      // Time to first token: streams only.
      expect(good.ttft_ms).toBeUndefined();
      expect(stream).toMatchObject({ status: "success", stream: true, total_tokens: 16 });
      expect(stream.ttft_ms).toBeGreaterThanOrEqual(0);
      expect(stream.ttft_ms).toBeLessThanOrEqual(stream.latency_ms);
    } finally {
      log.mockRestore();
    }
  });
});

describe("x-litellm-overhead-duration-ms", () => {
  it("is on every answer: LLM answers, errors, admin and health routes", async () => {
    const gw = await testGateway({ model_list: [pricedModel("m")] });
    for (const res of [
      await gw.post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "hi" }] }),
      await gw.post("/v1/chat/completions", { model: "nope", messages: [] }),
      await gw.fetch("/health/liveliness"),
      await gw.fetch("/key/list"),
      await gw.fetch("/no/such/route"),
    ]) {
      expect(res.headers.get("x-litellm-overhead-duration-ms"), res.url).toMatch(/^\d+$/);
    }
  });
});
