// Issue #24: hostile input and faults. Each describe block is one defect of the issue, with the
// reproduction it gave; every refused request must leave the upstream untouched, and every spend row
// must say what the client got and what the upstream charged.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { describe, expect, it, vi } from "vitest";
import { compileConfig } from "../../src/config/compile";
import { buildRuntime } from "../../src/config/runtime";
import type { GatewayEnv } from "../../src/core/hono-env";
import { toGatewayError } from "../../src/errors";
import { authenticateCall } from "../../src/http/middleware/auth";
import { dispatchCall } from "../../src/http/middleware/dispatch";
import { enforceLimits } from "../../src/http/middleware/limits";
import { authorizeModel, readLlmCall } from "../../src/http/middleware/read-call";
import { batchesDelivered } from "../../src/limits/settle-batch";
import { modelNameProblem, storedJsonProblem, tooDeep } from "../../src/lib/input-limits";
import { headerValue, logText } from "../../src/lib/safe-text";
import { MASTER_KEY, MOCK_URL, openaiModel, readSse, testGateway, upstreamRequests, type TestGateway } from "./helpers";
import { INPUT_PRICE, OUTPUT_PRICE, flushKey, json, keyGuard, newKey, testEnv, unique } from "./keys-helpers";

const priced = { input_cost_per_token: INPUT_PRICE, output_cost_per_token: OUTPUT_PRICE };
/** `wild/<anything>` reaches the mock's OpenAI API as model `<anything>`. */
const wild = { model_name: "wild/*", litellm_params: { model: "openai/*", api_base: `${MOCK_URL}/openai/v1`, api_key: "sk-upstream-secret-0000", ...priced } };
const claude = (name: string, model = "claude-sonnet-4-5") => ({ model_name: name, litellm_params: { model: `anthropic/${model}`, api_base: `${MOCK_URL}/anthropic`, api_key: "sk-ant-upstream", ...priced } });

async function spendRows(token: string): Promise<Record<string, any>[]> {
  await flushKey(token);
  const { results } = await testEnv.DB.prepare("SELECT * FROM spend_logs WHERE api_key = ? ORDER BY start_time").bind(token).all();
  return results;
}

/** Rows of a call that ended in the background (a stream the client left): polled until they land. */
async function rowsSoon(token: string, count = 1): Promise<Record<string, any>[]> {
  let rows: Record<string, any>[] = [];
  for (let i = 0; i < 60 && rows.length < count; i++) {
    await new Promise((r) => setTimeout(r, 100));
    await batchesDelivered();
    await keyGuard(token).flushNow();
    rows = (await testEnv.DB.prepare("SELECT * FROM spend_logs WHERE api_key = ? ORDER BY start_time").bind(token).all()).results;
  }
  return rows;
}

const chatBody = (model: string, marker: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: "user", content: marker }], ...extra });
const messagesPost = (gw: TestGateway, body: unknown, key: string) =>
  gw.fetch("/v1/messages", { method: "POST", key: null, headers: { "x-api-key": key, "anthropic-version": "2023-06-01" }, json: body });

describe("1. control characters in a model name", () => {
  it("are refused with a 400 naming `model`, before any upstream call, on every LLM route and streamed", async () => {
    const gw = await testGateway({ model_list: [wild] });
    const { key, token } = await newKey(gw);
    const marker = unique("ctl");
    for (const model of ["wild/ok-x\r\nx-injected: 1", "wild/ok\nx", "wild/ok\u0000x", "wild/ok\u202ex", "wild/ok\u2028x"]) {
      for (const stream of [false, true]) {
        const res = await gw.post("/v1/chat/completions", chatBody(model, marker, { stream }), key);
        expect(res.status, model).toBe(400);
        const body = await json(res);
        expect(body.error).toMatchObject({ param: "model", code: "400" });
        expect(body.error.message).toMatch(/control character/);
      }
      expect((await gw.post("/v1/completions", { model, prompt: marker }, key)).status).toBe(400);
      expect((await gw.post("/v1/embeddings", { model, input: marker }, key)).status).toBe(400);
      const anthropic = await messagesPost(gw, { model, max_tokens: 10, messages: [{ role: "user", content: marker }] }, key);
      expect(anthropic.status).toBe(400);
      expect((await json(anthropic)).error.type).toBe("invalid_request_error");
    }
    // A fallback name is a model name too.
    expect((await gw.post("/v1/chat/completions", chatBody("wild/fine", marker, { fallbacks: ["wild/x\r\ny"] }), key)).status).toBe(400);
    expect(await upstreamRequests(marker)).toHaveLength(0);
    expect(await spendRows(token)).toHaveLength(0);
  });
});

