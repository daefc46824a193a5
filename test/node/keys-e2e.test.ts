// Virtual keys as a user runs them: `npm start` (wrangler applies migrations/ to local D1, KeyGuard runs
// in wrangler dev), a key from /key/generate used with the official openai SDK, spend reported back.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "./start";

const MASTER = "sk-keys-e2e-master-0001";
let gw: RunningGateway;

const admin = (path: string, body?: unknown) =>
  fetch(`${gw.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

beforeAll(async () => {
  gw = await startGateway(
    `
model_list:
  - model_name: priced
    litellm_params: { model: openai/priced, mock_response: "Hello there, friend!", input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
general_settings:
  master_key: os.environ/KEYS_E2E_MASTER
`,
    { KEYS_E2E_MASTER: MASTER },
  );
});

afterAll(async () => {
  await gw?.stop();
});

describe("virtual keys under npm start", () => {
  it("generates a key, serves it through the openai SDK, enforces its rpm limit and reports its spend", async () => {
    const created = await (await admin("/key/generate", { key_alias: "e2e-agent", rpm_limit: 2, max_budget: 1 })).json<any>();
    expect(created.key).toMatch(/^sk-/);
    const client = new OpenAI({ apiKey: created.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });

    const { data, response } = await client.chat.completions.create({ model: "priced", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(data.choices[0].message.content).toBe("Hello there, friend!");
    const cost = 5 * 0.000001 + 5 * 0.000002;
    expect(Number(response.headers.get("x-litellm-response-cost"))).toBeCloseTo(cost, 12);
    expect(response.headers.get("x-ratelimit-limit-requests")).toBe("2");

    await client.chat.completions.create({ model: "priced", messages: [{ role: "user", content: "hi" }] });
    const limited = await client.chat.completions.create({ model: "priced", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);

    const info = await (await admin(`/key/info?key=${created.token}`)).json<any>();
    expect(info.info.spend).toBeCloseTo(2 * cost, 12);
    // Spend logs reach D1 within a flush (about a second).
    let logs: unknown[] = [];
    for (let i = 0; i < 50 && logs.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 200));
      logs = await (await admin(`/spend/logs?api_key=${created.token}`)).json<any>();
    }
    expect(logs).toHaveLength(2);

    await admin("/key/block", { key: created.key });
    const blocked = await client.chat.completions.create({ model: "priced", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(gw.output()).not.toContain(created.key);
  });
});
