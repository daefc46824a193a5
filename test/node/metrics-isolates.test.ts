// Metrics are the whole gateway's: three Workers from the same bundle - three isolates - in one workerd,
// sharing their Durable Objects, D1 and KV as a deployment's isolates do. A scrape on any of them sees the
// calls made on all of them, and the counters never go down from one scrape to the next.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGatewayBundle, startGatewayIsolates } from "../../bench/workerd";
import { startMockUpstream, type MockUpstream } from "../mocks/upstream";

const MASTER = "sk-isolates-master-0001";
const FLUSH_MS = 1_000;
let mock: MockUpstream;
let gateways: Awaited<ReturnType<typeof startGatewayIsolates>>;

beforeAll(async () => {
  mock = await startMockUpstream();
  const dir = mkdtempSync(join(tmpdir(), "isolates-config-"));
  const configPath = join(dir, "config.yaml");
  writeFileSync(
    configPath,
    `model_list:
  - model_name: iso
    litellm_params: { model: openai/gpt-4o-mini, api_base: os.environ/ISO_UPSTREAM, api_key: sk-upstream }
litellm_settings:
  callbacks: ["prometheus"]
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
`,
  );
  const bundle = buildGatewayBundle(configPath, join(dir, "bundle"));
  gateways = await startGatewayIsolates(3, bundle, { ISO_UPSTREAM: `${mock.url}/openai/v1`, LITELLM_MASTER_KEY: MASTER, OBSERVABILITY_FLUSH_MS: String(FLUSH_MS) });
});

afterAll(async () => {
  await gateways?.dispose();
  await mock?.close();
});

const auth = { authorization: `Bearer ${MASTER}` };

async function call(url: string): Promise<number> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ model: "iso", messages: [{ role: "user", content: "hi" }] }) });
  await res.text();
  return res.status;
}

/** litellm_proxy_total_requests_metric_total for the test's model group, as one isolate's /metrics shows it. */
async function total(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: auth })).text();
  return [...text.matchAll(/^litellm_proxy_total_requests_metric_total\{[^}]*requested_model="iso"[^}]*\} (\S+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

describe("metrics across isolates", () => {
  it("are the sum over every isolate, on whichever isolate the scrape lands, and never decrease", async () => {
    const [a, b, c] = gateways.urls;
    // Separate isolates: b's calls are in b's memory until its delivery (FLUSH_MS later); a scrape on b
    // takes them along at once, one on a sees them once b has delivered.
    for (let i = 0; i < 3; i++) expect(await call(b)).toBe(200);
    expect(await total(a)).toBe(0);
    expect(await total(b)).toBe(3);
    for (let i = 0; i < 4; i++) expect(await call(a)).toBe(200);
    for (let i = 0; i < 2; i++) expect(await call(c)).toBe(200);
    await new Promise((r) => setTimeout(r, FLUSH_MS * 2));
    for (const url of [a, b, c]) expect(await total(url)).toBe(9);

    // Under traffic, successive scrapes on alternating isolates only go up, and end at the full count.
    const seen: number[] = [];
    for (let round = 0; round < 6; round++) {
      await Promise.all([call(a), call(b), call(c)]);
      seen.push(await total(gateways.urls[round % 3]));
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    await new Promise((r) => setTimeout(r, FLUSH_MS * 3));
    for (const url of [a, b, c]) expect(await total(url)).toBe(9 + 18);
  });
});
