// LiteLLM's StandardLoggingPayload (litellm/types/utils.py): what the generic API webhook, S3/R2
// objects and Datadog messages carry, and what the Langfuse and OTel callbacks are made from.
//
// Privacy: with turn_off_message_logging no prompt or answer text is included (LiteLLM's
// "redacted-by-litellm" in their place); with redact_user_api_key_info no user_api_key_* field. No
// secret is ever included: no credentials, no headers, api_base without its query string.
import type { LlmRequest } from "../../core/call";
import type { CallRecord } from "../record";

export const REDACTED = "redacted-by-litellm";
/** A prompt or answer larger than this (as JSON) is replaced by a note saying so. */
const MAX_CONTENT_CHARS = 256 * 1024;

export interface PayloadOptions {
  /** Prompt and answer text included (turn_off_message_logging off). */
  messages: boolean;
  /** user_api_key_* fields removed (redact_user_api_key_info). */
  redactKeyInfo: boolean;
}

export interface StandardLoggingPayload {
  id: string;
  trace_id: string;
  call_id: string;
  call_type: string;
  stream: boolean;
  response_cost: number;
  response_cost_failure_debug_info: null;
  status: "success" | "failure";
  status_fields: { llm_api_status: "success" | "failure" };
  custom_llm_provider: string | null;
  total_tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
  startTime: number;
  endTime: number;
  completionStartTime: number;
  response_time: number;
  model_map_information: { model_map_key: string; model_map_value: null };
  model: string;
  model_id: string | null;
  model_group: string;
  api_base: string;
  metadata: Record<string, unknown>;
  cache_hit: boolean;
  cache_key: null;
  saved_cache_cost: number;
  request_tags: string[];
  end_user: string | null;
  requester_ip_address: null;
  messages: unknown;
  response: unknown;
  error_str: string | null;
  error_information: { error_code: string; error_class: string; llm_provider: string | null; error_message: string } | null;
  model_parameters: Record<string, unknown>;
  hidden_params: {
    model_id: string | null;
    cache_key: null;
    api_base: string;
    response_cost: number;
    litellm_overhead_time_ms: number;
    additional_headers: Record<string, number>;
    litellm_model_name: string | null;
  };
  guardrail_information: null;
  standard_built_in_tools_params: null;
}

/** Request params worth logging: numbers and switches, never content (prompts, tools, schemas). */
const PARAMS = ["temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stream", "presence_penalty", "frequency_penalty", "seed", "user", "tool_choice", "reasoning_effort", "logprobs", "top_logprobs", "parallel_tool_calls", "dimensions", "encoding_format", "timeout"];

function modelParameters(request: LlmRequest | undefined): Record<string, unknown> {
  const body = (request?.body ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const p of PARAMS) {
    const v = body[p];
    if (typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && p !== "user")) out[p] = v;
  }
  return out;
}

function requestContent(request: LlmRequest | undefined): unknown {
  if (!request) return null;
  return request.endpoint === "chat" ? request.body.messages : request.endpoint === "completion" ? request.body.prompt : request.body.input;
}

/** Content as is, or a note when it is too large to log. */
function capped(value: unknown): unknown {
  if (value === undefined) return null;
  const size = JSON.stringify(value)?.length ?? 0;
  return size > MAX_CONTENT_CHARS ? `<${size} characters, not logged (over ${MAX_CONTENT_CHARS})>` : value;
}

const seconds = (ms: number) => ms / 1000;

export async function standardLoggingPayload(r: CallRecord, opts: PayloadOptions): Promise<StandardLoggingPayload> {
  const d = r.deployment;
  const response = opts.messages ? capped(await r.response?.catch(() => undefined)) : REDACTED;
  const k = r.key;
  const keyInfo = opts.redactKeyInfo
    ? {}
    : {
        user_api_key_hash: k.hash,
        user_api_key_alias: k.alias,
        user_api_key_spend: k.spendAfter ?? null,
        user_api_key_max_budget: k.maxBudget ?? null,
        user_api_key_team_id: k.teamId,
        user_api_key_team_alias: k.teamAlias,
        user_api_key_user_id: k.userId,
        user_api_key_end_user_id: k.endUser,
        user_api_key_request_route: r.route,
      };
  const additional: Record<string, number> = {};
  if (r.remaining.upstreamRequests !== undefined) additional.x_ratelimit_remaining_requests = r.remaining.upstreamRequests;
  if (r.remaining.upstreamTokens !== undefined) additional.x_ratelimit_remaining_tokens = r.remaining.upstreamTokens;
  return {
    id: r.id,
    trace_id: r.id,
    call_id: r.id,
    call_type: r.callType,
    stream: r.stream,
    response_cost: r.cost,
    response_cost_failure_debug_info: null,
    status: r.status,
    status_fields: { llm_api_status: r.status },
    custom_llm_provider: d?.provider ?? null,
    total_tokens: r.totalTokens,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    startTime: seconds(r.startedAt),
    endTime: seconds(r.endedAt),
    completionStartTime: seconds(r.firstChunkAt ?? r.endedAt),
    response_time: seconds(r.endedAt - r.startedAt),
    model_map_information: { model_map_key: d?.model ?? r.group, model_map_value: null },
    model: d?.model ?? r.requestedModel,
    model_id: d?.id ?? null,
    model_group: r.answeredGroup,
    api_base: r.apiBase,
    metadata: { ...keyInfo, requester_metadata: null, applied_guardrails: [], usage_object: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.totalTokens } },
    cache_hit: false,
    cache_key: null,
    saved_cache_cost: 0,
    request_tags: r.tags,
    end_user: k.endUser,
    requester_ip_address: null,
    messages: opts.messages ? capped(requestContent(r.request)) : [{ role: "user", content: REDACTED }],
    response,
    error_str: r.error?.message ?? null,
    error_information: r.error ? { error_code: String(r.error.status), error_class: r.error.class, llm_provider: d?.provider ?? null, error_message: r.error.message } : null,
    model_parameters: modelParameters(r.request),
    hidden_params: {
      model_id: d?.id ?? null,
      cache_key: null,
      api_base: r.apiBase,
      response_cost: r.cost,
      litellm_overhead_time_ms: r.overheadMs,
      additional_headers: additional,
      litellm_model_name: d?.model ?? null,
    },
    guardrail_information: null,
    standard_built_in_tools_params: null,
  };
}
