// Issue #24, closing the class: random and hostile bodies, headers and model names thrown at every route
// (LLM routes, /v1/messages, admin routes, health, models) with a virtual key (and the master key for
// admin routes), through an upstream that counts its calls. For every request:
//   - no 5xx from the client's bytes;
//   - a refused request (4xx the gateway decided) made no upstream call;
// and at the end, the key's spend rows match what each client received (one row per answered call, its
// cost as the answer said, nothing charged for a refusal).
// fast-check with a fixed seed and a bounded number of runs: the same inputs every time, well under a minute.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MASTER_KEY, MOCK_URL, testGateway, type TestGateway } from "./helpers";
import { INPUT_PRICE, OUTPUT_PRICE, flushKey, keyGuard, newKey, testEnv } from "./keys-helpers";

const SEED = 24;
const priced = { input_cost_per_token: INPUT_PRICE, output_cost_per_token: OUTPUT_PRICE };

/** The upstream: a binding (as a Workers VPC binding would be) that counts calls, then asks the mock upstream for a plain answer. */
interface UpstreamLog {
  calls: number;
  statuses: number[];
  /** Upstream URLs outside the deployments' api_base paths (a client's name must never steer a request elsewhere). */
  strays: string[];
}
const API_BASES = { openai: `${MOCK_URL}/openai/v1/`, anthropic: `${MOCK_URL}/anthropic/v1/`, gemini: `${MOCK_URL}/gemini/v1beta/` };

function countingUpstream(log: UpstreamLog): Fetcher {
  return {
    async fetch(input: RequestInfo | URL, init?: RequestInit) {
      log.calls++;
      // As the platform would resolve it (dot segments, encoded dots).
      let url = new URL(String(input)).href;
      if (!Object.values(API_BASES).some((base) => url.startsWith(base))) log.strays.push(url);
      // Whatever model the client named, the mock answers normally (its error scenarios are picked by model name).
      const body = typeof init?.body === "string" ? (JSON.parse(init.body) as Record<string, unknown>) : {};
      if (url.startsWith(API_BASES.gemini)) url = url.replace(/^(.*?\/v1beta\/).*?(:\w+(\?.*)?)$/, "$1models/gemini-fuzz$2");
      else body.model = url.startsWith(API_BASES.anthropic) ? "claude-fuzz" : "gpt-fuzz";
      const res = await fetch(url, { ...init, body: JSON.stringify(body) });
      log.statuses.push(res.status);
      return res;
    },
  } as Fetcher;
}

const viaBinding = { vpc_binding: "FUZZ_UPSTREAM", ...priced };
const MODEL_LIST = [
  { model_name: "gpt", litellm_params: { model: "openai/gpt-fuzz", api_base: `${MOCK_URL}/openai/v1`, api_key: "sk-upstream-fuzz", ...viaBinding } },
  { model_name: "wild/*", litellm_params: { model: "openai/*", api_base: `${MOCK_URL}/openai/v1`, api_key: "sk-upstream-fuzz", ...viaBinding } },
  { model_name: "claude", litellm_params: { model: "anthropic/claude-fuzz", api_base: `${MOCK_URL}/anthropic`, api_key: "sk-ant-fuzz", ...viaBinding } },
  { model_name: "gem/*", litellm_params: { model: "gemini/*", api_base: `${MOCK_URL}/gemini`, api_key: "gemini-fuzz-key", ...viaBinding } },
];

// ---- hostile pieces ----

const HOSTILE_NAMES = [
  "gpt", "claude", "wild/ok", "wild/", "*", "", " ", "wild/../x", "wild/./x", "wild/a?b=c", "wild/a#b", "wild/%2e%2e/x", "wild\\x",
  "gpt\r\nx-injected: 1", "wild/ok\n", "wild/\u0000", "wild/\u202egpt", "wild/\u2028", "wild/\ud800", "wild/模型", "wild/😀",
  "gpt ", "GPT", "wild/" + "a".repeat(251), "wild/" + "a".repeat(252),
  "gem/gemini-2.5-flash", "gem/../../v1/files", "gem/tunedModels/x", "gem/x:streamGenerateContent?alt=sse#", "gem/%2F..%2Fx", "gem/x/../../y",
];
const modelName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_NAMES) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("wild/", "gem/"), fc.string({ unit: "binary", maxLength: 40 })).map(([p, s]) => p + s) },
  { weight: 1, arbitrary: fc.integer({ min: 240, max: 20_000 }).map((n) => `wild/${"x".repeat(n)}`) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
);
const anyModel = fc.oneof({ weight: 6, arbitrary: modelName }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "binary", maxLength: 30 }), fc.constantFrom("", "hi", "\u0000", "x".repeat(5000)));
const num = fc.oneof(fc.integer({ min: -5, max: 10 }), fc.double(), fc.constantFrom(0, 1, 4096, 1e308, -1, 0.5), fc.jsonValue({ maxDepth: 1 }));

