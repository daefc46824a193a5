// Issue #24, closing the class: random and hostile bodies, queries and headers thrown at every route that
// is not an LLM call (fuzz-llm.test.ts has those): keys, teams, users, stored models (/model/new, /model/update,
// /model/delete, PATCH /model/{id}/update), prices, spend reports and logs (/spend/*, /global/spend/*,
// /spend/logs/ui, daily activity), guardrails, MCP (/v1/mcp/server, /mcp-rest/tools/*, the /mcp and
// /{server}/mcp endpoints, with the official SDK's server behind them), the UI's API (/ui/api/*, its
// session cookie and CSRF token), health, models, metrics and the drain route; with the master key, a
// virtual key, a bogus key or none. Chat calls to the models stored along the way check that they serve.
// For every request (see fuzz-helpers.ts send): no 5xx, no upstream call or tool call for a refused
// request; at the end: no upstream URL outside an api_base, none around a binding, and the virtual key's
// spend rows are its own calls and tool calls. fast-check with a fixed seed: the same inputs every time.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MASTER_KEY, MOCK_URL } from "./helpers";
import {
  MCP_URL,
  fuzzRun,
  type FuzzRequest,
} from "./fuzz-helpers";
import {
  adminAuth,
  anyModel,
  auth,
  either,
  extraHeaders,
  headerValue,
  methodFor,
  modelName,
  num,
  pathId,
  plainText,
  queryOf,
  ref,
  text,
  wireBody,
  type Auth,
} from "./fuzz-arbitraries";

/** Print each route's statuses (for tuning the arbitraries). */
const SUMMARY = false;

// ---- admin bodies: one to four fields, each mostly plausible, sometimes hostile ----

const storedJson = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }));
const duration = either(fc.constantFrom("30s", "30m", "1h", "30d", "7d", "1w", "1mo"), fc.oneof(text, fc.constantFrom("0s", "-1d", "2mo", "36500d", "36501d", "999999999999d", "99999999999999999999999s")));
const money = either(fc.double({ min: 0, max: 100, noNaN: true }), num);
const count = either(fc.integer({ min: 0, max: 1000 }), num);
const anId = either(fc.string({ minLength: 1, maxLength: 20 }).filter((x) => x.trim().length > 0), text);
const servedModelName = () => fc.constantFrom("gpt", "claude", "wild/ok", "wild/*", "openai/*", "*", "stored-a", "stored-b");
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
  ["guardrails", either(fc.constantFrom(["no-keys"], []), fc.jsonValue({ maxDepth: 1 }))],
  ["object_permission", either(fc.record({ mcp_servers: fc.array(fc.constantFrom("fuzzmcp", "x"), { maxLength: 2 }), mcp_tool_permissions: fc.dictionary(fc.constantFrom("fuzzmcp"), fc.array(fc.constantFrom("echo", "add"))) }, { requiredKeys: [] }), storedJson)],
  ["model", either(fc.constantFrom("gpt", "claude"), anyModel)], ["prompt", text], ["completion_response", storedJson],
];
const fieldsBody = (fields: [string, fc.Arbitrary<unknown>][]) =>
  fc.array(fc.oneof(...fields.map(([name, value]) => value.map((v) => [name, v] as const))), { minLength: 0, maxLength: 4 }).map((entries) => Object.fromEntries(entries));

/** A stored model's litellm_params: on the mock's bases through the binding, so its calls stay countable. */
const validParams = fc
  .tuple(fc.constantFrom(["openai/gpt-fuzz", "openai/v1"], ["openai/*", "openai/v1"], ["anthropic/claude-fuzz", "anthropic"]), fc.constantFrom(1e-6, 0))
  .map(([[model, base], price]) => ({ model, api_base: `${MOCK_URL}/${base}`, api_key: "sk-stored-fuzz", input_cost_per_token: price, vpc_binding: "FUZZ_UPSTREAM" }));
const hostileParams = fc
  .tuple(validParams, fc.dictionary(fc.constantFrom("model", "api_key", "input_cost_per_token", "rpm", "timeout", "extra_headers", "x_unknown", "mock_response"), fc.oneof(anyModel, num, text, storedJson), { minKeys: 1, maxKeys: 2 }))
  .map(([p, x]) => ({ ...p, ...x }));