/**
 * The real dispatchCall and limits middleware behind a step that makes building the answer fail (a bug
 * in the gateway after the upstream answered), as the fault the spend log must report truthfully.
 */
async function faultyGateway(upstreamModel: string) {
  const compiled = await compileConfig({ general_settings: { master_key: MASTER_KEY }, model_list: [openaiModel("gpt-x", upstreamModel, priced)] });
  const app = new Hono<GatewayEnv>();
  app.use(async (c, next) => {
    c.set("runtime", buildRuntime(compiled, c.env));
    c.set("callId", crypto.randomUUID());
    await next();
  });
  const fault = createMiddleware<GatewayEnv>(async (c, next) => {
    c.var.call.onAnswer(() => {
      throw new Error("injected fault while writing the answer");
    });
    await next();
  });
  app.post("/v1/chat/completions", authenticateCall, readLlmCall("chat"), authorizeModel, enforceLimits, fault, dispatchCall);
  app.onError((err) => toGatewayError(err).toResponse());
  return async (body: unknown, key: string) => {
    const ctx = createExecutionContext();
    const req = new Request("http://gateway/v1/chat/completions", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const res = await app.fetch(req, testEnv, ctx);
    await waitOnExecutionContext(ctx);
    await batchesDelivered();
    return res;
  };
}

describe("2. the spend log says what the client got and what the upstream charged", () => {
  it("a JSON answer the gateway failed to deliver after a paid upstream 200 is 'undelivered', with the upstream's usage and cost", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-x", "gpt-x", priced)] });
    const { key, token } = await newKey(gw);
    const call = await faultyGateway("gpt-x");
    const res = await call(chatBody("gpt-x", unique("json")), key);
    expect(res.status).toBe(500);
    const [row] = await spendRows(token);
    expect(row).toMatchObject({ status: "undelivered", prompt_tokens: 11, completion_tokens: 5, spend: 11 * INPUT_PRICE + 5 * OUTPUT_PRICE });
    expect(JSON.parse(row.metadata)).toMatchObject({ status_code: 500 });
    // The key was charged what the provider charged.
    expect((await keyGuard(token).snapshot()).spend).toBe(row.spend);
  });

  it("a stream the gateway failed to deliver is 'undelivered' and charged (not 'failure', 0 tokens); the upstream was stopped", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt-x", "stream-words-20-50", priced)] });
    const { key, token } = await newKey(gw);
    const call = await faultyGateway("stream-words-20-50");
    const marker = unique("stream");
    const res = await call(chatBody("gpt-x", marker, { stream: true }), key);
    expect(res.status).toBe(500);
    const [row] = await rowsSoon(token);
    expect(row.status).toBe("undelivered");
    expect(row.prompt_tokens).toBeGreaterThan(0);
    expect(row.spend).toBeGreaterThan(0);
    expect(JSON.parse(row.metadata)).toMatchObject({ usage_estimated: true });
    await new Promise((r) => setTimeout(r, 300));
    expect((await upstreamRequests(marker))[0].closedEarly).toBe(true);
  });

  it("an answer the gateway cannot translate after the upstream's 200 is not retried (one paid call) and is charged", async () => {
    let calls = 0;
    // A binding as upstream (a Workers VPC binding would be one): a 200 whose shape the anthropic translation cannot read.
    const upstream = { fetch: async () => (calls++, Response.json({ id: "msg_1", type: "message", content: 5, usage: { input_tokens: 7, output_tokens: 3 } })) } as unknown as Fetcher;
    const gw = await testGateway({ model_list: [{ ...claude("odd"), litellm_params: { ...claude("odd").litellm_params, vpc_binding: "ODD_UPSTREAM" } }] }, { ODD_UPSTREAM: upstream });
    const { key, token } = await newKey(gw);
    const res = await gw.post("/v1/chat/completions", chatBody("odd", "hi", { num_retries: 3 }), key);
    expect(res.status).toBe(500);
    expect((await json(res)).error.message).toMatch(/while reading anthropic's answer/);
    expect(calls).toBe(1);
    const [row] = await spendRows(token);
    expect(row.status).toBe("undelivered");
    expect(row.spend).toBeGreaterThan(0);
  });

  it("a complete stream is 'success' with the upstream's own count", async () => {
    const gw = await testGateway({ model_list: [openaiModel("words", "stream-words-41-0", priced)] });
    const { key, token } = await newKey(gw);
    const res = await gw.post("/v1/chat/completions", chatBody("words", unique("full"), { stream: true }), key);
    await res.text();
    const [row] = await spendRows(token);
    expect(row).toMatchObject({ status: "success", prompt_tokens: 11, completion_tokens: 41, spend: 11 * INPUT_PRICE + 41 * OUTPUT_PRICE });
  });
});

