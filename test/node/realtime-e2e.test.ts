// The Realtime API through the gateway under `npm start`: a `ws` client on /v1/realtime, a mock of
// OpenAI's realtime WebSocket upstream. Frames pass both ways, spend is charged from each
// response.done, a session whose budget runs out is closed with an error event, closing either side
// closes the other, and a bad key is refused before the upgrade.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startMockRealtime, type MockRealtime } from "../mocks/realtime";
import { startGateway, type RunningGateway } from "./start";

const MASTER = "sk-realtime-e2e-master-01";
const UPSTREAM_KEY = "sk-upstream-realtime";
/** 100 input tokens at 1e-6 and 50 output tokens at 2e-6 (the mock's usage, the config's prices). */
const RESPONSE_COST = 100 * 0.000001 + 50 * 0.000002;
let gw: RunningGateway;
let upstream: MockRealtime;

const admin = (path: string, body?: unknown) =>
  fetch(`${gw.url}${path}`, { method: body === undefined ? "GET" : "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

async function newKey(fields: Record<string, unknown>): Promise<{ key: string; token: string }> {
  return (await admin("/key/generate", fields)).json<any>();
}

/** A connected client and a queue of the events it receives. */
async function connect(key: string | undefined, protocols?: string[]) {
  const url = `${gw.url.replace("http", "ws")}/v1/realtime?model=voice`;
  const ws = new WebSocket(url, protocols ?? [], { headers: key ? { authorization: `Bearer ${key}`, "openai-beta": "realtime=v1" } : {} });
  const events: { type: string; [k: string]: unknown }[] = [];
  const binary: Buffer[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (data, isBinary) => {
    if (isBinary) binary.push(data as Buffer);
    else events.push(JSON.parse(String(data)));
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on("close", (code, reason) => r({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })));
    });
    ws.once("error", reject);
  });
  const next = async (type: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = events.findIndex((e) => e.type === type);
      if (i >= 0) return events.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`no ${type} event (got ${events.map((e) => e.type).join(", ")})`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return { ws, events, binary, next, closed, send: (e: object) => ws.send(JSON.stringify(e)) };
}

async function spendOf(token: string, atLeast: number): Promise<number> {
  let spend = 0;
  for (let i = 0; i < 50; i++) {
    spend = (await (await admin(`/key/info?key=${token}`)).json<any>()).info.spend;
    if (spend >= atLeast - 1e-12) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return spend;
}

beforeAll(async () => {
  upstream = await startMockRealtime(UPSTREAM_KEY);
  gw = await startGateway(
    `
model_list:
  - model_name: voice
    litellm_params:
      model: openai/gpt-realtime
      api_base: ${upstream.base}
      api_key: os.environ/RT_UPSTREAM_KEY
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000002
  - model_name: text-only
    litellm_params: { model: anthropic/claude, api_key: x }
general_settings:
  master_key: os.environ/RT_E2E_MASTER
`,
    { RT_E2E_MASTER: MASTER, RT_UPSTREAM_KEY: UPSTREAM_KEY },
  );
});

afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
});