const storedParams = either(validParams, hostileParams);
const MODEL_FIELDS: [string, fc.Arbitrary<unknown>][] = [
  ["model_name", either(fc.constantFrom("stored-a", "stored-b", "gpt", "wild/stored"), anyModel)],
  ["litellm_params", either(storedParams, storedJson)],
  ["model_info", either(fc.record({ id: either(ref("model"), anId), mode: either(fc.constantFrom("chat", "embedding"), text), base_model: text, db_model: fc.boolean() }, { requiredKeys: [] }), storedJson)],
  ["id", either(ref("model"), anId)],
];
/** /model/new and friends: model_name and litellm_params most of the time. */
const modelBody = fc.tuple(fieldsBody(MODEL_FIELDS), MODEL_FIELDS[0][1], storedParams, fc.nat(3)).map(([b, name, params, whole]) => (whole ? { ...b, model_name: name, litellm_params: params } : b));

const MCP_FIELDS: [string, fc.Arbitrary<unknown>][] = [
  ["server_name", either(fc.constantFrom("fz2", "fz.three", "fuzzmcp"), text)],
  ["server_id", either(fc.constantFrom("fz-id-1"), text)],
  ["url", either(fc.constantFrom(MCP_URL, `${MCP_URL}?x=1`, "http://mcp.fuzz.test/other"), fc.oneof(text, fc.constantFrom("ftp://x", "javascript:alert(1)", "http://")))],
  ["transport", either(fc.constantFrom("http", "streamable_http", "sse"), text)],
  ["auth_type", either(fc.constantFrom("none", "bearer_token", "api_key", "basic"), text)],
  ["credentials", either(fc.record({ auth_value: plainText }), storedJson)],
  ["static_headers", either(fc.dictionary(fc.constantFrom("x-tenant", "authorization"), plainText, { maxKeys: 2 }), storedJson)],
  ["allowed_tools", either(fc.array(fc.constantFrom("echo", "add"), { maxLength: 2 }), fc.jsonValue({ maxDepth: 1 }))],
  ["mcp_access_groups", either(fc.array(fc.constantFrom("eng"), { maxLength: 1 }), fc.jsonValue({ maxDepth: 1 }))],
  ["description", text],
];
const mcpServerBody = fc.tuple(fieldsBody(MCP_FIELDS), MCP_FIELDS[0][1], MCP_FIELDS[2][1]).map(([b, server_name, url]) => ({ ...b, server_name, url }));
const toolCallBody = fc.record(
  {
    name: either(fc.constantFrom("fuzzmcp-echo", "fuzzmcp-add", "echo", "fuzzmcp-nope", "fz2-echo"), text),
    arguments: either(fc.oneof(fc.record({ text: plainText }), fc.record({ a: num, b: num })), fc.jsonValue({ maxDepth: 3 })),
    server_id: either(fc.oneof(fc.constant("fuzzmcp"), ref("mcp")), text),
  },
  { requiredKeys: ["name"] },
);
const loginBody = fc.oneof(
  fc.record({ username: either(fc.constant("admin"), text), password: either(fc.constant(MASTER_KEY), text) }),
  fc.record({ key: either(fc.constantFrom(MASTER_KEY, "@@virtual@@"), text) }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** The UI's session (a cookie from /ui/api/login, its CSRF token) a third of the time, same-site or not, and the usual random headers. */
const session = fc.record(
  {
    cookie: either(ref("cookie"), headerValue),
    "x-csrf-token": either(ref("csrf"), headerValue),
    "sec-fetch-site": fc.constantFrom("same-origin", "cross-site", "none"),
    origin: fc.constantFrom("http://gateway", "https://evil.example"),
    "content-type": fc.constant("application/json"),
  },
  { requiredKeys: [] },
);
const sessionHeaders = fc.tuple(extraHeaders, fc.option(session, { freq: 2 })).map(([random, ui]) => ({ ...random, ...ui }));

/** Each POST-ish route with its body, and how often it comes (the newer families more, to get past their validation). */
const POSTS: [number, string, string, fc.Arbitrary<unknown>][] = [
  ...["/key/generate", "/key/update", "/key/delete", "/key/regenerate", "/key/block", "/key/unblock", "/key/x/regenerate", "/team/new", "/team/update", "/team/delete", "/team/member_add", "/team/member_delete", "/user/new", "/user/update", "/user/delete", "/spend/calculate"].map(
    (path): [number, string, string, fc.Arbitrary<unknown>] => [1, "POST", path, fieldsBody(ADMIN_FIELDS)],
  ),
  [4, "POST", "/model/new", modelBody], [3, "POST", "/model/update", modelBody], [2, "POST", "/model/delete", modelBody], [2, "PATCH", "/model/{model}/update", modelBody],
  [1, "POST", "/model/cost_map", fc.dictionary(either(fc.constantFrom("gpt-fuzz", "openai/gpt-fuzz"), text), either(fc.record({ input_cost_per_token: num, output_cost_per_token: num }), storedJson), { maxKeys: 2 })],
  [1, "DELETE", "/model/cost_map", fc.constant({})],
  [3, "POST", "/v1/mcp/server", mcpServerBody], [2, "DELETE", "/v1/mcp/server/{mcp}", fc.constant({})], [4, "POST", "/mcp-rest/tools/call", toolCallBody],
  [3, "POST", "/ui/api/login", loginBody], [1, "POST", "/ui/api/logout", fc.constant({})], [1, "POST", "/__gateway/drain", fc.constant({})],
];
const fillPath = (template: string) => fc.tuple(pathId("model"), pathId("mcp")).map(([model, mcp]) => template.replace("{model}", model).replace("{mcp}", mcp));

const postRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(...POSTS.map(([weight, method, template, value]) => ({ weight, arbitrary: fc.constant([method, template, value] as const) }))).chain(([method, template, value]) =>
  fc.record({
    kind: fc.constant("other" as const),
    method: methodFor(method),
    path: fillPath(template),
    body: wireBody(value),
    headers: sessionHeaders,
    auth: template.startsWith("/ui/api/") ? fc.constantFrom<Auth>("none", "none", "master", "virtual") : adminAuth,
  }),
);

// ---- reads ----

const GETS = [
  "/key/info", "/key/list", "/team/info", "/team/list", "/user/info", "/user/list", "/spend/logs", "/spend/keys", "/spend/users", "/spend/logs/ui",
  "/global/spend", "/global/spend/report", "/global/spend/keys", "/global/spend/models", "/global/spend/logs", "/global/spend/teams",
  "/user/daily/activity", "/team/daily/activity", "/model/cost_map", "/models", "/v1/models", "/model/info", "/v1/model/info",
  "/health", "/health/liveliness", "/health/liveness", "/health/readiness", "/guardrails/list", "/metrics", "/metrics/",
  "/v1/mcp/server", "/v1/mcp/server/{mcp}", "/mcp-rest/tools/list", "/ui/api/session", "/ui/api/models", "/ui/api/config",
];
const QUERY_NAMES = ["key", "page", "size", "page_size", "team_id", "team_ids", "user_id", "api_key", "key_alias", "request_id", "start_date", "end_date", "group_by", "limit", "return_full_object", "role", "model", "server_id", "status_filter", "min_spend", "max_spend"];
const getRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  kind: fc.constant("other" as const),
  method: methodFor("GET"),
  path: fc.constantFrom(...GETS).chain(fillPath),
  query: queryOf(QUERY_NAMES),
  headers: sessionHeaders,
  auth: adminAuth,
});