describe("3. model names echoed into headers and logs are bounded", () => {
  it("a 10,000-character (or 1,000,000-character) name is a 400 before any upstream call", async () => {
    const gw = await testGateway({ model_list: [wild] });
    const { key } = await newKey(gw);
    const marker = unique("long");
    for (const length of [10_000, 1_000_000]) {
      const res = await gw.post("/v1/chat/completions", chatBody("wild/" + "a".repeat(length), marker), key);
      expect(res.status).toBe(400);
      const body = await json(res);
      expect(body.error.param).toBe("model");
      expect(body.error.message.length).toBeLessThan(300);
    }
    expect(await upstreamRequests(marker)).toHaveLength(0);
  });

  it("names that are allowed give bounded, valid headers, non-ASCII ones included; log lines stay short", async () => {
    const gw = await testGateway({ model_list: [{ ...wild, litellm_params: { ...wild.litellm_params, input_cost_per_token: undefined, output_cost_per_token: undefined } }] });
    const warn = vi.spyOn(console, "warn");
    try {
      const name = "wild/" + "b".repeat(251);
      const res = await gw.post("/v1/chat/completions", chatBody(name, "hi"));
      expect(res.status).toBe(200);
      expect(res.headers.get("x-litellm-model-group")).toBe(name);
      const unicode = await gw.post("/v1/chat/completions", chatBody("wild/modèle-ü-模型", "hi"));
      expect(unicode.status).toBe(200);
      expect(decodeURIComponent(unicode.headers.get("x-litellm-model-group")!)).toBe("wild/modèle-ü-模型");
      let headerBytes = 0;
      unicode.headers.forEach((v, k) => (headerBytes += k.length + v.length));
      expect(headerBytes).toBeLessThan(4096);
      for (const [line] of warn.mock.calls) expect(String(line).length).toBeLessThan(1000);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("the shared limits and safe-text helpers", () => {
  it("check model names, depth and stored size, and make header values and log text safe", () => {
    expect(modelNameProblem("bedrock/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0")).toBeUndefined();
    expect(modelNameProblem("workers_ai/@cf/meta/llama-3.1-8b-instruct")).toBeUndefined();
    for (const bad of ["a\rb", "a\u0085b", "a\u200bb", "\ud800", "a?b", "a#b", "a%2e", "a\\b", "../x", "x/./y", "x/..", "a".repeat(257)]) expect(modelNameProblem(bad), bad).toBeDefined();
    let deep: unknown = 1;
    for (let i = 0; i < 10; i++) deep = [deep];
    expect(tooDeep(deep, 10)).toBe(false);
    expect(tooDeep(deep, 9)).toBe(true);
    expect(storedJsonProblem({ a: "x".repeat(70_000) })).toMatch(/larger than 64 KB/);
    expect(headerValue("wild/ok")).toBe("wild/ok");
    // Cut to its bound before encoding: every value decodes.
    for (const text of ["模".repeat(2000), "😀".repeat(2000), "a\r\nb", "\ud83d" + "x", "x".repeat(5000)]) {
      const value = headerValue(text);
      expect(value.length).toBeLessThanOrEqual(1024);
      expect(value).toMatch(/^[\x20-\x7e]*$/);
      expect(() => decodeURIComponent(value)).not.toThrow();
    }
    expect(logText("a\nforged line")).toBe("a\\u000aforged line");
    expect(logText("y".repeat(2000)).length).toBeLessThan(600);
  });
});

/** Reads `chunks` SSE events with text, then leaves: what the client saw. */
async function readThenLeave(res: Response, chunks: number, textOf: (data: any) => string | undefined): Promise<string> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let text = "";
  let seen = 0;
  while (seen < chunks) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const blocks = buffer.split("\n\n");
    buffer = blocks.pop()!;
    for (const block of blocks) {
      const data = block.split("\n").find((l) => l.startsWith("data: "))?.slice(6);
      if (!data || data === "[DONE]") continue;
      const t = textOf(JSON.parse(data));
      if (t) {
        text += t;
        seen++;
      }
    }
  }
  await reader.cancel();
  return text;
}

describe("4. a client that leaves mid-stream pays for what was generated", () => {
  const openaiText = (d: any) => d.choices?.[0]?.delta?.content;
  const anthropicText = (d: any) => (d.type === "content_block_delta" ? d.delta?.text : undefined);

  async function leaveAfter32(gw: TestGateway, send: (key: string) => Promise<Response>, textOf: (d: any) => string | undefined) {
    const { key, token } = await newKey(gw);
    const res = await send(key);
    expect(res.status).toBe(200);
    const streamed = await readThenLeave(res, 32, textOf);
    expect(streamed.length).toBe(32 * 4);
    const [row] = await rowsSoon(token);
    expect(row.status).toBe("aborted");
    // 32 tokens reached the client; the gateway may have read one more from the upstream.
    expect(row.completion_tokens).toBeGreaterThanOrEqual(32);
    expect(row.completion_tokens).toBeLessThanOrEqual(34);
    expect(row.spend).toBe(row.prompt_tokens * INPUT_PRICE + row.completion_tokens * OUTPUT_PRICE);
    expect(JSON.parse(row.metadata)).toMatchObject({ usage_estimated: true });
    return row;
  }

  it("on /chat/completions: a 41-token answer left after 32 is charged ~32 completion tokens", async () => {
    const gw = await testGateway({ model_list: [openaiModel("words", "stream-words-41-40", priced)] });
    await leaveAfter32(gw, (key) => gw.post("/v1/chat/completions", chatBody("words", unique("abort"), { stream: true }), key), openaiText);
  });

  it("on /v1/messages, translated from an OpenAI-format deployment", async () => {
    const gw = await testGateway({ model_list: [openaiModel("words", "stream-words-41-40", priced)] });
    await leaveAfter32(gw, (key) => messagesPost(gw, { model: "words", max_tokens: 100, stream: true, messages: [{ role: "user", content: "count" }] }, key), anthropicText);
  });

  it("on /v1/messages passed through to an anthropic/ deployment (its input count is kept)", async () => {
    const gw = await testGateway({ model_list: [claude("words", "stream-words-41-40")] });
    const row = await leaveAfter32(gw, (key) => messagesPost(gw, { model: "words", max_tokens: 100, stream: true, messages: [{ role: "user", content: "count" }] }, key), anthropicText);
    // Anthropic's message_start said 12 input tokens (plus cache reads): the upstream's count, not the estimate.
    expect(row.prompt_tokens).toBe(17);
  });
});

describe("5. recursion over client JSON is bounded", () => {
  const deepSchema = (depth: number) => {
    let schema: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < depth; i++) schema = { type: "object", properties: { a: schema } };
    return schema;
  };

  it("a response_format schema nested 3,000 deep on an anthropic/ deployment is a 400, never a 500, and nothing is sent", async () => {
    const gw = await testGateway({ model_list: [claude("claude"), openaiModel("gpt")] });
    const marker = unique("deep");
    // Written as text: JSON.stringify itself overflows the stack on values this deep.
    const schema = '{"type":"object","properties":{"a":'.repeat(3000) + '{"type":"string"}' + "}}".repeat(3000);
    const post = (path: string, body: string) => gw.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body });
    for (const model of ["claude", "gpt"]) {
      const res = await post("/v1/chat/completions", `{"model":"${model}","messages":[{"role":"user","content":"${marker}"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${schema}}}}`);
      expect(res.status, model).toBe(400);
      expect((await json(res)).error).toMatchObject({ param: "response_format", message: expect.stringMatching(/nested too deeply/) });
    }
    const tools = `[{"name":"t","input_schema":${schema}}]`;
    expect((await post("/v1/messages", `{"model":"claude","max_tokens":10,"tools":${tools},"messages":[{"role":"user","content":"${marker}"}]}`)).status).toBe(400);
    expect(await upstreamRequests(marker)).toHaveLength(0);
  });

  it("an array nested 100,000 deep is a 400 on every JSON route", async () => {
    const gw = await testGateway({ model_list: [openaiModel("gpt")] });
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    for (const path of ["/v1/chat/completions", "/v1/messages", "/key/generate", "/team/new", "/user/new", "/spend/calculate"]) {
      const res = await gw.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: `{"model":"gpt","messages":${deep}}` });
      expect(res.status, path).toBe(400);
    }
  });

  it("a schema as deep as real ones (20 levels) still works", async () => {
    const gw = await testGateway({ model_list: [claude("claude")] });
    const res = await gw.post("/v1/chat/completions", chatBody("claude", "x", { response_format: { type: "json_schema", json_schema: { name: "x", schema: deepSchema(20) } } }));
    expect(res.status).toBe(200);
  });
});

