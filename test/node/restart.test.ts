// A restart loses no spend (issue #24, item 7): `npm start` gets SIGTERM while calls are being answered,
// starts again on the same --persist-to state, and every call that was answered is billed exactly once
// (one spend log row each, the key's spend their sum), none that was not.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startGateway, type RunningGateway } from "./start";

const MASTER = "sk-restart-master-0001";
const INPUT = 2 ** -20;
const OUTPUT = 2 ** -18;
let gw: RunningGateway | undefined;

const config = () => `
model_list:
  - model_name: slowish
    litellm_params: { model: openai/slow-40, api_base: ${inject("mockUrl")}/openai/v1, api_key: sk-upstream, input_cost_per_token: ${INPUT}, output_cost_per_token: ${OUTPUT} }
general_settings:
  master_key: ${MASTER}
`;

const admin = (path: string, body?: unknown) =>
  fetch(`${gw!.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

beforeAll(async () => {
  gw = await startGateway(config());
});

afterAll(async () => {
  await gw?.stop();
});

describe("npm start, stopped by SIGTERM while calls are answered", () => {
  it("bills every answered call exactly once after starting again on the same state", async () => {
    // Two keys: one busy enough for leases (rpm_limit + max_budget only), one admitted call by call.
    const keys = [await (await admin("/key/generate", { max_budget: 100, rpm_limit: 100_000 })).json<any>(), await (await admin("/key/generate", { max_budget: 100, tpm_limit: 10_000_000 })).json<any>()];
    const answered = new Map<string, { key: string; cost: number }>();
    let refused = 0;
    const cut: string[] = [];
    let stopping = false;
    let stopped: Promise<void> | undefined;
    // Each worker calls until the gateway is gone: during the drain new calls get 503, then connections fail.
    const worker = async (key: { key: string; token: string }) => {
      for (;;) {
        let res: Response;
        try {
          res = await fetch(`${gw!.url}/v1/chat/completions`, {
            method: "POST",
            headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
            body: JSON.stringify({ model: "slowish", max_tokens: 20, messages: [{ role: "user", content: "hi" }] }),
          });
        } catch (err) {
          if (stopping) return;
          throw err;
        }
        let body: string;
        try {
          body = await res.text();
        } catch (err) {
          if (!stopping) throw err;
          if (res.status === 200) cut.push(res.headers.get("x-litellm-call-id")!);
          return; // the connection closed under the answer: the gateway is gone
        }
        if (res.status === 200) {
          answered.set(res.headers.get("x-litellm-call-id")!, { key: key.token, cost: Number(res.headers.get("x-litellm-response-cost")) });
          // SIGTERM right as a call is answered, its settlement still on its way (a lease's batch leaves 20 ms later).
          if (answered.size === 40) {
            stopping = true;
            stopped = gw!.stop();
          }
        }
        else if (!stopping || res.status !== 503) throw new Error(`${res.status}: ${body}`);
        else {
          refused++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    // 8 at a time: when the SIGTERM comes, 7 more calls are in flight.
    await Promise.all(Array.from({ length: 8 }, (_, i) => worker(keys[i % 2])));
    await stopped;
    const before = gw!.output();
    expect(before).toContain("finishing the calls under way");
    expect(before).not.toContain("could not drain");
    console.log(`[measure] ${answered.size} calls answered before and during the SIGTERM, ${refused} refused with 503 while draining, ${cut.length} 200s cut`);
    expect(cut).toEqual([]);

    gw = await startGateway(config(), {}, { dir: gw!.dir });
    // Every answered call has one row, and each key's spend is the sum of its answered calls (rows reach D1 within a flush).
    let rows: { request_id: string; spend: number; api_key: string; status: string }[] = [];
    for (let i = 0; i < 100; i++) {
      rows = (await Promise.all(keys.map(async (k) => (await admin(`/spend/logs?api_key=${k.token}&limit=1000`)).json<any>()))).flat();
      if (rows.length >= answered.size) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const ids = rows.map((r) => r.request_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...answered.keys()].sort());
    expect(rows.every((r) => r.status === "success")).toBe(true);
    for (const k of keys) {
      const expected = [...answered.values()].filter((a) => a.key === k.token).reduce((s, a) => s + a.cost, 0);
      const info = await (await admin(`/key/info?key=${k.token}`)).json<any>();
      expect(info.info.spend).toBeCloseTo(expected, 12);
      expect(rows.filter((r) => r.api_key === k.token).reduce((s, r) => s + r.spend, 0)).toBeCloseTo(expected, 12);
    }
  }, 240_000);
});