/** A JSON text nested `depth` levels (JSON.stringify cannot write deep values itself). */
const deepText = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);
const deepValue = fc.oneof(fc.integer({ min: 50, max: 5000 }), fc.constantFrom(100_000)).chain((d) => fc.constantFrom(deepText(d, "[", "]"), '{"a":'.repeat(d) + "null" + "}".repeat(d)));

const messages = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.record({ role: fc.constantFrom("user", "system", "assistant", "tool", "bogus"), content: fc.oneof(text, fc.array(fc.record({ type: fc.constantFrom("text", "image_url", "image", "tool_result", "x"), text }), { maxLength: 3 }), fc.constant(null)) }, { requiredKeys: ["role"] }), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
const extras = fc.dictionary(fc.constantFrom("stream", "max_tokens", "n", "temperature", "tools", "tool_choice", "response_format", "fallbacks", "metadata", "stream_options", "num_retries", "timeout", "user", "stop", "thinking", "system", "drop_params", "mock_testing_fallbacks", "x-unknown"), fc.oneof(num, text, fc.boolean(), fc.jsonValue({ maxDepth: 4 })), { maxKeys: 4 });

const llmBody = fc.record({ model: anyModel, messages, prompt: fc.oneof(text, fc.jsonValue({ maxDepth: 2 })), input: fc.oneof(text, fc.jsonValue({ maxDepth: 2 })), max_tokens: num, stream: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 0 })) }, { requiredKeys: [] })
  .chain((b) => extras.map((x) => ({ ...b, ...x })));

/** A value nested thousands deep put into one field (as text: JSON.stringify cannot write it). */
const DEEP_FIELDS = ["metadata", "response_format", "tools", "messages", "input", "models", "fallbacks"];
const withDeepField = (value: fc.Arbitrary<unknown>) =>
  fc.tuple(value, fc.constantFrom(...DEEP_FIELDS), deepValue).map(([v, field, deep]) => JSON.stringify({ ...(v as object), [field]: 0 }).replace(`"${field}":0`, `"${field}":${deep}`));

/** How a body goes over the wire: JSON of the generated value, deep nesting spliced in, or not JSON at all. */
const wireBody = (value: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 8, arbitrary: value.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: withDeepField(value) },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom("", "null", "[]", "42", '"x"', "{", "{}", '{"model":'), fc.string({ maxLength: 50 })) },
  );

const LLM_PATHS = ["/v1/chat/completions", "/chat/completions", "/v1/completions", "/v1/embeddings", "/embeddings", "/v1/messages", "/v1/messages/count_tokens", "AZURE"] as const;

const headerText = fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s));
const extraHeaders = fc.dictionary(fc.constantFrom("content-type", "anthropic-version", "anthropic-beta", "x-litellm-api-key", "api-key", "accept", "x-forwarded-for"), headerText, { maxKeys: 3 });

type Auth = "virtual" | "master" | "bogus" | "none";
const auth = fc.constantFrom<Auth>("virtual", "virtual", "virtual", "virtual", "virtual", "master", "bogus", "none");

