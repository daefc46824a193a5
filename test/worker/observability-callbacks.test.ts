// Logging callbacks against mocks of their real APIs (test/mocks/observability.ts) and a real local R2
// bucket: what each receives, which events go where, privacy switches, and an endpoint that is down.
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { batchesDelivered } from "../../src/limits/settle-batch";
import { DATADOG_KEY, LANGFUSE_PUBLIC, LANGFUSE_SECRET, OTEL_TOKEN, S3_ACCESS_KEY, S3_SECRET_KEY } from "../mocks/credentials";
import { readSse, testGateway, type TestGateway } from "./helpers";
import { keyGuard, unique } from "./keys-helpers";
import { CALL_COST, eventually, observabilityUrl, parseExposition, pricedModel, received, sum } from "./observability-helpers";

const testEnv = env as unknown as Env & { CALLBACK_LOGS: R2Bucket };

const CALLBACK_ENV = {
  OBSERVABILITY_FLUSH_MS: "10",
  LANGFUSE_PUBLIC_KEY: LANGFUSE_PUBLIC,
  LANGFUSE_SECRET_KEY: LANGFUSE_SECRET,
  LANGFUSE_HOST: observabilityUrl("langfuse"),
  OTEL_EXPORTER_OTLP_ENDPOINT: observabilityUrl("otel"),
  OTEL_EXPORTER_OTLP_HEADERS: `x-otel-token=${OTEL_TOKEN}`,
  DD_API_KEY: DATADOG_KEY,
  DD_BASE_URL: observabilityUrl("datadog"),
};

/** Every callback on, each logging to a place only this test uses. */
function allCallbacks(tag: string, settings: Record<string, unknown> = {}) {
  return {
    litellm_settings: {
      callbacks: ["langfuse", "otel", "datadog", "s3", "r2", "webhook", "prometheus"],
      s3_callback_params: { s3_bucket_name: "gateway-logs", s3_region_name: "us-east-1", s3_endpoint_url: observabilityUrl("s3"), s3_aws_access_key_id: S3_ACCESS_KEY, s3_aws_secret_access_key: S3_SECRET_KEY, s3_path: `s3-${tag}` },
      r2_callback_params: { bucket_binding: "CALLBACK_LOGS", r2_path: `r2-${tag}` },
      ...settings,
    },
    callback_settings: { webhook: { callback_type: "generic_api" as const, endpoint: observabilityUrl(`webhook/${tag}`), headers: { authorization: "Bearer hook-token" }, log_format: "ndjson" as const } },
  };
}

const ask = (gw: TestGateway, model: string, content = "hi", key?: string) => gw.post("/v1/chat/completions", { model, messages: [{ role: "user", content }] }, key);

/** Every request body the mock logging services received that mentions `marker`. */
async function bodiesMentioning(marker: string): Promise<string[]> {
  return (await received("")).map((r) => r.body).filter((b) => b.includes(marker));
}

