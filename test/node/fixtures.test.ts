// The three configs of test/fixtures/, as LiteLLM users' guides write them, run with `npm start` as a
// user would: each builds and starts (warning only about what it cannot use), answers through mock
// upstreams speaking the providers' wire formats, and its fallbacks fire when a provider fails.
// The fixtures' Ollama hosts are swapped for the mock; the providers' own base-URL variables
// (ANTHROPIC_API_BASE, ...) point the cloud providers at it.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockUpstream, type MockUpstream } from "../mocks/upstream";
import { SHAPE_MESSAGE } from "../mocks/shapes";
import { ROOT, startGateway, type RunningGateway } from "./start";

const MASTER = "sk-fixture-master-0001";
const fixture = (name: string) => readFileSync(resolve(ROOT, "test/fixtures", name), "utf8");

function providerEnv(mock: MockUpstream): Record<string, string> {
  return {
    LITELLM_MASTER_KEY: MASTER,
    OPENAI_API_KEY: "sk-upstream-openai-fixture",
    OPENAI_API_BASE: `${mock.url}/openai/v1`,
    ANTHROPIC_API_KEY: "sk-ant-fixture",
    ANTHROPIC_API_BASE: `${mock.url}/anthropic`,
    GEMINI_API_KEY: "AIzaSy-fixture",
    GEMINI_API_BASE: `${mock.url}/gemini`,
    OPENROUTER_API_KEY: "sk-or-fixture",
    OPENROUTER_API_BASE: `${mock.url}/openai/v1`,
  };
}

/** Starts the fixture with npm start against its own mock upstream for the describe block it is called in. */
function useFixture(name: string, prepare: (yaml: string, mock: MockUpstream) => string = (yaml) => yaml, env: (mock: MockUpstream) => Record<string, string> = providerEnv) {
  const running = {} as { mock: MockUpstream; gw: RunningGateway };
  beforeAll(async () => {
    running.mock = await startMockUpstream();
    running.gw = await startGateway(prepare(fixture(name), running.mock), env(running.mock));
  });
  afterAll(async () => {
    await running.gw?.stop();
    await running.mock?.close();
  });
  return running;
}

/** Posts to the gateway with a key; returns status, headers and the parsed body. */
async function call(gw: RunningGateway, path: string, body: unknown, key = MASTER) {
  const res = await fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}
let asked = 0;
/** A chat call with a question of its own: the production fixture turns the response cache on, and these tests count upstream calls. */
const chat = (gw: RunningGateway, model: string, extra: Record<string, unknown> = {}) => call(gw, "/v1/chat/completions", { model, messages: [{ role: "user", content: `hi ${++asked}` }], ...extra });
/** The group that answered a chat call, which must succeed. */
async function answeredBy(gw: RunningGateway, model: string, extra: Record<string, unknown> = {}): Promise<string | null> {
  const res = await chat(gw, model, extra);
  expect(res.status, `${model}: ${JSON.stringify(res.body.error ?? "")}`).toBe(200);
  return res.headers.get("x-litellm-model-group");
}
const weatherTool = { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };

/**
 * The `[gateway] warning: ...` lines npm start printed. The Worker repeats an unset os.environ/ name
 * when its first request builds the runtime (as a deployed Worker does, in `wrangler tail`): those
 * lines end with "(wrangler secret put NAME)" and are left out here.
 */
const warningsOf = (gw: RunningGateway) =>
  [...gw.output().matchAll(/\[gateway\] warning: (.*)/g)].map((m) => m[1].trim()).filter((line) => !line.includes("(wrangler secret put"));

describe("test/fixtures/home-lab.yaml", () => {
  // The GPU box is down behind a proxy that answers 500 with an error object; the laptop runs Ollama (the mock).
  const running = useFixture("home-lab.yaml", (yaml, mock) => yaml.replaceAll("http://192.168.1.50:11434", `${mock.url}/shape/object/500`).replaceAll("http://localhost:11434", mock.url));

  it("starts with warnings only for what it does not use", () => {
    const { gw } = running;
    expect(warningsOf(gw)).toEqual([
      "litellm_settings.set_verbose has no meaning on Workers: every failed upstream call is logged already; follow the logs with `wrangler tail` (or the terminal running npm start); ignored",
      "config keys not supported yet (ignored): model_list[].litellm_params.keep_alive",
    ]);
  });

  it("serves the local group from the laptop when the preferred GPU box (priority 1) fails", async () => {
    const { gw } = running;
    const res = await chat(gw, "local-llama");
    expect(res.status).toBe(200);
    expect(res.body.choices[0].message.content).toBe("Hello from the mock.");
    expect(res.headers.get("x-litellm-model-id")).toBe("llama-laptop");
    // The failed attempt is logged with the upstream's message (wrangler dev prints the Worker's logs a moment later).
    await expect.poll(() => gw.output(), { timeout: 5000 }).toContain(`deployment=llama-gpu-box (ollama_chat) failed: 500 ollama_chat error: ${SHAPE_MESSAGE}`);
  });

  it("answers every other group: ollama/ with tools, embeddings, anthropic, google, openrouter", async () => {
    const { gw, mock } = running;
    const qwen = await chat(gw, "local-qwen", { tools: [weatherTool] });
    expect(qwen.status).toBe(200);
    expect(qwen.body.choices[0].message.tool_calls[0].function).toEqual({ name: "get_weather", arguments: '{"city":"Paris"}' });
    const emb = await call(gw, "/v1/embeddings", { model: "nomic-embed", input: ["a", "b"] });
    expect(emb.body.data).toHaveLength(2);
    for (const model of ["claude-sonnet", "gemini-flash", "gemma-free"]) expect(await answeredBy(gw, model)).toBe(model);
    expect(mock.requests.some((r) => r.path === "/openai/v1/chat/completions" && JSON.parse(r.body).model === "google/gemma-3-27b-it:free")).toBe(true);
    expect(mock.requests.some((r) => r.path === "/gemini/v1beta/models/gemini-3.5-flash:generateContent")).toBe(true);
  });

  it("falls back: claude-sonnet to gemini-flash (fallbacks), gemma-free to local-llama (fallback_model), tools away from a model without them", async () => {
    const { gw, mock } = running;
    mock.failModel("claude-sonnet-4-5", 500);
    expect(await answeredBy(gw, "claude-sonnet")).toBe("gemini-flash");
    mock.failModel("claude-sonnet-4-5", undefined);
    // gemma-free says supports_function_calling: false: a request with tools goes to the fallback model.
    expect(await answeredBy(gw, "gemma-free", { tools: [weatherTool] })).toBe("local-llama");
    mock.failModel("google/gemma-3-27b-it:free", 500);
    expect(await answeredBy(gw, "gemma-free")).toBe("local-llama");
    mock.failModel("google/gemma-3-27b-it:free", undefined);
  });
});

