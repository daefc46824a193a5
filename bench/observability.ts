// What observability costs per call in CPU, measured on its own in Node's V8 (the engine Workers run):
// the call log line, a call's metric changes, its StandardLoggingPayload (what every callback is made
// from) serialised as a webhook batch sends it, with message logging on and off, on a realistic 27 KB
// coding-agent request; and what a scrape costs to render. Not part of `npm test`:
//   npx tsx bench/observability.ts
import { LlmCall, type LlmRequest } from "../src/core/call";
import type { Deployment } from "../src/core/provider";
import { standardLoggingPayload } from "../src/observability/callbacks/payload";
import { callLogLine } from "../src/observability/log-line";
import { renderExposition } from "../src/observability/metrics/exposition";
import { countCall } from "../src/observability/metrics/from-call";
import { SeriesDeltas } from "../src/observability/metrics/series";
import { callRecord, type CallRecord } from "../src/observability/record";
import { agentRequest } from "../test/worker/fixtures/agent-prompt";
import { cpuPerCall } from "./stats";

const deployment = {
  id: "5f0c3e6d9a1b4c2d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
  modelName: "claude-sonnet",
  provider: "anthropic",
  model: "claude-sonnet-4-5",
  params: { model: "anthropic/claude-sonnet-4-5", api_base: "https://api.anthropic.com" },
  info: {},
  adapter: {} as Deployment["adapter"],
} as Deployment;

function record(): CallRecord {
  const request = { endpoint: "chat", body: agentRequest() } as LlmRequest;
  const principal = { kind: "virtual_key" as const, token: "ab".repeat(32), key: { key_alias: "agent-7", team_id: "team-1", user_id: "user-1", tags: ["ci"], limits: { max_budget: 50 }, soft_budget: 40 } as never };
  const call = new LlmCall("0192f3a0-7c1e-7abc-8def-0123456789ab", request, { name: "claude-sonnet", deployments: [deployment] }, principal, new AbortController().signal);
  call.deployment = deployment;
  call.apiBase = "https://api.anthropic.com/v1/messages";
  call.upstreamMs = 900;
  call.attempts.push({ deployment, group: "claude-sonnet", startedAt: call.startedAt + 2, ms: 900 });
  const usage = { prompt_tokens: 7200, completion_tokens: 640, total_tokens: 7840 };
  const outcome = { status: "ok" as const, httpStatus: 200, usage, deployment, endedAt: call.startedAt + 905 };
  const answer = { id: "chatcmpl-1", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "x".repeat(2500) }, finish_reason: "stop" }], usage };
  return callRecord({
    call,
    outcome,
    cost: { cost: 0.0312, usage, unpriced: false, estimated: false },
    route: "/v1/chat/completions",
    key: { hash: "ab".repeat(32), alias: "agent-7", userId: "user-1", teamId: "team-1", teamAlias: "platform", endUser: null, spendAfter: 12.5, maxBudget: 50, softBudget: 40 },
    answer: { keySpend: 12.5, overheadMs: 5 },
    response: Promise.resolve(answer),
  });
}


const r = record();
const deltas = new SeriesDeltas();
const rows: [string, number][] = [
  ["call log line (JSON.stringify)", await cpuPerCall(() => callLogLine(r, false))],
  ["metric changes (countCall into this isolate's deltas)", await cpuPerCall(() => countCall(deltas, r, false))],
  ["callback payload, messages logged, + its JSON (a webhook's share)", await cpuPerCall(async () => JSON.stringify(await standardLoggingPayload(r, { messages: true, redactKeyInfo: false })))],
  ["callback payload, turn_off_message_logging, + its JSON", await cpuPerCall(async () => JSON.stringify(await standardLoggingPayload(r, { messages: false, redactKeyInfo: false })))],
];
const size = JSON.stringify(await standardLoggingPayload(r, { messages: true, redactKeyInfo: false })).length;
console.log(`request ${(JSON.stringify(r.request!.body).length / 1024).toFixed(1)} KB JSON; payload with messages ${(size / 1024).toFixed(1)} KB\n`);
console.log(`${"work per call".padEnd(66)} CPU µs (best of 7 batches)`);
for (const [name, us] of rows) console.log(`${name.padEnd(66)} ${us.toFixed(1).padStart(8)}`);

// A scrape: rendering N calls' worth of distinct series (keys × models), as a busy gateway's hub holds them.
for (const keys of [10, 100]) {
  const hub = new SeriesDeltas();
  for (let k = 0; k < keys; k++) for (let m = 0; m < 5; m++) countCall(hub, { ...r, key: { ...r.key, hash: `${k}`.padStart(64, "0"), alias: `agent-${k}` }, requestedModel: `model-${m}`, answeredGroup: `model-${m}` }, false);
  const series = hub.take();
  const us = await cpuPerCall(() => renderExposition(series));
  const text = renderExposition(series);
  console.log(`scrape render, ${keys} keys × 5 models: ${series.length} series, ${text.split("\n").length} lines, ${(text.length / 1024).toFixed(0)} KB: ${(us / 1000).toFixed(1)} ms CPU`);
}
