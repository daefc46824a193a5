// A real Prometheus server (Debian's `prometheus` package; .ci/run installs it) scrapes the gateway under
// `npm start`, and PromQL over its HTTP API returns the requests, tokens and spend of the calls made here;
// `promtool check metrics` accepts the exposition.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockUpstream, type MockUpstream } from "../mocks/upstream";
import { freePort, startGateway, type RunningGateway } from "./start";

const PROMETHEUS = "/usr/bin/prometheus";
const PROMTOOL = "/usr/bin/promtool";
const available = existsSync(PROMETHEUS) && existsSync(PROMTOOL);
if (!available) {
  console.warn(
    "\n**********************************************************************\n" +
      "SKIPPED: the Prometheus end-to-end test needs Debian's `prometheus` package\n" +
      "(apt-get install -y prometheus; .ci/run installs it when missing).\n" +
      "**********************************************************************\n",
  );
}

const MASTER = "sk-prometheus-e2e-master-0001";
const INPUT_PRICE = 2 ** -20;
const OUTPUT_PRICE = 2 ** -18;
/** The mock upstream's usage: 11 prompt + 5 completion tokens a call. */
const CALL_COST = 11 * INPUT_PRICE + 5 * OUTPUT_PRICE;
const GROUP = "prom-e2e";

let mock: MockUpstream;
let gw: RunningGateway;
let prometheus: ChildProcess | undefined;
let promUrl: string;
let promLog = "";

async function query(promql: string): Promise<number | undefined> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { result: { value: [number, string] }[] } };
  if (body.status !== "success") throw new Error(`PromQL ${promql}: ${JSON.stringify(body)}`);
  const first = body.data.result[0];
  return first ? Number(first.value[1]) : undefined;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await check().catch(() => undefined);
    if (last !== undefined) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nprometheus output:\n${promLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.skipIf(!available)("Prometheus scraping the gateway", () => {
  beforeAll(async () => {
    mock = await startMockUpstream();
    gw = await startGateway(
      `
model_list:
  - model_name: ${GROUP}
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${mock.url}/openai/v1, api_key: sk-upstream, input_cost_per_token: ${INPUT_PRICE}, output_cost_per_token: ${OUTPUT_PRICE} }
litellm_settings:
  callbacks: ["prometheus"]
  require_auth_for_metrics_endpoint: true
general_settings:
  master_key: os.environ/PROM_MASTER_KEY
`,
      { PROM_MASTER_KEY: MASTER },
    );
    const dir = mkdtempSync(join(tmpdir(), "prometheus-e2e-"));
    const target = new URL(gw.url).host;
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: litellm\n    metrics_path: /metrics\n    authorization:\n      type: Bearer\n      credentials: ${MASTER}\n    static_configs:\n      - targets: ["${target}"]\n`,
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(PROMETHEUS, [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
    prometheus.stdout!.on("data", (d) => (promLog += d));
    prometheus.stderr!.on("data", (d) => (promLog += d));
    await until("Prometheus to be ready", async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined));
  });

  afterAll(async () => {
    prometheus?.kill("SIGTERM");
    await gw?.stop();
    await mock?.close();
  });

  it("returns the request count, tokens and spend of the calls made, through PromQL", async () => {
    const call = (stream: boolean) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
        body: JSON.stringify({ model: GROUP, stream, stream_options: stream ? { include_usage: true } : undefined, messages: [{ role: "user", content: "hi" }] }),
      }).then(async (r) => (await r.text(), r.status));
    const statuses = [await call(false), await call(false), await call(true), await call(false), await call(true)];
    expect(statuses).toEqual([200, 200, 200, 200, 200]);

    await until("the target to be up", async () => ((await query(`up{job="litellm"}`)) === 1 ? true : undefined));
    const requests = await until("the 5 requests", async () => {
      const n = await query(`sum(litellm_proxy_total_requests_metric_total{requested_model="${GROUP}",status_code="200"})`);
      return n === 5 ? n : undefined;
    });
    expect(requests).toBe(5);
    expect(await query(`sum(litellm_total_tokens_metric_total{requested_model="${GROUP}"})`)).toBe(5 * 16);
    expect(await query(`sum(litellm_input_tokens_metric_total{requested_model="${GROUP}"})`)).toBe(5 * 11);
    expect(await query(`sum(litellm_spend_metric_total{model="gpt-4o-mini"})`)).toBeCloseTo(5 * CALL_COST, 12);
    expect(await query(`sum(litellm_request_total_latency_metric_count{requested_model="${GROUP}"})`)).toBe(5);
    expect(await query(`sum(litellm_llm_api_time_to_first_token_metric_count{requested_model="${GROUP}"})`)).toBe(2);
    // A quantile over LiteLLM's buckets, as the Grafana dashboard draws them (over counts here: a rate needs two scrapes that differ).
    expect(await query(`histogram_quantile(0.5, sum(litellm_request_total_latency_metric_bucket{requested_model="${GROUP}"}) by (le))`)).toBeGreaterThan(0);
  });

  it("passes promtool check metrics", async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("litellm_proxy_total_requests_metric_total");
    const check = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(check.stdout + check.stderr, "promtool check metrics").toBe("");
    expect(check.status).toBe(0);
  });
});