// ---- the MCP endpoint (JSON-RPC over Streamable HTTP) ----

const rarely = <T, U>(plausible: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) => fc.oneof({ weight: 8, arbitrary: plausible as fc.Arbitrary<T | U> }, { weight: 1, arbitrary: hostile });
const RPC_PARAMS: Record<string, fc.Arbitrary<unknown>> = {
  initialize: fc.record({ protocolVersion: rarely(fc.constantFrom("2025-06-18", "2025-03-26"), text), capabilities: fc.constant({}), clientInfo: fc.record({ name: plainText, version: fc.constant("1") }) }),
  "tools/list": fc.record({ cursor: text }, { requiredKeys: [] }),
  "tools/call": toolCallBody,
  ping: fc.constant({}),
  "notifications/initialized": fc.constant({}),
};
const RPC_METHODS = fc.oneof({ weight: 3, arbitrary: fc.constant("initialize") }, { weight: 4, arbitrary: fc.constantFrom("tools/list", "tools/call") }, { weight: 2, arbitrary: fc.constantFrom("ping", "notifications/initialized", "resources/list", "prompts/list", "x/y") });
const rpcBody = RPC_METHODS.chain((method) =>
  fc.record({ jsonrpc: rarely(fc.constant("2.0"), text), id: rarely(fc.nat(), fc.jsonValue({ maxDepth: 1 })), method: rarely(fc.constant(method), text), params: either(RPC_PARAMS[method] ?? fc.constant({}), fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: ["jsonrpc", "method"] }),
);
const mcpRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  kind: fc.constant("other" as const),
  method: methodFor("POST"),
  path: rarely(fc.constantFrom("/mcp", "/mcp/", "/fuzzmcp/mcp"), fc.constantFrom("/fz2/mcp", "/nothing/mcp", "/%2e%2e/mcp", "/fuzzmcp/mcp/x")),
  body: wireBody(rpcBody),
  headers: fc
    .tuple(
      extraHeaders,
      fc.record(
        {
          accept: either(fc.constant("application/json, text/event-stream"), headerValue),
          "content-type": fc.constant("application/json"),
          "mcp-session-id": either(ref("session"), headerValue),
          "x-mcp-servers": either(fc.constantFrom("fuzzmcp", "fz2,fuzzmcp"), headerValue),
          "mcp-protocol-version": fc.constantFrom("2025-06-18", "1999-01-01"),
        },
        { requiredKeys: ["accept", "content-type"] },
      ),
    )
    .map(([a, b]) => ({ ...a, ...b })),
  auth,
});

