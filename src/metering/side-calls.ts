// Limits and the spend log for calls that are not LLM calls: MCP tool calls (src/mcp) and Realtime
// sessions (src/realtime). A virtual key's call is admitted by its KeyGuard like an LLM call, with a
// zero-cost reservation (the guard checks that the key is usable, its budget not spent and its rpm /
// parallel limits, and counts the call); it settles with its real cost and a spend log row in
// LiteLLM's columns (call_type "call_mcp_tool", "_arealtime"). The master key's and open mode's calls
// are only logged, batched per isolate as their LLM calls are.
import { guardFor, type AdmitAnswer, type GuardSnapshot } from "../core/guard-rpc";
import type { Principal } from "../core/principal";
import type { Env } from "../env";
import { confirmKey, forgetKey, guardUnavailable, refusalError } from "../keys/lookup";
import { hashKey } from "../keys/token";
import { settleBatched, withSettleRetries } from "../limits/settle-batch";
import { dailyRow, outboxRow } from "../spend/flush";
import type { SpendLogRow } from "../schema/db";

export type Admitted = Extract<AdmitAnswer, { ok: true }>;

/**
 * Admits a virtual key's call (rpm, parallel, budget not exhausted) or throws LiteLLM's 401/429;
 * undefined for the master key and open mode, which have no limits. `unbounded`: priced, but its cost is
 * known only as it runs (a Realtime session), so a spent budget refuses it.
 */
export async function admitSideCall(env: Env, principal: Principal, requestId: string, model: string, unbounded = false): Promise<Admitted | undefined> {
  if (principal.kind !== "virtual_key" || !principal.token) return undefined;
  const token = principal.token;
  const answer = await guardFor(env, { kind: "key", token })
    .admit({ token, requestId, model, cost: 0, knownVersion: principal.key?.version, unbounded })
    .catch(guardUnavailable);
  if (!answer.ok) {
    if (answer.revoked) forgetKey(token);
    throw refusalError(answer);
  }
  if (answer.config) confirmKey(answer.config);
  return answer;
}

/** An admitted call that will not run after all (its upstream refused): its reservation and count go back. */
export async function cancelSideCall(env: Env, principal: Principal, requestId: string): Promise<void> {
  if (principal.kind === "virtual_key" && principal.token) await guardFor(env, { kind: "key", token: principal.token }).cancel(requestId);
}

/** The key's live spend (for a running session's budget check). */
export function keySnapshot(env: Env, token: string): Promise<GuardSnapshot> {
  return guardFor(env, { kind: "key", token }).snapshot();
}

const masterTokens = new Map<string, Promise<string>>();

/** The token a caller's spend is logged under: the virtual key's, the master key's hash, "" in open mode. */
export function logToken(principal: Principal, masterKey: string | undefined): Promise<string> | string {
  if (principal.token !== undefined) return principal.token;
  if (principal.kind !== "master" || !masterKey) return "";
  let token = masterTokens.get(masterKey);
  if (!token) masterTokens.set(masterKey, (token = hashKey(masterKey)));
  return token;
}

export interface SideCall {
  requestId: string;
  principal: Principal;
  /** From logToken. */
  token: string;
  /** LiteLLM's spend log fields. */
  callType: "call_mcp_tool" | "_arealtime";
  model: string;
  modelGroup: string;
  provider: string;
  apiBase: string | null;
  modelId?: string | null;
  status: "success" | "failure" | "aborted";
  startedAt: number;
  endedAt: number;
  cost: number;
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens: number };
  metadata: Record<string, unknown>;
  /** Only with store_prompts_in_spend_logs. */
  messages?: unknown;
  response?: unknown;
  /** The price of the model is unknown (charged 0). */
  unpriced?: boolean;
}

function rowOf(call: SideCall): SpendLogRow {
  const { principal, usage } = call;
  const prompt = usage?.prompt_tokens ?? 0;
  const completion = usage?.completion_tokens ?? 0;
  return {
    request_id: call.requestId,
    api_key: call.token,
    user: principal.key?.user_id ?? null,
    team_id: principal.key?.team_id ?? null,
    end_user: null,
    model: call.model,
    model_group: call.modelGroup,
    model_id: call.modelId ?? null,
    custom_llm_provider: call.provider,
    api_base: call.apiBase,
    call_type: call.callType,
    prompt_tokens: prompt,
    completion_tokens: completion,
    cached_tokens: usage?.cached_tokens ?? 0,
    total_tokens: prompt + completion,
    spend: call.cost,
    cache_hit: false,
    status: call.status,
    start_time: call.startedAt,
    end_time: call.endedAt,
    duration_ms: call.endedAt - call.startedAt,
    request_tags: principal.key?.tags ?? [],
    messages: call.messages ?? null,
    response: call.response ?? null,
    metadata: { ...(principal.key?.key_alias ? { user_api_key_alias: principal.key.key_alias } : {}), ...call.metadata },
  };
}

/**
 * Charges the call's cost to the key and queues its spend log row (`keepLogRow` false: only the daily
 * aggregates, as general_settings.disable_spend_logs). Retried; the guard ignores repeats.
 */
export function settleSideCall(env: Env, call: SideCall, keepLogRow: boolean): Promise<void> {
  const log = rowOf(call);
  const tokens = (call.usage?.prompt_tokens ?? 0) + (call.usage?.completion_tokens ?? 0);
  const settlement = { token: call.token, requestId: call.requestId, model: call.modelGroup, cost: call.cost, tokens, row: outboxRow(log, keepLogRow), daily: dailyRow(log, call.unpriced ?? false) };
  if (call.principal.kind !== "virtual_key") return settleBatched(env, call.token, settlement);
  return withSettleRetries(`${call.callType} ${call.requestId} (${call.cost} USD)`, () => guardFor(env, { kind: "key", token: call.token }).settle(settlement));
}