describe("6. stored JSON of keys, teams and users is bounded, and a stored value never breaks a key", () => {
  const nested = (depth: number) => {
    let m: Record<string, unknown> = {};
    for (let i = 0; i < depth; i++) m = { a: m };
    return m;
  };

  it("refuses deep or large metadata on /key/generate, /key/update, /team/new, /user/new with a 400 naming it", async () => {
    const gw = await testGateway({ model_list: [wild] });
    const { key } = await newKey(gw);
    for (const metadata of [nested(5000), nested(100_000), nested(40), { blob: "x".repeat(70_000) }]) {
      for (const [path, body] of [
        ["/key/generate", { metadata }],
        ["/key/update", { key, metadata }],
        ["/team/new", { metadata }],
        ["/user/new", { metadata }],
      ] as const) {
        const res = await gw.post(path, body);
        expect(res.status, path).toBe(400);
        expect((await json(res)).error.param).toBe("metadata");
      }
    }
    expect((await gw.post("/key/generate", { tags: Array(2000).fill("t".repeat(200)) })).status).toBe(400);
    // The key is unharmed and usable.
    expect((await gw.post("/v1/chat/completions", chatBody("wild/x", "hi"), key)).status).toBe(200);
  });

  it("a key already stored with metadata nested 5,000 deep still works, /key/info included", async () => {
    const gw = await testGateway({ model_list: [wild] });
    const { key, token } = await newKey(gw);
    await testEnv.DB.prepare("UPDATE keys SET metadata = ?, version = version + 1 WHERE token = ?").bind(JSON.stringify(nested(5000)), token).run();
    const res = await gw.post("/v1/chat/completions", chatBody("wild/x", "hi"), key);
    expect(res.status, await res.clone().text()).toBe(200);
    const info = await gw.fetch(`/key/info?key=${token}`);
    expect(info.status).toBe(200);
    expect((await json(info)).info.metadata).toEqual({});
    // Replacing it puts things right.
    expect((await gw.post("/key/update", { key, metadata: { team: "a" } })).status).toBe(200);
    expect((await json(gw.fetch(`/key/info?key=${token}`))).info.metadata).toEqual({ team: "a" });
  });
});