describe("logging callbacks", () => {
  it("send each call to Langfuse, OTel, Datadog, S3, R2 and a webhook, in their own formats", async () => {
    const tag = unique("cb");
    const group = `${tag}-ok`;
    const broken = `${tag}-broken`;
    const gw = await testGateway({ model_list: [pricedModel(group, "gpt-4o-mini"), pricedModel(broken, "error-500")], router_settings: { num_retries: 0 }, ...allCallbacks(tag) }, CALLBACK_ENV);
    expect((await ask(gw, group)).status).toBe(200);
    await readSse(await gw.post("/v1/chat/completions", { model: group, stream: true, messages: [{ role: "user", content: "stream please" }] }));
    expect((await ask(gw, broken)).status).toBe(500);

    // Webhook (ndjson): one StandardLoggingPayload per line, the failure with its error.
    const lines = await eventually(async () => {
      const got = (await received(`webhook/${tag}`)).flatMap((r) => r.body.split("\n").map((l) => JSON.parse(l)));
      expect(got).toHaveLength(3);
      return got;
    });
    const hook = (await received(`webhook/${tag}`))[0];
    expect(hook.headers.authorization).toBe("Bearer hook-token");
    const ok = lines.find((p) => p.model_group === group && !p.stream)!;
    expect(ok).toMatchObject({ status: "success", call_type: "acompletion", custom_llm_provider: "openai", model: "gpt-4o-mini", prompt_tokens: 11, completion_tokens: 5, total_tokens: 16, response_cost: CALL_COST });
    expect(ok.messages).toEqual([{ role: "user", content: "hi" }]);
    expect(ok.response.choices[0].message.content).toBe("Hello from the mock.");
    const streamed = lines.find((p) => p.stream)!;
    expect(streamed.response.choices[0].message.content).toBe("Hello from the mock.");
    expect(streamed.completionStartTime).toBeGreaterThanOrEqual(streamed.startTime);
    const failed = lines.find((p) => p.model_group === broken)!;
    expect(failed).toMatchObject({ status: "failure", error_information: { error_code: "500", error_class: "Openai.InternalServerError" } });

    // Langfuse: a trace and a generation per call, in one or more ingestion batches.
    const events = await eventually(async () => {
      const got = (await received("langfuse")).flatMap((r) => JSON.parse(r.body).batch).filter((e) => JSON.stringify(e).includes(tag));
      expect(got.filter((e) => e.type === "generation-create")).toHaveLength(3);
      return got;
    });
    expect(events.filter((e) => e.type === "trace-create")).toHaveLength(3);
    const generation = events.find((e) => e.type === "generation-create" && e.body.level === "DEFAULT")!.body;
    expect(generation).toMatchObject({ model: "gpt-4o-mini", usageDetails: { input: 11, output: 5, total: 16 }, costDetails: { total: CALL_COST } });
    expect(events.find((e) => e.body.level === "ERROR")!.body.statusMessage).toContain("server had an error");

    // OTel: one span per call with the GenAI semantic conventions.
    const spans = await eventually(async () => {
      const got = (await received("otel")).flatMap((r) => JSON.parse(r.body).resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)));
      const mine = got.filter((s: any) => s.name.includes(tag));
      expect(mine).toHaveLength(3);
      return mine;
    });
    const attrs = Object.fromEntries(spans.find((s: any) => s.status.code === 1).attributes.map((a: any) => [a.key, Object.values(a.value)[0]]));
    expect(attrs).toMatchObject({ "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": group, "gen_ai.response.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": "11", "gen_ai.usage.output_tokens": "5" });
    expect(spans.find((s: any) => s.status.code === 2).attributes.find((a: any) => a.key === "error.type").value.stringValue).toBe("Openai.InternalServerError");

    // Datadog: one log entry per call, the payload as its message, failures as errors.
    const entries = await eventually(async () => {
      const got = (await received("datadog")).flatMap((r) => JSON.parse(r.body)).filter((e: any) => e.message.includes(tag));
      expect(got).toHaveLength(3);
      return got;
    });
    expect(entries.map((e: any) => e.status).sort()).toEqual(["error", "info", "info"]);
    expect(entries[0]).toMatchObject({ ddsource: "litellm", service: "litellm-server" });

    // S3 (SigV4 checked by the mock) and R2: one object per call, keyed by date and call id.
    const puts = await eventually(async () => {
      const got = (await received("s3")).filter((r) => r.method === "PUT" && r.path.includes(`s3-${tag}`));
      expect(got).toHaveLength(3);
      return got;
    });
    expect(puts[0].path).toMatch(new RegExp(`^/observability/s3/gateway-logs/s3-${tag}/\\d{4}-\\d{2}-\\d{2}/time-\\d{2}-\\d{2}-\\d{2}-\\d{6}_[0-9a-f-]{36}\\.json$`));
    const listed = await eventually(async () => {
      const list = await testEnv.CALLBACK_LOGS.list({ prefix: `r2-${tag}/` });
      expect(list.objects).toHaveLength(3);
      return list.objects;
    });
    const object = (await (await testEnv.CALLBACK_LOGS.get(listed[0].key))!.json()) as { id: string; model_group: string };
    expect(listed[0].key).toContain(object.id);
    expect([group, broken]).toContain(object.model_group);
  });

  it("send successes to success_callback, failures to failure_callback, filtered by event_types", async () => {
    const tag = unique("route");
    const hook = (name: string, extra = {}) => ({ callback_type: "generic_api" as const, endpoint: observabilityUrl(`webhook/${tag}-${name}`), ...extra });
    const gw = await testGateway(
      {
        model_list: [pricedModel(`${tag}-ok`, "gpt-4o-mini"), pricedModel(`${tag}-bad`, "error-500")],
        router_settings: { num_retries: 0 },
        litellm_settings: { success_callback: ["wins"], failure_callback: ["losses"], callbacks: ["failures-only"] },
        callback_settings: { wins: hook("wins"), losses: hook("losses", { log_format: "single" }), "failures-only": hook("filtered", { event_types: ["llm_api_failure"] }) },
      },
      CALLBACK_ENV,
    );
    await ask(gw, `${tag}-ok`);
    await ask(gw, `${tag}-ok`);
    await ask(gw, `${tag}-bad`);
    const statuses = async (name: string) => (await received(`webhook/${tag}-${name}`)).flatMap((r) => [JSON.parse(r.body)].flat()).map((p) => p.status);
    await eventually(async () => expect(await statuses("wins")).toEqual(["success", "success"]));
    await eventually(async () => expect(await statuses("losses")).toEqual(["failure"]));
    await eventually(async () => expect(await statuses("filtered")).toEqual(["failure"]));
    // json_array (the default) sends one array per batch; single one object per request.
    expect(Array.isArray(JSON.parse((await received(`webhook/${tag}-wins`))[0].body))).toBe(true);
    expect(Array.isArray(JSON.parse((await received(`webhook/${tag}-losses`))[0].body))).toBe(false);
  });

  it("log the answer of a stream sent in Anthropic's format (/v1/messages), assembled", async () => {
    const tag = unique("anth");
    const group = `${tag}-m`;
    const gw = await testGateway({ model_list: [pricedModel(group, "gpt-4o-mini")], ...allCallbacks(tag, { callbacks: ["webhook"] }) }, CALLBACK_ENV);
    const res = await gw.post("/v1/messages", { model: group, max_tokens: 20, stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("content_block_delta");
    const [payload] = await eventually(async () => {
      const got = (await received(`webhook/${tag}`)).flatMap((r) => r.body.split("\n").map((l) => JSON.parse(l)));
      expect(got).toHaveLength(1);
      return got;
    });
    expect(payload).toMatchObject({ stream: true, status: "success", model_group: group, prompt_tokens: 11, completion_tokens: 5 });
    expect(payload.response.choices[0].message.content).toBe("Hello from the mock.");
  });

  it("with turn_off_message_logging and redact_user_api_key_info, no prompt, answer or key alias in any payload or log line", async () => {
    const tag = unique("priv");
    const group = `${tag}-m`;
    const prompt = `PROMPT-${crypto.randomUUID()}`;
    const log = vi.spyOn(console, "log");
    const gw = await testGateway({ model_list: [pricedModel(group, "gpt-4o-mini")], ...allCallbacks(tag, { turn_off_message_logging: true, redact_user_api_key_info: true }) }, CALLBACK_ENV);
    const alias = unique("secret-alias");
    const { key } = (await (await gw.post("/key/generate", { key_alias: alias })).json()) as { key: string };
    expect((await ask(gw, group, prompt, key)).status).toBe(200);
    await readSse(await gw.post("/v1/chat/completions", { model: group, stream: true, messages: [{ role: "user", content: prompt }] }, key));
    // Wait until every callback has delivered both calls.
    const count = async (prefix: string) => (await received(prefix)).map((r) => r.body.split(group).length - 1).reduce((a, b) => a + b, 0);
    await eventually(async () => {
      expect((await received(`webhook/${tag}`)).flatMap((r) => r.body.split("\n"))).toHaveLength(2);
      expect((await received("s3")).filter((r) => r.path.includes(`s3-${tag}`))).toHaveLength(2);
      expect((await testEnv.CALLBACK_LOGS.list({ prefix: `r2-${tag}/` })).objects).toHaveLength(2);
      expect(await count("datadog")).toBeGreaterThanOrEqual(2);
      expect(await count("langfuse")).toBeGreaterThanOrEqual(2);
      expect(await count("otel")).toBeGreaterThanOrEqual(2);
    });
    const payloads = [...(await bodiesMentioning(group))];
    for (const o of (await testEnv.CALLBACK_LOGS.list({ prefix: `r2-${tag}/` })).objects) payloads.push(await (await testEnv.CALLBACK_LOGS.get(o.key))!.text());
    const logLines = log.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(group));
    log.mockRestore();
    expect(logLines.length).toBe(2);
    for (const text of [...payloads, ...logLines]) {
      expect(text).not.toContain(prompt);
      expect(text).not.toContain("Hello from the mock");
      expect(text).not.toContain(alias);
      expect(text).not.toContain("user_api_key_hash");
    }
    expect(payloads.some((p) => p.includes("redacted-by-litellm"))).toBe(true);
  });

  it("keep calls and spend whole when a callback endpoint is down: retried, then dropped with a log line", async () => {
    const tag = unique("down");
    const group = `${tag}-m`;
    const errors = vi.spyOn(console, "error");
    const gw = await testGateway(
      {
        model_list: [pricedModel(group, "gpt-4o-mini")],
        litellm_settings: { callbacks: ["webhook", "langfuse", "prometheus"] },
        callback_settings: { webhook: { callback_type: "generic_api" as const, endpoint: observabilityUrl(`down/${tag}`) } },
      },
      { ...CALLBACK_ENV, LANGFUSE_HOST: "http://127.0.0.1:9" }, // nothing listens there: connection refused
    );
    const { key, token } = (await (await gw.post("/key/generate", { max_budget: 1 })).json()) as { key: string; token: string };
    for (let i = 0; i < 3; i++) expect((await ask(gw, group, "hi", key)).status).toBe(200);
    await batchesDelivered();
    expect((await keyGuard(token).snapshot()).spend).toBe(3 * CALL_COST);

    // Each batch tried three times, then dropped with a log line naming the callback: all 3 logs, per callback.
    const dropped = (sink: string) =>
      errors.mock.calls
        .map((c) => String(c[0]))
        .map((l) => new RegExp(`^\\[callbacks\\] ${sink}: dropped (\\d+) logs? after 3 attempts`).exec(l))
        .reduce((n, m) => n + (m ? Number(m[1]) : 0), 0);
    await eventually(async () => {
      expect(dropped("webhook")).toBe(3);
      expect(dropped("langfuse")).toBe(3);
    }, 10_000);
    const attempts = (await received(`down/${tag}`)).length;
    expect(attempts % 3).toBe(0);
    expect(attempts).toBeGreaterThanOrEqual(3);
    errors.mockRestore();
    const samples = parseExposition(await (await gw.fetch("/metrics")).text());
    expect(sum(samples, "litellm_callback_logging_failures_metric_total", { callback_name: "webhook" })).toBeGreaterThanOrEqual(3);
    expect(sum(samples, "litellm_callback_logging_failures_metric_total", { callback_name: "langfuse" })).toBeGreaterThanOrEqual(3);
  });
});