/** A valid request for the path, with a few hostile or random extra fields: most of these reach an upstream. */
const SERVED = ["gpt", "claude", "wild/ok", "wild/模型", "wild/" + "b".repeat(200), "wild/a b (c)", "gem/gemini-fuzz", "gem/tunedModels/t-1"];
const servedModel = fc.constantFrom(...SERVED);
const servedModelName = () => fc.constantFrom(...SERVED, "wild/*", "openai/*", "*");
const plainText = fc.string({ maxLength: 30 });
const validBody = (path: string) => {
  const model = fc.oneof({ weight: 3, arbitrary: servedModel }, { weight: 2, arbitrary: modelName });
  const common = { model, stream: fc.boolean(), max_tokens: fc.integer({ min: 1, max: 50 }) };
  const chat = fc.record({ ...common, messages: fc.array(fc.record({ role: fc.constantFrom("user", "system"), content: plainText }), { minLength: 1, maxLength: 2 }) }, { requiredKeys: ["model", "messages"] });
  const base =
    path === "/v1/completions"
      ? fc.record({ ...common, prompt: plainText }, { requiredKeys: ["model", "prompt"] })
      : path.includes("embeddings")
        ? fc.record({ model, input: fc.oneof(plainText, fc.array(plainText, { minLength: 1, maxLength: 2 })) })
        : chat;
  return fc.tuple(base, fc.option(extras, { freq: 2 })).map(([b, x]) => ({ ...b, ...(x ?? {}) }));
};

const llmRequest = fc.constantFrom(...LLM_PATHS).chain((path) =>
  fc.record({
    kind: fc.constant("llm" as const),
    path: fc.constant(path),
    azureModel: fc.oneof(servedModel, modelName),
    body: fc.oneof({ weight: 3, arbitrary: validBody(path).map((b) => JSON.stringify(b)) }, { weight: 1, arbitrary: withDeepField(validBody(path)) }, { weight: 2, arbitrary: wireBody(llmBody) }),
    headers: extraHeaders,
    auth,
  }),
);

// Admin bodies: one to four fields, each mostly plausible, sometimes hostile.
const storedJson = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }));
const either = <T, U>(plausible: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) => fc.oneof({ weight: 3, arbitrary: plausible as fc.Arbitrary<T | U> }, { weight: 1, arbitrary: hostile });
const duration = either(fc.constantFrom("30s", "30m", "1h", "30d", "7d", "1w", "1mo"), fc.oneof(text, fc.constantFrom("0s", "-1d", "2mo", "36500d", "36501d", "999999999999d", "99999999999999999999999s")));
const money = either(fc.double({ min: 0, max: 100, noNaN: true }), num);
const count = either(fc.integer({ min: 0, max: 1000 }), num);
const anId = either(fc.string({ minLength: 1, maxLength: 20 }).filter((x) => x.trim().length > 0), text);
const ADMIN_FIELDS: [string, fc.Arbitrary<unknown>][] = [
  ["key", either(fc.constantFrom("sk-" + "a".repeat(30), `sk-${"b".repeat(24)}`), fc.oneof(text, fc.constant(MASTER_KEY)))],
  ["key_alias", anId],
  ["models", either(fc.array(servedModelName(), { maxLength: 3 }), fc.oneof(fc.array(modelName, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })))],
  ["metadata", either(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), storedJson)],
  ["tags", either(fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 }))],
  ["max_budget", money], ["soft_budget", money], ["max_budget_in_team", money],
  ["rpm_limit", count], ["tpm_limit", count], ["max_parallel_requests", count],
  ["budget_duration", duration], ["duration", duration],
  ["team_id", anId], ["user_id", anId], ["user_email", either(fc.constantFrom("a@b.co", "x@example.com"), text)], ["user_role", either(fc.constantFrom("internal_user", "proxy_admin"), text)],
  ["keys", either(fc.array(fc.constantFrom("sk-" + "c".repeat(30)), { maxLength: 2 }), fc.array(text, { maxLength: 150 }))],
  ["key_aliases", fc.array(anId, { maxLength: 3 })], ["team_ids", fc.array(anId, { maxLength: 3 })], ["user_ids", fc.array(anId, { maxLength: 3 })],
  ["member", either(fc.record({ role: fc.constantFrom("admin", "user"), user_id: anId }), fc.jsonValue({ maxDepth: 2 }))],
  ["members_with_roles", fc.array(fc.record({ role: fc.constantFrom("admin", "user", "x"), user_id: anId }), { maxLength: 3 })],
  ["model_max_budget", either(fc.dictionary(servedModelName(), fc.oneof(money, fc.record({ budget_limit: money, time_period: duration }))), storedJson)],
  ["model_rpm_limit", either(fc.dictionary(servedModelName(), count), storedJson)],
  ["new_key", either(fc.constant(`sk-${"d".repeat(28)}`), text)],
  ["blocked", either(fc.boolean(), num)], ["auto_create_key", fc.boolean()],
  ["model", either(fc.constantFrom("gpt", "claude"), anyModel)], ["messages", messages], ["prompt", text],
];
const adminBody = fc
  .array(fc.oneof(...ADMIN_FIELDS.map(([name, value]) => value.map((v) => [name, v] as const))), { minLength: 0, maxLength: 4 })
  .map((entries) => Object.fromEntries(entries));