describe("found by the fuzz test", () => {
  it("a duration too long for a date (or not a duration at all, inside model_max_budget) is a 400, not a 500", async () => {
    const gw = await testGateway({ model_list: [wild] });
    for (const [path, body] of [
      ["/key/generate", { duration: "999999999999d" }],
      ["/key/generate", { budget_duration: "999999999999d" }],
      ["/team/new", { budget_duration: "999999999999d" }],
      ["/key/generate", { model_max_budget: { "wild/x": { budget_limit: 1, time_period: "" } } }],
      ["/key/generate", { model_max_budget: { "wild/x": { budget_limit: 1, time_period: "36501d" } } }],
    ] as const) {
      const res = await gw.post(path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await gw.post("/key/generate", { duration: "36500d", budget_duration: "36500d" })).status).toBe(200);
  });

  it("count_tokens and a Realtime session reach a deployment through its vpc_binding, never over the public internet", async () => {
    const seen: string[] = [];
    const upstream = {
      async fetch(url: string, init?: RequestInit) {
        seen.push(new URL(url).pathname);
        if (new Headers(init?.headers).get("upgrade") !== "websocket") return Response.json({ input_tokens: 42 });
        const { 0: client, 1: server } = new WebSocketPair();
        server.accept();
        return new Response(null, { status: 101, webSocket: client });
      },
    } as unknown as Fetcher;
    // The origin has no public hostname: only the binding reaches it.
    const bound = { api_base: "http://private-origin.internal", api_key: "sk-private", vpc_binding: "PRIVATE" };
    const model_list = [
      { model_name: "claude", litellm_params: { model: "anthropic/claude-sonnet-4-5", ...bound } },
      { model_name: "live", litellm_params: { model: "openai/gpt-4o-realtime-preview", ...bound } },
    ];
    const gw = await testGateway({ model_list }, { PRIVATE: upstream });
    expect(await json(gw.post("/v1/messages/count_tokens", { model: "claude", messages: [{ role: "user", content: "hi" }] }))).toEqual({ input_tokens: 42 });
    const session = await gw.fetch("/v1/realtime?model=live", { headers: { upgrade: "websocket" } });
    expect(session.status).toBe(101);
    session.webSocket!.accept();
    session.webSocket!.close(1000);
    expect(seen).toEqual(["/v1/messages/count_tokens", "/realtime"]);
  });
});