// ---- chat calls to the models stored along the way ----

const storedCall: fc.Arbitrary<FuzzRequest> = fc.record({
  kind: fc.constant("llm" as const),
  method: fc.constant("POST"),
  path: fc.constant("/v1/chat/completions"),
  body: fc.record({ model: fc.constantFrom("stored-a", "stored-b", "wild/stored", "gpt"), messages: fc.constant([{ role: "user", content: "hi" }]), max_tokens: fc.constant(5) }).map((b) => JSON.stringify(b)),
  headers: fc.constant({}),
  auth: fc.constantFrom<Auth>("virtual", "master"),
});

describe("fuzz: hostile requests at every admin, MCP and UI route (fast-check, seed 24)", () => {
  it("never answers 5xx, never reaches an upstream or a tool for a refused request, and keeps spend rows true", { timeout: 120_000 }, async () => {
    const { seen, rows: results, elapsed } = await fuzzRun(
      [
        [fc.oneof({ weight: 4, arbitrary: postRequest }, { weight: 1, arbitrary: storedCall }), 400],
        [fc.oneof({ weight: 3, arbitrary: getRequest }, { weight: 4, arbitrary: mcpRequest }, { weight: 2, arbitrary: postRequest }, { weight: 1, arbitrary: storedCall }), 400],
      ],
      { env: { LITELLM_SALT_KEY: "salt-for-the-fuzz-test-000000001" }, summary: SUMMARY },
    );

    // The virtual key's rows: its chat calls (as answered) and its MCP tool calls (one row each, at most).
    const mine = seen.filter((s) => s.virtual);
    const byCall = new Map(mine.map((s) => [s.callId, s]));
    const tools = results.filter((r) => r.call_type === "call_mcp_tool");
    expect(tools.length).toBeLessThanOrEqual(mine.reduce((n, s) => n + s.toolCalls, 0));
    for (const r of results.filter((r) => r.call_type !== "call_mcp_tool")) {
      const s = byCall.get(r.request_id);
      expect(s?.llm, `row ${JSON.stringify(r)} is a chat call the key made`).toBe(true);
      if (s!.status === 200) expect({ status: r.status, spend: r.spend }).toEqual({ status: "success", spend: s!.cost });
      else expect(r.spend).toBe(0);
    }

    // Enough got through for the checks to mean something: stored models that served, tool calls, sessions.
    const ok = (re: RegExp) => seen.filter((s) => s.status === 200 && re.test(s.path)).length;
    const coverage = { admin: ok(/^\/(key|team|user)\//), models: ok(/^\/model\/(new|update|delete)$|^\/model\/.+\/update$/), stored_calls: seen.filter((s) => s.llm && s.status === 200 && s.group?.startsWith("stored")).length, reports: ok(/spend|activity/), mcp_servers: ok(/^\/v1\/mcp\/server/), tool_calls: mine.filter((s) => s.toolCalls > 0).length + seen.filter((s) => !s.virtual && s.toolCalls > 0).length, mcp: ok(/\/mcp\/?$/), ui: ok(/^\/ui\/api\//), metrics: ok(/^\/metrics/) };
    for (const [what, n] of Object.entries(coverage)) expect(n, `answered ${what} requests`).toBeGreaterThan(0);
    console.log(`[fuzz-admin] ${seen.length} requests in ${elapsed} ms: answered ${JSON.stringify(coverage)}, ${seen.filter((s) => s.status >= 400).length} refusals`);
  });
});