const ADMIN_POSTS = ["/key/generate", "/key/update", "/key/delete", "/key/regenerate", "/key/block", "/key/unblock", "/key/x/regenerate", "/team/new", "/team/update", "/team/delete", "/team/member_add", "/team/member_delete", "/user/new", "/user/update", "/user/delete", "/spend/calculate"];
const GETS = ["/key/info", "/key/list", "/team/info", "/team/list", "/user/info", "/user/list", "/spend/logs", "/global/spend", "/global/spend/report", "/model/cost_map", "/models", "/v1/models", "/model/info", "/health", "/health/liveliness", "/health/readiness"];
const QUERY_NAMES = ["key", "page", "size", "page_size", "team_id", "user_id", "api_key", "request_id", "start_date", "end_date", "group_by", "limit", "return_full_object", "role", "model"];

const adminRequest = fc.record({ kind: fc.constant("admin" as const), path: fc.constantFrom(...ADMIN_POSTS), body: wireBody(adminBody), headers: extraHeaders, auth: fc.constantFrom<Auth>("master", "master", "master", "virtual", "bogus") });
const getRequest = fc.record({
  kind: fc.constant("get" as const),
  path: fc.constantFrom(...GETS),
  query: fc.dictionary(fc.constantFrom(...QUERY_NAMES), fc.oneof(text, fc.constantFrom("2026-01-01", "team", "api_key", "model", "-1", "0", "1e9", "true"))),
  method: fc.constantFrom("GET", "GET", "GET", "POST", "DELETE", "PUT"),
  headers: extraHeaders,
  auth,
});

/** A model name as a URL path segment; lone surrogates (no UTF-8 form) go as the bytes of an encoded surrogate. */
const pathSegment = (name: string) => name.split(/([\ud800-\udfff])/).map((part) => (/^[\ud800-\udfff]$/.test(part) ? "%ED%A0%80" : encodeURIComponent(part))).join("");

function describeRequest(r: { kind: string; path: string; auth: Auth; headers: Record<string, string>; body?: string; azureModel?: string; query?: Record<string, string>; method?: string }, key: string) {
  const path = r.path === "AZURE" ? `/openai/deployments/${pathSegment(r.azureModel ?? "")}/chat/completions` : r.path;
  const qs = r.query ? new URLSearchParams(r.query).toString() : "";
  const headers: Record<string, string> = { ...r.headers };
  const presented = { virtual: key, master: MASTER_KEY, bogus: "sk-bogus-" + "0".repeat(24), none: "" }[r.auth];
  if (presented) headers.authorization = `Bearer ${presented}`;
  const method = r.method ?? "POST";
  return { path: qs ? `${path}?${qs}` : path, method, headers, body: method === "GET" ? undefined : r.body, llm: r.kind === "llm", auth: r.auth };
}

interface Seen {
  callId: string;
  request: string;
  status: number;
  llm: boolean;
  virtual: boolean;
  upstreamCalls: number;
  upstreamOk: boolean;
  cost?: number;
  stream: boolean;
}