describe("8. custom keys and wildcard model lists", () => {
  const LONG_MASTER = "sk-master-0123456789abcdefghijklmnop";

  it("refuses a virtual key equal to the master key", async () => {
    const gw = await testGateway({ general_settings: { master_key: LONG_MASTER }, model_list: [wild] });
    const res = await gw.post("/key/generate", { key: LONG_MASTER }, LONG_MASTER);
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({ param: "key", message: expect.stringMatching(/master key/) });
    const { key } = await json(gw.post("/key/generate", {}, LONG_MASTER));
    expect((await gw.post("/key/regenerate", { key, new_key: LONG_MASTER }, LONG_MASTER)).status).toBe(400);
  });

  it("says a colliding custom key exists (not 'key_alias already exists')", async () => {
    const gw = await testGateway({ model_list: [wild] });
    const custom = `sk-${crypto.randomUUID().replaceAll("-", "")}`;
    expect((await gw.post("/key/generate", { key: custom })).status).toBe(200);
    const res = await gw.post("/key/generate", { key: custom });
    expect(res.status).toBe(400);
    const { error } = await json(res);
    expect(error.param).toBe("key");
    expect(error.message).toMatch(/key with this value already exists/);
    expect(error.message).not.toMatch(/alias/);
    const alias = unique("alias");
    await newKey(gw, { key_alias: alias });
    expect((await json(gw.post("/key/generate", { key_alias: alias }))).error.param).toBe("key_alias");
  });

  it("honours wildcard patterns in a key's and a team's models", async () => {
    const gw = await testGateway({ model_list: [wild, openaiModel("gpt-x", "gpt-x"), claude("claude")] });
    const { key } = await newKey(gw, { models: ["wild/*"] });
    expect((await gw.post("/v1/chat/completions", chatBody("wild/anything", "hi"), key)).status).toBe(200);
    expect((await gw.post("/v1/chat/completions", chatBody("gpt-x", "hi"), key)).status).toBe(403);
    // "openai/*" covers a group served by openai/ deployments only (LiteLLM's provider match).
    const { key: openaiOnly } = await newKey(gw, { models: ["openai/*"] });
    expect((await gw.post("/v1/chat/completions", chatBody("gpt-x", "hi"), openaiOnly)).status).toBe(200);
    expect((await gw.post("/v1/chat/completions", chatBody("claude", "hi"), openaiOnly)).status).toBe(403);
    const models = await json(gw.fetch("/v1/models", { key: openaiOnly }));
    expect(models.data.map((m: any) => m.id)).toContain("gpt-x");
    expect(models.data.map((m: any) => m.id)).not.toContain("claude");
    // A team's pattern covers its keys' narrower lists.
    const team = unique("team");
    expect((await gw.post("/team/new", { team_id: team, models: ["wild/*"] })).status).toBe(200);
    const { key: teamKey } = await newKey(gw, { team_id: team, models: ["wild/a"] });
    expect((await gw.post("/v1/chat/completions", chatBody("wild/a", "hi"), teamKey)).status).toBe(200);
    const { key: teamWide } = await newKey(gw, { team_id: team });
    expect((await gw.post("/v1/chat/completions", chatBody("wild/b", "hi"), teamWide)).status).toBe(200);
    expect((await gw.post("/v1/chat/completions", chatBody("gpt-x", "hi"), teamWide)).status).toBe(403);
  });
});
