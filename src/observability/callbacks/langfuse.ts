// Langfuse, through its public ingestion API (POST /api/public/ingestion, basic auth with the project's
// public and secret keys): per call a trace and its generation, as LiteLLM's Langfuse logger sends them.
// Event ids are made from the call id, so a retried batch is not ingested twice (Langfuse deduplicates
// events by id). Langfuse answers 207 with per-event errors: server-side ones are retried, the rest logged.
import { DeliveryError, expectOk, type Sink } from "./batcher";
import type { StandardLoggingPayload } from "./payload";

export interface LangfuseSettings {
  host: string;
  publicKey: string;
  secretKey: string;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

function events(p: StandardLoggingPayload): object[] {
  const name = `litellm-${p.call_type}`;
  const user = (p.metadata.user_api_key_user_id as string | null | undefined) ?? p.end_user ?? undefined;
  const metadata = { ...p.metadata, model_group: p.model_group, model_id: p.model_id, api_base: p.api_base, hidden_params: p.hidden_params, status: p.status };
  return [
    {
      id: `${p.id}-trace`,
      type: "trace-create",
      timestamp: iso(p.endTime),
      body: { id: p.trace_id, timestamp: iso(p.startTime), name, userId: user, input: p.messages, output: p.response, metadata, tags: p.request_tags },
    },
    {
      id: `${p.id}-generation`,
      type: "generation-create",
      timestamp: iso(p.endTime),
      body: {
        id: p.id,
        traceId: p.trace_id,
        name,
        startTime: iso(p.startTime),
        endTime: iso(p.endTime),
        completionStartTime: iso(p.completionStartTime),
        model: p.model,
        modelParameters: p.model_parameters,
        input: p.messages,
        output: p.response,
        usage: { input: p.prompt_tokens, output: p.completion_tokens, total: p.total_tokens, unit: "TOKENS" },
        usageDetails: { input: p.prompt_tokens, output: p.completion_tokens, total: p.total_tokens },
        costDetails: { total: p.response_cost },
        level: p.status === "failure" ? "ERROR" : "DEFAULT",
        statusMessage: p.error_str ?? undefined,
        metadata,
      },
    },
  ];
}

export function langfuseSink(s: LangfuseSettings): Sink<StandardLoggingPayload> {
  const url = `${s.host.replace(/\/+$/, "")}/api/public/ingestion`;
  const authorization = `Basic ${btoa(`${s.publicKey}:${s.secretKey}`)}`;
  return {
    name: "langfuse",
    async send(items, signal) {
      const res = await fetch(url, { method: "POST", headers: { authorization, "content-type": "application/json" }, body: JSON.stringify({ batch: items.flatMap(events) }), signal });
      if (!res.ok) return expectOk(res, "Langfuse");
      const answer = (await res.json().catch(() => ({}))) as { errors?: { id: string; status: number; message?: string }[] };
      const errors = answer.errors ?? [];
      if (errors.some((e) => e.status >= 500)) throw new DeliveryError(`Langfuse could not ingest ${errors.length} events (HTTP ${errors[0].status})`);
      if (errors.length) console.warn(`[callbacks] langfuse: ${errors.length} events refused: ${errors[0].status} ${errors[0].message ?? ""}`.trim());
    },
  };
}