describe("test/fixtures/production.yaml", () => {
  const running = useFixture("production.yaml");

  it("starts, saying which keys it ignores and that OPENAI_API_KEY_BACKUP is not set", () => {
    const { gw } = running;
    expect(warningsOf(gw)).toEqual([
      "general_settings.database_url is not needed on Workers: keys, teams, users and spend live in D1 (the DB binding in wrangler.toml); ignored",
      "model without a provider prefix, inferred as LiteLLM does (write the prefix to be explicit): gpt-4o-mini -> openai/gpt-4o-mini",
      "config keys not supported yet (ignored): model_list[].litellm_params.max_tokens",
      "response cache on: cache_params.type 'redis' is served by Workers KV (binding KV); not used here: host, port, password",
      "model_list[1].litellm_params.api_key is os.environ/OPENAI_API_KEY_BACKUP, which is not set (export it before npm start, or put it in .dev.vars)",
    ]);
  });

  it("load-balances gpt-4o on the deployment whose key is set, never sending another key", async () => {
    const { gw, mock } = running;
    for (let i = 0; i < 4; i++) expect(await answeredBy(gw, "gpt-4o")).toBe("gpt-4o");
    const sent = mock.requests.filter((r) => r.path === "/openai/v1/chat/completions");
    expect(sent.length).toBe(4);
    for (const r of sent) expect(r.headers.authorization).toBe("Bearer sk-upstream-openai-fixture");
    expect(gw.output()).toContain("litellm_params.api_key is os.environ/OPENAI_API_KEY_BACKUP, which is not set");
    const emb = await call(gw, "/v1/embeddings", { model: "text-embedding-3-small", input: "hello" });
    expect(emb.status).toBe(200);
    expect(await answeredBy(gw, "gpt-4o-mini")).toBe("gpt-4o-mini");
  });

  it("walks the fallback ladder gpt-4o -> claude-opus -> gpt-4o-mini", async () => {
    const { gw, mock } = running;
    mock.failModel("gpt-4o", 500);
    expect(await answeredBy(gw, "gpt-4o")).toBe("claude-opus");
    mock.failModel("claude-opus-4-1", 401);
    const toMini = await chat(gw, "gpt-4o");
    expect(toMini.status).toBe(200);
    expect(toMini.headers.get("x-litellm-model-group")).toBe("gpt-4o-mini");
    expect(toMini.headers.get("x-litellm-attempted-fallbacks")).toBe("2");
  });

  it("answers a repeated question from the response cache (cache: true, type: redis, served by KV)", async () => {
    const { gw, mock } = running;
    const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "the same question twice" }] };
    const first = await call(gw, "/v1/chat/completions", body);
    expect(first.status).toBe(200);
    const upstreamCalls = mock.requests.length;
    await new Promise((r) => setTimeout(r, 500)); // the answer is stored in the background, after it was sent
    const second = await call(gw, "/v1/chat/completions", body);
    expect(second.status).toBe(200);
    expect(second.headers.get("x-litellm-cache-hit")).toBe("true");
    expect(second.body.choices[0].message.content).toBe(first.body.choices[0].message.content);
    expect(mock.requests.length).toBe(upstreamCalls);
  });
});

describe("test/fixtures/minimal.yaml", () => {
  // No LITELLM_MASTER_KEY: the fixture's own literal key.
  const running = useFixture("minimal.yaml", undefined, (mock) => {
    const { LITELLM_MASTER_KEY: _unused, ...env } = providerEnv(mock);
    return env;
  });

  it("starts with the literal master key, infers the providers, and answers", async () => {
    const { gw, mock } = running;
    expect(warningsOf(gw)).toEqual([
      "model without a provider prefix, inferred as LiteLLM does (write the prefix to be explicit): gpt-4o -> openai/gpt-4o, claude-3-5-sonnet-20241022 -> anthropic/claude-3-5-sonnet-20241022",
    ]);
    expect(gw.output()).not.toContain("NO MASTER KEY");
    expect((await chat(gw, "gpt-4o")).status).toBe(401); // MASTER is not this config's key
    const gpt = await call(gw, "/v1/chat/completions", { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }, "sk-1234");
    expect(gpt.status).toBe(200);
    const claude = await call(gw, "/v1/chat/completions", { model: "claude-3-5-sonnet", messages: [{ role: "user", content: "hi" }] }, "sk-1234");
    expect(claude.status).toBe(200);
    expect(claude.body.choices[0].message.content).toBe("Hello from the mock.");
    expect(mock.requests.some((r) => r.path === "/anthropic/v1/messages")).toBe(true);
  });
});