async function send(gw: TestGateway, log: UpstreamLog, req: ReturnType<typeof describeRequest>): Promise<Seen> {
  log.calls = 0;
  log.statuses = [];
  const res = await gw.fetch(req.path, { method: req.method, headers: req.headers, body: req.body, key: null });
  const stream = !!res.headers.get("content-type")?.startsWith("text/event-stream");
  const body = await res.text();
  const seen: Seen = {
    callId: res.headers.get("x-litellm-call-id") ?? "",
    request: `${req.method} ${req.path.slice(0, 80)} ${String(req.body).slice(0, 300)}`,
    status: res.status,
    llm: req.llm,
    virtual: req.auth === "virtual",
    upstreamCalls: log.calls,
    upstreamOk: log.statuses.length > 0 && log.statuses.every((s) => s < 300),
    cost: res.headers.has("x-litellm-response-cost") ? Number(res.headers.get("x-litellm-response-cost")) : undefined,
    stream,
  };
  // No 5xx from the client's bytes. The one 5xx a client may ask for: LiteLLM's `mock_testing_fallbacks`,
  // a simulated upstream failure (it answers 500 as LiteLLM does, to exercise fallbacks).
  const simulated = res.status === 500 && body.includes("This is a mock exception for model=");
  if (!simulated) expect(res.status, `${req.method} ${req.path.slice(0, 120)} -> ${res.status} ${body.slice(0, 300)}`).toBeLessThan(500);
  // A refusal the gateway decided made no upstream call (an upstream's own error may be passed on).
  if (res.status >= 400 && req.path.split("?")[0] !== "/health") {
    expect(log.statuses.every((s) => s >= 400), `${req.path.slice(0, 120)} -> ${res.status} after ${log.calls} upstream calls: ${body.slice(0, 300)}`).toBe(true);
  }
  if (res.status === 200 && req.llm && !req.path.startsWith("/v1/messages/count_tokens")) expect(log.calls).toBeGreaterThan(0);
  return seen;
}

describe("fuzz: hostile requests at every route (fast-check, seed 24)", () => {
  it("never answers 5xx, never calls the upstream for a refused request, and bills exactly what clients got", { timeout: 120_000 }, async () => {
    const log: UpstreamLog = { calls: 0, statuses: [], strays: [] };
    const gw = await testGateway({ model_list: MODEL_LIST }, { FUZZ_UPSTREAM: countingUpstream(log) });
    const { key, token } = await newKey(gw);
    const seen: Seen[] = [];
    const property = (arb: fc.Arbitrary<Parameters<typeof describeRequest>[0]>) =>
      fc.asyncProperty(arb, async (r) => {
        seen.push(await send(gw, log, describeRequest(r, key)));
      });
    const started = Date.now();
    await fc.assert(property(llmRequest), { seed: SEED, numRuns: 400 });
    await fc.assert(property(adminRequest), { seed: SEED, numRuns: 200 });
    await fc.assert(property(getRequest), { seed: SEED, numRuns: 120 });
    const elapsed = Date.now() - started;
    expect(log.strays).toEqual([]);

    // The spend log says what each virtual-key client got.
    await flushKey(token);
    const { results } = await testEnv.DB.prepare("SELECT request_id, status, spend, prompt_tokens, completion_tokens FROM spend_logs WHERE api_key = ?").bind(token).all<{ request_id: string; status: string; spend: number; prompt_tokens: number; completion_tokens: number }>();
    const rows = new Map(results.map((r) => [r.request_id, r]));
    const mine = seen.filter((s) => s.llm && s.virtual);
    for (const s of mine) {
      const row = rows.get(s.callId);
      if (s.status === 200 && s.upstreamCalls > 0) {
        expect(row, `call ${s.callId} answered 200 has a spend row`).toBeDefined();
        expect(row!.status).toBe("success");
        // Every deployment here is priced: tokens are charged (an empty embedding input is 0 tokens, and free).
        expect(row!.spend > 0, JSON.stringify({ ...s, row })).toBe(row!.prompt_tokens + row!.completion_tokens > 0);
        if (s.cost !== undefined) expect(row!.spend).toBe(s.cost);
      } else if (s.status >= 400) {
        // Refused or failed: nothing charged.
        if (row) expect({ status: row.status, spend: row.spend }).toEqual({ status: "failure", spend: 0 });
      }
    }
    expect(rows.size).toBeLessThanOrEqual(mine.length);
    const total = results.reduce((sum, r) => sum + r.spend, 0);
    expect((await keyGuard(token).snapshot()).spend).toBeCloseTo(total, 12);
    // Enough of the runs got through to an upstream for the spend checks to mean something.
    expect(mine.filter((s) => s.status === 200 && s.upstreamCalls > 0).length).toBeGreaterThan(20);
    console.log(`[fuzz] ${seen.length} requests in ${elapsed} ms: ${mine.filter((s) => s.status === 200).length} answered LLM calls, ${seen.filter((s) => s.status >= 400).length} refusals`);
  });
});