describe("Realtime API under npm start", () => {
  it("passes frames both ways and charges each response.done to the key", async () => {
    const { key, token } = await newKey({ max_budget: 1 });
    const c = await connect(key);
    const created = await c.next("session.created");
    expect((created.session as { model: string }).model).toBe("gpt-realtime");
    expect(upstream.connections.at(-1)).toMatchObject({ model: "gpt-realtime", authorization: `Bearer ${UPSTREAM_KEY}`, beta: "realtime=v1" });

    c.send({ type: "conversation.item.create", item: { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] } });
    expect((await c.next("conversation.item.created")).item).toMatchObject({ role: "user" });
    c.ws.send(Buffer.from([1, 2, 3, 250]));
    for (let i = 0; i < 50 && !c.binary.length; i++) await new Promise((r) => setTimeout(r, 50));
    expect([...c.binary[0]]).toEqual([1, 2, 3, 250]);

    c.send({ type: "response.create" });
    expect((await c.next("response.text.delta")).delta).toBe("Hello");
    await c.next("response.done");
    c.send({ type: "response.create" });
    await c.next("response.done");
    expect(await spendOf(token, 2 * RESPONSE_COST)).toBeCloseTo(2 * RESPONSE_COST, 12);

    c.ws.close(1000, "bye");
    await c.closed;
    // The upstream socket is closed too.
    for (let i = 0; i < 50 && !upstream.closedByClient.length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(upstream.closedByClient).toContain(1000);

    let logs: { call_type: string; spend: number; model_group: string }[] = [];
    for (let i = 0; i < 50 && logs.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 200));
      logs = await (await admin(`/spend/logs?api_key=${token}`)).json<any>();
    }
    // One row per response, and one for the session.
    expect(logs).toHaveLength(3);
    expect(logs.every((l) => l.call_type === "_arealtime" && l.model_group === "voice")).toBe(true);
    expect(logs.reduce((s, l) => s + l.spend, 0)).toBeCloseTo(2 * RESPONSE_COST, 12);
  });

  it("closes the client when the upstream closes", async () => {
    const c = await connect(MASTER);
    await c.next("session.created");
    c.send({ type: "test.close" });
    const { code } = await c.closed;
    expect(code).toBe(1000);
  });

  it("closes a session whose budget runs out, with a clear error event", async () => {
    const { key, token } = await newKey({ max_budget: RESPONSE_COST * 1.5 });
    const c = await connect(key);
    await c.next("session.created");
    c.send({ type: "response.create" });
    await c.next("response.done");
    c.send({ type: "response.create" });
    await c.next("response.done");
    const error = await c.next("error");
    expect(error.error).toMatchObject({ type: "budget_exceeded", code: "budget_exceeded" });
    expect((error.error as { message: string }).message).toMatch(/Budget has been exceeded/);
    expect((await c.closed).code).toBe(1008);
    expect(await spendOf(token, 2 * RESPONSE_COST)).toBeCloseTo(2 * RESPONSE_COST, 12);
    // Now over budget: refused before the upgrade.
    await expect(connect(key)).rejects.toMatchObject({ status: 429 });
  });

  it("authenticates browsers by the openai-insecure-api-key subprotocol and answers 'realtime'", async () => {
    const { key } = await newKey({});
    const c = await connect(undefined, ["realtime", `openai-insecure-api-key.${key}`, "openai-beta.realtime-v1"]);
    expect(c.ws.protocol).toBe("realtime");
    await c.next("session.created");
    expect(upstream.connections.at(-1)?.beta).toBe("realtime=v1");
    c.ws.close();
    await c.closed;
  });

  it("refuses a bad key, a key over its rpm, and a model without a realtime deployment before the upgrade", async () => {
    await expect(connect("sk-not-a-key-0000000000000000000")).rejects.toMatchObject({ status: 401 });
    const connections = upstream.connections.length;

    const { key } = await newKey({ rpm_limit: 1 });
    const first = await connect(key);
    first.ws.close();
    await first.closed;
    await expect(connect(key)).rejects.toMatchObject({ status: 429 });
    expect(upstream.connections.length).toBe(connections + 1);

    const res = await fetch(`${gw.url}/v1/realtime?model=text-only`, { headers: { authorization: `Bearer ${MASTER}`, upgrade: "websocket", connection: "upgrade", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" } }).catch((e) => e);
    // Node's fetch cannot upgrade; the gateway answers 400 before any upgrade.
    if (res instanceof Response) expect(res.status).toBe(400);
    const plain = await fetch(`${gw.url}/v1/realtime?model=voice`, { headers: { authorization: `Bearer ${MASTER}` } });
    expect(plain.status).toBe(426);
  });
});
