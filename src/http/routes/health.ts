// LiteLLM's health routes: liveness and readiness need no key; /health (master key) probes every deployment.
import { Hono } from "hono";
import type { GatewayEnv } from "../../core/hono-env";
import { authenticate, requireMaster } from "../middleware/auth";
import type { Deployment, ModelGroup } from "../../core/provider";
import { planResponsesCall } from "../../responses/client";
import { toGatewayError } from "../../errors";
import { LlmCall, type ClientApi, type LlmRequest } from "../../core/call";
import { callDeployment } from "../../router/attempt";
import { markHealthy } from "../../router";
import { publicParams } from "../../config/public-params";
import { wavBytes } from "../../lib/audio";

export const healthRoutes = new Hono<GatewayEnv>();

for (const path of ["/health/liveliness", "/health/liveness"]) {
  healthRoutes.get(path, (c) => c.json("I'm alive!"));
}

healthRoutes.get("/health/readiness", async (c) => {
  try {
    await c.env.DB.prepare("SELECT 1").first();
    return c.json({ status: "healthy", db: "connected" });
  } catch {
    return c.json({ status: "unhealthy", db: "unreachable" }, 503);
  }
});

const PROBE_TIMEOUT_MS = 30_000;

/**
 * The smallest request in the deployment's mode, as LiteLLM's health checks: one token of chat,
 * completion or embedding; mode responses: POST /v1/responses (16 tokens, OpenAI's least, not stored);
 * one image; a tenth of a second of silence to transcribe; one word of speech; one document to rerank.
 */
function probeRequest(d: Deployment, group: ModelGroup): { request: LlmRequest; client?: ClientApi } {
  const model = d.modelName;
  switch (d.info.mode) {
    case "image_generation":
      return { request: { endpoint: "image_generation", body: { model, prompt: "ping", n: 1 } } };
    case "audio_transcription":
      return { request: { endpoint: "transcription", body: { model, file: new File([wavBytes(0.1)], "ping.wav", { type: "audio/wav" }) }, audioSeconds: 0.1 } };
    case "audio_speech":
      return { request: { endpoint: "speech", body: { model, input: "ping", voice: "alloy" } } };
    case "rerank":
      return { request: { endpoint: "rerank", body: { model, query: "ping", documents: ["pong"] } } };
    case "moderation":
      return { request: { endpoint: "moderation", body: { model, input: "ping" } } };
  }
  if (d.info.mode === "embedding") return { request: { endpoint: "embedding", body: { model: d.modelName, input: "ping" } } };
  if (d.info.mode === "completion") return { request: { endpoint: "completion", body: { model: d.modelName, prompt: "ping", max_tokens: 1 } } };
  if (d.info.mode === "responses") {
    const { chat, client } = planResponsesCall({ model: d.modelName, input: "ping", max_output_tokens: 16, store: false }, group, new Map(), "health");
    return { request: { endpoint: "chat", body: chat }, client };
  }
  return { request: { endpoint: "chat", body: { model: d.modelName, messages: [{ role: "user", content: "ping" }], max_tokens: 1 } } };
}

async function probe(d: Deployment, c: { env: GatewayEnv["Bindings"]; var: GatewayEnv["Variables"] }) {
  const group = { name: d.modelName, deployments: [d] };
  const { request, client } = probeRequest(d, group);
  const call = new LlmCall(crypto.randomUUID(), request, group, c.var.principal, new AbortController().signal, client);
  const base = { model: `${d.provider}/${d.model}`, model_name: d.modelName, model_id: d.id, ...publicParams(d.params) };
  try {
    const result = await callDeployment(call, d, c.env, { timeoutMs: PROBE_TIMEOUT_MS, streamTimeoutMs: PROBE_TIMEOUT_MS, dropParams: true });
    // Speech answers with audio: the probe needs only its start.
    if (result.kind === "binary") await result.body.cancel().catch(() => undefined);
    // The same deployment the router uses answered: end its cooldown, if it had one.
    await markHealthy(c.var.runtime, c.env, d);
    return { healthy: true, entry: { ...base, api_base: call.apiBase || undefined } };
  } catch (err) {
    const e = toGatewayError(err);
    return { healthy: false, entry: { ...base, api_base: call.apiBase || undefined, error: e.message, status: e.status } };
  }
}

healthRoutes.get("/health", authenticate, requireMaster, async (c) => {
  const model = c.req.query("model");
  const deployments = [...c.var.runtime.groups.values()].flatMap((g) => g.deployments).filter((d) => !model || d.modelName === model);
  const results = await Promise.all(deployments.map((d) => probe(d, c)));
  const healthy = results.filter((r) => r.healthy).map((r) => r.entry);
  const unhealthy = results.filter((r) => !r.healthy).map((r) => r.entry);
  return c.json({ healthy_endpoints: healthy, unhealthy_endpoints: unhealthy, healthy_count: healthy.length, unhealthy_count: unhealthy.length });
});
