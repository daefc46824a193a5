// What each built-in guardrail costs per call, on a realistic 27 KB coding-agent request (system
// prompt, source files, test logs, a diff, several turns; test/worker/fixtures/agent-prompt.ts).
// Runs the engine's real entry points (forCall + preCall, postCall, the stream guard) in Node's V8,
// the engine Workers run, and the request path's SSE step (src/guardrails/sse.ts: parse, guard,
// re-serialise) on the same answer as an OpenAI stream. `npm run bench` runs it as its "guardrails"
// phase; alone:   npx tsx bench/guardrails.ts
import { fileURLToPath } from "node:url";
import { compileGuardrails } from "../src/guardrails/compile";
import { GuardrailEngine } from "../src/guardrails/engine";
import { guardSseStream } from "../src/guardrails/sse";
import { agentRequest } from "../test/worker/fixtures/agent-prompt";
import { cpuPerCall } from "./stats";

const ALL_PREBUILT = ["us_ssn", "email", "phone", "visa", "mastercard", "amex", "aws_access_key", "aws_secret_key", "github_token", "iban", "ipv4", "ipv6", "openai_api_key", "anthropic_api_key", "private_key"];

const builtins: Record<string, Record<string, unknown>> = {
  "content_policy (block words)": {
    litellm_settings: { content_policy: { incoming: { block_words: ["ignore previous instructions", "jailbreak", "password", "api_key", "secret"] }, outgoing: { block_words: ["password", "api_key", "secret"] } } },
  },
  "content filter (15 prebuilt patterns + 3 words)": {
    guardrails: [{
      guardrail_name: "cf",
      litellm_params: {
        guardrail: "litellm_content_filter", mode: ["pre_call", "post_call"], default_on: true,
        patterns: ALL_PREBUILT.map((p) => ({ pattern_type: "prebuilt", pattern_name: p, action: "MASK" })),
        blocked_words: ["confidential", "project_apollo", "internal only"].map((keyword) => ({ keyword, action: "BLOCK" })),
      },
    }],
  },
  "hide-secrets (8 secret shapes)": { guardrails: [{ guardrail_name: "secrets", litellm_params: { guardrail: "hide-secrets", mode: ["pre_call", "post_call"], default_on: true } }] },
  "PII masker (presidio, local)": { guardrails: [{ guardrail_name: "pii", litellm_params: { guardrail: "presidio", mode: ["pre_call", "post_call"], default_on: true } }] },
  "prompt injection (lakera, local)": { guardrails: [{ guardrail_name: "pi", litellm_params: { guardrail: "lakera_v2", mode: ["pre_call", "post_call"], default_on: true } }] },
};
builtins["all of the above"] = {
  litellm_settings: builtins["content_policy (block words)"].litellm_settings,
  guardrails: Object.values(builtins).flatMap((c) => (c.guardrails as unknown[]) ?? []),
};

const body = agentRequest();
const textOf = (b: Record<string, unknown>) => JSON.stringify(b).length;
// The same text as an answer, to measure post_call on a JSON answer and on a stream.
const answerText = (body.messages as { content: unknown }[]).map((m) => (typeof m.content === "string" ? m.content : "")).join("\n");
const answer = { id: "chatcmpl-1", object: "chat.completion", created: 1, model: "gpt-4o", choices: [{ index: 0, message: { role: "assistant", content: answerText }, finish_reason: "stop" }] };
const DELTA = 16;
const chunks = Array.from({ length: Math.ceil(answerText.length / DELTA) }, (_, i) => ({
  id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "gpt-4o",
  choices: [{ index: 0, delta: { content: answerText.slice(i * DELTA, (i + 1) * DELTA) }, finish_reason: i === Math.ceil(answerText.length / DELTA) - 1 ? "stop" : null }],
}));


const sse = new TextEncoder().encode(chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n");
/** The SSE bytes as an upstream delivers them: a few KB at a time. */
const sseStream = () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < sse.length; i += 4096) controller.enqueue(sse.subarray(i, i + 4096));
      controller.close();
    },
  });

export interface GuardrailCost {
  name: string;
  /** CPU µs per call. */
  preCall: number;
  jsonAnswer: number;
  /** The stream guard on chunk objects, whole answer. */
  stream: number;
  /** The request path's SSE step (parse, guard, re-serialise), whole answer. */
  sse: number;
}

export const WORKLOAD = { requestKiB: textOf(body) / 1024, answerChars: answerText.length, deltas: chunks.length, deltaChars: DELTA };

/** Each built-in (and all together) through the engine's entry points; `progress` gets one line per built-in. */
export async function measureGuardrails(progress: (line: string) => void = () => {}): Promise<GuardrailCost[]> {
  const rows: GuardrailCost[] = [];
  for (const [name, config] of Object.entries(builtins)) {
    const engine = new GuardrailEngine(compileGuardrails(config));
    const preCall = await cpuPerCall(async () => {
      const out = await engine.forCall(body)!.preCall(body);
      if (out !== body) throw new Error(`${name} changed the clean agent prompt`);
    });
    const jsonAnswer = await cpuPerCall(() => engine.forCall(body)!.postCall(answer));
    const stream = await cpuPerCall(async () => {
      const guard = engine.forCall(body)!.streamGuard()!;
      for (const c of chunks) await guard.chunk(c);
      await guard.end();
    });
    const sseCost = await cpuPerCall(async () => {
      const reader = guardSseStream(sseStream(), engine.forCall(body)!.streamGuard()!, "openai", () => {}).getReader();
      while (!(await reader.read()).done);
    });
    rows.push({ name, preCall, jsonAnswer, stream, sse: sseCost });
    progress(`${name}: pre_call ${preCall.toFixed(0)} µs, JSON answer ${jsonAnswer.toFixed(0)} µs, stream ${stream.toFixed(0)} µs, SSE ${sseCost.toFixed(0)} µs`);
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`request: ${WORKLOAD.requestKiB.toFixed(1)} KB JSON, ${WORKLOAD.answerChars} characters of answer text, streamed in ${WORKLOAD.deltas} deltas of ${DELTA}\n`);
  console.log(`${"built-in".padEnd(48)} ${"pre_call".padStart(10)} ${"JSON answer".padStart(12)} ${"stream".padStart(10)} ${"SSE step".padStart(10)}   (CPU µs per call, best of 7 batches)`);
  for (const r of await measureGuardrails()) {
    console.log(`${r.name.padEnd(48)} ${r.preCall.toFixed(0).padStart(10)} ${r.jsonAnswer.toFixed(0).padStart(12)} ${r.stream.toFixed(0).padStart(10)} ${r.sse.toFixed(0).padStart(10)}`);
  }
}
