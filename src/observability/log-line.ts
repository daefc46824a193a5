// One JSON line per LLM call for Workers Logs (which index JSON console output): who, what, where,
// how it ended, how long, how many tokens, what it cost. Never prompt or answer text; no key alias with
// redact_user_api_key_info; every string cut to a bounded length, so a line stays under ~2 KB.
import type { CallRecord } from "./record";

const MAX_TEXT = 200;
const cut = (v: string | null | undefined, max = MAX_TEXT) => (v === null || v === undefined ? undefined : v.length > max ? `${v.slice(0, max)}…` : v);

export function callLogLine(r: CallRecord, redactKeyInfo: boolean): string {
  const d = r.deployment;
  return JSON.stringify({
    message: "llm call",
    level: r.status === "success" ? "info" : "error",
    call_id: r.id,
    key_alias: redactKeyInfo ? undefined : cut(r.key.alias),
    route: cut(r.route),
    model: cut(r.requestedModel),
    model_group: cut(r.answeredGroup),
    deployment: cut(d?.id),
    provider: d?.provider,
    upstream_model: cut(d?.model),
    status: r.aborted ? "aborted" : r.status,
    http_status: r.httpStatus,
    stream: r.stream,
    latency_ms: r.endedAt - r.startedAt,
    ttft_ms: r.firstChunkAt !== undefined && r.apiStartedAt !== undefined ? r.firstChunkAt - r.apiStartedAt : undefined,
    overhead_ms: r.overheadMs,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_tokens: r.totalTokens,
    cost: r.cost,
    retries: r.retries || undefined,
    fallbacks: r.fallbacks || undefined,
    error: r.error ? { status: r.error.status, class: r.error.class, message: cut(r.error.message, 300) } : undefined,
  });
}
